// manage's state-changing commands end to end: the built binary, the strict stand-in for pulumi
// (test/fake-pulumi), the real program evaluated on every preview and up, and the resulting state
// read back from the file backend.
import { readFileSync, statSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { beforeEach, describe, expect, test } from "vitest";
import { expectRefusal, FAKE_AZ_BIN, FAKE_PULUMI_BIN, MANAGE, makeProject, manage, names, prepare, readState, snapshot } from "../helpers/cli.js";
import { DEFAULT_PARTICIPANTS, planCapacity } from "../../infra/capacity.js";
import { parseDocument } from "yaml";

let project: string;
beforeEach(() => {
  project = makeProject();
});

const stackYaml = (stack = "dev") => readFileSync(join(project, `Pulumi.${stack}.yaml`), "utf8");
const stateFiles = () => {
  const dir = join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine");
  return existsSync(dir) ? Object.fromEntries(["dev", "contest"].map((s) => [s, JSON.stringify(readState(project, s))])) : {};
};

describe("scale, stop and start against a stack", () => {
  test("stop keeps the registry, identity, environment and backend and removes the pool", async () => {
    await prepare(project);
    expect((await manage(["scale", "--no-wait", "--profile", "testing"], { project })).exitCode).toBe(0);
    expect(names(readState(project, "dev"))).toContain("session-pool");

    const stop = await manage(["stop", "--yes"], { project });
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout).toMatch(/Done: dev stop .*1 updated, 2 deleted; profile idle, now \$0\.\d\d\/day/);
    const state = readState(project, "dev");
    expect(names(state)).not.toContain("session-pool");
    expect(names(state)).toEqual(expect.arrayContaining(["registry", "identity", "environment", "logs", "backend", "acr-pull"]));
    const backend = state.find((r) => r.urn.endsWith("::backend"))!;
    expect(backend.inputs.template.scale.minReplicas).toBe(0);
    expect(stackYaml()).toContain("coding-engine:profile: idle");
  });

  test("scale contest with overrides, stop, start-session-pool --profile contest: the same settings again", async () => {
    await prepare(project, "contest");
    const stack = ["--stack", "contest"];
    expect((await manage(["scale", "--no-wait", ...stack, "--profile", "contest", "--max-sessions", "80", "--ready-sessions", "8", "--cooldown", "600"], { project })).exitCode).toBe(0);
    const pool = () => readState(project, "contest").find((r) => r.urn.endsWith("::session-pool"));
    const first = pool()!.inputs;
    expect(first.scaleConfiguration).toEqual({ maxConcurrentSessions: 80, readySessionInstances: 8 });

    expect((await manage(["stop", ...stack, "--yes"], { project })).exitCode).toBe(0);
    expect(pool()).toBeUndefined();
    // The overrides survive the stop in the stack file.
    expect(stackYaml("contest")).toMatch(/contestMaxSessions: "80"/);

    const start = await manage(["start-session-pool", "--no-wait", ...stack, "--profile", "contest"], { project });
    expect(start.exitCode).toBe(0);
    expect(pool()!.inputs).toEqual(first);
    // Session Executor on the resource group (the contest stack's choice) survived the stop.
    expect(names(readState(project, "contest"))).toContain("session-executor");
  });

  test("--for records the expiry in the stack config (UTC) and says it in local time too", async () => {
    await prepare(project);
    const before = Date.now();
    const r = await manage(["scale", "--no-wait", "--profile", "contest", "--for", "3h"], { project });
    expect(r.exitCode).toBe(0);
    const at = Date.parse(/profileExpiresAt: "?([^"\n]+)"?/.exec(stackYaml())![1]!);
    expect(at - before).toBeGreaterThanOrEqual(3 * 3600_000 - 1000);
    expect(at - Date.now()).toBeLessThanOrEqual(3 * 3600_000 + 1000);
    expect(r.stdout).toMatch(/until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(.* local\)/);
    const outputs = JSON.parse((await manage(["up", "--json"], { project })).stdout).outputs;
    expect(outputs.profileExpiresAt).toBe(new Date(at).toISOString());
  });

  test("progress comes from pulumi's event stream, per resource, and --json prints one document", async () => {
    await prepare(project);
    const r = await manage(["start", "--no-wait", "--json"], { project });
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
    await prepare(project);
    await manage(["stop", "--yes"], { project });
    const r = await manage(["start-backend"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("executions answer 503 until start-session-pool");
    const state = readState(project, "dev");
    expect(names(state)).not.toContain("session-pool");
    expect(state.find((r) => r.urn.endsWith("::backend"))!.inputs.template.scale.minReplicas).toBe(1);
    await manage(["stop", "--yes"], { project });
    expect(readState(project, "dev").find((r) => r.urn.endsWith("::backend"))!.inputs.template.scale.minReplicas).toBe(0);
    expect(stackYaml()).not.toContain("idleBackendMinReplicas");
  });

  test("a first deployment: creates the stack, deploys the foundation, names the images to import, then deploys", async () => {
    const r = await manage(["up"], { project });
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
    expect(stackYaml()).toMatch(/^encryptionsalt: /m);

    for (const image of ["coding-engine/backend:v1", "coding-engine/session:v1"])
      expect((await manage(["images", "import", "--from", `source.azurecr.io/${image}`], { project })).exitCode).toBe(0);
    const deployed = await manage(["up"], { project });
    expect(deployed.exitCode).toBe(0);
    expect(names(readState(project, "dev"))).toContain("session-pool");
    // Running it again is safe: no stack to create, nothing to change.
    const again = await manage(["up"], { project });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("nothing to change in the cloud");
    expect(again.stdout).toContain("no changes");
  });

  test("an explicit PULUMI_BACKEND_URL wins over the embedded backend", async () => {
    const elsewhere = join(project, "elsewhere");
    const r = await manage(["up", "--verbose"], {
      project,
      env: { PULUMI_BACKEND_URL: `file://${elsewhere}`, PULUMI_CONFIG_PASSPHRASE: "team-secret" },
    });
    expect(r.stderr).toContain("foundation deployed");
    expect(r.stderr).toContain(`state in file://${elsewhere} (PULUMI_BACKEND_URL)`);
    expect(existsSync(join(elsewhere, ".pulumi", "stacks", "coding-engine", "dev.json"))).toBe(true);
    expect(existsSync(join(project, ".pulumi-state"))).toBe(false);
  });
});

describe("refusals: exit 2, nothing touched", () => {
  test("non-interactive without --yes refuses a change that deletes, and leaves stack file and state as they were", async () => {
    await prepare(project);
    await manage(["scale", "--no-wait", "--profile", "testing"], { project });
    const files = snapshot(project);
    const state = stateFiles();
    const r = await manage(["stop"], { project });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("this would delete session-pool, session-executor, and there is no terminal to ask at: pass --yes");
    expect(snapshot(project)).toEqual(files);
    expect(stateFiles()).toEqual(state);
  });

  test.each([
    [["scale", "--profile", "party"], /argument 'party' is invalid/],
    [["scale"], /required option '-p, --profile <profile>' not specified/],
    [["scale", "--profile", "contest", "--max-sessions", "0"], /argument '0' is invalid. It must be a whole number greater than 0/],
    [["scale", "--profile", "contest", "--ready-sessions", "260"], /contestReadySessions must not exceed maxSessions \(200\)[\s\S]*nothing was changed/],
    // The issue's runaway: refused by the pool's session ceiling before the cost is even priced.
    [
      ["scale", "--profile", "contest", "--max-sessions", "100000", "--ready-sessions", "100000", "--backend-max", "1000", "--for", "7d", "--yes"],
      /contestMaxSessions is above maxSessionsLimit \(600\)/,
    ],
    // Within every limit, but above the stack's cost ceiling: the cost and the ceiling are named.
    [
      ["scale", "--profile", "contest", "--max-sessions", "600", "--ready-sessions", "600", "--backend-max", "1000", "--yes"],
      /this change can cost at most \$[\d,.]+\/day \(43 E16 nodes with all 600 sessions held and 600 ready, backend busy at 1000 replicas, logs at their 1\.0 GB\/day cap\), above stack dev's cost ceiling of \$500\.00\/day \(costCeilingPerDay\)\. .*--allow-over-ceiling\. Nothing was changed\./,
    ],
    [["scale", "--profile", "contest", "--cooldown", "100"], /contestCooldownSeconds must be between 300 and 3600/],
    [["scale", "--profile", "idle", "--max-sessions", "9"], /the idle profile has none/],
    [["scale", "--profile", "contest", "--for", "soon"], /--for takes a positive duration like 3h/],
    [["scale", "--profile", "contest", "--for", "30d"], /--for is at most 7 days/],
    [["scale", "--profile", "idle", "--for", "3h"], /makes no sense when scaling to idle/],
    [["scale", "--stack", "prod", "--profile", "contest"], /unknown stack "prod"/],
    [["start-session-pool", "--profile", "idle"], /the idle profile has no session pool/],
  ])("manage %j", async (args, message) => {
    await expectRefusal(project, args, message);
  });

  test("pulumi missing: the install command and the minimum version, nothing touched", async () => {
    const files = snapshot(project);
    const r = await manage(["scale", "--no-wait", "--profile", "contest"], { project, path: "/usr/bin:/bin" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/pulumi is not installed \(manage needs 3\.226\.1 or newer\): install it with `curl -fsSL https:\/\/get\.pulumi\.com \| sh`/);
    expect(snapshot(project)).toEqual(files);
  });

  test("pulumi too old: refused before anything runs", async () => {
    const files = snapshot(project);
    const r = await manage(["up"], { project, env: { FAKE_PULUMI_VERSION: "3.100.0" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("pulumi v3.100.0 is too old: manage needs 3.226.1 or newer");
    expect(snapshot(project)).toEqual(files);
    expect(existsSync(join(project, ".pulumi-state"))).toBe(false);
  });
});

describe("failures while pulumi runs", () => {
  test("pulumi failing mid-update (exit 4) is reported with Azure's reason and exit 1, not swallowed", async () => {
    await prepare(project);
    const r = await manage(["scale", "--no-wait", "--profile", "testing"], { project, env: { FAKE_PULUMI_FAIL: "session-pool" } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("FAILED create session-pool");
    expect(r.stderr).toMatch(/manage: an Azure resource operation failed during pulumi up: .*ProvisioningFailed/);
    expect(r.stdout).not.toContain("Done:");
    // What completed before the failure is recorded; rerunning finishes the job.
    expect(names(readState(project, "dev"))).toContain("registry");
    expect(names(readState(project, "dev"))).not.toContain("session-pool");
    const retry = await manage(["up"], { project });
    expect(retry.exitCode).toBe(0);
    expect(names(readState(project, "dev"))).toContain("session-pool");
  });

  test("an update killed midway leaves a lock; the next command says how to recover, and recovery works", async () => {
    await prepare(project);
    await manage(["up"], { project });
    const child = execa("node", [MANAGE, "scale", "--no-wait", "--profile", "contest", "--max-sessions", "70"], {
      reject: false,
      cwd: project,
      extendEnv: false,
      env: {
        PATH: `${FAKE_PULUMI_BIN}:${FAKE_AZ_BIN}:${process.env.PATH}`,
        FAKE_AZ_STATE: join(project, ".fake-az.json"),
        HOME: project,
        PULUMI_HOME: join(project, ".pulumi-home"),
        MANAGE_PROJECT_DIR: project,
        FAKE_PULUMI_STEP_DELAY_MS: "3000",
      },
    });
    // Wait until the update has taken its lock, then kill everything (as a closed laptop would).
    const locks = join(project, ".pulumi-state", ".pulumi", "locks", "organization", "coding-engine", "dev");
    for (let i = 0; i < 200 && !(existsSync(locks) && (await import("node:fs")).readdirSync(locks).length); i++)
      await new Promise((r) => setTimeout(r, 50));
    await execa("pkill", ["-KILL", "-f", "fake-pulumi/main.ts"], { reject: false });
    child.kill("SIGKILL");
    await child;

    const next = await manage(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "70"], { project });
    expect(next.exitCode).toBe(1);
    expect(next.stderr).toMatch(/stack dev is locked: another update is running, or one was interrupted\. If nothing else is running, run `pulumi cancel --stack dev --yes`/);

    const cancel = await execa("pulumi", ["cancel", "--stack", "dev", "--yes"], {
      cwd: project,
      env: { PATH: `${FAKE_PULUMI_BIN}:${process.env.PATH}`, PULUMI_BACKEND_URL: `file://${join(project, ".pulumi-state")}` },
    });
    expect(cancel.exitCode).toBe(0);
    const rerun = await manage(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "70"], { project });
    expect(rerun.exitCode).toBe(0);
    expect(readState(project, "dev").find((r) => r.urn.endsWith("::session-pool"))!.inputs.scaleConfiguration.maxConcurrentSessions).toBe(70);
  });
});

test("a stack file edited by hand is applied by `manage up`", async () => {
  await prepare(project);
  writeFileSync(join(project, "Pulumi.dev.yaml"), stackYaml().replace("profile: testing", "profile: contest"));
  const r = await manage(["up"], { project });
  expect(r.exitCode).toBe(0);
  // The contest profile as planned for the stack's 200 participants.
  expect(readState(project, "dev").find((r) => r.urn.endsWith("::session-pool"))!.inputs.scaleConfiguration.maxConcurrentSessions).toBe(200);
});

describe("capacity --apply", () => {
  test("on an idle stack: records the participants the contest profile is sized for, starts nothing", async () => {
    await prepare(project, "contest");
    const file = parseDocument(stackYaml("contest"));
    file.setIn(["config", "coding-engine:contestMaxSessions"], "50");
    writeFileSync(join(project, "Pulumi.contest.yaml"), file.toString());
    expect((await manage(["up", "--stack", "contest"], { project })).exitCode).toBe(0);
    const r = await manage(["capacity", "--stack", "contest", "--users", "250", "--apply"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("nothing to change in the cloud");
    expect(r.stdout).toContain("size contest for 250 participants (per-user)");
    // The planner's inputs, not its outputs: the numbers follow from them (and the stale override goes).
    expect(stackYaml("contest")).toMatch(/participants: "250"/);
    expect(stackYaml("contest")).not.toContain("contestMaxSessions");
    expect(stackYaml("contest")).toContain("coding-engine:profile: idle");
    expect(names(readState(project, "contest"))).not.toContain("session-pool");
    // ...and the next contest scale uses them.
    await manage(["scale", "--no-wait", "--stack", "contest", "--profile", "contest"], { project });
    const pool = readState(project, "contest").find((r) => r.urn.endsWith("::session-pool"))!;
    const plan = planCapacity({ ...DEFAULT_PARTICIPANTS, users: 250, cooldownSeconds: 300 });
    expect(pool.inputs.scaleConfiguration).toEqual({ maxConcurrentSessions: 250, readySessionInstances: plan.readySessions });
  });

  test("an assumption the stack does not record (--cold-start-seconds) is kept as the profile's overrides", async () => {
    await prepare(project, "contest");
    const r = await manage(["capacity", "--stack", "contest", "--cold-start-seconds", "20", "--apply"], { project });
    expect(r.exitCode).toBe(0);
    const plan = planCapacity({ ...DEFAULT_PARTICIPANTS, coldStartSeconds: 20, cooldownSeconds: 300 });
    expect(stackYaml("contest")).toMatch(new RegExp(`contestReadySessions: "${plan.readySessions}"`));
    expect(plan.readySessions).toBeGreaterThan(43);
  });

  test("with the profile in effect: resizes the pool through the same path as scale", async () => {
    await prepare(project);
    await manage(["scale", "--no-wait", "--profile", "contest"], { project });
    const r = await manage(["capacity", "--users", "120", "--apply", "--yes"], { project });
    expect(r.exitCode).toBe(0);
    const pool = readState(project, "dev").find((r) => r.urn.endsWith("::session-pool"))!;
    expect(pool.inputs.scaleConfiguration.maxConcurrentSessions).toBe(120);
  });
});

describe("the cost ceiling", () => {
  test("up refuses a stack file that can cost more than its ceiling, before pulumi runs", async () => {
    writeFileSync(
      join(project, "Pulumi.dev.yaml"),
      stackYaml().replace("profile: testing", "profile: contest") + '  coding-engine:contestMaxSessions: "600"\n  coding-engine:contestReadySessions: "300"\n',
    );
    await expectRefusal(project, ["up"], /this change can cost at most \$[\d,.]+\/day .*above stack dev's cost ceiling of \$500\.00\/day \(costCeilingPerDay\)/);
  });

  test("--allow-over-ceiling goes ahead with a warning; stopping is never refused", async () => {
    await prepare(project);
    const r = await manage(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "600", "--ready-sessions", "300", "--allow-over-ceiling"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/warning: this change can cost at most .* above stack dev's cost ceiling .*going ahead \(--allow-over-ceiling\)/);
    expect((await manage(["stop", "--yes"], { project })).exitCode).toBe(0);
  });

  test("a raised costCeilingPerDay lets the same change through", async () => {
    writeFileSync(
      join(project, "Pulumi.dev.yaml"),
      stackYaml() + '  coding-engine:costCeilingPerDay: "2000"\n',
    );
    const files = snapshot(project);
    const r = await manage(["scale", "--profile", "contest", "--max-sessions", "600", "--ready-sessions", "600"], { project, path: "/usr/bin:/bin" });
    // Past the ceiling check: it stops at the next step, pulumi missing on this PATH.
    expect(r.stderr).toContain("pulumi is not installed");
    expect(snapshot(project)).toEqual(files);
  });
});

test("external role-assignment mode ends with the administrator's commands, with real IDs", async () => {
  writeFileSync(join(project, "Pulumi.dev.yaml"), stackYaml().replace("roleAssignmentMode: managed", "roleAssignmentMode: external"));
  const first = await manage(["up"], { project });
  // No AcrPull to create in external mode: the foundation is the group, registry and identity.
  expect(names(readState(project, "dev")).sort()).toEqual(["identity", "registry", "resource-group"]);
  expect(first.exitCode).toBe(1);
  for (const image of ["coding-engine/backend:v1", "coding-engine/session:v1"])
    await manage(["images", "import", "--from", `s.azurecr.io/${image}`], { project });
  const r = await manage(["up"], { project });
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toContain("roleAssignmentMode is external: an administrator must run these");
  expect(r.stdout).toMatch(/az role assignment create --assignee-object-id [0-9a-f-]{36} --assignee-principal-type ServicePrincipal --role 7f951dda-4ed3-4680-a7ca-43fe172d538d --scope \/subscriptions\/.*\/registries\/codeengdevacr/);
  expect(r.stdout).toMatch(/--role 0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0 --scope \/subscriptions\/.*\/sessionPools\/codeengdevpool/);
});
