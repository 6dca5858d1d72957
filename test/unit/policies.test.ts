// Every policy held to good and bad inputs in one table, called directly (constructing a
// PolicyPack would start a gRPC server); props are wrapped in unknownCheckingProxy as the policy
// runtime does. Each case of issue 15's list is a row tagged with it. Then the real program, every
// stack x profile, must pass every mandatory policy with the committed policy config
// (infra/policy-pack/config.json), the one manage passes on every preview and update.
import { unknownCheckingProxy, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { describe, expect, test } from "vitest";
import * as P from "../../infra/policy-pack/policies.cjs";
import { PROFILE_NAMES } from "../../infra/profiles.js";
import { roleGuidOf, roleKeyOf } from "../../infra/roles.cjs";
import { gatewayPolicyXml } from "../../infra/access-mode.js";
import { ROOT, simulateStack, STACKS } from "../helpers/program.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePolicyPackConfig, resolvePolicies } from "../fake-pulumi/policy-config.js";
import { MAX_SESSIONS_CEILING, READY_SESSIONS_CEILING } from "../../infra/ceilings.cjs";
import { DEFAULT_PARTICIPANTS, nodesFor, planCapacity } from "../../infra/capacity.js";
import { admitted, withinAddressLimit } from "../../infra/ip-ranges.cjs";

type Props = Record<string, any>;
type Config = Record<string, unknown>;
interface StackResource {
  type: string;
  name: string;
  props: Props;
}

const urn = (type: string, name: string, stack: string) => `urn:pulumi:${stack}::coding-engine::${type}::${name}`;

function defaults(policy: { configSchema?: { properties?: Record<string, { default?: unknown }> } }) {
  return Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, v.default]));
}

function violations(policy: ResourceValidationPolicy, type: string, props: Props, config: Config = {}, stack = "contest") {
  const found: string[] = [];
  (policy.validateResource as (args: any, report: (m: string) => void) => void)(
    {
      type,
      props: unknownCheckingProxy(props),
      urn: urn(type, "r", stack),
      name: "r",
      opts: {},
      stackTags: new Map(),
      isType: () => false,
      asType: () => undefined,
      getConfig: () => ({ ...defaults(policy), ...config }),
      notApplicable: () => undefined,
    },
    (m: string) => found.push(m),
  );
  return found;
}

function stackViolations(policy: StackValidationPolicy, resources: StackResource[], config: Config = {}, stack = "contest") {
  const found: string[] = [];
  (policy.validateStack as (args: any, report: (m: string) => void) => void)(
    {
      resources: resources.map((r) => ({ ...r, urn: urn(r.type, r.name, stack), opts: {}, props: unknownCheckingProxy(r.props) })),
      stackTags: new Map(),
      getConfig: () => ({ ...defaults(policy), ...config }),
    },
    (m: string) => found.push(m),
  );
  return found;
}

// The sentinel the engine sends for a value unknown during a preview (@pulumi/policy proxy.js).
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const { POOL, APP, REGISTRY, ROLE_ASSIGNMENT: ROLE, IDENTITY, RESOURCE_GROUP: GROUP, GATEWAY_API, GATEWAY_API_POLICY: GATEWAY_POLICY } = P.TYPES;

const SUB = "/subscriptions/11111111-1111-4111-8111-111111111111";
const RG = `${SUB}/resourceGroups/codeeng-contest-rg`;
const ID = `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/codeeng-contest-id`;
const ENV = `${RG}/providers/Microsoft.App/managedEnvironments/codeeng-contest-env`;
const REGISTRY_ID = `${RG}/providers/Microsoft.ContainerRegistry/registries/codeengcontestacr`;
const PRINCIPAL = "2b7a0c1e-0d0e-4f6a-9b1c-3d4e5f6a7b8c";
const roleDef = (guid: string) => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const G = {
  acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  sessionExecutor: "0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0",
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
};

const goodPool = (): Props => ({
  resourceGroupName: "codeeng-contest-rg",
  environmentId: ENV,
  sessionNetworkConfiguration: { status: "EgressDisabled" },
  customContainerTemplate: {
    containers: [{ name: "session", image: "r.azurecr.io/s:1", resources: { cpu: 0.5, memory: "1Gi" } }],
    registryCredentials: { server: "r.azurecr.io", identity: ID },
  },
  dynamicPoolConfiguration: { lifecycleConfiguration: { lifecycleType: "Timed", cooldownPeriodInSeconds: 300 } },
  scaleConfiguration: { maxConcurrentSessions: 50, readySessionInstances: 5 },
  identity: { type: "UserAssigned", userAssignedIdentities: [ID] },
  managedIdentitySettings: [{ identity: ID, lifecycle: "None" }],
});
const goodApp = (): Props => ({
  resourceGroupName: "codeeng-contest-rg",
  managedEnvironmentId: ENV,
  configuration: {
    ingress: {
      external: true,
      allowInsecure: false,
      ipSecurityRestrictions: [{ name: "allow-1", ipAddressRange: "203.0.113.0/24", action: "Allow" }],
    },
    registries: [{ server: "r.azurecr.io", identity: ID }],
  },
  template: { scale: { minReplicas: 0, maxReplicas: 10 } },
  tags: { profile: "idle" },
});
const goodRegistry = (): Props => ({ resourceGroupName: "codeeng-contest-rg", adminUserEnabled: false });
const assignment = (name: string, guid: string, scope: string, principalId = PRINCIPAL): StackResource => ({
  type: ROLE,
  name,
  props: { roleDefinitionId: roleDef(guid), scope, principalId, principalType: "ServicePrincipal" },
});
/** A stack as the program declares it in the contest profile (venue-restricted backend). */
const goodStack = (): StackResource[] => [
  { type: GROUP, name: "resource-group", props: { resourceGroupName: "codeeng-contest-rg", name: "codeeng-contest-rg" } },
  { type: REGISTRY, name: "registry", props: goodRegistry() },
  { type: IDENTITY, name: "identity", props: { resourceGroupName: "codeeng-contest-rg", principalId: PRINCIPAL } },
  { type: POOL, name: "session-pool", props: goodPool() },
  { type: APP, name: "backend", props: goodApp() },
  assignment("acr-pull", G.acrPull, REGISTRY_ID),
  assignment("session-executor", G.sessionExecutor, RG),
];
/** goodStack with the named resources' props changed, and the resources named in `drop` left out. */
function stackWith(changes: Record<string, (props: Props) => void> = {}, drop: string[] = []): StackResource[] {
  const stack = goodStack().filter((res) => !drop.includes(res.name));
  for (const res of stack) changes[res.name]?.(res.props);
  return stack;
}
function edit<T extends Props>(base: T, change: (p: T) => void): T {
  change(base);
  return base;
}
const pool = (change: (p: Props) => void) => edit(goodPool(), change);
const app = (change: (p: Props) => void) => edit(goodApp(), change);

/** The gateway of accessMode token as the program declares it: an API and its policy (infra/access-mode.ts). */
const KEY_GATEWAY = { sku: "Developer", publisherEmail: "ops@example.com", callsPerMinute: 60, jwt: null } as const;
const gatewayStack = (api: Props = {}, xml: string | null = gatewayPolicyXml(KEY_GATEWAY)): StackResource[] => [
  { type: GATEWAY_API, name: "gateway-api", props: { apiId: "coding-engine", path: "", subscriptionRequired: true, ...api } },
  ...(xml === null ? [] : [{ type: GATEWAY_POLICY, name: "gateway-policy", props: { apiId: "coding-engine", policyId: "policy", format: "rawxml", value: xml } }]),
];
const JWT_XML = gatewayPolicyXml({ ...KEY_GATEWAY, jwt: { issuer: "https://login.example.com/", audience: "api://coding-engine" } });
/** JWT_XML's issuer pinned in the policy's config, as infra/policy-pack/config.json would pin a stack's. */
const ISSUER = { jwtIssuers: ["https://login.example.com/"] };
/** The key gateway's API and policy with the service and resource group the program gives both; `api`/`policy` change either. */
const placed = (api: Props = {}, policy: Props = {}): StackResource[] => {
  const where = { serviceName: "codeeng-contest-apim", resourceGroupName: "codeeng-contest-rg" };
  const [a, p] = gatewayStack();
  return [{ ...a!, props: { ...a!.props, ...where, ...api } }, { ...p!, props: { ...p!.props, ...where, ...policy } }];
};

/** The versioned tokens azure-native accepts as aliases (@pulumi/azure-native 3.28's resource modules list them). */
const V = {
  pool: "azure-native:app/v20250701:ContainerAppsSessionPool",
  app: "azure-native:app/v20250101:ContainerApp",
  registry: "azure-native:containerregistry/v20230701:Registry",
  role: "azure-native:authorization/v20220401:RoleAssignment",
};
const { GATEWAY_OPERATION_POLICY, GATEWAY_SERVICE_POLICY, GATEWAY_PRODUCT_POLICY, FEDERATED_CREDENTIAL: FIC } = P.TYPES;
/** The program's key-gateway policy with the rate limit's attributes changed. */
const xmlWith = (attrs: Record<string, string>) =>
  gatewayPolicyXml(KEY_GATEWAY).replace(/<rate-limit-by-key([^>]*)\/>/, (_m, a: string) => {
    let out = a;
    for (const [k, v] of Object.entries(attrs)) out = new RegExp(`\\b${k}="`).test(out) ? out.replace(new RegExp(`\\b${k}="[^"]*"`), `${k}="${v.replaceAll('"', "&quot;")}"`) : `${out} ${k}="${v.replaceAll('"', "&quot;")}"`;
    return `<rate-limit-by-key${out}/>`;
  });
/** The program's key-gateway policy with its rate limit moved from <inbound> to another section. */
const moveRateLimit = (section: "outbound" | "on-error") => {
  const xml = gatewayPolicyXml(KEY_GATEWAY);
  const limit = xml.match(/<rate-limit-by-key[^>]*\/>/)![0];
  return xml.replace(limit, "").replace(`<${section}><base /></${section}>`, `<${section}><base />${limit}</${section}>`);
};
const OP_POLICY = (inbound: string) => `<policies><inbound>${inbound}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`;
/** A stack whose registry declares its loginServer, with the pool's and the backend's images set. */
function imageStack(o: { pool?: string; app?: string; init?: string; loginServer?: string } = {}): StackResource[] {
  const server = "codeengcontestacr.azurecr.io";
  return stackWith({
    registry: (p) => Object.assign(p, { registryName: "codeengcontestacr", loginServer: o.loginServer ?? server }),
    "session-pool": (p) => (p.customContainerTemplate.containers[0].image = o.pool ?? `${server}/coding-engine/session:1`),
    backend: (p) =>
      (p.template.containers = [{ name: "backend", image: o.app ?? `${server}/coding-engine/backend:1` }]) &&
      (p.template.initContainers = o.init ? [{ name: "init", image: o.init }] : undefined),
  });
}
const appEnv = (env: Props[]) => app((p) => (p.template.containers = [{ name: "backend", image: "r.azurecr.io/b:1", env }]));
const poolEnv = (env: Props[]) => pool((p) => (p.customContainerTemplate.containers[0].env = env));
const fic = (subject: string): Props => ({ resourceName: "codeeng-contest-id", resourceGroupName: "codeeng-contest-rg", issuer: "https://token.actions.githubusercontent.com", audiences: ["api://AzureADTokenExchange"], subject });
const REPO = { repository: "acme/coding-engine" };

/** Issue 15's list: each must be a row below, refused by a mandatory policy. */
const ISSUE_15 = [
  "pool managedIdentitySettings lifecycle Main",
  "pool managedIdentitySettings lifecycle All",
  "Session Executor at subscription scope with an upper-case GUID",
  "Session Executor on another team's resource group",
  "Owner at subscription scope",
  "maxConcurrentSessions 100000",
  "registry with anonymous pull",
  "session CPU NaN",
  "backend with no caller restriction",
  "backend with 1000 replicas",
  "ready sessions above the mandatory ceiling",
  "gateway that lets anonymous callers through",
  "gateway without a rate limit per caller",
] as const;
/** Issue 21's list: someone trying to get round a policy; each must be a row below, refused by a mandatory policy. */
const ISSUE_21 = [
  "versioned token: pool with egress",
  "versioned token: Contributor at subscription scope",
  "versioned token: registry with admin user",
  "validate-jwt in an XML comment",
  "rate limit in an XML comment",
  "rate limit only in <outbound>",
  "validate-jwt only in <outbound>",
  "caller-chosen counter key",
  'renewal-period="1"',
  "operation policy drops <base/>",
  "256 /8s",
  "100000 calls a minute",
  "docker.io image",
  "plain-text secret in env",
  "federated credential for another repository",
  // The review's probes (docs/security.md): each got past the pack before.
  "generic resource or ARM deployment",
  "role definition or PIM schedule",
  "JWT issuer only in the stack file",
  "unsigned tokens accepted",
  "validate-jwt of another header",
  "return-response before the checks",
  "rate-limit child raises the limit",
  "DTD in the gateway policy",
  "policy on another service",
  "API without apiId",
  "global policy answers first",
  "unknown range hides the check",
  "IPv4-mapped IPv6 range",
  "Allow spelled otherwise",
  "extra external port",
  "look-alike registry host",
  "secret by its value",
  "secret in command or args",
] as const;
type IssueCase = (typeof ISSUE_15)[number] | (typeof ISSUE_21)[number];

interface Row {
  policy: ResourceValidationPolicy | StackValidationPolicy;
  title: string;
  run: () => string[];
  /** [] for a good input; otherwise one pattern per expected violation, in order. */
  expect: RegExp[];
  issue?: IssueCase;
}
const r = (
  policy: ResourceValidationPolicy,
  title: string,
  type: string,
  props: Props,
  expected: RegExp[],
  opts: { config?: Config; stack?: string; issue?: IssueCase } = {},
): Row => ({ policy, title, run: () => violations(policy, type, props, opts.config, opts.stack), expect: expected, issue: opts.issue });
const s = (
  policy: StackValidationPolicy,
  title: string,
  resources: StackResource[],
  expected: RegExp[],
  opts: { config?: Config; stack?: string; issue?: IssueCase } = {},
): Row => ({ policy, title, run: () => stackViolations(policy, resources, opts.config, opts.stack), expect: expected, issue: opts.issue });

const ROWS: Row[] = [
  // session-pool-egress-disabled
  r(P.sessionEgressDisabled, "egress disabled", POOL, goodPool(), []),
  r(P.sessionEgressDisabled, "egress enabled", POOL, pool((p) => (p.sessionNetworkConfiguration.status = "EgressEnabled")), [/allows egress \(EgressEnabled\).*Fix: set allowSessionEgress false/]),
  r(P.sessionEgressDisabled, "egress unset", POOL, pool((p) => delete p.sessionNetworkConfiguration), [/allows egress \(unset\)/]),
  r(P.sessionEgressDisabled, "egress enabled, stack allowed", POOL, pool((p) => (p.sessionNetworkConfiguration.status = "EgressEnabled")), [], { config: { allowedStacks: ["contest"] } }),
  r(P.sessionEgressDisabled, "egress enabled, another stack allowed", POOL, pool((p) => (p.sessionNetworkConfiguration.status = "EgressEnabled")), [/allows egress/], { config: { allowedStacks: ["dev"] } }),

  // registry-admin-user-disabled
  r(P.registryAdminDisabled, "admin user off", REGISTRY, goodRegistry(), []),
  r(P.registryAdminDisabled, "admin user on", REGISTRY, { adminUserEnabled: true }, [/admin user enabled.*Fix: set adminUserEnabled: false/]),
  r(P.registryAdminDisabled, "admin user unset", REGISTRY, {}, [/admin user enabled \(or unset\)/]),

  // registry-anonymous-pull-disabled
  r(P.registryAnonymousPullDisabled, "anonymous pull unset (Azure's default: off)", REGISTRY, goodRegistry(), []),
  r(P.registryAnonymousPullDisabled, "anonymous pull off", REGISTRY, { ...goodRegistry(), anonymousPullEnabled: false }, []),
  r(P.registryAnonymousPullDisabled, "anonymous pull on", REGISTRY, { ...goodRegistry(), anonymousPullEnabled: true }, [/allows anonymous pull \(anonymousPullEnabled true\).*Fix: remove anonymousPullEnabled or set it to false/], {
    issue: "registry with anonymous pull",
  }),
  r(P.registryAnonymousPullDisabled, "anonymous pull as a string", REGISTRY, { ...goodRegistry(), anonymousPullEnabled: "true" }, [/anonymousPullEnabled "true"/]),

  // image-pull-by-identity
  r(P.imagePullByIdentity, "pool pulls with the identity", POOL, goodPool(), []),
  r(P.imagePullByIdentity, "app pulls with the identity", APP, goodApp(), []),
  r(P.imagePullByIdentity, "pool pulls with a password", POOL, pool((p) => (p.customContainerTemplate.registryCredentials = { server: "r", username: "admin", passwordSecretRef: "pw" })), [
    /without the managed identity.*Fix: use registry credentials with the managed identity/,
  ]),
  r(P.imagePullByIdentity, "app pulls with a password", APP, app((p) => (p.configuration.registries = [{ server: "r", passwordSecretRef: "pw" }])), [/container app r pulls images without the managed identity/]),
  r(P.imagePullByIdentity, "pool without credentials", POOL, pool((p) => delete p.customContainerTemplate.registryCredentials), [/declares no registry credentials.*Fix: set customContainerTemplate.registryCredentials/]),

  // pool-identity-not-in-sessions
  r(P.poolIdentityNotInSessions, "lifecycle None", POOL, goodPool(), []),
  r(P.poolIdentityNotInSessions, "lifecycle unset (the API's default, None)", POOL, pool((p) => (p.managedIdentitySettings = [{ identity: ID }])), []),
  r(P.poolIdentityNotInSessions, "lifecycle none, other case", POOL, pool((p) => (p.managedIdentitySettings = [{ identity: ID.toUpperCase(), lifecycle: "none" }])), []),
  r(P.poolIdentityNotInSessions, "lifecycle Main", POOL, pool((p) => (p.managedIdentitySettings[0].lifecycle = "Main")), [/exposes identity .* inside sessions \(managedIdentitySettings lifecycle "Main"\).*Fix: set lifecycle: "None"/], {
    issue: "pool managedIdentitySettings lifecycle Main",
  }),
  r(P.poolIdentityNotInSessions, "lifecycle All", POOL, pool((p) => (p.managedIdentitySettings[0].lifecycle = "All")), [/lifecycle "All"/], { issue: "pool managedIdentitySettings lifecycle All" }),
  r(P.poolIdentityNotInSessions, "lifecycle Init", POOL, pool((p) => (p.managedIdentitySettings[0].lifecycle = "Init")), [/lifecycle "Init"/]),
  r(P.poolIdentityNotInSessions, "identity attached without a setting", POOL, pool((p) => delete p.managedIdentitySettings), [/attaches identity .* with no managedIdentitySettings entry.*Fix: add managedIdentitySettings/]),
  r(P.poolIdentityNotInSessions, "identity unknown in a preview: lifecycle Main still refused", POOL, pool((p) => ((p.identity.userAssignedIdentities = [UNKNOWN_STRING]), (p.managedIdentitySettings = [{ identity: UNKNOWN_STRING, lifecycle: "Main" }]))), [/exposes identity \(not known yet\) inside sessions/]),
  r(P.poolIdentityNotInSessions, "identity unknown in a preview, lifecycle None", POOL, pool((p) => ((p.identity.userAssignedIdentities = [UNKNOWN_STRING]), (p.managedIdentitySettings = [{ identity: UNKNOWN_STRING, lifecycle: "None" }]))), []),
  r(P.poolIdentityNotInSessions, "system identity without a setting", POOL, pool((p) => (p.identity.type = "SystemAssigned,UserAssigned")), [/attaches identity system/]),

  // backend-https-only
  r(P.backendHttpsOnly, "HTTPS only", APP, goodApp(), []),
  r(P.backendHttpsOnly, "plain HTTP allowed", APP, app((p) => (p.configuration.ingress.allowInsecure = true)), [/allows plain HTTP.*Fix: set configuration.ingress.allowInsecure: false/]),

  // session-resources-in-range
  r(P.sessionResourcesInRange, "0.5 vCPU, 1Gi", POOL, goodPool(), []),
  r(P.sessionResourcesInRange, "limits inclusive: 0.25 vCPU, 0.5Gi", POOL, pool((p) => (p.customContainerTemplate.containers[0].resources = { cpu: 0.25, memory: "0.5Gi" })), []),
  r(P.sessionResourcesInRange, "limits inclusive: 2 vCPU, 4Gi", POOL, pool((p) => (p.customContainerTemplate.containers[0].resources = { cpu: 2, memory: "4Gi" })), []),
  r(P.sessionResourcesInRange, "CPU NaN", POOL, pool((p) => (p.customContainerTemplate.containers[0].resources.cpu = NaN)), [/CPU NaN is not a number within 0.25-2 vCPU.*Fix: set sessionCpu/], {
    issue: "session CPU NaN",
  }),
  r(P.sessionResourcesInRange, "CPU Infinity", POOL, pool((p) => (p.customContainerTemplate.containers[0].resources.cpu = Infinity)), [/CPU Infinity/]),
  r(P.sessionResourcesInRange, "CPU as a string", POOL, pool((p) => (p.customContainerTemplate.containers[0].resources.cpu = "0.5")), [/CPU "0.5"/]),
  r(P.sessionResourcesInRange, "CPU 4", POOL, pool((p) => (p.customContainerTemplate.containers[0].resources.cpu = 4)), [/CPU 4 /]),
  r(P.sessionResourcesInRange, "memory 8Gi", POOL, pool((p) => (p.customContainerTemplate.containers[0].resources.memory = "8Gi")), [/memory "8Gi" is not within 0.5Gi-4Gi.*Fix: set sessionMemory/]),
  r(P.sessionResourcesInRange, "memory NaNGi", POOL, pool((p) => (p.customContainerTemplate.containers[0].resources.memory = "NaNGi")), [/memory "NaNGi"/]),
  r(P.sessionResourcesInRange, "nothing set", POOL, pool((p) => (p.customContainerTemplate.containers[0].resources = {})), [/CPU unset/, /memory unset/]),
  r(P.sessionResourcesInRange, "no container", POOL, pool((p) => (p.customContainerTemplate.containers = [])), [/declares no container.*Fix: declare one session container/]),

  // pool-cooldown-in-range
  r(P.poolCooldownInRange, "Timed, 300 s", POOL, goodPool(), []),
  r(P.poolCooldownInRange, "Timed, 3600 s", POOL, pool((p) => (p.dynamicPoolConfiguration.lifecycleConfiguration.cooldownPeriodInSeconds = 3600)), []),
  r(P.poolCooldownInRange, "Timed, 60 s", POOL, pool((p) => (p.dynamicPoolConfiguration.lifecycleConfiguration.cooldownPeriodInSeconds = 60)), [/cooldown 60 s.*Fix: use lifecycleType "Timed"/]),
  r(P.poolCooldownInRange, "Timed, NaN s", POOL, pool((p) => (p.dynamicPoolConfiguration.lifecycleConfiguration.cooldownPeriodInSeconds = NaN)), [/cooldown NaN s/]),
  r(P.poolCooldownInRange, "OnContainerExit", POOL, pool((p) => (p.dynamicPoolConfiguration.lifecycleConfiguration = { lifecycleType: "OnContainerExit", maxAlivePeriodInSeconds: 600 })), [/lifecycle "OnContainerExit"/]),

  // pool-scale-in-range
  r(P.poolScaleInRange, "50 sessions, 5 ready", POOL, goodPool(), []),
  r(P.poolScaleInRange, "at the ceilings: 600 sessions, 140 ready", POOL, pool((p) => (p.scaleConfiguration = { maxConcurrentSessions: 600, readySessionInstances: 140 })), []),
  r(P.poolScaleInRange, "a 250-person contest as the planner sizes it: 250 sessions, 52 ready", POOL, pool((p) => (p.scaleConfiguration = { maxConcurrentSessions: 250, readySessionInstances: 52 })), []),
  r(P.poolScaleInRange, "141 ready sessions, one above the ceiling", POOL, pool((p) => (p.scaleConfiguration.readySessionInstances = 141)), [/readySessionInstances 141 is not a whole number from 0 to 140/]),
  r(P.poolScaleInRange, "0 ready sessions", POOL, pool((p) => (p.scaleConfiguration.readySessionInstances = 0)), []),
  r(P.poolScaleInRange, "maxConcurrentSessions 100000", POOL, pool((p) => (p.scaleConfiguration.maxConcurrentSessions = 100000)), [
    /maxConcurrentSessions 100000 is not a whole number from 1 to 600.*Fix: lower the profile's maxSessions \(manage scale --max-sessions\)/,
  ], { issue: "maxConcurrentSessions 100000" }),
  r(P.poolScaleInRange, "maxConcurrentSessions 100000 under a raised ceiling", POOL, pool((p) => (p.scaleConfiguration.maxConcurrentSessions = 100000)), [], {
    config: { maxConcurrentSessionsCeiling: 100000 },
  }),
  r(P.poolScaleInRange, "maxConcurrentSessions NaN", POOL, pool((p) => (p.scaleConfiguration.maxConcurrentSessions = NaN)), [/maxConcurrentSessions NaN/]),
  r(P.poolScaleInRange, "maxConcurrentSessions 0", POOL, pool((p) => (p.scaleConfiguration.maxConcurrentSessions = 0)), [/maxConcurrentSessions 0 /]),
  r(P.poolScaleInRange, "maxConcurrentSessions 1.5", POOL, pool((p) => (p.scaleConfiguration.maxConcurrentSessions = 1.5)), [/maxConcurrentSessions 1.5 /]),
  r(P.poolScaleInRange, "no scale configuration", POOL, pool((p) => delete p.scaleConfiguration), [/maxConcurrentSessions unset/, /readySessionInstances unset/]),
  r(P.poolScaleInRange, "500 ready sessions", POOL, pool((p) => (p.scaleConfiguration.readySessionInstances = 500)), [
    /readySessionInstances 500 is not a whole number from 0 to 140.*Fix: set the profile's readySessions \(manage scale --ready-sessions\) to at most 140/,
  ], { issue: "ready sessions above the mandatory ceiling" }),
  r(P.poolScaleInRange, "ready sessions Infinity", POOL, pool((p) => (p.scaleConfiguration.readySessionInstances = Infinity)), [/readySessionInstances Infinity/]),
  r(P.poolScaleInRange, "ready sessions -1", POOL, pool((p) => (p.scaleConfiguration.readySessionInstances = -1)), [/readySessionInstances -1/]),

  // backend-replicas-in-range
  r(P.backendReplicasInRange, "0 to 10 replicas", APP, goodApp(), []),
  r(P.backendReplicasInRange, "1 to 30 replicas", APP, app((p) => (p.template.scale = { minReplicas: 1, maxReplicas: 30 })), []),
  r(P.backendReplicasInRange, "minReplicas unset (0)", APP, app((p) => (p.template.scale = { maxReplicas: 1 })), []),
  r(P.backendReplicasInRange, "1000 replicas", APP, app((p) => (p.template.scale.maxReplicas = 1000)), [
    /maxReplicas 1000 is not a whole number from 1 to 30.*Fix: set the profile's backend maximum \(manage scale --backend-max\) to at most 30/,
  ], { issue: "backend with 1000 replicas" }),
  r(P.backendReplicasInRange, "1000 replicas under a raised ceiling", APP, app((p) => (p.template.scale.maxReplicas = 1000)), [], { config: { maxReplicasCeiling: 1000 } }),
  r(P.backendReplicasInRange, "maxReplicas NaN", APP, app((p) => (p.template.scale.maxReplicas = NaN)), [/maxReplicas NaN/]),
  r(P.backendReplicasInRange, "maxReplicas unset (Azure's default 10, not ours)", APP, app((p) => delete p.template.scale.maxReplicas), [/maxReplicas unset/]),
  r(P.backendReplicasInRange, "minReplicas above maxReplicas", APP, app((p) => (p.template.scale = { minReplicas: 5, maxReplicas: 2 })), [/minReplicas 5 is not a whole number from 0 to maxReplicas/]),
  r(P.backendReplicasInRange, "minReplicas Infinity", APP, app((p) => (p.template.scale.minReplicas = Infinity)), [/minReplicas Infinity/]),

  // role-assignment-allowed (each assignment on its own)
  r(P.roleAssignmentAllowed, "Session Executor on the resource group", ROLE, assignment("x", G.sessionExecutor, RG).props, []),
  r(P.roleAssignmentAllowed, "Session Executor on the pool", ROLE, assignment("x", G.sessionExecutor, `${RG}/providers/Microsoft.App/sessionPools/pool`).props, []),
  r(P.roleAssignmentAllowed, "AcrPull with an upper-case GUID on the registry", ROLE, assignment("x", G.acrPull.toUpperCase(), REGISTRY_ID).props, []),
  r(P.roleAssignmentAllowed, "Session Executor, upper-case GUID, at subscription scope", ROLE, assignment("x", G.sessionExecutor.toUpperCase(), SUB).props, [
    /Azure ContainerApps Session Executor \(0fb8eba5-.*\) is at .*a subscription scope: wider than a resource group.*Fix: scope it to the stack's resource group/,
  ], { issue: "Session Executor at subscription scope with an upper-case GUID" }),
  r(P.roleAssignmentAllowed, "Owner at subscription scope", ROLE, assignment("x", G.owner, SUB).props, [
    /grants Owner \(8e3af657-.*\), which this deployment never needs.*Fix: grant only AcrPull .* or Session Executor/,
    /Owner .* a subscription scope/,
  ], { issue: "Owner at subscription scope" }),
  r(P.roleAssignmentAllowed, "Contributor on the resource group", ROLE, assignment("x", G.contributor, RG).props, [/grants Contributor/]),
  r(P.roleAssignmentAllowed, "a custom role GUID", ROLE, assignment("x", "12345678-1234-4234-8234-123456789abc", RG).props, [/grants role \(12345678-/]),
  r(P.roleAssignmentAllowed, "a GUID that only ends like Session Executor", ROLE, { ...assignment("x", G.sessionExecutor, RG).props, roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/x${G.sessionExecutor}` }, [/grants role/]),
  r(P.roleAssignmentAllowed, "Session Executor at a management group", ROLE, assignment("x", G.sessionExecutor, "/providers/Microsoft.Management/managementGroups/mg").props, [/a management-group scope/]),
  r(P.roleAssignmentAllowed, "Session Executor at the tenant root", ROLE, assignment("x", G.sessionExecutor, "/").props, [/a tenant scope/]),
  r(P.roleAssignmentAllowed, "Session Executor at a path with ..", ROLE, assignment("x", G.sessionExecutor, `${RG}/../..`).props, [/a malformed scope/]),
  r(P.roleAssignmentAllowed, "scope unknown in a preview: role still checked", ROLE, { ...assignment("x", G.owner, RG).props, scope: UNKNOWN_STRING }, [/grants Owner/]),

  // role-assignments-within-stack
  s(P.roleAssignmentsWithinStack, "AcrPull on the registry, Session Executor on the group", goodStack(), []),
  s(P.roleAssignmentsWithinStack, "Session Executor on the pool", stackWith({ "session-executor": (p) => (p.scope = `${RG}/providers/Microsoft.App/sessionPools/pool`) }), []),
  s(P.roleAssignmentsWithinStack, "scope and principal in other letter cases", stackWith({ "session-executor": (p) => ((p.scope = RG.toUpperCase()), (p.principalId = PRINCIPAL.toUpperCase())) }), []),
  s(P.roleAssignmentsWithinStack, "Session Executor on another team's resource group", stackWith({ "session-executor": (p) => (p.scope = `${SUB}/resourceGroups/other-team-rg`) }), [
    /session-executor \(Azure ContainerApps Session Executor .*\) is scoped to .*other-team-rg", outside this stack's resource group codeeng-contest-rg.*Fix: scope it to \/subscriptions\/<subscription>\/resourceGroups\/codeeng-contest-rg/,
  ], { issue: "Session Executor on another team's resource group" }),
  s(P.roleAssignmentsWithinStack, "Session Executor on a resource in another team's group", stackWith({ "session-executor": (p) => (p.scope = `${SUB}/resourceGroups/other-team-rg/providers/Microsoft.App/sessionPools/theirs`) }), [/outside this stack's resource group/]),
  s(P.roleAssignmentsWithinStack, "Session Executor on a same-named group in another subscription", stackWith({ "session-executor": (p) => (p.scope = RG.replace("11111111", "22222222")) }), [/outside this stack's resource group/]),
  s(P.roleAssignmentsWithinStack, "Session Executor at subscription scope", stackWith({ "session-executor": (p) => (p.scope = SUB) }), [/outside this stack's resource group/]),
  s(P.roleAssignmentsWithinStack, "a role for someone else", stackWith({ "session-executor": (p) => (p.principalId = "someone-else") }), [/granted to "someone-else", which is not this stack's identity.*Fix: grant roles only to the stack's user-assigned identity/]),
  s(P.roleAssignmentsWithinStack, "existing group (no ResourceGroup resource): home from resourceGroupName", stackWith({}, ["resource-group"]), []),
  s(P.roleAssignmentsWithinStack, "existing group, another team's scope", stackWith({ "session-executor": (p) => (p.scope = `${SUB}/resourceGroups/other-team-rg`) }, ["resource-group"]), [/outside this stack's resource group codeeng-contest-rg/]),
  s(
    P.roleAssignmentsWithinStack,
    "existing group, state without resourceGroupName: home from the environment ID",
    stackWith({
      registry: (p) => delete p.resourceGroupName,
      identity: (p) => delete p.resourceGroupName,
      "session-pool": (p) => delete p.resourceGroupName,
      backend: (p) => delete p.resourceGroupName,
      "session-executor": (p) => (p.scope = `${SUB}/resourceGroups/other-team-rg`),
    }, ["resource-group"]),
    [/outside this stack's resource group codeeng-contest-rg/],
  ),
  s(P.roleAssignmentsWithinStack, "existing group, resources in two groups", stackWith({ registry: (p) => (p.resourceGroupName = "elsewhere-rg") }, ["resource-group"]), [
    /name several resource groups \(codeeng-contest-rg, elsewhere-rg\).*Fix: keep every resource of the stack in one resource group/,
    /name several resource groups/,
  ]),
  s(P.roleAssignmentsWithinStack, "new identity in a preview: principal and scope unknown", stackWith({ identity: (p) => (p.principalId = UNKNOWN_STRING), "acr-pull": (p) => ((p.principalId = UNKNOWN_STRING), (p.scope = UNKNOWN_STRING)) }), []),
  s(P.roleAssignmentsWithinStack, "unknown principal does not hide another team's scope", stackWith({ identity: (p) => (p.principalId = UNKNOWN_STRING), "session-executor": (p) => ((p.principalId = UNKNOWN_STRING), (p.scope = `${SUB}/resourceGroups/other-team-rg`)) }), [/outside this stack's resource group/]),

  // backend-caller-restricted (the `open` access mode)
  s(P.backendCallerRestricted, "venue ranges (venue mode)", goodStack(), []),
  s(P.backendCallerRestricted, "internal ingress (token mode: behind a gateway)", stackWith({ backend: (p) => ((p.configuration.ingress.external = false), delete p.configuration.ingress.ipSecurityRestrictions) }), []),
  s(P.backendCallerRestricted, "ingress external unset (Azure's default: internal)", stackWith({ backend: (p) => ((p.configuration.ingress.external = undefined), delete p.configuration.ingress.ipSecurityRestrictions) }), []),
  s(P.backendCallerRestricted, "open, but no pool (idle profile)", stackWith({ backend: (p) => delete p.configuration.ingress.ipSecurityRestrictions }, ["session-pool"]), []),
  s(P.backendCallerRestricted, "no caller restriction", stackWith({ backend: (p) => delete p.configuration.ingress.ipSecurityRestrictions }), [
    /backend fronts this stack's session pool with external ingress that has no Allow rule.*Fix: set accessMode token \(a gateway in front; the backend allows only the gateway's IPs\) or accessMode venue with the venue's allowedIpRanges; or, deliberately and reviewed, list stack "contest" in this policy's openAccessStacks \(infra\/policy-pack\/config.json\)/,
  ], { issue: "backend with no caller restriction" }),
  s(P.backendCallerRestricted, "no caller restriction, stack listed in openAccessStacks", stackWith({ backend: (p) => delete p.configuration.ingress.ipSecurityRestrictions }), [], { config: { openAccessStacks: ["contest"] } }),
  s(P.backendCallerRestricted, "no caller restriction, another stack listed", stackWith({ backend: (p) => delete p.configuration.ingress.ipSecurityRestrictions }), [/has no Allow rule/], { config: { openAccessStacks: ["dev"] } }),
  s(P.backendCallerRestricted, "Deny rules only", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ name: "d", ipAddressRange: "198.51.100.0/24", action: "Deny" }]) }), [/has no Allow rule/]),
  s(P.backendCallerRestricted, "Allow 0.0.0.0/0", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions[0].ipAddressRange = "0.0.0.0/0") }), [
    /allows "0.0.0.0\/0": 4,294,967,296 IPv4 addresses in all, more than 65,536 IPv4 addresses \(a \/16\) and 65,536 IPv6 \/64 subnets \(a \/48\) \(the whole internet/,
  ]),
  s(P.backendCallerRestricted, "Allow 0.0.0.0/1 and 128.0.0.0/1", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ ipAddressRange: "0.0.0.0/1", action: "Allow" }, { ipAddressRange: "128.0.0.0/1", action: "Allow" }]) }), [/allows "0.0.0.0\/1", "128.0.0.0\/1"/]),
  s(P.backendCallerRestricted, "Allow ::/0 next to a venue range (::/0 holds the IPv4-mapped block: all of IPv4 too)", stackWith({ backend: (p) => p.configuration.ingress.ipSecurityRestrictions.push({ ipAddressRange: "::/0", action: "Allow" }) }), [/allows "203.0.113.0\/24", "::\/0": 4,294,967,552 IPv4 addresses and [\d,]+ IPv6 \/64 subnets in all, more than/]),
  s(P.backendCallerRestricted, "Allow a single address and an IPv6 /48", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ ipAddressRange: "198.51.100.7", action: "Allow" }, { ipAddressRange: "2001:db8:1::/48", action: "allow" }]) }), []),

  s(P.backendCallerRestricted, "the gateway's IP alone (token mode)", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ name: "gateway-1", ipAddressRange: "192.0.2.7/32", action: "Allow" }]) }), []),

  // gateway-authenticates-callers (accessMode token)
  s(P.gatewayAuthenticatesCallers, "subscription key required, rate-limit-by-key per subscription", gatewayStack(), []),
  s(P.gatewayAuthenticatesCallers, "subscriptionRequired unset (API Management's default: required)", gatewayStack({ subscriptionRequired: undefined }), []),
  s(P.gatewayAuthenticatesCallers, "no key, but validate-jwt, limited per token subject", gatewayStack({ subscriptionRequired: false }, JWT_XML), [], { config: ISSUER }),
  s(P.gatewayAuthenticatesCallers, "the API unknown in a preview", gatewayStack({ apiId: UNKNOWN_STRING }), []),
  s(P.gatewayAuthenticatesCallers, "no gateway at all (open or venue)", stackWith(), []),
  s(P.gatewayAuthenticatesCallers, "no key and no validate-jwt", gatewayStack({ subscriptionRequired: false }), [
    /gateway API "coding-engine" lets anonymous callers through: subscriptionRequired is false and its policy has no validate-jwt.*Fix: require a subscription key/,
    /its counter key "@\(context.Subscription.Id\)" is the subscription, and the API requires none/,
  ], { issue: "gateway that lets anonymous callers through" }),
  s(P.gatewayAuthenticatesCallers, "no key, and a self-closed validate-jwt that checks nothing", gatewayStack({ subscriptionRequired: false }, "<policies><inbound><validate-jwt/><rate-limit calls=\"5\" renewal-period=\"60\" /></inbound></policies>"), [/lets anonymous callers through/, /its rate-limit counts per subscription, and the API requires none/]),
  s(P.gatewayAuthenticatesCallers, "no policy: no rate limit", gatewayStack({}, null), [
    /gateway API "coding-engine" holds no caller to a rate limit.*Fix: declare the API's policy from infra\/access-mode.ts/,
  ], { issue: "gateway without a rate limit per caller" }),
  s(P.gatewayAuthenticatesCallers, "a rate limit of 0 calls", gatewayStack({}, gatewayPolicyXml({ ...KEY_GATEWAY, callsPerMinute: 0 })), [/holds no caller to a rate limit/]),
  s(P.gatewayAuthenticatesCallers, "a policy for another API", gatewayStack({ apiId: "other" }), [/gateway API "other" holds no caller to a rate limit/]),
  s(P.gatewayAuthenticatesCallers, "anonymous and unlimited", gatewayStack({ subscriptionRequired: false }, "<policies><inbound><base /></inbound></policies>"), [/lets anonymous callers through/, /holds no caller to a rate limit/]),

  // ---- Issue 21: someone trying to get round each policy ----

  // Versioned type tokens (azure-native's aliases): the same resource, judged the same.
  r(P.sessionEgressDisabled, "egress enabled under app/v20250701", V.pool, pool((p) => (p.sessionNetworkConfiguration.status = "EgressEnabled")), [/allows egress \(EgressEnabled\)/], { issue: "versioned token: pool with egress" }),
  r(P.roleAssignmentAllowed, "Contributor at subscription scope under authorization/v20220401", V.role, assignment("x", G.contributor, SUB).props, [/grants Contributor/, /a subscription scope/], { issue: "versioned token: Contributor at subscription scope" }),
  r(P.registryAdminDisabled, "admin user on under containerregistry/v20230701", V.registry, { adminUserEnabled: true }, [/admin user enabled/], { issue: "versioned token: registry with admin user" }),
  r(P.registryAnonymousPullDisabled, "anonymous pull under containerregistry/v20230701", V.registry, { ...goodRegistry(), anonymousPullEnabled: true }, [/allows anonymous pull/], { issue: "versioned token: registry with admin user" }),
  r(P.poolScaleInRange, "100000 sessions under app/v20240202preview", "azure-native:app/v20240202preview:ContainerAppsSessionPool", pool((p) => (p.scaleConfiguration.maxConcurrentSessions = 100000)), [/maxConcurrentSessions 100000/]),
  s(P.roleAssignmentsWithinStack, "another team's group, the assignment under a versioned token", stackWith({ "session-executor": (p) => (p.scope = `${SUB}/resourceGroups/other-team-rg`) }).map((res) => (res.type === ROLE ? { ...res, type: V.role } : res)), [/outside this stack's resource group/]),
  s(P.backendCallerRestricted, "open backend, pool and app under versioned tokens", stackWith({ backend: (p) => delete p.configuration.ingress.ipSecurityRestrictions }).map((res) => ({ ...res, type: res.type === POOL ? V.pool : res.type === APP ? V.app : res.type })), [/has no Allow rule/]),

  // Ranges judged by the addresses they admit, not by each one's prefix.
  s(P.backendCallerRestricted, "a /16 exactly (the limit)", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions[0].ipAddressRange = "10.20.0.0/16") }), []),
  s(P.backendCallerRestricted, "a /16 and one address more", stackWith({ backend: (p) => p.configuration.ingress.ipSecurityRestrictions.push({ ipAddressRange: "10.20.0.0/16", action: "Allow" }) }), [/65,792 IPv4 addresses in all, more than 65,536/]),
  s(P.backendCallerRestricted, "a single /8", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions[0].ipAddressRange = "10.0.0.0/8") }), [/16,777,216 IPv4 addresses in all/]),
  s(P.backendCallerRestricted, "256 narrow-looking /8s: all of IPv4", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = Array.from({ length: 256 }, (_, i) => ({ name: `r${i}`, ipAddressRange: `${i}.0.0.0/8`, action: "Allow" }))) }), [/4,294,967,296 IPv4 addresses in all, more than 65,536/], { issue: "256 /8s" }),
  s(P.backendCallerRestricted, "an IPv6 /47 (two sites' worth)", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ ipAddressRange: "2001:db8::/47", action: "Allow" }]) }), [/131,072 IPv6 \/64 subnets in all/]),
  s(P.backendCallerRestricted, "a range it cannot read", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ ipAddressRange: "any", action: "Allow" }]) }), [/allows "any", which this policy cannot read/]),

  // The gateway's policy read as XML, where it takes effect.
  s(P.gatewayAuthenticatesCallers, "the program's policy with comments and line breaks around it", gatewayStack({}, `<!-- reviewed -->\n${gatewayPolicyXml(KEY_GATEWAY).replace("<inbound>", "<inbound>\n<!-- keys: checked by API Management -->")}`), []),
  s(P.gatewayAuthenticatesCallers, "rate-limit (per subscription) with a key required", gatewayStack({}, '<policies><inbound><base /><rate-limit calls="60" renewal-period="60" /></inbound></policies>'), []),
  s(P.gatewayAuthenticatesCallers, "renewal-period 300 with 300 calls (60 a minute)", gatewayStack({}, xmlWith({ "renewal-period": "300", calls: "300" })), []),
  s(P.gatewayAuthenticatesCallers, "validate-jwt only inside a comment", gatewayStack({ subscriptionRequired: false }, JWT_XML.replace(/(<validate-jwt[\s\S]*<\/validate-jwt>)/, "<!-- $1 -->")), [/lets anonymous callers through/, /read before any validate-jwt has checked the token/], { issue: "validate-jwt in an XML comment" }),
  s(P.gatewayAuthenticatesCallers, "the rate limit only inside a comment", gatewayStack({}, gatewayPolicyXml(KEY_GATEWAY).replace(/(<rate-limit-by-key[^>]*\/>)/, "<!-- $1 -->")), [/holds no caller to a rate limit: its <inbound> section has no rate-limit-by-key/], { issue: "rate limit in an XML comment" }),
  s(P.gatewayAuthenticatesCallers, "the rate limit only in <outbound>", gatewayStack({}, moveRateLimit("outbound")), [/its <inbound> section has no rate-limit-by-key or rate-limit statement \(one in <outbound>/], { issue: "rate limit only in <outbound>" }),
  s(P.gatewayAuthenticatesCallers, "the rate limit only in <on-error>", gatewayStack({}, moveRateLimit("on-error")), [/its <inbound> section has no rate-limit/]),
  s(P.gatewayAuthenticatesCallers, "validate-jwt only in <outbound>", gatewayStack({ subscriptionRequired: false }, JWT_XML.replace(/(<validate-jwt[\s\S]*<\/validate-jwt>)/, "").replace("<outbound><base /></outbound>", `<outbound><base />${JWT_XML.match(/<validate-jwt[\s\S]*<\/validate-jwt>/)![0]}</outbound>`)), [/lets anonymous callers through/, /read before any validate-jwt/], { issue: "validate-jwt only in <outbound>" }),
  s(P.gatewayAuthenticatesCallers, "validate-jwt inside a <choose> that never runs it", gatewayStack({ subscriptionRequired: false }, JWT_XML.replace(/(<validate-jwt[\s\S]*<\/validate-jwt>)/, '<choose><when condition="@(false)">$1</when></choose>')), [/lets anonymous callers through/, /read before any validate-jwt/]),
  s(P.gatewayAuthenticatesCallers, "counter key from a request header the caller sets", gatewayStack({}, xmlWith({ "counter-key": '@(context.Request.Headers.GetValueOrDefault("X-Caller",""))' })), [/its counter key "@\(context.Request.Headers.GetValueOrDefault\(\\"X-Caller\\",\\"\\"\)\)" is not bound to the caller's subscription or validated token subject: a caller who chooses it/], { issue: "caller-chosen counter key" }),
  s(P.gatewayAuthenticatesCallers, "counter key from the query string", gatewayStack({}, xmlWith({ "counter-key": '@(context.Request.Url.Query.GetValueOrDefault("id",""))' })), [/is not bound to the caller's subscription/]),
  s(P.gatewayAuthenticatesCallers, "one constant counter shared by every caller", gatewayStack({}, xmlWith({ "counter-key": "everyone" })), [/counter key "everyone" is not bound/]),
  s(P.gatewayAuthenticatesCallers, "counter key is the token subject, read before validate-jwt", gatewayStack({ subscriptionRequired: false }, JWT_XML.replace(/(<validate-jwt[\s\S]*<\/validate-jwt>)\n(\s*<rate-limit-by-key[^>]*\/>)/, "$2\n$1")), [/read before any validate-jwt has checked the token/], { config: ISSUER }),
  s(P.gatewayAuthenticatesCallers, 'renewal-period="1"', gatewayStack({}, xmlWith({ "renewal-period": "1" })), [/its rate-limit-by-key renews every 1 s, outside 60-300 s/], { issue: 'renewal-period="1"' }),
  s(P.gatewayAuthenticatesCallers, "renewal-period of an hour (API Management's maximum is 300)", gatewayStack({}, xmlWith({ "renewal-period": "3600" })), [/renews every 3600 s, outside 60-300 s/]),
  s(P.gatewayAuthenticatesCallers, "100000 calls a minute", gatewayStack({}, gatewayPolicyXml({ ...KEY_GATEWAY, callsPerMinute: 100000 })), [/allows 100000 calls a minute per caller, outside 1-6000/], { issue: "100000 calls a minute" }),
  s(P.gatewayAuthenticatesCallers, "calls as a policy expression", gatewayStack({}, xmlWith({ calls: "@(100000)" })), [/calls "@\(100000\)" and renewal-period "60", not whole numbers/]),
  s(P.gatewayAuthenticatesCallers, "an increment-condition that counts nothing", gatewayStack({}, xmlWith({ "increment-condition": "@(false)" })), [/counts only some calls/]),
  s(P.gatewayAuthenticatesCallers, 'increment-count="0"', gatewayStack({}, xmlWith({ "increment-count": "0" })), [/counts only some calls/]),
  s(P.gatewayAuthenticatesCallers, "a policy that is not well-formed XML", gatewayStack({}, gatewayPolicyXml(KEY_GATEWAY).replace("</inbound>", "")), [/its policy cannot be read: it is not well-formed XML/]),

  // gateway-operation-policies-inherit
  r(P.gatewayOperationsInherit, "an operation policy that keeps <base/>", GATEWAY_OPERATION_POLICY, { operationId: "execute", value: OP_POLICY("<base />") }, []),
  r(P.gatewayOperationsInherit, "an operation policy that drops <base/>", GATEWAY_OPERATION_POLICY, { operationId: "execute", value: OP_POLICY('<set-header name="x-trace" exists-action="delete" />') }, [
    /gateway operation policy r \(operation "execute"\) drops <base\/> from <inbound>, so the API's authentication and rate limit do not run for it.*Fix: put <base \/> first/,
  ], { issue: "operation policy drops <base/>" }),
  r(P.gatewayOperationsInherit, "<base/> only inside a comment", GATEWAY_OPERATION_POLICY, { operationId: "execute", value: OP_POLICY("<!-- <base /> -->") }, [/drops <base\/> from <inbound>/]),
  r(P.gatewayOperationsInherit, "<base/> only in <outbound>", GATEWAY_OPERATION_POLICY, { operationId: "execute", value: "<policies><inbound /><outbound><base /></outbound></policies>" }, [/drops <base\/> from <inbound>/]),
  r(P.gatewayOperationsInherit, "dropped <base/> under a versioned token", "azure-native:apimanagement/v20240501:ApiOperationPolicy", { operationId: "execute", value: OP_POLICY("") }, [/drops <base\/>/]),
  r(P.gatewayOperationsInherit, "the policy unknown in a preview", GATEWAY_OPERATION_POLICY, { operationId: "execute", value: UNKNOWN_STRING }, []),

  // images-from-own-registry
  s(P.imagesFromOwnRegistry, "pool and backend from the stack's registry", imageStack(), []),
  s(P.imagesFromOwnRegistry, "the registry's host in other letter cases", imageStack({ pool: "CodeEngContestACR.azurecr.io/session:1" }), []),
  s(P.imagesFromOwnRegistry, "a new registry (loginServer unknown in a preview): its name says its host", imageStack({ loginServer: UNKNOWN_STRING }), []),
  s(P.imagesFromOwnRegistry, "images unknown in a preview", imageStack({ pool: UNKNOWN_STRING, app: UNKNOWN_STRING }), []),
  s(P.imagesFromOwnRegistry, "a pool image from docker.io", imageStack({ pool: "docker.io/library/python:3.12" }), [
    /session pool session-pool container session runs image "docker.io\/library\/python:3.12" from docker.io, not from this stack's registry \("codeengcontestacr.azurecr.io"\).*Fix: import it into the stack's registry \(manage images import\)/,
  ], { issue: "docker.io image" }),
  s(P.imagesFromOwnRegistry, "a bare image name (Docker Hub)", imageStack({ pool: "python:3.12" }), [/runs image "python:3.12" from docker.io/]),
  s(P.imagesFromOwnRegistry, "a backend image from ghcr.io", imageStack({ app: "ghcr.io/someone/backend:1" }), [/container app backend container backend runs image "ghcr.io\/someone\/backend:1" from ghcr.io/], { issue: "docker.io image" }),
  s(P.imagesFromOwnRegistry, "another team's Azure registry", imageStack({ app: "otherteamacr.azurecr.io/backend:1" }), [/from otherteamacr.azurecr.io, not from this stack's registry/]),
  s(P.imagesFromOwnRegistry, "a host that only starts like the registry's", imageStack({ pool: "codeengcontestacr.azurecr.io.evil.example/session:1" }), [/from codeengcontestacr.azurecr.io.evil.example/]),
  s(P.imagesFromOwnRegistry, "a new registry: an outside image is still refused", imageStack({ loginServer: UNKNOWN_STRING, pool: "docker.io/library/python:3.12" }), [/from docker.io, not from this stack's registry \(not known yet\)/]),
  s(P.imagesFromOwnRegistry, "an outside image in a pool under a versioned token", imageStack({ pool: "docker.io/library/python:3.12" }).map((res) => (res.type === POOL ? { ...res, type: V.pool } : res)), [/from docker.io/]),
  s(P.imagesFromOwnRegistry, "an outside image in the backend's init container", imageStack({ init: "docker.io/busybox:1" }), [/container init runs image "docker.io\/busybox:1"/]),

  // no-plain-secrets-in-env
  r(P.noPlainSecretsInEnv, "the backend's env as the program sets it, and a secretRef", APP, appEnv([{ name: "POOL_MANAGEMENT_ENDPOINT", value: "https://pool" }, { name: "AZURE_CLIENT_ID", value: "0000" }, { name: "API_KEY", secretRef: "api-key" }, { name: "MONKEY_COUNT", value: "3" }]), []),
  r(P.noPlainSecretsInEnv, "a harmless session env", POOL, poolEnv([{ name: "PYTHONUNBUFFERED", value: "1" }]), []),
  r(P.noPlainSecretsInEnv, "a backend password as plain text", APP, appEnv([{ name: "DB_PASSWORD", value: "hunter2" }]), [
    /container app r container backend sets env var "DB_PASSWORD" to a plain-text value that looks like a secret.*Fix: declare it in configuration.secrets .* secretRef instead of value/,
  ], { issue: "plain-text secret in env" }),
  r(P.noPlainSecretsInEnv, "a camelCase apiKey", APP, appEnv([{ name: "openaiApiKey", value: "sk-123" }]), [/env var "openaiApiKey"/]),
  r(P.noPlainSecretsInEnv, "a connection string under an innocent name", APP, appEnv([{ name: "STORAGE", value: "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc==" }]), [/env var "STORAGE"/]),
  r(P.noPlainSecretsInEnv, "a CONNECTION_STRING in the backend", APP, appEnv([{ name: "SERVICEBUS_CONNECTION_STRING", value: "Endpoint=sb://x/" }]), [/SERVICEBUS_CONNECTION_STRING/]),
  r(P.noPlainSecretsInEnv, "a token in the session container's env", POOL, poolEnv([{ name: "GITHUB_TOKEN", value: "ghp_x" }]), [
    /session pool r container session carries a secret in plain text in env var "GITHUB_TOKEN": contestants' code runs in that container.*Fix: remove the variable from the session container/,
  ], { issue: "plain-text secret in env" }),
  r(P.noPlainSecretsInEnv, "a secretRef in the session container's env (contestants read it all the same)", POOL, poolEnv([{ name: "GRADER_KEY", secretRef: "grader" }]), [/carries secret "grader" in env var "GRADER_KEY"/]),
  r(P.noPlainSecretsInEnv, "a secret in a pool under a versioned token", V.pool, poolEnv([{ name: "ADMIN_PASSWORD", value: "x" }]), [/ADMIN_PASSWORD/]),

  // federated-credentials-this-repository
  r(P.federatedCredentialsThisRepository, "the contest environment of this repository", FIC, fic("repo:acme/coding-engine:environment:contest"), [], { config: REPO }),
  r(P.federatedCredentialsThisRepository, "the repository in other letter cases", FIC, fic("repo:ACME/Coding-Engine:environment:dev"), [], { config: REPO }),
  r(P.federatedCredentialsThisRepository, "another repository", FIC, fic("repo:evil/coding-engine:environment:contest"), [
    /federated credential r trusts subject "repo:evil\/coding-engine:environment:contest": not one of repository acme\/coding-engine's environments \(dev, contest, schedule\).*Fix: trust only subjects repo:acme\/coding-engine:environment:<dev\|contest\|schedule>/,
  ], { config: REPO, issue: "federated credential for another repository" }),
  r(P.federatedCredentialsThisRepository, "the scheduled job's environment of this repository", FIC, fic("repo:acme/coding-engine:environment:schedule"), [], { config: REPO }),
  r(P.federatedCredentialsThisRepository, "an environment no workflow here uses (preview: one a pull-request workflow could name)", FIC, fic("repo:acme/coding-engine:environment:preview"), [/not one of repository acme\/coding-engine's environments/], { config: REPO }),
  r(P.federatedCredentialsThisRepository, "a repository whose name only starts like ours", FIC, fic("repo:acme/coding-engine-fork:environment:contest"), [/not one of repository acme\/coding-engine's environments/], { config: REPO }),
  r(P.federatedCredentialsThisRepository, "pull requests of this repository", FIC, fic("repo:acme/coding-engine:pull_request"), [/"repo:acme\/coding-engine:pull_request"/], { config: REPO }),
  r(P.federatedCredentialsThisRepository, "a branch of this repository", FIC, fic("repo:acme/coding-engine:ref:refs/heads/main"), [/ref:refs\/heads\/main/], { config: REPO }),
  r(P.federatedCredentialsThisRepository, "an environment not listed", FIC, fic("repo:acme/coding-engine:environment:prod"), [/environment:prod/], { config: REPO }),
  r(P.federatedCredentialsThisRepository, "another issuer, extra audiences", FIC, { ...fic("repo:acme/coding-engine:environment:dev"), issuer: "https://evil.example", audiences: ["api://AzureADTokenExchange", "x"] }, [/trusts issuer "https:\/\/evil.example"/, /accepts audiences/], { config: REPO }),
  r(P.federatedCredentialsThisRepository, "no repository configured", FIC, fic("repo:acme/coding-engine:environment:dev"), [/this policy names no repository to trust.*Fix: set this policy's repository/]),
  r(P.federatedCredentialsThisRepository, "another repository under a versioned token", "azure-native:managedidentity/v20230131:FederatedIdentityCredential", fic("repo:evil/x:environment:dev"), [/repo:evil\/x/], { config: REPO }),

  // ---- Issue 21, the review's probes: someone trying to get round the policies above ----

  // only-declared-types: a generic resource, an ARM deployment or any other type creates what the
  // other policies guard without their recognising it (a pool with egress, Owner, a wide custom role).
  r(P.onlyDeclaredTypes, "a session pool, as the program declares it", POOL, goodPool(), []),
  r(P.onlyDeclaredTypes, "a session pool under a versioned token", V.pool, goodPool(), []),
  r(P.onlyDeclaredTypes, "Pulumi's own: the stack, a stack reference, the provider", "pulumi:pulumi:Stack", {}, []),
  r(P.onlyDeclaredTypes, "the azure-native provider instance", "pulumi:providers:azure-native", {}, []),
  r(P.onlyDeclaredTypes, "a generic resource creating a session pool with egress", "azure-native:resources:Resource", { resourceProviderNamespace: "Microsoft.App", resourceType: "sessionPools", parentResourcePath: "", resourceName: "pool", properties: { sessionNetworkConfiguration: { status: "EgressEnabled" } } }, [
    /resource r has type "azure-native:resources:Resource", which this program never declares.*Fix: declare it with the program's own resource types .* DECLARED_TYPES in infra\/policy-pack\/types.cts/,
  ], { issue: "generic resource or ARM deployment" }),
  r(P.onlyDeclaredTypes, "an ARM template deployment granting Owner", "azure-native:resources:Deployment", { properties: { mode: "Incremental", template: { resources: [{ type: "Microsoft.Authorization/roleAssignments", properties: { roleDefinitionId: roleDef(G.owner) } }] } } }, [/type "azure-native:resources:Deployment"/], { issue: "generic resource or ARM deployment" }),
  r(P.onlyDeclaredTypes, "a deployment at tenant scope under a versioned token", "azure-native:resources/v20240301:DeploymentAtTenantScope", {}, [/DeploymentAtTenantScope/]),
  r(P.onlyDeclaredTypes, "a custom role with every action (the type allow-list covers it)", "azure-native:authorization:RoleDefinition", { permissions: [{ actions: ["*"] }], assignableScopes: [SUB] }, [/type "azure-native:authorization:RoleDefinition"/], { issue: "role definition or PIM schedule" }),
  r(P.onlyDeclaredTypes, "Owner through a PIM eligibility schedule (the type allow-list covers it)", "azure-native:authorization:PimRoleEligibilitySchedule", { roleDefinitionId: roleDef(G.owner), scope: SUB }, [/PimRoleEligibilitySchedule/], { issue: "role definition or PIM schedule" }),
  r(P.onlyDeclaredTypes, "a session pool from a local SDK package (another package name)", "azure-native_app_v20250701:app:ContainerAppsSessionPool", goodPool(), [/azure-native_app_v20250701/]),
  r(P.onlyDeclaredTypes, "the gateway's global policy (the program declares none)", GATEWAY_SERVICE_POLICY, {}, [/apimanagement:Policy/]),
  // Every spelling of the pool's token is judged as the pool.
  ...["azure-native:app/v2025-07-01:ContainerAppsSessionPool", "azure-native:app/v20250701Preview:ContainerAppsSessionPool", "azure-native:app:containerAppsSessionPool", "azure-native:App:ContainerAppsSessionPool"].map((token) =>
    r(P.sessionEgressDisabled, `egress enabled under ${token}`, token, pool((p) => (p.sessionNetworkConfiguration.status = "EgressEnabled")), [/allows egress \(EgressEnabled\)/], { issue: "versioned token: pool with egress" }),
  ),

  // role-assignment-allowed: the role named by its GUID whatever the path before it.
  r(P.roleAssignmentAllowed, "Contributor through the tenant-level role definition path", ROLE, { ...assignment("x", G.contributor, RG).props, roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${G.contributor}` }, [/grants Contributor \(b24988ac-/]),
  r(P.roleAssignmentAllowed, "Contributor through a resource group's role definition path", ROLE, { ...assignment("x", G.contributor, RG).props, roleDefinitionId: `${RG}/providers/Microsoft.Authorization/roleDefinitions/${G.contributor.toUpperCase()}` }, [/grants Contributor \(b24988ac-/]),
  r(P.roleAssignmentAllowed, "AcrPull through the tenant-level path (the same built-in role)", ROLE, { ...assignment("x", G.acrPull, REGISTRY_ID).props, roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${G.acrPull}` }, []),

  // gateway-authenticates-callers: the token checked for real, before anything answers.
  s(P.gatewayAuthenticatesCallers, "a JWT from an issuer the policy config lists", gatewayStack({ subscriptionRequired: false }, JWT_XML), [], { config: ISSUER }),
  // Only elements are statements, issuers or limits: the comments and line breaks between them are nodes too (xmldom's childNodes), and are none of these.
  s(P.gatewayAuthenticatesCallers, "a JWT from a listed issuer, its <issuers> written with a comment and line breaks", gatewayStack({ subscriptionRequired: false }, JWT_XML.replace("<issuers><issuer>", "<issuers>\n        <!-- the contest's tenant -->\n        <issuer>").replace("</issuer></issuers>", "</issuer>\n      </issuers>")), [], { config: ISSUER }),
  s(P.gatewayAuthenticatesCallers, "a JWT from an issuer only the stack file names (gatewayJwtIssuer, not pinned)", gatewayStack({ subscriptionRequired: false }, JWT_XML), [
    /lets anonymous callers through: subscriptionRequired is false and its validate-jwt does not hold: it trusts "https:\/\/login.example.com\/", "https:\/\/login.example.com\/.well-known\/openid-configuration", not an issuer listed in this policy's jwtIssuers \(none\).*Fix: .*listed in this policy's jwtIssuers \(infra\/policy-pack\/config.json/,
    /read before any validate-jwt/,
  ], { issue: "JWT issuer only in the stack file" }),
  s(P.gatewayAuthenticatesCallers, "signing keys written into the policy", gatewayStack({ subscriptionRequired: false }, JWT_XML.replace(/<openid-config[^>]*\/>/, "<issuer-signing-keys><key>c2VjcmV0</key></issuer-signing-keys>")), [/trusts signing keys written into the policy/, /read before any validate-jwt/], { config: ISSUER }),
  ...['"False"', '"@(false)"', '"0"'].map((v) =>
    s(P.gatewayAuthenticatesCallers, `require-signed-tokens=${v}`, gatewayStack({ subscriptionRequired: false }, JWT_XML.replace('require-signed-tokens="true"', `require-signed-tokens=${v}`)), [new RegExp(`its validate-jwt does not hold: require-signed-tokens is "${v.slice(1, -1).replace(/[()@]/g, "\\$&")}", not true`), /read before any validate-jwt/], { config: ISSUER, issue: "unsigned tokens accepted" }),
  ),
  s(P.gatewayAuthenticatesCallers, 'require-signed-tokens="True" (API Management reads booleans in any case)', gatewayStack({ subscriptionRequired: false }, JWT_XML.replace('require-signed-tokens="true"', 'require-signed-tokens="True"')), [], { config: ISSUER }),
  s(P.gatewayAuthenticatesCallers, "validate-jwt of another header than the one the rate limit and the backend read", gatewayStack({ subscriptionRequired: false }, JWT_XML.replace('header-name="Authorization"', 'header-name="X-Other"')), [
    /its validate-jwt does not hold: it reads the token from header "X-Other", not the Authorization header the rate limit and the backend read/,
    /read before any validate-jwt/,
  ], { config: ISSUER, issue: "validate-jwt of another header" }),
  s(P.gatewayAuthenticatesCallers, "validate-jwt of an expression (token-value)", gatewayStack({ subscriptionRequired: false }, JWT_XML.replace('header-name="Authorization"', 'token-value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Other&quot;,&quot;&quot;))"')), [/reads the token from token-value/, /read before any validate-jwt/], { config: ISSUER }),
  s(P.gatewayAuthenticatesCallers, "authorization in another letter case (header names are case-insensitive)", gatewayStack({ subscriptionRequired: false }, JWT_XML.replace('header-name="Authorization"', 'header-name="authorization"')), [], { config: ISSUER }),
  s(P.gatewayAuthenticatesCallers, "send-request and return-response before validate-jwt", gatewayStack({ subscriptionRequired: false }, JWT_XML.replace("<base />", '<base />\n<send-request mode="copy" response-variable-name="r"><set-url>https://backend.internal/run</set-url></send-request><return-response response-variable-name="r" />')), [
    /lets anonymous callers through: subscriptionRequired is false and a <send-request> in <inbound> comes before its validate-jwt, so a caller is answered \(or the backend called\) before any token is checked/,
    /holds no caller to a rate limit: a <send-request> in <inbound> comes before its rate-limit-by-key/,
  ], { config: ISSUER, issue: "return-response before the checks" }),
  s(P.gatewayAuthenticatesCallers, "return-response inside a <choose>, before the rate limit, with keys", gatewayStack({}, gatewayPolicyXml(KEY_GATEWAY).replace("<base />", '<base />\n<choose><when condition="@(context.Request.Headers.ContainsKey(&quot;X-Fast&quot;))"><return-response><set-status code="200" /></return-response></when></choose>')), [
    /holds no caller to a rate limit: a <return-response> in <inbound> comes before its rate-limit-by-key, so a caller is answered \(or the backend called\) without being counted/,
  ], { issue: "return-response before the checks" }),
  s(P.gatewayAuthenticatesCallers, "a statement after the rate limit that answers (the limit already counted)", gatewayStack({}, gatewayPolicyXml(KEY_GATEWAY).replace("</inbound>", '<choose><when condition="@(false)"><return-response><set-status code="204" /></return-response></when></choose></inbound>')), []),
  s(P.gatewayAuthenticatesCallers, "rate-limit whose <api> child raises the limit", gatewayStack({}, '<policies><inbound><base /><rate-limit calls="60" renewal-period="60"><api name="coding-engine" calls="100000" renewal-period="60" /></rate-limit></inbound></policies>'), [
    /its rate-limit's <api name="coding-engine"> allows 100000 calls a minute per caller, outside 1-6000/,
  ], { issue: "rate-limit child raises the limit" }),
  s(P.gatewayAuthenticatesCallers, "rate-limit with an <api> child inside the bounds", gatewayStack({}, '<policies><inbound><base /><rate-limit calls="60" renewal-period="60"><api name="coding-engine" calls="30" renewal-period="60" /></rate-limit></inbound></policies>'), []),
  s(P.gatewayAuthenticatesCallers, "rate-limit with an <api> child inside the bounds, between a comment and line breaks", gatewayStack({}, '<policies><inbound><base /><rate-limit calls="60" renewal-period="60">\n  <!-- per API -->\n  <api name="coding-engine" calls="30" renewal-period="60" />\n</rate-limit></inbound></policies>'), []),
  s(P.gatewayAuthenticatesCallers, "a DTD with an entity", gatewayStack({}, `<!DOCTYPE policies [<!ENTITY limit "60">]>\n${gatewayPolicyXml(KEY_GATEWAY)}`), [/its policy cannot be read: it declares a DTD/], { issue: "DTD in the gateway policy" }),
  s(P.gatewayAuthenticatesCallers, "API and policy on the same service and resource group", placed(), []),
  s(P.gatewayAuthenticatesCallers, "the policy's apiId, service and group in other letter cases (ARM names are case-insensitive)", placed({}, { apiId: "Coding-Engine", serviceName: "CODEENG-CONTEST-APIM", resourceGroupName: "CodeEng-Contest-RG" }), []),
  s(P.gatewayAuthenticatesCallers, "a good policy for the same apiId on another service (a decoy)", placed({}, { serviceName: "decoy-apim" }), [/gateway API "coding-engine" holds no caller to a rate limit: it has no policy/], { issue: "policy on another service" }),
  s(P.gatewayAuthenticatesCallers, "a good policy for the same apiId in another resource group", placed({}, { resourceGroupName: "other-team-rg" }), [/holds no caller to a rate limit: it has no policy/], { issue: "policy on another service" }),
  s(P.gatewayAuthenticatesCallers, "the policy's service unknown in a preview: judged at pulumi up", placed({}, { serviceName: UNKNOWN_STRING }), []),
  s(P.gatewayAuthenticatesCallers, "an API without apiId", placed({ apiId: undefined }, {}), [/gateway API gateway-api declares no apiId, so no policy can be matched to it.*Fix: set apiId/], { issue: "API without apiId" }),

  // gateway-operation-policies-inherit: nothing at another scope answers before the API's checks.
  r(P.gatewayOperationsInherit, "an operation policy that answers after <base/>", GATEWAY_OPERATION_POLICY, { operationId: "execute", value: OP_POLICY('<base /><return-response><set-status code="204" /></return-response>') }, []),
  r(P.gatewayOperationsInherit, "send-request and return-response before <base/>", GATEWAY_OPERATION_POLICY, { operationId: "execute", value: OP_POLICY('<send-request mode="copy" response-variable-name="r"><set-url>https://b/</set-url></send-request><return-response response-variable-name="r" /><base />') }, [
    /gateway operation policy r \(operation "execute"\) has <send-request> before <base\/> in <inbound>, so the API's authentication and rate limit do not run for it/,
  ], { issue: "return-response before the checks" }),
  r(P.gatewayOperationsInherit, "return-response inside a <choose> before <base/>", GATEWAY_OPERATION_POLICY, { operationId: "execute", value: OP_POLICY('<choose><when condition="@(true)"><return-response><set-status code="200" /></return-response></when></choose><base />') }, [/has <return-response> before <base\/>/]),
  r(P.gatewayOperationsInherit, "a global (service) policy that answers", GATEWAY_SERVICE_POLICY, { value: OP_POLICY('<return-response><set-status code="200" /></return-response>') }, [
    /gateway global \(service\) policy r has <return-response> in <inbound>: it runs before every API's own policy.*Fix: remove the global \(service\) policy/,
  ], { issue: "global policy answers first" }),
  r(P.gatewayOperationsInherit, "a global policy under a versioned token that calls out inside a <choose>", "azure-native:apimanagement/v20240501:Policy", { value: OP_POLICY('<choose><when condition="@(true)"><send-request mode="copy" response-variable-name="r"><set-url>https://b/</set-url></send-request></when></choose>') }, [/global \(service\) policy r has <send-request>/]),
  r(P.gatewayOperationsInherit, "a product policy that answers", GATEWAY_PRODUCT_POLICY, { value: OP_POLICY('<base /><return-response><set-status code="200" /></return-response>') }, [/gateway product policy r has <return-response>/]),
  r(P.gatewayOperationsInherit, "a global policy that only sets a header", GATEWAY_SERVICE_POLICY, { value: OP_POLICY('<set-header name="x-trace" exists-action="delete" />') }, []),
  r(P.gatewayOperationsInherit, "a global policy with a DTD", GATEWAY_SERVICE_POLICY, { value: `<!DOCTYPE policies [<!ENTITY x "y">]>${OP_POLICY("")}` }, [/cannot be read: it declares a DTD/]),

  // backend-caller-restricted: ranges by what they admit; an unknown never makes the check vanish.
  s(P.backendCallerRestricted, "a range unknown in a preview next to 0.0.0.0/0: refused, not thrown", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ action: "Allow", ipAddressRange: UNKNOWN_STRING }, { action: "Allow", ipAddressRange: "0.0.0.0/0" }]) }), [/allows "0.0.0.0\/0": 4,294,967,296 IPv4 addresses in all/], { issue: "unknown range hides the check" }),
  s(P.backendCallerRestricted, "a range unknown in a preview alone: cannot judge yet (judged at pulumi up), no throw", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ action: "Allow", ipAddressRange: UNKNOWN_STRING }]) }), []),
  s(P.backendCallerRestricted, "::ffff:0:0/96 (IPv4-mapped IPv6: all of IPv4)", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ action: "Allow", ipAddressRange: "::ffff:0:0/96" }]) }), [/allows "::ffff:0:0\/96": 4,294,967,296 IPv4 addresses and 1 IPv6 \/64 subnet in all/], { issue: "IPv4-mapped IPv6 range" }),
  s(P.backendCallerRestricted, "::/80, which holds the IPv4-mapped block", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ action: "Allow", ipAddressRange: "::/80" }]) }), [/4,294,967,296 IPv4 addresses/]),
  s(P.backendCallerRestricted, "a venue's /24 written IPv4-mapped (::ffff:cb00:7100/120)", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ action: "Allow", ipAddressRange: "::ffff:cb00:7100/120" }]) }), []),
  s(P.backendCallerRestricted, 'action "allow " (spacing and case) with 0.0.0.0/0', stackWith({ backend: (p) => p.configuration.ingress.ipSecurityRestrictions.push({ action: "allow ", ipAddressRange: "0.0.0.0/0" }) }), [/allows "203.0.113.0\/24", "0.0.0.0\/0"/], { issue: "Allow spelled otherwise" }),
  s(P.backendCallerRestricted, "an action this policy cannot read counts as admitting", stackWith({ backend: (p) => p.configuration.ingress.ipSecurityRestrictions.push({ action: "Permit", ipAddressRange: "0.0.0.0/0" }) }), [/allows "203.0.113.0\/24", "0.0.0.0\/0"/]),
  s(P.backendCallerRestricted, 'only "DENY " rules: nobody is allowed in particular, so everyone is', stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ action: "DENY ", ipAddressRange: "198.51.100.0/24" }]) }), [/has no Allow rule/]),
  s(P.backendCallerRestricted, "an extra port open outside the environment", stackWith({ backend: (p) => ((p.configuration.ingress.external = false), (p.configuration.ingress.additionalPortMappings = [{ external: true, targetPort: 8080 }])) }), [
    /container app backend fronts this stack's session pool with an extra port open outside its environment \(additionalPortMappings\[0\] external true, target port 8080\)/,
  ], { issue: "extra external port" }),
  s(P.backendCallerRestricted, "an extra port inside the environment", stackWith({ backend: (p) => (p.configuration.ingress.additionalPortMappings = [{ external: false, targetPort: 8080 }]) }), []),

  // images-from-own-registry: the exact host while the registry is new.
  s(P.imagesFromOwnRegistry, "a look-alike host while the registry's loginServer is unknown", imageStack({ loginServer: UNKNOWN_STRING, pool: "codeengcontestacr.azurecr.evil.example/session:1" }), [/from codeengcontestacr.azurecr.evil.example, not from this stack's registry \(not known yet\)/], { issue: "look-alike registry host" }),
  s(P.imagesFromOwnRegistry, "another cloud's suffix while the registry's loginServer is unknown", imageStack({ loginServer: UNKNOWN_STRING, app: "codeengcontestacr.azurecr.example.cn/backend:1" }), [/from codeengcontestacr.azurecr.example.cn/]),

  // no-plain-secrets-in-env: values shaped like secrets, and the command line.
  r(P.noPlainSecretsInEnv, "a database URL with user:password@", APP, appEnv([{ name: "DATABASE_URL", value: "postgres://app:hunter2@db.internal:5432/x" }]), [/sets env var "DATABASE_URL" to a plain-text value that looks like a secret/], { issue: "secret by its value" }),
  r(P.noPlainSecretsInEnv, "a URL with a port and a path but no credentials", APP, appEnv([{ name: "UPSTREAM", value: "postgres://db.internal:5432/x@y" }, { name: "LOCALE", value: "sk-SK" }]), []),
  r(P.noPlainSecretsInEnv, "a GitHub token under a harmless name", APP, appEnv([{ name: "UPSTREAM_PAT_VALUE", value: "ghp_abcdefghijklmnopqrstuvwxyz0123456789" }]), [/"UPSTREAM_PAT_VALUE"/], { issue: "secret by its value" }),
  r(P.noPlainSecretsInEnv, "an OpenAI-style key in the session container under a near-miss name", POOL, poolEnv([{ name: "OPENAI_API_KE", value: "sk-proj-abcdef" }]), [/session pool r container session carries a secret in plain text in env var "OPENAI_API_KE"/], { issue: "secret by its value" }),
  r(P.noPlainSecretsInEnv, "a Slack token, an AWS key ID, a JWT, a bearer header", APP, appEnv([{ name: "A", value: "xoxb-1234567890-abcdef" }, { name: "B", value: "AKIAIOSFODNN7EXAMPLE" }, { name: "C", value: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig" }, { name: "D", value: "Bearer abcdefghijkl" }]), [/"A"/, /"B"/, /"C"/, /"D"/]),
  r(P.noPlainSecretsInEnv, "a secret exported in the session container's command", POOL, pool((p) => (p.customContainerTemplate.containers[0].command = ["sh", "-c", "export API_KEY=sk-123; exec app"])), [/session pool r container session has .* in its command\/args: contestants' code runs in that container/], { issue: "secret in command or args" }),
  r(P.noPlainSecretsInEnv, "a password flag in the backend's args", APP, app((p) => (p.template.containers = [{ name: "backend", image: "r.azurecr.io/b:1", args: ["serve", "--password", "hunter2"] }])), [/container app r container backend has --password with a value in its command\/args, in plain text.*Fix: pass the secret through an env var with secretRef/], { issue: "secret in command or args" }),
  r(P.noPlainSecretsInEnv, "a token, a storage key and a URL password in args: the refusal says where, never the secret", APP, app((p) => (p.template.containers = [{ name: "backend", image: "r.azurecr.io/b:1", command: ["curl", "https://admin:S3cretPassw0rd@example.org"], args: ["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "--conn", "AccountKey=abcdEFGH1234ijkl5678=="] }])), [/has a value shaped like a secret \(word 2 of the command and args\)(?![\s\S]*(S3cret|ghp_|abcdEFGH))/], { issue: "secret in command or args" }),
  r(P.noPlainSecretsInEnv, "NAME=value with a secret's name in args", APP, app((p) => (p.template.containers = [{ name: "backend", image: "r.azurecr.io/b:1", args: ["DB_PASSWORD=hunter2"] }])), [/DB_PASSWORD/]),
  r(P.noPlainSecretsInEnv, "TOKEN=value in the session container's args", POOL, pool((p) => (p.customContainerTemplate.containers[0].args = ["run", "GRADER_TOKEN=abc123"])), [/GRADER_TOKEN= set to a value/]),
  r(P.noPlainSecretsInEnv, "the command refers to secrets by variable, never by value", APP, app((p) => (p.template.containers = [{ name: "backend", image: "r.azurecr.io/b:1", command: ["sh", "-c", 'exec app --token "$API_TOKEN"'], args: ["--api-key=${API_KEY}", "--port", "8080"] }])), []),
  r(P.noPlainSecretsInEnv, "a command unknown in a preview", POOL, pool((p) => (p.customContainerTemplate.containers[0].command = [UNKNOWN_STRING, "run"])), []),

  // ready-sessions-budget (advisory)
  r(P.readySessionsBudget, "5 ready sessions", POOL, goodPool(), []),
  r(P.readySessionsBudget, "40 ready sessions", POOL, pool((p) => (p.scaleConfiguration.readySessionInstances = 40)), [/keeps 40 ready sessions \(threshold 10\).*Fix: lower readySessions/]),
  r(P.readySessionsBudget, "40 ready sessions under a raised threshold", POOL, pool((p) => (p.scaleConfiguration.readySessionInstances = 40)), [], { config: { maxReadySessions: 50 } }),

  // idle-backend-at-zero (advisory)
  r(P.idleBackendAtZero, "idle at zero", APP, goodApp(), []),
  r(P.idleBackendAtZero, "idle with a replica", APP, app((p) => (p.template.scale.minReplicas = 1)), [/keeps 1 replica\(s\) in the idle profile.*Fix: /]),
  r(P.idleBackendAtZero, "contest with a replica", APP, app((p) => ((p.template.scale.minReplicas = 1), (p.tags.profile = "contest"))), []),
];

const ALL_POLICIES = [...P.RESOURCE_POLICIES, ...P.STACK_POLICIES];

describe("every policy, good and bad inputs", () => {
  test.each(ROWS.map((row) => [`${row.policy.name}: ${row.title}`, row] as const))("%s", (_title, row) => {
    const found = row.run();
    expect(found, found.join("\n")).toHaveLength(row.expect.length);
    row.expect.forEach((pattern, i) => expect(found[i]).toMatch(pattern));
    // Every message names its fix.
    for (const m of found) expect(m).toMatch(/\. Fix: \S/);
  });

  test("every policy in the pack has at least one good and one bad row", () => {
    for (const policy of ALL_POLICIES) {
      const rows = ROWS.filter((row) => row.policy === policy);
      expect(rows.some((row) => row.expect.length === 0), `${policy.name}: no good input`).toBe(true);
      expect(rows.some((row) => row.expect.length > 0), `${policy.name}: no bad input`).toBe(true);
    }
    expect(new Set(ROWS.map((row) => row.policy))).toEqual(new Set(ALL_POLICIES));
  });

  test.each(ISSUE_15.map((c) => [c]))("issue 15: %s is a mandatory violation", (c) => {
    const rows = ROWS.filter((row) => row.issue === c);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.expect.length).toBeGreaterThan(0);
      expect(row.policy.enforcementLevel).toBe("mandatory");
    }
  });

  test.each(ISSUE_21.map((c) => [c]))("issue 21: %s is a mandatory violation", (c) => {
    const rows = ROWS.filter((row) => row.issue === c);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.expect.length).toBeGreaterThan(0);
      expect(row.run().length).toBeGreaterThan(0);
      expect(row.policy.enforcementLevel).toBe("mandatory");
    }
  });

  test("only the cost hints are advisory", () => {
    expect(ALL_POLICIES.filter((p) => p.enforcementLevel !== "mandatory").map((p) => p.name)).toEqual(["ready-sessions-budget", "idle-backend-at-zero"]);
  });
});

describe("the shared checks", () => {
  test("numberIn accepts only finite numbers in range", () => {
    expect(P.numberIn(0.5, 0.25, 2)).toBe(true);
    expect(P.numberIn(0.25, 0.25, 2) && P.numberIn(2, 0.25, 2)).toBe(true);
    for (const bad of [NaN, Infinity, -Infinity, "0.5", null, undefined, 3, 0.1, {}]) expect(P.numberIn(bad, 0.25, 2), String(bad)).toBe(false);
    expect(P.numberIn(1.5, 1, 10, { integer: true })).toBe(false);
    expect(P.numberIn(5, 1, 10, { integer: true })).toBe(true);
  });

  test("role GUIDs compare case-insensitively, and only in a role definition ID", () => {
    expect(roleKeyOf(`${SUB}/providers/Microsoft.Authorization/roleDefinitions/${G.sessionExecutor.toUpperCase()}`)).toBe("sessionExecutor");
    expect(roleKeyOf(`/PROVIDERS/microsoft.authorization/ROLEDEFINITIONS/${G.acrPull}`)).toBe("acrPull");
    expect(roleKeyOf(roleDef(G.owner))).toBeUndefined();
    expect(roleGuidOf(`${SUB}/providers/Microsoft.Authorization/roleAssignments/${G.owner}`)).toBeUndefined();
    expect(roleGuidOf(G.sessionExecutor)).toBeUndefined();
  });

  test("a type token means its resource whatever its API version (one normalization every policy uses)", () => {
    for (const [token, canonical] of [
      ["azure-native:app:ContainerAppsSessionPool", POOL],
      ["azure-native:app/v20250701:ContainerAppsSessionPool", POOL],
      ["azure-native:app/v20240202preview:ContainerAppsSessionPool", POOL],
      ["azure-native:authorization/v20220401:RoleAssignment", ROLE],
      ["azure-native:containerregistry/v20230701:Registry", REGISTRY],
      // Forms @pulumi/azure-native declares no token in (dashes, "Preview", another case): read the same anyway.
      ["azure-native:app/v2025-07-01:ContainerAppsSessionPool", POOL],
      ["azure-native:app/v20250701Preview:ContainerAppsSessionPool", POOL],
      ["azure-native:app/v20230601privatepreview:ContainerAppsSessionPool", POOL],
      ["azure-native:app:containerAppsSessionPool", POOL],
      ["azure-native:App:ContainerAppsSessionPool", POOL],
    ])
      expect(P.canonicalType(token), token).toBe(canonical);
    // Another resource, or another provider, stays what it is.
    expect(P.canonicalType("azure-native:app/v20250701:ContainerAppsSessionPoolX")).not.toBe(POOL);
    expect(P.canonicalType("azure:containerapp:App")).toBe("azure:containerapp:App");
    // A token no spelling rule places is no declared type: only-declared-types refuses it.
    expect(P.canonicalType("azure-native_app_v20250701:app:ContainerAppsSessionPool")).not.toBe(POOL);
    // Every policy matches types through it: no policy source compares a type with === any more.
    const source = readFileSync(join(ROOT, "infra", "policy-pack", "policies.cts"), "utf8");
    expect(source).not.toMatch(/\.type\s*[!=]==/);
  });

  test("ranges are measured by the addresses they admit, summed", () => {
    expect(admitted(["203.0.113.0/24", "198.51.100.7"])).toEqual({ ipv4: 257, ipv6Subnets64: 0, unreadable: [] });
    expect(admitted(["0.0.0.0/1", "128.0.0.0/1"]).ipv4).toBe(2 ** 32);
    expect(admitted(["2001:db8::/48", "2001:db8:1::1"]).ipv6Subnets64).toBe(2 ** 16 + 1);
    expect(admitted(["10.0.0.0/33", "1.2.3.4/8/8", "2001:db8:::/48", "any", 7]).unreadable).toHaveLength(5);
    expect(withinAddressLimit(admitted(["10.0.0.0/16"]))).toBe(true);
    expect(withinAddressLimit(admitted(["10.0.0.0/16", "10.1.0.0/32"]))).toBe(false);
    // IPv4-mapped IPv6 (::ffff:0:0/96) admits IPv4 addresses: counted as such, whatever the prefix says.
    expect(admitted(["::ffff:0:0/96"])).toEqual({ ipv4: 2 ** 32, ipv6Subnets64: 1, unreadable: [] });
    expect(admitted(["::ffff:cb00:7100/120"])).toEqual({ ipv4: 256, ipv6Subnets64: 1, unreadable: [] });
    expect(admitted(["::/64"]).ipv4).toBe(2 ** 32);
    expect(admitted(["2001:db8::/32", "::1"]).ipv4).toBe(0);
  });

  test("scopes resolve to their level, case-insensitively", () => {
    expect(P.resolveScope("/")).toEqual({ level: "tenant" });
    expect(P.resolveScope("/providers/Microsoft.Management/managementGroups/mg")).toEqual({ level: "management-group" });
    expect(P.resolveScope("/SUBSCRIPTIONS/S")).toEqual({ level: "subscription" });
    expect(P.resolveScope("/subscriptions/S/resourceGroups/RG")).toEqual({ level: "resource-group", subscription: "s", resourceGroup: "rg" });
    expect(P.resolveScope("/subscriptions/s/resourcegroups/rg/providers/Microsoft.App/sessionPools/p")).toMatchObject({ level: "resource", resourceGroup: "rg" });
    for (const bad of ["", "/subscriptions/s/resourceGroups/", "/subscriptions/s/resourceGroups/rg/", "/subscriptions/s/resourceGroups/rg/providers", " /subscriptions/s/resourceGroups/rg", 42])
      expect(["malformed", "tenant"]).toContain(P.resolveScope(bad).level);
  });
});

describe("the real program passes its own policies, with the committed policy config", () => {
  /** infra/policy-pack/config.json, resolved as the stand-in pulumi resolves it for manage. */
  const committed = resolvePolicies("coding-engine", ALL_POLICIES, parsePolicyPackConfig(readFileSync(join(ROOT, "infra", "policy-pack", "config.json"), "utf8"), "config.json"));
  const configOf = (policy: { name: string }, file: typeof committed) => file.get(policy.name)!.config;
  const noExceptions = resolvePolicies("coding-engine", ALL_POLICIES);

  /** Every violation the pack, as configured, makes mandatory for the simulated stack. */
  async function mandatoryViolations(stack: string, extra: Record<string, string>, file = committed) {
    const sim = await simulateStack(stack, extra);
    const mandatory = (p: { name: string }) => file.get(p.name)!.enforcementLevel === "mandatory";
    const found: string[] = [];
    for (const policy of P.RESOURCE_POLICIES.filter(mandatory))
      for (const res of sim.resources) found.push(...violations(policy, res.type, res.inputs, configOf(policy, file), stack).map((m) => `${policy.name}: ${m}`));
    for (const policy of P.STACK_POLICIES.filter(mandatory))
      found.push(
        ...stackViolations(policy, sim.resources.map((res) => ({ type: res.type, name: res.name, props: { ...res.state } })), configOf(policy, file), stack).map((m) => `${policy.name}: ${m}`),
      );
    return found;
  }

  test.each(STACKS.flatMap((s) => PROFILE_NAMES.map((p) => [s, p] as const)))("%s / %s", async (stack, profile) => {
    expect(await mandatoryViolations(stack, { profile })).toEqual([]);
  });

  test("only-declared-types admits exactly the types the program declares, in every stack x profile and option", async () => {
    const sims = await Promise.all([
      ...STACKS.flatMap((s) => PROFILE_NAMES.map((profile) => simulateStack(s, { profile }))),
      simulateStack("contest", { profile: "contest", alertEmails: '["ops@example.com"]' }),
    ]);
    const declared = new Set(sims.flatMap((sim) => sim.resources.map((res) => P.canonicalType(res.type))));
    expect([...declared].sort()).toEqual([...P.DECLARED_TYPES].sort());
  });

  test("with alertEmails (an action group, metric alerts, a budget): still no mandatory violation", async () => {
    expect(await mandatoryViolations("contest", { profile: "contest", alertEmails: '["ops@example.com"]' })).toEqual([]);
  });

  test("an existing resource group (createResourceGroup false): role scopes still resolve to it", async () => {
    expect(await mandatoryViolations("contest", { profile: "contest", createResourceGroup: "false", resourceGroupName: "handed-out-rg" })).toEqual([]);
  });

  test("the committed exceptions are exactly one: dev, open by choice, in backend-caller-restricted's openAccessStacks", () => {
    for (const policy of ALL_POLICIES) {
      const [mine, pack] = [committed.get(policy.name)!, noExceptions.get(policy.name)!];
      if (policy.name === "backend-caller-restricted") expect(mine.config).toEqual({ openAccessStacks: ["dev"] });
      else expect(mine, policy.name).toEqual(pack);
    }
  });

  test("without that exception dev is refused wherever it has a pool; contest (token, the default) needs none", async () => {
    expect(await mandatoryViolations("dev", { profile: "idle" }, noExceptions)).toEqual([]);
    const found = await mandatoryViolations("dev", { profile: "testing" }, noExceptions);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^backend-caller-restricted: container app backend .* has no Allow rule/);
    expect(await mandatoryViolations("contest", { profile: "contest" }, noExceptions)).toEqual([]);
  });

  test("the contest stack made open is refused: the exception names dev alone", async () => {
    const found = await mandatoryViolations("contest", { profile: "contest", accessMode: "open" });
    expect(found).toEqual([expect.stringMatching(/^backend-caller-restricted: .*list stack "contest" in this policy's openAccessStacks/)]);
  });

  test("venue mode (allowedIpRanges) satisfies the open-access policy without an exception", async () => {
    expect(await mandatoryViolations("contest", { profile: "contest", accessMode: "venue", allowedIpRanges: '["203.0.113.0/24","198.51.100.7"]' }, noExceptions)).toEqual([]);
  });

  test("the ready-sessions ceiling follows the planner: the ready nodes of the largest contest the session ceiling admits, full", () => {
    const plan = (users: number) => planCapacity({ ...DEFAULT_PARTICIPANTS, participants: users, cooldownSeconds: 300 });
    const largest = plan(MAX_SESSIONS_CEILING);
    const perNode = DEFAULT_PARTICIPANTS.sessionsPerNode!;
    expect(nodesFor(largest.readyNeeded.atConfidence, perNode) * perNode).toBe(READY_SESSIONS_CEILING);
    expect(P.POOL_SCALE_DEFAULTS).toEqual({ maxConcurrentSessionsCeiling: MAX_SESSIONS_CEILING, readySessionsCeiling: READY_SESSIONS_CEILING });
    // Every smaller contest plans no more (filling whole nodes can put a smaller one a little above the largest's own count).
    for (const users of [200, 250, 300, 450, 599]) expect(plan(users).readySessions).toBeLessThanOrEqual(READY_SESSIONS_CEILING);
    expect([plan(200).readySessions, plan(250).readySessions]).toEqual([52, 58]);
  });

  test.each(["250", "600"])("the contest stack sized for %s participants passes (the planner's ready sessions under the ceiling)", async (participants) => {
    // A stack sized for 600 can cost ~$990 a day: its operator raises the ceiling with it, or the program refuses it.
    expect(await mandatoryViolations("contest", { profile: "contest", participants, costCeilingPerDay: "2000" })).toEqual([]);
  });
});
