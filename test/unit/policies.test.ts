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
import { DEFAULT_MAX_SESSIONS_LIMIT } from "../../infra/limits.js";

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
type IssueCase = (typeof ISSUE_15)[number];

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
  s(P.backendCallerRestricted, "Allow 0.0.0.0/0", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions[0].ipAddressRange = "0.0.0.0/0") }), [/allows "0.0.0.0\/0" \(the whole internet/]),
  s(P.backendCallerRestricted, "Allow 0.0.0.0/1 and 128.0.0.0/1", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ ipAddressRange: "0.0.0.0/1", action: "Allow" }, { ipAddressRange: "128.0.0.0/1", action: "Allow" }]) }), [/allows "0.0.0.0\/1", "128.0.0.0\/1"/]),
  s(P.backendCallerRestricted, "Allow ::/0 next to a venue range", stackWith({ backend: (p) => p.configuration.ingress.ipSecurityRestrictions.push({ ipAddressRange: "::/0", action: "Allow" }) }), [/allows "::\/0"/]),
  s(P.backendCallerRestricted, "Allow a single address and an IPv6 /48", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ ipAddressRange: "198.51.100.7", action: "Allow" }, { ipAddressRange: "2001:db8:1::/48", action: "allow" }]) }), []),

  s(P.backendCallerRestricted, "the gateway's IP alone (token mode)", stackWith({ backend: (p) => (p.configuration.ingress.ipSecurityRestrictions = [{ name: "gateway-1", ipAddressRange: "192.0.2.7/32", action: "Allow" }]) }), []),

  // gateway-authenticates-callers (accessMode token)
  s(P.gatewayAuthenticatesCallers, "subscription key required, rate-limit-by-key per subscription", gatewayStack(), []),
  s(P.gatewayAuthenticatesCallers, "subscriptionRequired unset (API Management's default: required)", gatewayStack({ subscriptionRequired: undefined }), []),
  s(P.gatewayAuthenticatesCallers, "no key, but validate-jwt, limited per token subject", gatewayStack({ subscriptionRequired: false }, JWT_XML), []),
  s(P.gatewayAuthenticatesCallers, "the API unknown in a preview", gatewayStack({ apiId: UNKNOWN_STRING }), []),
  s(P.gatewayAuthenticatesCallers, "no gateway at all (open or venue)", stackWith(), []),
  s(P.gatewayAuthenticatesCallers, "no key and no validate-jwt", gatewayStack({ subscriptionRequired: false }), [
    /gateway API "coding-engine" lets anonymous callers through: subscriptionRequired is false and its policy has no validate-jwt.*Fix: require a subscription key/,
  ], { issue: "gateway that lets anonymous callers through" }),
  s(P.gatewayAuthenticatesCallers, "no key, and a self-closed validate-jwt that checks nothing", gatewayStack({ subscriptionRequired: false }, "<policies><inbound><validate-jwt/><rate-limit calls=\"5\" renewal-period=\"60\" /></inbound></policies>"), [/lets anonymous callers through/]),
  s(P.gatewayAuthenticatesCallers, "no policy: no rate limit", gatewayStack({}, null), [
    /gateway API "coding-engine" holds no caller to a rate limit.*Fix: declare the API's policy from infra\/access-mode.ts/,
  ], { issue: "gateway without a rate limit per caller" }),
  s(P.gatewayAuthenticatesCallers, "a rate limit of 0 calls", gatewayStack({}, gatewayPolicyXml({ ...KEY_GATEWAY, callsPerMinute: 0 })), [/holds no caller to a rate limit/]),
  s(P.gatewayAuthenticatesCallers, "a policy for another API", gatewayStack({ apiId: "other" }), [/gateway API "other" holds no caller to a rate limit/]),
  s(P.gatewayAuthenticatesCallers, "anonymous and unlimited", gatewayStack({ subscriptionRequired: false }, "<policies><inbound><base /></inbound></policies>"), [/lets anonymous callers through/, /holds no caller to a rate limit/]),

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
    const plan = (users: number) => planCapacity({ ...DEFAULT_PARTICIPANTS, users, cooldownSeconds: 300 });
    const largest = plan(MAX_SESSIONS_CEILING);
    const perNode = DEFAULT_PARTICIPANTS.sessionsPerNode!;
    expect(nodesFor(largest.readyNeeded.atConfidence, perNode) * perNode).toBe(READY_SESSIONS_CEILING);
    expect(P.POOL_SCALE_DEFAULTS).toEqual({ maxConcurrentSessionsCeiling: MAX_SESSIONS_CEILING, readySessionsCeiling: READY_SESSIONS_CEILING });
    expect(DEFAULT_MAX_SESSIONS_LIMIT).toBe(MAX_SESSIONS_CEILING);
    // Every smaller contest plans no more (filling whole nodes can put a smaller one a little above the largest's own count).
    for (const users of [200, 250, 300, 450, 599]) expect(plan(users).readySessions).toBeLessThanOrEqual(READY_SESSIONS_CEILING);
    expect([plan(200).readySessions, plan(250).readySessions]).toEqual([52, 58]);
  });

  test.each(["250", "600"])("the contest stack sized for %s participants passes (the planner's ready sessions under the ceiling)", async (participants) => {
    expect(await mandatoryViolations("contest", { profile: "contest", participants })).toEqual([]);
  });
});
