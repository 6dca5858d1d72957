// manage's state-changing commands end to end: the built binary, the strict stand-in for pulumi
// (test/fake-pulumi), the real program evaluated on every preview and up, and the resulting state
// read back from the file backend.
import { readFileSync, statSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { makeProject, manageDecision, names, prepare, readState } from "../helpers/cli.js";

// Every test has a project directory of its own, so the tests of this file run side by side.
const stackYaml = (project: string, stack = "dev") => readFileSync(join(project, `Pulumi.${stack}.yaml`), "utf8");

describe.concurrent("scale, stop and start against a stack", () => {
  test("stop keeps the registry, identity, environment and backend and removes the pool", async () => {
    const project = makeProject();
    await prepare(project);
    const scale = await manageDecision(["scale", "--no-wait", "--profile", "testing"], { project });
    expect(scale.exitCode).toBe(0);
    // dev is open by choice (listed in infra/policy-pack/config.json): it goes ahead, and says so.
    expect(scale.stderr).toMatch(/warning: stack dev is in accessMode open: anyone on the internet who finds its backend's URL can run code on its session pool/);
    expect(names(readState(project, "dev"))).toContain("session-pool");

    const stop = await manageDecision(["stop", "--yes"], { project });
    expect(stop.exitCode).toBe(0);
    // Idle has no pool: nothing left to warn about.
    expect(stop.stderr).not.toContain("accessMode open");
    expect(stop.stdout).toMatch(/Done: dev stop .*1 updated, 2 deleted; profile idle, now \$0\.\d\d\/day/);
    const state = readState(project, "dev");
    expect(names(state)).not.toContain("session-pool");
    expect(names(state)).toEqual(expect.arrayContaining(["registry", "identity", "environment", "logs", "backend", "acr-pull"]));
    const backend = state.find((r) => r.urn.endsWith("::backend"))!;
    expect(backend.inputs.template.scale.minReplicas).toBe(0);
  });

  test("scale and stop record the operation in the stack's state, never in the stack file", async () => {
    const project = makeProject();
    await prepare(project);
    const file = stackYaml(project);
    expect((await manageDecision(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "80"], { project })).exitCode).toBe(0);
    const operation = () => readState(project, "dev").find((r) => r.type === "pulumi:pulumi:Stack")!.outputs.operations as Record<string, any>;
    expect(operation()).toMatchObject({ profile: "contest", overrides: { contest: { maxSessions: 80 } }, expiresAt: null, intent: "scale to contest (max-sessions 80)" });
    expect(operation().by).toMatch(/.+@.+/);
    const revision = operation().revision;
    expect((await manageDecision(["stop", "--yes"], { project })).exitCode).toBe(0);
    expect(operation()).toMatchObject({ profile: "idle", overrides: { contest: { maxSessions: 80 } }, revision: revision + 1 });
    expect(stackYaml(project)).toBe(file);
    // A second stop asks for nothing new: no update at all.
    const again = await manageDecision(["stop", "--yes"], { project });
    expect(again.stdout).toContain("nothing to change in the cloud");
    expect(operation().revision).toBe(revision + 1);
  });

  test("scale contest with overrides, stop, start-session-pool --profile contest: the same settings again", async () => {
    const project = makeProject();
    await prepare(project, "contest");
    const stack = ["--stack", "contest"];
    expect((await manageDecision(["scale", "--no-wait", ...stack, "--profile", "contest", "--max-sessions", "80", "--ready-sessions", "8", "--cooldown", "600"], { project })).exitCode).toBe(0);
    const pool = () => readState(project, "contest").find((r) => r.urn.endsWith("::session-pool"));
    const first = pool()!.inputs;
    expect(first.scaleConfiguration).toEqual({ maxConcurrentSessions: 80, readySessionInstances: 8 });

    expect((await manageDecision(["stop", ...stack, "--yes"], { project })).exitCode).toBe(0);
    expect(pool()).toBeUndefined();

    const start = await manageDecision(["start-session-pool", "--no-wait", ...stack, "--profile", "contest"], { project });
    expect(start.exitCode).toBe(0);
    expect(pool()!.inputs).toEqual(first);
    // Session Executor on the resource group (the contest stack's choice) survived the stop.
    expect(names(readState(project, "contest"))).toContain("session-executor");
  });

  test("--for records the expiry in the stack's state (UTC), says it in local time too, and a later `up` keeps it", async () => {
    const project = makeProject();
    await prepare(project);
    const env = { MANAGE_NOW: "2026-12-05T08:30:00Z" };
    const r = await manageDecision(["scale", "--no-wait", "--profile", "contest", "--for", "3h"], { project, env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/until 2026-12-05 11:30 UTC \(.* local\)/);
    // No warning about a pool without expiry: it has one.
    expect(r.stderr).not.toContain("no expiry");
    const outputs = JSON.parse((await manageDecision(["up", "--json"], { project, env })).stdout).outputs;
    expect(outputs.profileExpiresAt).toBe("2026-12-05T11:30:00.000Z");
    expect(outputs.operations).toMatchObject({ profile: "contest", expiresAt: "2026-12-05T11:30:00Z" });
  });

  test("progress comes from pulumi's event stream, per resource, and --json prints one document", async () => {
    const project = makeProject();
    await prepare(project);
    const r = await manageDecision(["start", "--no-wait", "--json"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("creating session-pool ...");
    expect(r.stderr).toContain("created session-pool");
    const out = JSON.parse(r.stdout);
    // The foundation (resource group, registry, identity, AcrPull) came first; the rest now.
    expect(out).toMatchObject({ stack: "dev", profile: "testing", changes: { create: 5, same: 4 } });
    expect(out.outputs.sessionPoolDeployed).toBe(true);
    expect(out.perDay).toBeGreaterThan(30);
  });

  test("start-backend in idle keeps the pool away and runs one backend replica; stop undoes only that", async () => {
    const project = makeProject();
    await prepare(project);
    await manageDecision(["stop", "--yes"], { project });
    const r = await manageDecision(["start-backend"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("executions answer 503 until start-session-pool");
    const state = readState(project, "dev");
    expect(names(state)).not.toContain("session-pool");
    expect(state.find((r) => r.urn.endsWith("::backend"))!.inputs.template.scale.minReplicas).toBe(1);
    await manageDecision(["stop", "--yes"], { project });
    expect(readState(project, "dev").find((r) => r.urn.endsWith("::backend"))!.inputs.template.scale.minReplicas).toBe(0);
  });

  test("a first deployment: creates the stack, deploys the foundation, names the images to import, then deploys", async () => {
    const project = makeProject();
    const r = await manageDecision(["up"], { project });
    expect(r.stdout).toContain("Created stack dev in the state backend");
    expect(r.stdout).toContain("The stack's registry does not exist yet, so it holds no images: deploying the foundation first");
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("these images are not in registry codeengdevacr yet: coding-engine/backend:v1, coding-engine/session:v1");
    expect(r.stderr).toContain("manage images import --stack dev --from <source-registry>/coding-engine/session:v1");
    expect(r.stderr).toContain("or: manage images build <context-dir> --stack dev --name coding-engine/session --tag v1");
    // Only the foundation exists: no pool or app that would fail on a missing image.
    expect(names(readState(project, "dev")).sort()).toEqual(["acr-pull", "identity", "registry", "resource-group"]);
    const passphrase = join(project, ".pulumi-state", "passphrase");
    expect(statSync(passphrase).mode & 0o777).toBe(0o600);
    expect(stackYaml(project)).toMatch(/^encryptionsalt: /m);

    for (const image of ["coding-engine/backend:v1", "coding-engine/session:v1"])
      expect((await manageDecision(["images", "import", "--from", `source.azurecr.io/${image}`], { project })).exitCode).toBe(0);
    const deployed = await manageDecision(["up"], { project });
    expect(deployed.exitCode).toBe(0);
    // The committed dev baseline is idle: a backend, no pool (no silent $40/day).
    expect(names(readState(project, "dev"))).toContain("backend");
    expect(names(readState(project, "dev"))).not.toContain("session-pool");
    expect(deployed.stderr).not.toContain("no expiry");
    // Running it again is safe: no stack to create, nothing to change.
    const again = await manageDecision(["up"], { project });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("nothing to change in the cloud");
    expect(again.stdout).toContain("no changes");
  });

  test("an explicit PULUMI_BACKEND_URL wins over the embedded backend", async () => {
    const project = makeProject();
    const elsewhere = join(project, "elsewhere");
    const r = await manageDecision(["up", "--verbose"], {
      project,
      env: { PULUMI_BACKEND_URL: `file://${elsewhere}`, PULUMI_CONFIG_PASSPHRASE: "team-secret" },
    });
    expect(r.stderr).toContain("foundation deployed");
    expect(r.stderr).toContain(`state in file://${elsewhere} (PULUMI_BACKEND_URL)`);
    expect(existsSync(join(elsewhere, ".pulumi", "stacks", "coding-engine", "dev.json"))).toBe(true);
    expect(existsSync(join(project, ".pulumi-state"))).toBe(false);
  });
});

test.concurrent("a stack file edited by hand is applied by `manage up`; once an operation is recorded, its profile is the state's", async () => {
  const project = makeProject();
  await prepare(project);
  writeFileSync(join(project, "Pulumi.dev.yaml"), stackYaml(project).replace("profile: idle", "profile: contest"));
  const r = await manageDecision(["up"], { project });
  expect(r.exitCode).toBe(0);
  // No operation recorded yet: the file's profile, as planned for the stack's 200 participants,
  // and a warning that nothing will stop it.
  expect(readState(project, "dev").find((r) => r.urn.endsWith("::session-pool"))!.inputs.scaleConfiguration.maxConcurrentSessions).toBe(200);
  // The fix is the whole command, rendered from scale's declared options (suggest), a user can paste.
  expect(r.stderr).toMatch(/^warning: dev will run a session pool with no expiry \(\$[\d.,]+\/day\) until someone stops it: `manage scale --stack dev --profile contest --for 3h` sets when it returns to idle$/m);
  expect((await manageDecision(["stop", "--yes"], { project })).exitCode).toBe(0);
  // The file still says contest; the state says idle since the stop, and `up` keeps that.
  const up = await manageDecision(["up", "--json"], { project });
  expect(JSON.parse(up.stdout)).toMatchObject({ profile: "idle", outputs: { sessionPoolDeployed: false } });
  const status = await manageDecision(["status"], { project });
  expect(status.stdout).toMatch(/Operation: +stop \(idle.*by .+@.+ at .*revision \d+, from the stack's state/);
  expect(status.stdout).toContain("Resting:       Pulumi.dev.yaml says contest");
});

test.concurrent("external role-assignment mode ends with the administrator's commands, with real IDs", async () => {
  const project = makeProject();
  writeFileSync(join(project, "Pulumi.dev.yaml"), stackYaml(project).replace("roleAssignmentMode: managed", "roleAssignmentMode: external").replace("profile: idle", "profile: testing"));
  const first = await manageDecision(["up"], { project });
  // No AcrPull to create in external mode: the foundation is the group, registry and identity.
  expect(names(readState(project, "dev")).sort()).toEqual(["identity", "registry", "resource-group"]);
  expect(first.exitCode).toBe(1);
  for (const image of ["coding-engine/backend:v1", "coding-engine/session:v1"])
    await manageDecision(["images", "import", "--from", `s.azurecr.io/${image}`], { project });
  const r = await manageDecision(["up"], { project });
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toContain("roleAssignmentMode is external: an administrator must run these");
  expect(r.stdout).toMatch(/az role assignment create --assignee-object-id [0-9a-f-]{36} --assignee-principal-type ServicePrincipal --role 7f951dda-4ed3-4680-a7ca-43fe172d538d --scope \/subscriptions\/.*\/registries\/codeengdevacr/);
  expect(r.stdout).toMatch(/--role 0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0 --scope \/subscriptions\/.*\/sessionPools\/codeengdevpool/);
});
