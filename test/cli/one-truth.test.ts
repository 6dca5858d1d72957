// One truth for what a stack runs (docs/architecture.md): machines that share only the state
// backend see the same operation; a plain `pulumi up` keeps it; a failed stop keeps the scheduled
// job red until a later run stops the pool; two changes racing never report a change that did not
// happen and never delete what nobody confirmed.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { deployed, makeProject, manageDecision, names, prepare, readState, spawnManage } from "../helpers/cli.js";

/**
 * Two machines: the operator's laptop, with the contest stack after its first deployment, and the
 * scheduled job's runner, with git's files and the team's state backend (here: the laptop's). Each
 * test has its own, so the tests of this file run side by side.
 */
async function machines() {
  const laptop = makeProject();
  await prepare(laptop, "contest");
  const runner = makeProject();
  // The stack file as committed after the first deployment (pulumi wrote its encryption salt).
  copyFileSync(join(laptop, "Pulumi.contest.yaml"), join(runner, "Pulumi.contest.yaml"));
  // The registry is Azure's, one for both machines (the stand-in az keeps it in the project).
  copyFileSync(join(laptop, ".fake-az.json"), join(runner, ".fake-az.json"));
  const shared = {
    PULUMI_BACKEND_URL: `file://${join(laptop, ".pulumi-state")}`,
    PULUMI_CONFIG_PASSPHRASE_FILE: join(laptop, ".pulumi-state", "passphrase"),
  };
  return { laptop, runner, shared };
}

const T0 = "2026-12-05T08:30:00Z";
const at = (iso: string) => ({ MANAGE_NOW: iso });
const operation = (project: string) => readState(project, "contest").find((r) => r.type === "pulumi:pulumi:Stack")?.outputs.operations as Record<string, any> | undefined;
const poolDeployed = (laptop: string) => names(readState(laptop, "contest")).includes("session-pool");

describe.concurrent("one truth across machines", () => {
  test("an operator's `scale --for` on a laptop is seen and ended by the scheduled job on another machine", async () => {
    const { laptop, runner, shared } = await machines();
    const scale = await manageDecision(["scale", "--stack", "contest", "--profile", "contest", "--for", "2h", "--no-wait"], { project: laptop, env: at(T0) });
    expect(scale.exitCode).toBe(0);

    // An hour later: the job (git's stack file says idle) sees the contest and its expiry.
    const early = await manageDecision(["enforce-expiry", "--yes"], { project: runner, env: { ...shared, ...at("2026-12-05T09:30:00Z") } });
    expect(early.exitCode).toBe(0);
    expect(early.stdout).toMatch(/contest: not expired yet: left as it is \(expiry 2026-12-05 10:30 UTC .*set by .+@.+ at 2026-12-05T08:30:00Z\)/);
    const status = await manageDecision(["status", "--stack", "contest", "--json"], { project: runner, env: { ...shared, ...at("2026-12-05T09:30:00Z") } });
    expect(JSON.parse(status.stdout)).toMatchObject({ profile: "contest", restingProfile: "idle", expiresAt: "2026-12-05T10:30:00.000Z", source: { from: "state" } });

    // After the expiry: the job stops it, with nothing but the backend in common.
    const late = await manageDecision(["enforce-expiry", "--yes", "--json"], { project: runner, env: { ...shared, ...at("2026-12-05T10:45:00Z") } });
    expect(late.exitCode).toBe(0);
    expect(JSON.parse(late.stdout).actions).toEqual(
      expect.arrayContaining([expect.objectContaining({ stack: "contest", decision: "stop", outcome: "stopped" }), expect.objectContaining({ stack: "dev", decision: "leave", why: "not-deployed" })]),
    );
    expect(poolDeployed(laptop)).toBe(false);
    expect(operation(laptop)).toMatchObject({ profile: "idle", expiresAt: null, intent: "stop: expired (reconcile)" });
  });

  test("a CI deploy (a plain `pulumi up`, or `manage up` from git's files) keeps the operator's contest and its expiry", async () => {
    const { laptop, runner, shared } = await machines();
    expect((await manageDecision(["scale", "--stack", "contest", "--profile", "contest", "--max-sessions", "230", "--for", "3h", "--no-wait"], { project: laptop, env: at(T0) })).exitCode).toBe(0);
    const before = operation(laptop)!;

    const plain = await manageDecision(["pulumi", "--", "up", "--yes", "--stack", "contest"], { project: runner, env: shared });
    expect(plain.exitCode).toBe(0);
    expect(poolDeployed(laptop)).toBe(true);
    expect(operation(laptop)).toEqual({ ...before, revision: before.revision + 1 });
    const pool = () => readState(laptop, "contest").find((r) => r.urn.endsWith("::session-pool"))!.inputs.scaleConfiguration.maxConcurrentSessions;
    expect(pool()).toBe(230);

    const up = await manageDecision(["up", "--stack", "contest", "--yes", "--json"], { project: runner, env: shared });
    expect(up.exitCode).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ profile: "contest", expiresAt: "2026-12-05T11:30:00Z" });
    expect(pool()).toBe(230);
  });

  test("a stop that fails part-way keeps the job red; the next run stops the pool; the one after has nothing to do", async () => {
    const { laptop, runner, shared } = await machines();
    expect((await manageDecision(["scale", "--stack", "contest", "--profile", "contest", "--for", "1h", "--no-wait"], { project: laptop, env: at(T0) })).exitCode).toBe(0);
    const job = { ...shared, ...at("2026-12-05T10:00:00Z") };

    const first = await manageDecision(["enforce-expiry", "--yes"], { project: runner, env: { ...job, FAKE_PULUMI_FAIL: "session-pool" } });
    expect(first.exitCode).toBe(1);
    expect(first.stdout).toMatch(/contest: expired: but the stop FAILED: pulumi up of contest failed: Status=400/);
    expect(first.stderr).toContain("stack(s) not reconciled: contest");
    expect(first.stderr).toContain("the next run tries again");
    // What pulumi records of a failed stop: the stop's idle operation (the program registered its
    // outputs before the engine ran its deletes) over a pool that is still there. What a person
    // sees says both: idle recorded, the pool still deployed and billing, and how it is removed.
    expect(poolDeployed(laptop)).toBe(true);
    expect(operation(laptop)).toMatchObject({ profile: "idle", expiresAt: null });
    const status = await manageDecision(["status", "--stack", "contest"], { project: laptop, env: at("2026-12-05T10:00:00Z") });
    // (The contest stack is in accessMode token: its gateway, deleted after the pool, is left too.)
    expect(status.stderr).toContain("the stack is idle, but a session pool and an API Management gateway are still deployed, and billing: a stop failed part-way");
    expect(status.stderr).toContain("`manage stop --stack contest` removes them");

    // The next run sees the failed stop (its update failed, the pool is left) and stops again.
    const second = await manageDecision(["enforce-expiry", "--yes"], { project: runner, env: job });
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toContain("contest: idle, but a session pool and an API Management gateway are still deployed (an earlier stop failed): returned to idle");
    expect(poolDeployed(laptop)).toBe(false);

    const third = await manageDecision(["enforce-expiry", "--yes"], { project: runner, env: job });
    expect(third.exitCode).toBe(0);
    expect(third.stdout).toContain("contest: idle: nothing to do");
  });
});

test.concurrent("a stop changes only what idle needs: an unrelated image edit in the stack file is left for `up` and named", async () => {
  const project = makeProject();
  await deployed(project, "dev scaled to testing");
  const file = join(project, "Pulumi.dev.yaml");
  // A new backend image not pushed yet: an `up` would stop at the image check; a stop must not.
  writeFileSync(file, readFileSync(file, "utf8").replace("coding-engine/backend:v1", "coding-engine/backend:v2"));
  const stop = await manageDecision(["stop", "--yes"], { project });
  expect(stop.exitCode).toBe(0);
  expect(stop.stdout).toContain("Pulumi.dev.yaml differs from what runs (backendImage): left for `manage up --stack dev`; this stop changes only what it needs.");
  const state = readState(project, "dev");
  expect(names(state)).not.toContain("session-pool");
  expect(JSON.stringify(state.find((r) => r.urn.endsWith("::backend"))!.inputs)).toContain("coding-engine/backend:v1");
  // `up` is where the edit goes, and it checks the image first.
  const up = await manageDecision(["up"], { project });
  expect(up.exitCode).toBe(1);
  expect(up.stderr).toContain("this image is not in registry codeengdevacr yet: coding-engine/backend:v2");
});

describe.concurrent("two changes racing", () => {
  // A scale to contest (creates the pool: no confirmation needed) and a stop without --yes (from
  // a stack with no pool it deletes nothing, so it needs none either), started `offset` ms apart,
  // with each update's steps slowed so the two overlap. Whatever the interleaving: a "Done" only
  // for a change that is in the state, and the stop never deletes the pool it was not shown.
  test.each([0, 700, 1600])("offset %i ms: no false Done, no unconfirmed deletion", async (offset) => {
    const { laptop } = await machines();
    const before = operation(laptop);
    const env = { FAKE_PULUMI_STEP_DELAY_MS: "150" };
    const scale = spawnManage(["scale", "--stack", "contest", "--profile", "contest", "--no-wait", "--json"], laptop, env);
    await new Promise((r) => setTimeout(r, offset));
    const stop = spawnManage(["stop", "--stack", "contest", "--json"], laptop, env);
    const results = { scale: await scale, stop: await stop };

    const revisions: Record<string, number> = {};
    for (const [name, r] of Object.entries(results)) {
      if (r.exitCode === 0) {
        const out = JSON.parse(r.stdout);
        revisions[name] = out.outputs.operations.revision;
        expect(out.outputs.operations.intent).toBe(out.intent);
      } else {
        // A refusal says why and that nothing changed: the lock, the race, or (the stop seeing the
        // pool the scale made) a deletion that needs --yes.
        expect(r.stdout).not.toContain("Done");
        expect(r.stderr).toMatch(/is locked: another update|not applied: the stack changed after manage read it|there is no terminal to ask at: pass --yes/);
      }
    }
    const final = operation(laptop);
    const applied = Object.entries(revisions).sort(([, a], [, b]) => b - a);
    if (applied.length) expect(final?.revision).toBe(applied[0]![1]);
    // Both may back off from the lock (pkg/backend/diy/lock.go: each sees the other's): then the
    // state is as it was.
    else expect(final).toEqual(before);
    // What the state says runs is what runs.
    expect(poolDeployed(laptop)).toBe((final?.profile ?? "idle") !== "idle");
    // The stop applied after the scale would have deleted a pool its preview did not show.
    expect(revisions.stop !== undefined && revisions.scale !== undefined && revisions.stop > revisions.scale).toBe(false);
  });
});
