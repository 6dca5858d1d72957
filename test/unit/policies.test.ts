// Each policy called directly (constructing a PolicyPack would start a gRPC server), with passing
// and failing resources; props are wrapped in unknownCheckingProxy as the policy runtime does. Then
// the real program, every stack x profile, must pass every mandatory policy.
import { unknownCheckingProxy, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { describe, expect, test } from "vitest";
import * as P from "../../infra/policy-pack/policies.cjs";
import { PROFILE_NAMES } from "../../infra/profiles.js";
import { simulateStack, STACKS } from "../helpers/program.js";

const urn = (type: string, name: string, stack = "contest") => `urn:pulumi:${stack}::coding-engine::${type}::${name}`;

function defaults(policy: { configSchema?: { properties?: Record<string, { default?: unknown }> } }) {
  return Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, v.default]));
}

function violations(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>, config: Record<string, unknown> = {}, stack = "contest") {
  const found: string[] = [];
  const validate = policy.validateResource as (args: any, report: (m: string) => void) => void;
  validate(
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

function stackViolations(policy: StackValidationPolicy, resources: Array<{ type: string; name: string; props: Record<string, unknown> }>) {
  const found: string[] = [];
  (policy.validateStack as (args: any, report: (m: string) => void) => void)(
    {
      resources: resources.map((r) => ({ ...r, urn: urn(r.type, r.name), opts: {}, props: unknownCheckingProxy(r.props) })),
      stackTags: new Map(),
      getConfig: () => defaults(policy),
    },
    (m: string) => found.push(m),
  );
  return found;
}

const POOL = "azure-native:app:ContainerAppsSessionPool";
const APP = "azure-native:app:ContainerApp";
const ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id";
const goodPool = () => ({
  sessionNetworkConfiguration: { status: "EgressDisabled" },
  customContainerTemplate: {
    containers: [{ name: "session", image: "r.azurecr.io/s:1", resources: { cpu: 0.5, memory: "1Gi" } }],
    registryCredentials: { server: "r.azurecr.io", identity: ID },
  },
  dynamicPoolConfiguration: { lifecycleConfiguration: { lifecycleType: "Timed", cooldownPeriodInSeconds: 300 } },
  scaleConfiguration: { maxConcurrentSessions: 50, readySessionInstances: 5 },
});
const goodApp = () => ({
  configuration: { ingress: { external: true, allowInsecure: false }, registries: [{ server: "r.azurecr.io", identity: ID }] },
  template: { scale: { minReplicas: 0, maxReplicas: 1 } },
  tags: { profile: "idle" },
});

describe("mandatory policies", () => {
  test("egress stays disabled unless the stack is explicitly allowed", () => {
    expect(violations(P.sessionEgressDisabled, POOL, goodPool())).toEqual([]);
    const open = { ...goodPool(), sessionNetworkConfiguration: { status: "EgressEnabled" } };
    expect(violations(P.sessionEgressDisabled, POOL, open)[0]).toMatch(/allows egress \(EgressEnabled\)/);
    expect(violations(P.sessionEgressDisabled, POOL, open, { allowedStacks: ["contest"] })).toEqual([]);
    expect(violations(P.sessionEgressDisabled, POOL, open, { allowedStacks: ["dev"] })).toHaveLength(1);
  });

  test("the registry's admin user stays off", () => {
    const t = "azure-native:containerregistry:Registry";
    expect(violations(P.registryAdminDisabled, t, { adminUserEnabled: false })).toEqual([]);
    expect(violations(P.registryAdminDisabled, t, { adminUserEnabled: true })).toHaveLength(1);
    expect(violations(P.registryAdminDisabled, t, {})).toHaveLength(1);
  });

  test("images are pulled with the identity, never a password", () => {
    expect(violations(P.imagePullByIdentity, POOL, goodPool())).toEqual([]);
    expect(violations(P.imagePullByIdentity, APP, goodApp())).toEqual([]);
    const pwPool = goodPool();
    pwPool.customContainerTemplate.registryCredentials = { server: "r", username: "admin", passwordSecretRef: "pw" } as never;
    expect(violations(P.imagePullByIdentity, POOL, pwPool)[0]).toMatch(/pulls images with a password/);
    const pwApp = goodApp();
    pwApp.configuration.registries = [{ server: "r", passwordSecretRef: "pw" } as never];
    expect(violations(P.imagePullByIdentity, APP, pwApp)).toHaveLength(1);
    const noCreds = goodPool();
    delete (noCreds.customContainerTemplate as Record<string, unknown>).registryCredentials;
    expect(violations(P.imagePullByIdentity, POOL, noCreds)).toHaveLength(1);
  });

  test("the backend refuses plain HTTP", () => {
    expect(violations(P.backendHttpsOnly, APP, goodApp())).toEqual([]);
    const insecure = goodApp();
    insecure.configuration.ingress.allowInsecure = true;
    expect(violations(P.backendHttpsOnly, APP, insecure)[0]).toMatch(/allows plain HTTP/);
  });

  test("session CPU and memory are set and in Azure's range", () => {
    expect(violations(P.sessionResourcesInRange, POOL, goodPool())).toEqual([]);
    for (const resources of [{ cpu: 4, memory: "1Gi" }, { cpu: 0.5, memory: "8Gi" }, {}]) {
      const p = goodPool();
      p.customContainerTemplate.containers[0]!.resources = resources as never;
      expect(violations(P.sessionResourcesInRange, POOL, p).length).toBeGreaterThan(0);
    }
  });

  test("the pool's cooldown is Timed and within 300-3600 s", () => {
    expect(violations(P.poolCooldownInRange, POOL, goodPool())).toEqual([]);
    for (const l of [{ lifecycleType: "Timed", cooldownPeriodInSeconds: 60 }, { lifecycleType: "OnContainerExit", maxAlivePeriodInSeconds: 600 }]) {
      const p = goodPool();
      p.dynamicPoolConfiguration.lifecycleConfiguration = l as never;
      expect(violations(P.poolCooldownInRange, POOL, p)).toHaveLength(1);
    }
  });

  test("Session Executor only for the stack's identity, at the resource group or narrower", () => {
    const role = (scope: string, principalId: string) => ({
      type: "azure-native:authorization:RoleAssignment",
      name: "session-executor",
      props: { roleDefinitionId: "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0", scope, principalId },
    });
    const identity = { type: "azure-native:managedidentity:UserAssignedIdentity", name: "identity", props: { principalId: "p-1" } };
    expect(stackViolations(P.sessionExecutorNarrow, [identity, role("/subscriptions/s/resourceGroups/rg", "p-1")])).toEqual([]);
    expect(stackViolations(P.sessionExecutorNarrow, [identity, role("/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/sessionPools/p", "p-1")])).toEqual([]);
    expect(stackViolations(P.sessionExecutorNarrow, [identity, role("/subscriptions/s", "p-1")])[0]).toMatch(/wider than a resource group/);
    expect(stackViolations(P.sessionExecutorNarrow, [identity, role("/subscriptions/s/resourceGroups/rg", "someone-else")])[0]).toMatch(/not this stack's identity/);
    // AcrPull at subscription scope is not this policy's business.
    const acr = role("/subscriptions/s", "p-1");
    acr.props.roleDefinitionId = "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d";
    expect(stackViolations(P.sessionExecutorNarrow, [identity, acr])).toEqual([]);
  });
});

describe("advisory policies", () => {
  test("ready sessions above the threshold", () => {
    expect(violations(P.readySessionsBudget, POOL, goodPool())).toEqual([]);
    const many = goodPool();
    many.scaleConfiguration.readySessionInstances = 40;
    expect(violations(P.readySessionsBudget, POOL, many)[0]).toMatch(/keeps 40 ready sessions \(threshold 10\)/);
    expect(violations(P.readySessionsBudget, POOL, many, { maxReadySessions: 50 })).toEqual([]);
    expect(P.readySessionsBudget.enforcementLevel).toBe("advisory");
  });

  test("an idle backend with replicas kept running", () => {
    expect(violations(P.idleBackendAtZero, APP, goodApp())).toEqual([]);
    const warm = goodApp();
    warm.template.scale.minReplicas = 1;
    expect(violations(P.idleBackendAtZero, APP, warm)[0]).toMatch(/keeps 1 replica\(s\) in the idle profile/);
    warm.tags.profile = "contest";
    expect(violations(P.idleBackendAtZero, APP, warm)).toEqual([]);
  });
});

describe("the real program passes its own policies", () => {
  test.each(STACKS.flatMap((s) => PROFILE_NAMES.map((p) => [s, p] as const)))("%s / %s", async (stack, profile) => {
    const sim = await simulateStack(stack, { profile });
    // Not the advisory ready-sessions budget (10 by default): it rightly flags the contest
    // profile's 43 ready sessions for 200 participants, as it is meant to.
    for (const policy of P.RESOURCE_POLICIES.filter((p) => p !== P.readySessionsBudget))
      for (const r of sim.resources) expect(violations(policy, r.type, r.inputs, {}, stack), `${policy.name} on ${r.name}`).toEqual([]);
    for (const policy of P.STACK_POLICIES)
      expect(stackViolations(policy, sim.resources.map((r) => ({ type: r.type, name: r.name, props: { ...r.state } })))).toEqual([]);
  });
});
