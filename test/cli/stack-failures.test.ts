// manage's state-changing commands end to end when they are refused or fail, and capacity --apply:
// the built binary, the stand-in for pulumi (test/fake-pulumi), the real program evaluated on every
// preview and up, and the resulting state read back from the file backend. (Split from
// stack-commands.test.ts so the two run side by side.)
import { readFileSync, existsSync, mkdirSync, mkdtempSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { DEFAULT_PARTICIPANTS, planCapacity } from "../../infra/capacity.js";
import { parseDocument } from "yaml";
import { deployed, expectRefusal, makeProject, manageDecision, names, prepare, readState, snapshot, spawnManage } from "../helpers/cli.js";

// Every test has a project directory of its own, so the tests of this file run side by side.

const stackYaml = (project: string, stack = "dev") => readFileSync(join(project, `Pulumi.${stack}.yaml`), "utf8");
/** The checkpoint's pending operations (what an interrupted update leaves: pulumi's pending_operations). */
const pendingOperations = (project: string, stack = "dev"): Array<{ type: string }> =>
  JSON.parse(readFileSync(join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", `${stack}.json`), "utf8")).checkpoint.latest.pending_operations ?? [];
const stateFiles = (project: string) => {
  const dir = join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine");
  return existsSync(dir) ? Object.fromEntries(["dev", "contest"].map((s) => [s, JSON.stringify(readState(project, s))])) : {};
};

describe.concurrent("refusals: exit 2, nothing touched", () => {
  test("a refused scale of a token stack says nothing of the gateway it would have brought up (bad input, the cost ceiling, no pulumi)", async () => {
    const project = makeProject();
    for (const [args, path] of [
      [["scale", "--stack", "contest", "--profile", "contest", "--max-sessions", "900"], undefined],
      [["scale", "--stack", "contest", "--profile", "contest", "--max-sessions", "590", "--ready-sessions", "300"], undefined],
      [["scale", "--stack", "contest", "--profile", "testing"], "/usr/bin:/bin"],
    ] as const) {
      const r = await manageDecision([...args], { project, ...(path ? { path } : {}) });
      expect(r.exitCode, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/^manage: /m);
      expect(r.stdout + r.stderr).not.toContain("runs with the pool");
    }
  });

  test("non-interactive without --yes refuses a change that deletes, and leaves stack file and state as they were", async () => {
    const project = makeProject();
    await deployed(project, "dev scaled to testing");
    const files = snapshot(project);
    const state = stateFiles(project);
    const r = await manageDecision(["stop"], { project });
    expect(r.exitCode).toBe(2);
    // Deletions come dependents first, as the engine orders them.
    expect(r.stderr).toContain("this would delete or replace session-executor, session-pool, and there is no terminal to ask at: pass --yes");
    expect(snapshot(project)).toEqual(files);
    expect(stateFiles(project)).toEqual(state);
  });

  test("pulumi missing: the install command and the minimum version, nothing touched", async () => {
    const project = makeProject();
    const files = snapshot(project);
    const r = await manageDecision(["scale", "--no-wait", "--profile", "contest"], { project, path: "/usr/bin:/bin" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/pulumi is not installed \(manage needs 3\.188\.0 or newer\): install it with `curl -fsSL https:\/\/get\.pulumi\.com \| sh`/);
    expect(snapshot(project)).toEqual(files);
  });

  test("pulumi too old: refused before anything runs", async () => {
    const project = makeProject();
    const files = snapshot(project);
    const r = await manageDecision(["up"], { project, env: { FAKE_PULUMI_VERSION: "3.100.0" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("pulumi 3.100.0 is too old: manage needs 3.188.0 or newer");
    expect(snapshot(project)).toEqual(files);
    expect(existsSync(join(project, ".pulumi-state"))).toBe(false);
  });

  test("a pulumi that cannot be started (not executable): the start's own error, not an exit code it never had", async () => {
    const project = makeProject();
    const bin = mkdtempSync(join(tmpdir(), "pulumi-not-executable-"));
    writeFileSync(join(bin, "pulumi"), "#!/bin/sh\necho v3.230.0\n", { mode: 0o644 });
    const files = snapshot(project);
    const r = await manageDecision(["scale", "--no-wait", "--profile", "testing"], { project, path: `${bin}:/usr/bin:/bin` });
    expect(r.stderr).toMatch(/^manage: `pulumi version` failed: spawn pulumi EACCES$/m);
    expect(r.exitCode).toBe(1);
    expect(snapshot(project)).toEqual(files);
  });

  // versionRefusal accepts what semver.coerce reads ("3.230", a version with a line after it, as a
  // wrapper may print); the Automation API needs the version as a SemVer: without one, every
  // preview and up throws "Failed to get Pulumi version" (automation/localWorkspace.js pulumiVersion).
  test.each(["3.230", "3.230.0\nnotice: managed by a version wrapper"])("a pulumi version manage accepts (%j) runs the change, as the read-only commands do", async (version) => {
    const project = makeProject();
    await prepare(project, "dev");
    const r = await manageDecision(["scale", "--no-wait", "--profile", "testing"], { project, env: { FAKE_PULUMI_VERSION: version } });
    expect(r.stderr).not.toContain("Failed to get Pulumi version");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readState(project, "dev").map((res) => res.type)).toContain("azure-native:app:ContainerAppsSessionPool");
  });
});

describe.concurrent("failures while pulumi runs", () => {
  test("pulumi failing mid-update (it exits 1, the reason only in its events) is reported with Azure's reason and exit 1", async () => {
    const project = makeProject();
    await prepare(project);
    const r = await manageDecision(["scale", "--no-wait", "--profile", "testing"], { project, env: { FAKE_PULUMI_FAIL: "session-pool" } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("FAILED create session-pool");
    expect(r.stderr).toMatch(/manage: pulumi up of dev failed: Status=400 Code="InvalidParameterValue" Message="The operation on session-pool failed/);
    expect(r.stderr).toContain("Fix: `manage status --stack dev` shows what runs now");
    expect(r.stdout).not.toContain("Done:");
    // What completed before the failure is recorded, the operation is not (the state still says
    // what was asked before); running the same command again finishes the job.
    expect(names(readState(project, "dev"))).toContain("registry");
    expect(names(readState(project, "dev"))).not.toContain("session-pool");
    const retry = await manageDecision(["scale", "--no-wait", "--profile", "testing"], { project });
    expect(retry.exitCode).toBe(0);
    expect(names(readState(project, "dev"))).toContain("session-pool");
  });

  test("an update killed midway leaves a lock; the next command says how to recover, and recovery works", async () => {
    const project = makeProject();
    await deployed(project, "dev after up");
    const child = spawnManage(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "70"], project, { FAKE_PULUMI_STEP_DELAY_MS: "3000" });
    // Wait until the update has taken its lock, then kill everything (as a closed laptop would).
    const locks = join(project, ".pulumi-state", ".pulumi", "locks", "organization", "coding-engine", "dev");
    for (let i = 0; i < 200 && !(existsSync(locks) && (await import("node:fs")).readdirSync(locks).length); i++)
      await new Promise((r) => setTimeout(r, 50));
    // ...and until a create is in flight (the checkpoint records it as it begins).
    for (let i = 0; i < 400 && !pendingOperations(project).some((o) => o.type === "creating"); i++) await new Promise((r) => setTimeout(r, 50));
    // This run's pulumi only (its pid is in the lock it took): other test files run stand-ins too.
    const { readdirSync } = await import("node:fs");
    const holder = JSON.parse(readFileSync(join(locks, readdirSync(locks)[0]!), "utf8")) as { pid: number };
    process.kill(holder.pid, "SIGKILL");
    child.kill("SIGKILL");
    await child;

    const next = await manageDecision(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "70"], { project });
    expect(next.exitCode).toBe(1);
    expect(next.stderr).toMatch(/stack dev is locked: another update of it is running \(or one was killed and left its lock\)\n  Fix: wait for it; if nothing else is running, `manage pulumi -- cancel --stack dev --yes`, then `manage pulumi -- refresh --stack dev --yes --clear-pending-creates`/);
    // The kill left the create in flight as a pending CREATE, which only an interactive refresh
    // would ask about (pulumi v3.230 refresh.go).
    expect(pendingOperations(project).map((o) => o.type)).toContain("creating");

    // The fix exactly as printed, run with no terminal: manage pulumi brings the embedded backend and passphrase along.
    const printed = [...next.stderr.matchAll(/`manage (pulumi -- [^`]+)`/g)].map((m) => m[1]!.split(" "));
    expect(printed.map((argv) => argv[2])).toEqual(["cancel", "refresh"]);
    const cancel = await manageDecision(printed[0]!, { project });
    expect(cancel.exitCode).toBe(0);
    expect(cancel.stdout).toContain("The currently running update for 'dev' has been canceled!");
    expect((await manageDecision(printed[1]!, { project })).exitCode).toBe(0);
    // Settled: no pending operation is left to warn about on every later update.
    expect(pendingOperations(project)).toEqual([]);
    const rerun = await manageDecision(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "70"], { project });
    expect(rerun.exitCode).toBe(0);
    expect(readState(project, "dev").find((r) => r.urn.endsWith("::session-pool"))!.inputs.scaleConfiguration.maxConcurrentSessions).toBe(70);
  });
});

describe.concurrent("one stack's unreadable state", () => {
  test("a truncated dev checkpoint leaves contest's status and the scheduled job's reading of it as they were; dev alone is reported", async () => {
    const project = makeProject();
    await deployed(project, "dev scaled to testing");
    await deployed(project, "contest scaled to contest for 3h");
    // `stack ls` of a DIY backend loads every checkpoint: dev's, cut in half, fails it for all.
    const checkpoint = join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "dev.json");
    truncateSync(checkpoint, Math.floor(statSync(checkpoint).size / 2));
    const contestState = JSON.stringify(readState(project, "contest"));

    const status = await manageDecision(["status", "--stack", "contest", "--json"], { project, env: { MANAGE_NOW: "2026-12-05T09:00:00Z" } });
    expect(status.exitCode, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { profile: string }).profile).toBe("contest");

    // The scheduled job before contest's expiry: contest is left running (not expired), dev is the one failure.
    const reconcile = await manageDecision(["reconcile", "--dry-run", "--json"], { project, env: { MANAGE_NOW: "2026-12-05T09:00:00Z" } });
    const actions = (JSON.parse(reconcile.stdout) as { actions: Array<{ stack: string; decision: string; outcome?: string; error?: string }> }).actions;
    const byStack = Object.fromEntries(actions.map((a) => [a.stack, a]));
    expect(byStack.contest).toMatchObject({ decision: "leave" });
    expect(byStack.contest!.outcome).not.toBe("failed");
    expect(byStack.dev).toMatchObject({ outcome: "failed", error: expect.stringMatching(/its state cannot be read: .*failed to load checkpoint/) });
    expect(reconcile.exitCode).toBe(1);
    expect(JSON.stringify(readState(project, "contest"))).toBe(contestState);
  });
});

describe.concurrent("capacity --apply", () => {
  test("on an idle stack: records the participants the contest profile is sized for, starts nothing", async () => {
    const project = makeProject();
    await prepare(project, "contest");
    const file = parseDocument(stackYaml(project, "contest"));
    file.setIn(["config", "coding-engine:profileOverrides"], file.createNode({ contest: { maxSessions: 50 } }));
    writeFileSync(join(project, "Pulumi.contest.yaml"), file.toString());
    expect((await manageDecision(["up", "--stack", "contest"], { project })).exitCode).toBe(0);
    // 220: within the $500 ceiling at the worst end of the sessions-per-node range (250 no longer is).
    const r = await manageDecision(["capacity", "--stack", "contest", "--users", "220", "--apply"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("nothing to change in the cloud");
    expect(r.stdout).toContain("size contest for 220 participants (per-user)");
    // The planner's inputs, not its outputs: the numbers follow from them (and the stale override goes).
    expect(stackYaml(project, "contest")).toMatch(/participants: "220"/);
    expect(stackYaml(project, "contest")).not.toContain("maxSessions");
    expect(stackYaml(project, "contest")).toContain("coding-engine:profile: idle");
    expect(names(readState(project, "contest"))).not.toContain("session-pool");
    // ...and the next contest scale uses them.
    await manageDecision(["scale", "--no-wait", "--stack", "contest", "--profile", "contest"], { project });
    const pool = readState(project, "contest").find((r) => r.urn.endsWith("::session-pool"))!;
    const plan = planCapacity({ ...DEFAULT_PARTICIPANTS, participants: 220, cooldownSeconds: 300 });
    expect(pool.inputs.scaleConfiguration).toEqual({ maxConcurrentSessions: 220, readySessionInstances: plan.readySessions });
  });

  test("a cold start given with --cold-start-seconds is recorded in the stack's coldStartSeconds key, which the program sizes the contest profile from", async () => {
    const project = makeProject();
    await prepare(project, "contest");
    const r = await manageDecision(["capacity", "--stack", "contest", "--cold-start-seconds", "20", "--apply"], { project });
    expect(r.exitCode).toBe(0);
    const plan = planCapacity({ ...DEFAULT_PARTICIPANTS, coldStartSeconds: 20, cooldownSeconds: 300 });
    const yaml = stackYaml(project, "contest");
    expect(yaml).toMatch(/coding-engine:coldStartSeconds: "?20"?\n/);
    // No number override: the plan follows from the recorded input, in the program as in manage.
    expect(yaml).not.toMatch(/readySessions:/);
    const after = JSON.parse((await manageDecision(["capacity", "--stack", "contest", "--json"], { project })).stdout);
    expect(after.inputs.coldStartSeconds).toEqual({ value: 20, source: "config" });
    expect(after.configured.readySessions).toBe(plan.readySessions);
    expect(plan.readySessions).toBeGreaterThan(52);
  });

  test("--apply records the stack's latest measurements (a 15 s cold start from a load test) in its config keys, named", async () => {
    const project = makeProject();
    await prepare(project, "contest");
    const summary = (count: number, ms: number, max = ms) => ({ count, p50: ms, p95: max, p99: max, max });
    const record = {
      ...{ v: 1, stack: "contest", command: "load-test", endpoint: "https://x", start: "2026-11-22T09:00:00.000Z", end: "2026-11-22T09:10:00.000Z" },
      ...{ ok: true, executions: 1000, failed: 0, latency: summary(1000, 600, 15_900), outcomes: { ok: 1000 }, causes: {} },
      measured: { languages: { python: { first: summary(200, 1_000, 15_500), warm: summary(800, 500, 900) } }, firstRuns: 200, readySessions: 52 },
    };
    mkdirSync(join(project, ".manage", "runs"), { recursive: true });
    writeFileSync(join(project, ".manage", "runs", "contest.ndjson"), JSON.stringify(record) + "\n");
    const r = await manageDecision(["capacity", "--stack", "contest", "--apply"], { project });
    expect(r.exitCode).toBe(0);
    const yaml = stackYaml(project, "contest");
    expect(yaml).toMatch(/coding-engine:coldStartSeconds: "?15"?\n/);
    expect(yaml).toMatch(/coding-engine:runSeconds: "?0\.5"?\n/);
    // Each input's run named apart (a cold start still assumed is never labelled measured).
    expect(yaml.replace(/\n\s+/g, " ")).toContain("measuredBy: \"cold start: load-test 2026-11-22 09:10 UTC, 200 first runs (52 ready); run time: load-test 2026-11-22 09:10 UTC, 800 warm runs\"");
    // The program's sizing (the stack's config) now matches the plan, and capacity says where the inputs came from.
    const after = JSON.parse((await manageDecision(["capacity", "--stack", "contest", "--json"], { project })).stdout);
    expect(after.inputs.coldStartSeconds).toMatchObject({ value: 15, source: "recorded" });
    expect(after.configured.readySessions).toBe(planCapacity({ ...DEFAULT_PARTICIPANTS, coldStartSeconds: 15, runSeconds: 0.5, cooldownSeconds: 300 }).readySessions);
    expect(after.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
  });

  test("--apply after a run that measured only the run time: the cold start stays the assumption, never labelled measured", async () => {
    const project = makeProject();
    await prepare(project, "contest");
    const summary = (count: number, ms: number | null, max = ms) => ({ count, p50: ms, p95: max, p99: max, max });
    const record = {
      ...{ v: 1, stack: "contest", command: "load-test", endpoint: "https://x", start: "2026-11-22T09:00:00.000Z", end: "2026-11-22T09:10:00.000Z" },
      ...{ ok: true, executions: 1000, failed: 0, latency: summary(1000, 600, 900), outcomes: { ok: 1000 }, causes: {} },
      // The ready sessions were not known: its first runs measure no cold start.
      measured: { languages: { python: { first: summary(200, 1_000, 15_500), warm: summary(800, 500, 900) } }, firstRuns: 200, readySessions: null },
    };
    mkdirSync(join(project, ".manage", "runs"), { recursive: true });
    writeFileSync(join(project, ".manage", "runs", "contest.ndjson"), JSON.stringify(record) + "\n");
    expect((await manageDecision(["capacity", "--stack", "contest", "--apply"], { project })).exitCode).toBe(0);
    expect(stackYaml(project, "contest").replace(/\n\s+/g, " ")).toContain("measuredBy: \"run time: load-test 2026-11-22 09:10 UTC, 800 warm runs\"");
    const human = await manageDecision(["capacity", "--stack", "contest"], { project });
    expect(human.stdout).toContain("- inputs: cold start 10 s (assumed, not measured: manage smoke or load-test measures it); run time 0.5 s (measured: load-test 2026-11-22 09:10 UTC, 800 warm runs)");
  });

  test("refused at the confirmation (a replacement, no terminal) or by the preview (a protected resource): manage's edit is taken out, the person's stays", async () => {
    const project = makeProject();
    await deployed(project, "dev scaled to testing");
    const path = join(project, "Pulumi.dev.yaml");
    // The person's own edit, saved before: Azure recreates the role assignment for it.
    writeFileSync(path, stackYaml(project).replace("sessionExecutorScope: pool", "sessionExecutorScope: resourceGroup"));
    const theirs = stackYaml(project);
    const asked = await manageDecision(["capacity", "--users", "120", "--apply"], { project });
    expect(asked.exitCode).toBe(2);
    expect(asked.stderr).toContain("there is no terminal to ask at: pass --yes");
    expect(stackYaml(project)).toBe(theirs);
    // A rename recreates the protected identity: the preview refuses it, even with --yes.
    writeFileSync(path, theirs.replace("namePrefix: codeeng", "namePrefix: codeng"));
    const renamed = stackYaml(project);
    const refused = await manageDecision(["capacity", "--users", "120", "--apply", "--yes"], { project });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("identity, which is protected");
    expect(stackYaml(project)).toBe(renamed);
  });

  test("with the profile in effect: resizes the pool through the same path as scale", async () => {
    const project = makeProject();
    await prepare(project);
    await manageDecision(["scale", "--no-wait", "--profile", "contest"], { project });
    const r = await manageDecision(["capacity", "--users", "120", "--apply", "--yes"], { project });
    expect(r.exitCode).toBe(0);
    const pool = readState(project, "dev").find((r) => r.urn.endsWith("::session-pool"))!;
    expect(pool.inputs.scaleConfiguration.maxConcurrentSessions).toBe(120);
  });
});

describe.concurrent("the cost ceiling", () => {
  const overrides = '  coding-engine:profileOverrides:\n    contest:\n      maxSessions: 600\n      readySessions: 300\n';
  test("up refuses a stack file that can cost more than its ceiling, before pulumi runs", async () => {
    const project = makeProject();
    writeFileSync(join(project, "Pulumi.dev.yaml"), stackYaml(project).replace("profile: idle", "profile: contest") + overrides);
    await expectRefusal(project, ["up"], /this change can cost at most \$[\d,.]+\/day .*above stack dev's cost ceiling of \$500\.00\/day \(costCeilingPerDay\)/);
  });

  test("--allow-over-ceiling goes ahead with a warning; stopping is never refused", async () => {
    const project = makeProject();
    await prepare(project);
    // 100 ready: under the policy pack's mandatory ceiling (140), far over the cost ceiling.
    const r = await manageDecision(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "600", "--ready-sessions", "100", "--allow-over-ceiling"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/warning: this change can cost at most .* above stack dev's cost ceiling .*going ahead \(--allow-over-ceiling\)/);
    expect((await manageDecision(["stop", "--yes"], { project })).exitCode).toBe(0);
  });

  test("capacity --apply of a sizing above the ceiling is refused like a scale to it, even with the profile not in effect; --allow-over-ceiling lets it through", async () => {
    const project = makeProject();
    // The contest stack rests idle: the change path alone judges idle, which is within the ceiling.
    await expectRefusal(project, ["capacity", "--stack", "contest", "--users", "270", "--apply"], /this change can cost at most \$[\d,.]+\/day .*above stack contest's cost ceiling of \$500\.00\/day \(costCeilingPerDay\)\. .*or pass --allow-over-ceiling\. Nothing was changed\./);
    const files = snapshot(project);
    const allowed = await manageDecision(["capacity", "--stack", "contest", "--users", "270", "--apply", "--allow-over-ceiling"], { project, path: "/usr/bin:/bin" });
    // Past the ceiling (said as a warning): it stops at the next step, pulumi missing on this PATH.
    expect(allowed.stderr).toMatch(/warning: this change can cost at most .* above stack contest's cost ceiling .*going ahead \(--allow-over-ceiling\)/);
    expect(allowed.stderr).toContain("pulumi is not installed");
    expect(snapshot(project)).toEqual(files);
    // Within the ceiling it is not refused.
    const within = await manageDecision(["capacity", "--stack", "contest", "--users", "200", "--apply"], { project, path: "/usr/bin:/bin" });
    expect(within.stderr).not.toContain("cost ceiling");
    expect(within.stderr).toContain("pulumi is not installed");
  });

  test("a scale that lowers what runs is judged with the state: the sizes kept from an earlier scale, not the file's, and one verdict", async () => {
    const project = makeProject();
    await prepare(project);
    expect((await manageDecision(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "230", "--ready-sessions", "60", "--allow-over-ceiling"], { project })).exitCode).toBe(0);
    // The ceiling lowered below what runs: lowering max to 220 (ready 60 kept) still lowers the cost.
    writeFileSync(join(project, "Pulumi.dev.yaml"), stackYaml(project).replace("config:\n", 'config:\n  coding-engine:costCeilingPerDay: "100"\n'));
    const lower = await manageDecision(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "220", "--for", "1h"], { project });
    expect(lower.exitCode, lower.stderr).toBe(0);
    // Still over the ceiling after it: said once, on what runs now (220, the 60 ready kept), not refused.
    expect(lower.stderr.split("\n").filter((l) => l.includes("cost ceiling"))).toEqual([expect.stringMatching(/^warning: stack dev stays above its cost ceiling: .*220 sessions held and 60 ready/)]);
    // A raise goes ahead only with --allow-over-ceiling, said once, quoting what would run (the 60 ready kept).
    const raise = await manageDecision(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "240", "--allow-over-ceiling"], { project });
    expect(raise.exitCode, raise.stderr).toBe(0);
    expect(raise.stderr.match(/cost ceiling/g)).toHaveLength(1);
    expect(raise.stderr).toMatch(/warning: this change can cost at most .*240 sessions held and 60 ready.*going ahead \(--allow-over-ceiling\)/);
  });

  test("a raised costCeilingPerDay lets the same change through", async () => {
    const project = makeProject();
    writeFileSync(join(project, "Pulumi.dev.yaml"), stackYaml(project) + '  coding-engine:costCeilingPerDay: "2000"\n');
    const files = snapshot(project);
    const r = await manageDecision(["scale", "--profile", "contest", "--max-sessions", "600", "--ready-sessions", "600"], { project, path: "/usr/bin:/bin" });
    // Past the ceiling check: it stops at the next step, pulumi missing on this PATH.
    expect(r.stderr).toContain("pulumi is not installed");
    expect(snapshot(project)).toEqual(files);
  });
});
