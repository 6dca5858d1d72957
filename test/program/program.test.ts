// The real program, evaluated under Pulumi runtime mocks for every stack file and every profile,
// held to what Azure requires (shared/azure-facts.md). A property asserted here is one whose
// absence makes a real `pulumi up` fail or leaves a deployment that does not execute code.

import { describe, expect, test, vi } from "vitest";
import { PROFILE_NAMES, PROFILES } from "../../infra/profiles.js";
import { DEFAULT_PARTICIPANTS, planCapacity } from "../../infra/capacity.js";
import { SIMULATED_SUBSCRIPTION_ID } from "../../cli/offline/azure-mocks.js";
import { allowRulesFor } from "../../infra/gateway.js";
import { get, resource, simulateStack, STACKS, withNodeStackTraces } from "../helpers/program.js";
import { readStackConfig } from "../../cli/stack-files.js";
import { ROOT } from "../helpers/program.js";
import { parseSettings } from "../../infra/config.js";
import { ceilingVerdict } from "../../infra/costing/ceiling.js";
import { simulate } from "../../cli/offline/simulate.js";
import { azureMocks } from "../../cli/offline/azure-mocks.js";
import { PROJECT } from "../../infra/config.js";

const ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
const SESSION_EXECUTOR = "0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0";
const roleId = (guid: string) =>
  `/subscriptions/${SIMULATED_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

const FOUNDATION = ["resource-group", "logs", "registry", "identity", "acr-pull", "environment"];
/** accessMode token: the gateway and its API, in every profile with a pool (the gate lives with the pool). */
const GATEWAY = ["gateway", "gateway-api", "gateway-execute", "gateway-health", "gateway-policy", "gateway-ops-subscription"];
/** Sub-resources of the gateway: Azure keeps no tags on them. */
const UNTAGGED = /RoleAssignment|apimanagement:(Api|ApiOperation|ApiPolicy|Subscription)$/;

describe.each(STACKS)("stack %s", (stack) => {
  const executorScope = readStackConfig(ROOT, stack).sessionExecutorScope ?? "pool";
  // The project's default is token; dev chooses open explicitly.
  const accessMode = readStackConfig(ROOT, stack).accessMode ?? "token";

  describe.each(PROFILE_NAMES)("profile %s", (profileName) => {
    const profile = PROFILES[profileName];
    const load = () => simulateStack(stack, { profile: profileName });

    test("declares exactly the resources the profile needs", async () => {
      const sim = await load();
      const expected = [...FOUNDATION, "backend", ...(accessMode === "token" && profile.pool ? GATEWAY : [])];
      if (profile.pool) expected.push("session-pool");
      // Session Executor exists wherever its scope does: on the pool (only with a pool) or the group.
      if (profile.pool || executorScope === "resourceGroup") expected.push("session-executor");
      expect(sim.resources.map((r) => r.name).sort()).toEqual(expected.sort());
    });

    test("registry: Basic, no admin user, protected; identity protected", async () => {
      const sim = await load();
      const registry = resource(sim, "registry");
      expect(registry.inputs.sku).toEqual({ name: "Basic" });
      expect(registry.inputs.adminUserEnabled).toBe(false);
      expect(registry.protect).toBe(true);
      expect(resource(sim, "identity").protect).toBe(true);
      expect(resource(sim, "resource-group").protect).toBe(true);
    });

    test("AcrPull: identity on the registry, as a ServicePrincipal", async () => {
      const sim = await load();
      const pull = resource(sim, "acr-pull");
      expect(pull.inputs).toMatchObject({
        roleDefinitionId: roleId(ACR_PULL),
        scope: resource(sim, "registry").id,
        principalId: resource(sim, "identity").state.principalId,
        principalType: "ServicePrincipal",
      });
    });

    test("environment: Consumption workload profile, logs to the workspace", async () => {
      const sim = await load();
      const env = resource(sim, "environment");
      expect(env.inputs.workloadProfiles).toContainEqual({ name: "Consumption", workloadProfileType: "Consumption" });
      expect(get(env.inputs, "appLogsConfiguration.destination")).toBe("log-analytics");
      expect(get(env.inputs, "appLogsConfiguration.logAnalyticsConfiguration.customerId")).toBe(
        resource(sim, "logs").state.customerId,
      );
      expect(get(env.inputs, "appLogsConfiguration.logAnalyticsConfiguration.sharedKey")).toMatch(/^simulated-primary-key/);
    });

    test("backend: HTTPS-only external ingress, identity pulls and calls the pool, profile replicas", async () => {
      const sim = await load();
      const backend = resource(sim, "backend");
      const identity = resource(sim, "identity");
      const i = backend.inputs;
      // Token without a pool: no gateway, so an internal ingress (the gate lives with the pool).
      const gated = accessMode === "token" && profile.pool !== null;
      expect(get(i, "configuration.ingress")).toMatchObject({ external: accessMode !== "token" || gated, allowInsecure: false, targetPort: 8000 });
      // Who may call it is the access mode's: the gateway's IPs (token) or anyone (open).
      const rules = get(i, "configuration.ingress.ipSecurityRestrictions");
      if (gated) expect(rules).toEqual(get(resource(sim, "gateway").state, "publicIPAddresses").map((ip: string, n: number) => expect.objectContaining({ name: `gateway-${n + 1}`, ipAddressRange: `${ip}/32`, action: "Allow" })));
      else expect(rules).toBeUndefined();
      expect(get(i, "configuration.registries")).toEqual([
        { server: resource(sim, "registry").state.loginServer, identity: identity.id },
      ]);
      expect(get(i, "identity")).toEqual({ type: "UserAssigned", userAssignedIdentities: [identity.id] });
      expect(get(i, "workloadProfileName")).toBe("Consumption");
      const container = get(i, "template.containers.0");
      const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
      expect(env.AZURE_CLIENT_ID).toBe(identity.state.clientId);
      expect(env.POOL_MANAGEMENT_ENDPOINT).toBe(profile.pool ? resource(sim, "session-pool").state.poolManagementEndpoint : "");
      expect(container.probes.map((p: { type: string }) => p.type).sort()).toEqual(["Liveness", "Readiness", "Startup"]);
      for (const probe of container.probes) expect(probe.httpGet).toMatchObject({ path: "/", port: 8000 });
      expect(get(i, "template.scale")).toMatchObject({
        minReplicas: profile.backend.minReplicas,
        maxReplicas: profile.backend.maxReplicas,
        rules: [{ name: "http-concurrency", http: { metadata: { concurrentRequests: "20" } } }],
      });
      expect(backend.dependsOn).toContain("acr-pull");
      expect(sim.outputs.backendAppUrl).toBe(`https://${get(backend.state, "configuration.ingress.fqdn")}`);
      expect(sim.outputs.backendUrl).toBe(gated ? get(resource(sim, "gateway").state, "gatewayUrl") : sim.outputs.backendAppUrl);
    });

    test("tags: every resource has stack and managed-by; only pool, backend and the gateway that lives with the pool carry the profile", async () => {
      const sim = await load();
      for (const r of sim.resources.filter((r) => r.inputs.tags !== undefined || !UNTAGGED.test(r.type))) {
        expect(r.inputs.tags, r.name).toMatchObject({ stack, "managed-by": "pulumi:coding-engine" });
        const sized = r.name === "session-pool" || r.name === "backend" || r.name === "gateway";
        expect((r.inputs.tags as Record<string, string>).profile, r.name).toBe(sized ? profileName : undefined);
      }
    });

    if (profile.pool) {
      const sizing = profile.pool;

      test("session pool: custom containers, dynamic, Timed lifecycle and the profile's scale", async () => {
        const sim = await load();
        const pool = resource(sim, "session-pool");
        expect(pool.inputs).toMatchObject({
          containerType: "CustomContainer",
          poolManagementType: "Dynamic",
          environmentId: resource(sim, "environment").id,
          dynamicPoolConfiguration: {
            lifecycleConfiguration: { lifecycleType: "Timed", cooldownPeriodInSeconds: sizing.cooldownSeconds },
          },
          scaleConfiguration: {
            maxConcurrentSessions: sizing.maxSessions,
            readySessionInstances: sizing.readySessions,
          },
          sessionNetworkConfiguration: { status: "EgressDisabled" },
        });
        expect(pool.inputs.sessionPoolName).toMatch(/^[a-z][a-z0-9]{2,62}$/);
      });

      test("session pool: pulls its image with the identity, never a password", async () => {
        const sim = await load();
        const pool = resource(sim, "session-pool");
        const identity = resource(sim, "identity");
        const loginServer = resource(sim, "registry").state.loginServer as string;
        const template = pool.inputs.customContainerTemplate as any;
        expect(template.registryCredentials).toEqual({ server: loginServer, identity: identity.id });
        expect(pool.inputs.managedIdentitySettings).toEqual([{ identity: identity.id, lifecycle: "None" }]);
        expect(pool.inputs.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: [identity.id] });
        expect(template.containers).toHaveLength(1);
        expect(template.containers[0]).toMatchObject({
          image: `${loginServer}/coding-engine/session:v1`,
          resources: { cpu: 0.5, memory: "1Gi" },
        });
        expect(template.ingress).toEqual({ targetPort: 2000 });
      });

      test("session pool: waits for AcrPull and is replaced (not updated) on immutable changes", async () => {
        const sim = await load();
        const pool = resource(sim, "session-pool");
        expect(pool.dependsOn).toContain("acr-pull");
        expect(pool.replaceOnChanges).toEqual(expect.arrayContaining(["containerType", "poolManagementType"]));
      });
    }

    if (profile.pool || executorScope === "resourceGroup") {
      test(`Session Executor for the identity, scoped to the ${executorScope}`, async () => {
        const sim = await load();
        const executor = resource(sim, "session-executor");
        const scope =
          executorScope === "pool" ? resource(sim, "session-pool").id : resource(sim, "resource-group").id;
        expect(executor.inputs).toEqual({
          roleDefinitionId: roleId(SESSION_EXECUTOR),
          scope,
          principalId: resource(sim, "identity").state.principalId,
          principalType: "ServicePrincipal",
        });
      });
    }

    test("outputs: everything the CLI and an operator need", async () => {
      const sim = await load();
      expect(sim.outputs).toMatchObject({
        profile: profileName,
        resourceGroupName: `codeeng-${stack}-rg`,
        sessionPoolDeployed: profile.pool !== null,
        registryLoginServer: resource(sim, "registry").state.loginServer,
        identityClientId: resource(sim, "identity").state.clientId,
        identityPrincipalId: resource(sim, "identity").state.principalId,
        roleAssignmentMode: "managed",
        adminCommands: [],
      });
      expect(sim.outputs.poolManagementEndpoint).toBe(
        profile.pool ? resource(sim, "session-pool").state.poolManagementEndpoint : "",
      );
    });
  });

  test("switching profile changes only the pool and the backend", async () => {
    const sims = await Promise.all(PROFILE_NAMES.map((p) => simulateStack(stack, { profile: p })));
    const [first, ...rest] = sims;
    for (const other of rest) {
      for (const r of first!.resources) {
        if (r.name === "session-pool" || r.name === "backend") continue;
        const counterpart = other.resources.find((o) => o.name === r.name);
        if (!counterpart) continue; // pool-scoped Session Executor comes and goes with the pool
        expect(counterpart.inputs, `${r.name} differs between profiles`).toEqual(r.inputs);
      }
    }
    // ...and the profiles really differ where they should.
    const backendMin = sims.map((s) => get(resource(s, "backend").inputs, "template.scale.minReplicas"));
    expect(backendMin).toEqual(PROFILE_NAMES.map((p) => PROFILES[p].backend.minReplicas));
  });
});

describe("stack overrides and options", () => {
  test("overrides recorded in the stack config size the pool and backend", async () => {
    const sim = await simulateStack("contest", {
      profile: "contest",
      profileOverrides: JSON.stringify({
        contest: { maxSessions: 80, readySessions: 8, cooldownSeconds: 600, backendMaxReplicas: 20 },
        testing: { maxSessions: 7 }, // another profile's override: no effect now
      }),
    });
    const pool = resource(sim, "session-pool");
    expect(pool.inputs.scaleConfiguration).toEqual({ maxConcurrentSessions: 80, readySessionInstances: 8 });
    expect(get(pool.inputs, "dynamicPoolConfiguration.lifecycleConfiguration.cooldownPeriodInSeconds")).toBe(600);
    expect(get(resource(sim, "backend").inputs, "template.scale")).toMatchObject({ minReplicas: 1, maxReplicas: 20 });
  });

  test("the contest pool is sized for the stack's participants, by the planner manage capacity uses", async () => {
    // 320 people can cost more a day than the default ceiling: the stack raises it with them (or the program refuses).
    const sim = await simulateStack("contest", { profile: "contest", participants: "320", costCeilingPerDay: "2000" });
    // per-user identifiers: one session per participant; ready sessions for 320 first runs in 60 s.
    const plan = planCapacity({ ...DEFAULT_PARTICIPANTS, participants: 320, cooldownSeconds: 300 });
    expect(resource(sim, "session-pool").inputs.scaleConfiguration).toEqual({
      maxConcurrentSessions: 320,
      readySessionInstances: plan.readySessions,
    });
  });

  test("the workspace has a daily ingestion cap, so a print loop cannot run up the bill", async () => {
    expect(get(resource(await simulateStack("dev"), "logs").inputs, "workspaceCapping")).toEqual({ dailyQuotaGb: 1 });
    const capped = await simulateStack("dev", { logDailyCapGb: "0.5" });
    expect(get(resource(capped, "logs").inputs, "workspaceCapping")).toEqual({ dailyQuotaGb: 0.5 });
  });

  test("a region without custom-container pools stops the program, naming the key that adds one", async () => {
    await expect(simulateStack("dev", { location: "koreacentral" })).rejects.toThrow(/coding-engine:location koreacentral .*extraCustomContainerRegions/);
  });

  test("external role-assignment mode declares no assignment and exports the admin commands", async () => {
    const sim = await simulateStack("dev", { profile: "testing", roleAssignmentMode: "external" });
    expect(sim.resources.filter((r) => r.type === "azure-native:authorization:RoleAssignment")).toEqual([]);
    const principal = resource(sim, "identity").state.principalId as string;
    expect(sim.outputs.adminCommands).toEqual([
      `az role assignment create --assignee-object-id ${principal} --assignee-principal-type ServicePrincipal --role ${ACR_PULL} --scope ${resource(sim, "registry").id}`,
      `az role assignment create --assignee-object-id ${principal} --assignee-principal-type ServicePrincipal --role ${SESSION_EXECUTOR} --scope ${resource(sim, "session-pool").id}`,
    ]);
    expect(resource(sim, "session-pool").dependsOn).not.toContain("acr-pull");
  });

  test("external mode scoped to the resource group still lists Session Executor when idle", async () => {
    const sim = await simulateStack("contest", { profile: "idle", roleAssignmentMode: "external" });
    const commands = sim.outputs.adminCommands as string[];
    expect(commands).toHaveLength(2);
    expect(commands[1]).toContain(`--scope ${resource(sim, "resource-group").id}`);
  });

  test("an existing resource group is used by name, not created", async () => {
    const sim = await simulateStack("dev", { profile: "testing", createResourceGroup: "false", resourceGroupName: "handed-out-rg" });
    expect(sim.resources.map((r) => r.name)).not.toContain("resource-group");
    expect(resource(sim, "registry").inputs.resourceGroupName).toBe("handed-out-rg");
    expect(resource(sim, "session-pool").id).toContain("/resourceGroups/handed-out-rg/");
  });

  test("an IP allow-list restricts the backend's ingress", async () => {
    const sim = await simulateStack("contest", { accessMode: "venue", allowedIpRanges: '["203.0.113.0/24","198.51.100.7"]' });
    expect(get(resource(sim, "backend").inputs, "configuration.ingress.ipSecurityRestrictions")).toEqual([
      expect.objectContaining({ name: "allow-1", ipAddressRange: "203.0.113.0/24", action: "Allow" }),
      expect.objectContaining({ name: "allow-2", ipAddressRange: "198.51.100.7", action: "Allow" }),
    ]);
  });

  test("session egress is enabled only when the stack explicitly allows it", async () => {
    const sim = await simulateStack("dev", { profile: "testing", allowSessionEgress: "true" });
    expect(get(resource(sim, "session-pool").inputs, "sessionNetworkConfiguration.status")).toBe("EgressEnabled");
  });

  test("invalid config stops the program before any resource is declared, naming every key", async () => {
    await expect(
      simulateStack("dev", { profileOverrides: '{"contest":{"cooldownSeconds":120}}', sessionCpu: "3", namePrefix: "Code-Eng" }),
    ).rejects.toThrow(
      /coding-engine:namePrefix[\s\S]*coding-engine:sessionCpu[\s\S]*coding-engine:profileOverrides\.contest\.cooldownSeconds must be between 300 and 3600/,
    );
  });
});

describe("access modes: who may call the backend", () => {
  test("the contest stack's defaults (token): a gateway in front, and a backend that accepts only the gateway", async () => {
    const sim = await simulateStack("contest", { profile: "contest" });
    const gateway = resource(sim, "gateway");
    expect(gateway.inputs).toMatchObject({ serviceName: "codeeng-contest-gw", sku: { name: "Basic", capacity: 1 }, tags: { "cost-scope": "profile", profile: "contest" } });
    const ips = gateway.state.publicIPAddresses as string[];
    expect(ips.length).toBeGreaterThan(0);
    // The backend's ingress: one Allow rule per gateway IP, nothing else.
    expect(get(resource(sim, "backend").inputs, "configuration.ingress.ipSecurityRestrictions")).toEqual(
      ips.map((ip, n) => ({ name: `gateway-${n + 1}`, description: "the API Management gateway (accessMode token)", ipAddressRange: `${ip}/32`, action: "Allow" })),
    );
    expect(resource(sim, "backend").dependsOn).toContain("gateway");
    // The API forwards to the backend's own URL, requires a subscription key, and only two routes.
    const api = resource(sim, "gateway-api");
    expect(api.inputs).toMatchObject({ apiId: "coding-engine", path: "", protocols: ["https"], subscriptionRequired: true, serviceUrl: sim.outputs.backendAppUrl });
    expect(api.inputs.subscriptionKeyParameterNames).toEqual({ header: "Ocp-Apim-Subscription-Key", query: "subscription-key" });
    expect(["gateway-execute", "gateway-health"].map((n) => `${resource(sim, n).inputs.method} ${resource(sim, n).inputs.urlTemplate}`)).toEqual(["POST /api/v2/execute", "GET /"]);
    // Each caller (subscription) held to 60 calls a minute.
    expect(resource(sim, "gateway-policy").inputs.value).toContain('<rate-limit-by-key calls="60" renewal-period="60" counter-key="@(context.Subscription.Id)" />');
    expect(resource(sim, "gateway-ops-subscription").inputs).toMatchObject({ sid: "ops", scope: "/apis/coding-engine", state: "active" });
    // Callers use the gateway; manage gets its own key as a (secret) output.
    expect(sim.outputs).toMatchObject({ accessMode: "token", backendUrl: "https://codeeng-contest-gw.azure-api.net", gatewayUrl: "https://codeeng-contest-gw.azure-api.net" });
    expect(sim.outputs.gatewayKey).toMatch(/^[0-9a-f]{32}$/);
  });

  test("the gate lives with the pool: an idle token stack declares no gateway, and its backend's ingress is internal", async () => {
    const sim = await simulateStack("contest", { profile: "idle" });
    const names = sim.resources.map((r) => r.name);
    for (const name of GATEWAY) expect(names).not.toContain(name);
    // Nothing outside the environment reaches the backend until a window brings the gateway up.
    expect(get(resource(sim, "backend").inputs, "configuration.ingress.external")).toBe(false);
    expect(get(resource(sim, "backend").inputs, "configuration.ingress.ipSecurityRestrictions")).toBeUndefined();
    expect(sim.outputs).toMatchObject({ accessMode: "token", gatewayUrl: "", gatewayKey: "" });
    // With a pool, the gateway again, and the backend external behind it.
    const testing = await simulateStack("contest", { profile: "testing" });
    expect(testing.resources.map((r) => r.name)).toEqual(expect.arrayContaining(GATEWAY));
    expect(get(resource(testing, "backend").inputs, "configuration.ingress.external")).toBe(true);
  });

  test("token with a JWT issuer: validate-jwt on issuer and audience, no key required, limited per token subject", async () => {
    const sim = await simulateStack("contest", { profile: "contest", gatewayJwtIssuer: "https://login.example.com/contest/", gatewayJwtAudience: "api://coding-engine", gatewayRateLimitPerMinute: "30", gatewaySku: "Developer" });
    expect(resource(sim, "gateway").inputs.sku).toEqual({ name: "Developer", capacity: 1 });
    expect(resource(sim, "gateway-api").inputs.subscriptionRequired).toBe(false);
    const xml = String(resource(sim, "gateway-policy").inputs.value);
    expect(xml).toContain('<openid-config url="https://login.example.com/contest/.well-known/openid-configuration" />');
    expect(xml).toContain("<audiences><audience>api://coding-engine</audience></audiences>");
    expect(xml).toContain("<issuers><issuer>https://login.example.com/contest/</issuer></issuers>");
    expect(xml).toMatch(/<rate-limit-by-key calls="30" renewal-period="60" counter-key="@\(context\.Request\.Headers\.GetValueOrDefault\(&quot;Authorization&quot;,&quot;&quot;\)\.AsJwt\(\)\?\.Subject/);
  });

  test("venue: only the venue's ranges, no gateway; open: no rule at all, no gateway", async () => {
    const venue = await simulateStack("contest", { accessMode: "venue", allowedIpRanges: '["203.0.113.0/24"]' });
    expect(venue.resources.map((r) => r.name)).not.toContain("gateway");
    expect(venue.outputs).toMatchObject({ accessMode: "venue", gatewayUrl: "", gatewayKey: "" });
    expect(venue.outputs.backendUrl).toBe(venue.outputs.backendAppUrl);
    const open = await simulateStack("dev");
    expect(open.outputs.accessMode).toBe("open");
    expect(get(resource(open, "backend").inputs, "configuration.ingress.ipSecurityRestrictions")).toBeUndefined();
  });

  test("a gateway that reports no public IP stops the deployment instead of opening the backend", () => {
    // An empty rule list is an open ingress: the program throws inside the apply, and pulumi up fails.
    expect(() => allowRulesFor("codeeng-contest-gw", [])).toThrow(/codeeng-contest-gw reports no public IP: the backend's ingress cannot be limited to it/);
    expect(() => allowRulesFor("codeeng-contest-gw", undefined)).toThrow(/no public IP/);
    expect(allowRulesFor("gw", ["192.0.2.7", "198.51.100.0/30"]).map((r) => r.ipAddressRange)).toEqual(["192.0.2.7/32", "198.51.100.0/30"]);
  });
});

// Issue 21: the cost ceiling holds wherever a change is made. The program refuses a configuration
// over costCeilingPerDay itself, so a plain `pulumi up` (the deploy workflow's) is refused like
// manage; the figure is manage's own (infra/costing/ceiling.ts, one formula).
describe("the cost ceiling, enforced by the program itself", () => {
  const contest = (extra: Record<string, string>) => parseSettings({ ...readStackConfig(ROOT, "contest"), ...extra }, "contest");

  test("a profile whose worst-case day exceeds costCeilingPerDay stops the program before anything is declared, naming the key, with manage's figure", async () => {
    const extra = { profile: "contest", costCeilingPerDay: "50" };
    const verdict = ceilingVerdict(contest(extra))!;
    expect(verdict.ok).toBe(false);
    await expect(simulateStack("contest", extra)).rejects.toThrow(
      `invalid configuration for stack "contest":\n  - coding-engine:costCeilingPerDay is exceeded: this configuration can cost ${verdict.message}. ` +
        "Lower the sizes, raise costCeilingPerDay in Pulumi.contest.yaml, or run the change through manage with --allow-over-ceiling. Nothing was changed.",
    );
  });

  test("at the ceiling exactly, it deploys; judged at the worst end of the sessions-per-node range, not at the assumed count", async () => {
    const verdict = ceilingVerdict(contest({ profile: "contest" }))!;
    // 24 a node (a quarter reserved) takes more nodes than the assumed 28: the day the ceiling judges.
    expect(verdict.worst!.sessionsPerNode).toBe(24);
    expect(verdict.worst!.perDay).toBeGreaterThan(Math.ceil(verdict.atMost.perDay));
    const sim = await simulateStack("contest", { profile: "contest", costCeilingPerDay: String(Math.ceil(verdict.worst!.perDay)) });
    expect(resource(sim, "session-pool")).toBeDefined();
    // A ceiling the assumed count fits but fewer sessions a node would not: refused.
    await expect(simulateStack("contest", { profile: "contest", costCeilingPerDay: String(Math.ceil(verdict.atMost.perDay)) })).rejects.toThrow(
      /costCeilingPerDay is exceeded: .* at 24 sessions per node \(the assumed range's worst\), above stack contest's cost ceiling/,
    );
  });

  test("a plain up on a stack taken over its ceiling on purpose, changing nothing, deploys; one that lowers the ceiling below what runs does not", async () => {
    // The state runs contest, scaled with --allow-over-ceiling over a $50/day ceiling; the deploy
    // workflow's plain `pulumi up` (no MANAGE_OPERATIONS) then runs the same file.
    const file = { ...readStackConfig(ROOT, "contest"), costCeilingPerDay: "50" };
    const operations = { profile: "contest", overrides: {}, expiresAt: null, intent: "scale to contest", by: "test", at: "2026-11-23T09:00:00Z", revision: 3, baseline: file, windows: [] };
    const withState = (config: Record<string, string>) =>
      withNodeStackTraces(() => simulate({
        project: PROJECT,
        stack: "contest",
        config,
        mocks: {
          ...azureMocks,
          newResource: (args) =>
            args.type === "pulumi:pulumi:StackReference" ? { id: args.inputs.name, state: { name: args.inputs.name, outputs: { operations }, secretOutputNames: [] } } : azureMocks.newResource(args),
        },
      }));
    expect(resource(await withState(file), "session-pool")).toBeDefined();
    await expect(withState({ ...file, costCeilingPerDay: "40" })).rejects.toThrow(/coding-engine:costCeilingPerDay is exceeded/);
  });

  test("manage's request with --allow-over-ceiling lets it through; a request without it does not", async () => {
    const request = (allow: boolean) =>
      JSON.stringify({
        basedOn: 0,
        baseline: "file",
        operation: { profile: "contest", overrides: {}, expiresAt: null, intent: "scale to contest", by: "test", at: "2026-11-23T09:00:00Z" },
        ...(allow ? { allowOverCeiling: true } : {}),
      });
    try {
      process.env.MANAGE_OPERATIONS = request(false);
      await expect(simulateStack("contest", { costCeilingPerDay: "50" })).rejects.toThrow(/coding-engine:costCeilingPerDay is exceeded/);
      process.env.MANAGE_OPERATIONS = request(true);
      const sim = await simulateStack("contest", { costCeilingPerDay: "50" });
      expect(resource(sim, "session-pool")).toBeDefined();
    } finally {
      delete process.env.MANAGE_OPERATIONS;
    }
  });
});

test("the program tests share one evaluation per stack and config (test/helpers/program.ts), frozen, with manage's request in its key", async () => {
  const first = await simulateStack("dev", { profile: "testing" });
  expect(await simulateStack("dev", { profile: "testing" })).toBe(first);
  expect(() => resource(first, "backend").inputs.template = {}).toThrow(TypeError);
  try {
    process.env.MANAGE_OPERATIONS = JSON.stringify({ basedOn: 0, baseline: "file", operation: { profile: "idle", overrides: {}, expiresAt: null, intent: "stop", by: "test", at: "2026-11-23T09:00:00Z" } });
    const requested = await simulateStack("dev", { profile: "testing" });
    expect(requested).not.toBe(first);
    expect(requested.resources.some((r) => r.name === "session-pool")).toBe(false);
  } finally {
    delete process.env.MANAGE_OPERATIONS;
  }
});

test("the shared evaluation's key holds all the clock reads: a rehearsal clock in a workflow run is refused even after the same evaluation passed outside one (cli/clock.ts now)", async () => {
  const saved = { MANAGE_NOW: process.env.MANAGE_NOW, GITHUB_ACTIONS: process.env.GITHUB_ACTIONS };
  try {
    process.env.MANAGE_NOW = "2026-12-01T10:00:00Z";
    delete process.env.GITHUB_ACTIONS;
    expect((await simulateStack("dev", { profile: "testing" })).resources.length).toBeGreaterThan(0);
    process.env.GITHUB_ACTIONS = "true";
    await expect(simulateStack("dev", { profile: "testing" })).rejects.toThrow(/MANAGE_NOW=2026-12-01T10:00:00Z is set in a workflow run/);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test("a worker living across midnight evaluates again: the budget starts on the real clock's month (infra/alerts.ts)", async () => {
  const config = { alertEmails: '["ops@example.com"]', monthlyBudgetUsd: "250" };
  vi.useFakeTimers({ toFake: ["Date"] });
  try {
    vi.setSystemTime(new Date("2026-11-30T23:59:00Z"));
    const november = await simulateStack("contest", config);
    vi.setSystemTime(new Date("2026-12-01T00:01:00Z"));
    const december = await simulateStack("contest", config);
    expect(get(resource(november, "budget").inputs, "timePeriod.startDate")).toMatch(/^2026-11-01/);
    expect(get(resource(december, "budget").inputs, "timePeriod.startDate")).toMatch(/^2026-12-01/);
  } finally {
    vi.useRealTimers();
  }
});
