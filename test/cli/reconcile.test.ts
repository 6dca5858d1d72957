// manage reconcile (alias enforce-expiry): expired stacks go back to idle, everything else is left alone, a dry run
// changes nothing, and a failure is reported with a non-zero exit.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { decideReconcile, interruptedVerdict } from "../../cli/schedule.js";
import { CHANGE_JOB_TIMEOUT_MINUTES } from "../../cli/workflow.js";
import type { OperationsState, Window } from "../../infra/operations.js";
import { deployed, makeProject, manageDecision, names, prepare, readState, snapshot } from "../helpers/cli.js";

// Every test has a project directory of its own, so the tests of this file run side by side.

// The clock: the operator scales at T0 for 3 hours; the scheduled job runs before or after.
const T0 = "2026-12-05T08:30:00Z";
const BEFORE_END = { MANAGE_NOW: "2026-12-05T11:00:00Z" };
const AFTER_END = { MANAGE_NOW: "2026-12-05T11:45:00Z" };

/** The contest stack scaled to contest at T0 for 3 hours (built once in global setup). */
async function contestRunningWithExpiry(project: string) {
  await deployed(project, "contest scaled to contest for 3h");
}

const running = (operation: OperationsState | null, poolDeployed: boolean, gatewayDeployed = false) => ({ deployed: true, operation, poolDeployed, gatewayDeployed });
const op = (profile: "idle" | "contest", expiresAt: string | null, extra: Partial<OperationsState> = {}) =>
  ({ profile, overrides: {}, expiresAt, intent: "", by: "", at: T0, revision: 3, baseline: {}, windows: [], ...extra }) as OperationsState;
const window = (id: string, start: string, end: string): Window => ({ id, profile: "contest", start, end, warmupMinutes: 30, users: null, by: "", at: T0 });

describe.concurrent("reconcile", () => {
  test("decides per stack from its state: expired, not expired, no expiry, idle, a pool or gateway left by a failed stop, an interrupted change", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    expect(decideReconcile(running(op("contest", "2026-11-22T11:59:59Z"), true), now)).toEqual({ kind: "stop", why: "expired" });
    expect(decideReconcile(running(op("contest", "2026-11-22T12:00:01Z"), true), now)).toEqual({ kind: "leave", why: "not-expired" });
    expect(decideReconcile(running(op("contest", null), true), now)).toEqual({ kind: "leave", why: "no-expiry" });
    expect(decideReconcile(running(op("idle", null), false), now)).toEqual({ kind: "leave", why: "already-idle" });
    // A pool beside an idle operation is stopped only when the update that recorded idle failed (a
    // stop whose delete failed); one no recorded change explains (an interrupted scale-up) is left.
    const failedUpdate = { kind: "update", result: "failed" };
    expect(decideReconcile(running(op("idle", null), true), now, failedUpdate)).toEqual({ kind: "stop", why: "leftover" });
    expect(decideReconcile(running(op("idle", null), true), now, { ...failedUpdate, result: "succeeded" })).toEqual({ kind: "leave", why: "unrecorded-pool" });
    expect(decideReconcile(running(op("idle", null), true), now, null)).toEqual({ kind: "leave", why: "unrecorded-pool" });
    // The gateway lives with the pool: one left beside an idle operation (a stop whose `delete gateway`
    // failed, after the pool's delete succeeded) is a failed stop just the same.
    expect(decideReconcile(running(op("idle", null), false, true), now, failedUpdate)).toEqual({ kind: "stop", why: "leftover" });
    expect(decideReconcile(running(op("idle", null), false, true), now, null)).toEqual({ kind: "leave", why: "unrecorded-pool" });
    // A change under way or interrupted (a lock, pending operations): nothing, even when expired.
    const locked = { ...running(op("contest", "2026-11-22T11:59:59Z"), true), interrupted: { locks: [{ file: "l.json" }], pending: [] } };
    expect(decideReconcile(locked, now)).toEqual({ kind: "leave", why: "interrupted" });
    expect(decideReconcile({ deployed: false, operation: null, poolDeployed: false, gatewayDeployed: false }, now)).toEqual({ kind: "leave", why: "not-deployed" });
  });

  test(`an interrupted change: a lock younger than a job may run (${CHANGE_JOB_TIMEOUT_MINUTES} min) is busy, an older one fails, pending operations alone neither`, () => {
    const wall = new Date("2026-12-06T12:00:00Z");
    const since = (minutes: number) => ({ file: `${minutes}.json`, who: "runner@deploy-job", since: new Date(wall.getTime() - minutes * 60_000).toISOString() });
    const pending = [{ name: "session-pool", type: "creating" }];
    expect(interruptedVerdict({ locks: [since(CHANGE_JOB_TIMEOUT_MINUTES - 1)], pending }, wall)).toEqual({ outcome: "busy" });
    // A lock whose time cannot be read may be a running update.
    expect(interruptedVerdict({ locks: [{ file: "half-written.json" }], pending: [] }, wall)).toEqual({ outcome: "busy" });
    // One lock left by a killed job blocks every update, whatever else holds one.
    const stale = since(CHANGE_JOB_TIMEOUT_MINUTES);
    expect(interruptedVerdict({ locks: [since(5), stale], pending: [] }, wall)).toEqual({ outcome: "failed", stale: [stale] });
    expect(interruptedVerdict({ locks: [], pending }, wall)).toBeNull();
  });

  test("decides windows: not before the warm-up, start inside it, leave a running one, stop after its end, never fight a person", () => {
    const w = window("w-20261205-0800", "2026-12-05T08:00:00Z", "2026-12-05T11:00:00Z");
    const idle = running(op("idle", null, { at: "2026-12-01T00:00:00Z", windows: [w] }), false);
    expect(decideReconcile(idle, new Date("2026-12-05T07:29:00Z"))).toEqual({ kind: "not-started", window: w });
    expect(decideReconcile(idle, new Date("2026-12-05T07:31:00Z"))).toEqual({ kind: "start", window: w });
    const started = running(op("contest", w.end, { window: w.id, at: "2026-12-05T07:31:00Z", windows: [w] }), true);
    expect(decideReconcile(started, new Date("2026-12-05T09:00:00Z"))).toEqual({ kind: "running", window: w });
    // Its pool gone while the window runs (deleted by hand, a failed start): started again.
    expect(decideReconcile({ ...started, poolDeployed: false }, new Date("2026-12-05T09:00:00Z"))).toEqual({ kind: "start", window: w });
    expect(decideReconcile(started, new Date("2026-12-05T11:00:00Z"))).toEqual({ kind: "stop", why: "window-ended" });
    // Someone stopped it by hand during the window: left as they chose.
    const stopped = running(op("idle", null, { at: "2026-12-05T09:30:00Z", windows: [w] }), false);
    expect(decideReconcile(stopped, new Date("2026-12-05T10:00:00Z"))).toEqual({ kind: "overridden", window: w });
  });

  test("an expired stack returns to idle; an unexpired one and one without expiry are left alone; idempotent", async () => {
    const project = makeProject();
    await contestRunningWithExpiry(project);
    await prepare(project, "dev");
    await manageDecision(["scale", "--no-wait", "--stack", "dev", "--profile", "testing"], { project });

    const r = await manageDecision(["enforce-expiry", "--yes", "--json"], { project, env: AFTER_END });
    expect(r.exitCode).toBe(0);
    const log = JSON.parse(r.stdout);
    expect(log.actions).toEqual([
      expect.objectContaining({ stack: "contest", decision: "stop", outcome: "stopped", expiresAt: "2026-12-05T11:30:00Z" }),
      expect.objectContaining({ stack: "dev", decision: "leave", why: "no-expiry" }),
    ]);
    expect(names(readState(project, "contest"))).not.toContain("session-pool");
    expect(names(readState(project, "dev"))).toContain("session-pool");

    const again = await manageDecision(["enforce-expiry", "--yes"], { project, env: AFTER_END });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("contest: idle: nothing to do");
  });

  test("not expired yet: nothing happens, and the log says who set the expiry", async () => {
    const project = makeProject();
    await contestRunningWithExpiry(project);
    const r = await manageDecision(["enforce-expiry", "--yes", "--stack", "contest"], { project, env: BEFORE_END });
    expect(r.stdout).toMatch(/contest: not expired yet: left as it is \(expiry 2026-12-05 11:30 UTC .*, set by .+@.+ at 2026-12-05T08:30:00Z\)/);
    expect(names(readState(project, "contest"))).toContain("session-pool");
  });

  test("--dry-run says what it would stop and changes nothing", async () => {
    const project = makeProject();
    await contestRunningWithExpiry(project);
    const files = snapshot(project);
    const state = JSON.stringify(readState(project, "contest"));
    const r = await manageDecision(["enforce-expiry", "--dry-run"], { project, env: AFTER_END });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("contest: expired: would return to idle (dry run, nothing changed)");
    expect(snapshot(project)).toEqual(files);
    expect(JSON.stringify(readState(project, "contest"))).toBe(state);
  });

  test("a broken neighbour stack file is reported, and does not keep the other stacks from returning to idle", async () => {
    const project = makeProject();
    await contestRunningWithExpiry(project);
    writeFileSync(join(project, "Pulumi.broken.yaml"), "config:\n  coding-engine:location: eastus\n    bad: indentation\n");
    const r = await manageDecision(["enforce-expiry", "--yes", "--json"], { project, env: AFTER_END });
    expect(r.exitCode).toBe(1);
    const log = JSON.parse(r.stdout);
    expect(log.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stack: "broken", decision: "leave", why: "not-deployed", fileError: expect.stringMatching(/^Pulumi\.broken\.yaml:2:\d+: /) }),
        expect.objectContaining({ stack: "contest", decision: "stop", outcome: "stopped" }),
      ]),
    );
    expect(r.stderr).toContain("stack file(s) that cannot be read: broken");
    expect(readState(project, "contest").some((r) => r.urn.endsWith("::session-pool"))).toBe(false);
  });

  test("an expired stack whose own stack file is broken cannot be stopped (pulumi reads the file): the job stays red and says why", async () => {
    const project = makeProject();
    await contestRunningWithExpiry(project);
    writeFileSync(join(project, "Pulumi.contest.yaml"), "config:\n  coding-engine:location: [eastus\n");
    const r = await manageDecision(["enforce-expiry", "--yes", "--json"], { project, env: AFTER_END });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).actions).toEqual(
      expect.arrayContaining([expect.objectContaining({ stack: "contest", decision: "stop", outcome: "failed", error: expect.stringMatching(/^Pulumi\.contest\.yaml:3:1: .*\n  Fix: correct the YAML/) })]),
    );
    expect(r.stderr).toContain("stack file(s) that cannot be read: contest");
    expect(names(readState(project, "contest"))).toContain("session-pool");
  });
});
