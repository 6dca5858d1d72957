// The gate lives with the pool, end to end: the contest stack (accessMode token) rests idle with
// neither gateway nor pool; a scheduled window brings both up in its warm-up, proves code runs
// through the gateway (and that the gateway refuses a call without a key), and returns to a state
// with neither; twice in a row, the second creation after a soft delete that was not purged at the
// first stop (API Management keeps a deleted instance 48 hours under its name: test/fake-az/soft-deleted.ts).
// A participant's key issued before the first window works in both. Through the stand-ins: pulumi
// (test/fake-pulumi), az (test/fake-az: `az rest` on deletedservices), the gateway (test/gate,
// following what the stack's state deploys) and the backend that runs the code (test/exec-server).
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeProject, manageDecision, names, prepare, readState, readStateRevealed } from "../helpers/cli.js";
import { startExecServer, type ExecServer } from "../exec-server/server.js";
import { startGate, type Gate } from "../gate/server.js";
import { GATEWAY_CREATE_MINUTES } from "../../infra/access-mode.js";
import { CALLER_HEADER } from "../../infra/caller-budget.js";

const at = (iso: string) => ({ MANAGE_NOW: iso });
const APIM = "azure-native:apimanagement:ApiManagementService";

describe("a token stack's windows: the gateway comes and goes with the pool", () => {
  let exec: ExecServer;
  let gate: Gate;
  let project: string;
  let env: Record<string, string>;
  /** false: the gateway's host does not answer yet, whatever the state deploys (a new instance's DNS). */
  let answering = true;
  /** The gateway as the contest stack's state deploys it: exists, and the keys of its subscriptions (which Azure knows; the state holds them encrypted). */
  const deployment = () => {
    const state = readStateRevealed(project, "contest");
    const stackOutputs = state.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {};
    return {
      exists: answering && state.some((r) => r.type === APIM),
      opsKey: String(stackOutputs.gatewayKey ?? ""),
      keys: [
        String(stackOutputs.gatewayKey ?? ""),
        ...state.filter((r) => r.type === "azure-native:apimanagement:Subscription").map((r) => String(r.inputs.primaryKey ?? "")),
      ].filter(Boolean),
    };
  };
  /** A call to the gateway's health route with a key (or none), as a participant makes it. */
  const call = (key?: string) =>
    new Promise<number | "no answer">((done) => {
      const req = request(`${gate.url}/`, { ca: readFileSync(gate.caFile!), headers: key ? { "Ocp-Apim-Subscription-Key": key } : {} }, (res) => {
        res.resume();
        done(res.statusCode!);
      });
      req.on("error", () => done("no answer"));
      req.end();
    });

  beforeAll(async () => {
    exec = await startExecServer();
    project = makeProject();
    // With the contest's per-caller budget (200 sessions among 200 participants: 1 call in flight
    // each), as the program's policy declares it: the windows' smoke goes through manage's own key.
    gate = await startGate({ upstream: exec.url, tls: true, callsPerMinute: 1000, deployment, concurrency: 1, callerHeader: CALLER_HEADER });
    env = { FAKE_PULUMI_GATEWAY_URL: gate.url, FAKE_PULUMI_POOL_ENDPOINT: `${exec.url}/pool`, NODE_EXTRA_CA_CERTS: gate.caFile! };
    await prepare(project, "contest");
    // Deployed, resting idle as the committed stack file says: no gateway, no pool.
    const up = await manageDecision(["up", "--stack", "contest"], { project, env: { ...env, ...at("2026-12-04T06:00:00Z") } });
    expect(up.exitCode, up.stderr).toBe(0);
  });
  afterAll(async () => {
    await gate.close();
    await exec.close();
  });

  test("idle, issued a key, two windows: each brings up gateway and pool in its warm-up, proves both, returns to neither; the key works in both", async () => {
    const run = (args: string[], now: string, extra: Record<string, string> = {}) => manageDecision(args, { project, env: { ...env, ...at(now), ...extra } });
    expect(names(readState(project, "contest"))).not.toContain("gateway");
    expect(names(readState(project, "contest"))).not.toContain("session-pool");

    // A key for a team, issued while idle (no gateway exists): kept in the stack's state.
    const issued = await run(["keys", "issue", "--stack", "contest", "--name", "team-a", "--json"], "2026-12-04T07:00:00Z");
    expect(issued.exitCode, issued.stderr).toBe(0);
    const key = JSON.parse(issued.stdout).key as string;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    const listed = await run(["keys", "list", "--stack", "contest"], "2026-12-04T07:00:00Z");
    expect(listed.stdout).toMatch(/team-a +[0-9a-f]{4}…/);
    expect(listed.stdout).not.toContain(key);
    expect(names(readState(project, "contest"))).not.toContain("gateway");

    // A warm-up too short for the gateway's creation is refused with the minimum; the default is that minimum.
    const short = await run(["schedule", "--stack", "contest", "--at", "2026-12-05T09:00:00Z", "--for", "2h", "--warmup", "30m"], "2026-12-04T08:00:00Z");
    expect(short.exitCode).toBe(2);
    expect(short.stderr).toContain(`Fix: --warmup ${GATEWAY_CREATE_MINUTES}m or more`);
    for (const day of ["05", "06"]) {
      const scheduled = await run(["schedule", "--stack", "contest", "--at", `2026-12-${day}T09:00:00Z`, "--for", "2h"], "2026-12-04T08:00:00Z");
      expect(scheduled.exitCode, scheduled.stderr).toBe(0);
      expect(scheduled.stdout).toContain(`warm-up from 2026-12-${day} 07:30 UTC`);
    }

    const reconcile = (now: string, extra: Record<string, string> = {}) => run(["reconcile", "--yes", "--json", "--wait-timeout", "2m", "--stack", "contest"], now, extra);
    const action = (r: { stdout: string }) => JSON.parse(r.stdout).actions.find((a: { stack: string }) => a.stack === "contest");

    for (const [n, day] of [[1, "05"], [2, "06"]] as const) {
      // Before the warm-up: nothing exists, nothing answers at the gateway's address.
      expect(await call(key)).toBe("no answer");
      // In the warm-up: gateway and pool created, code runs through the gateway (readiness gate and smoke).
      const warm = await reconcile(`2026-12-${day}T07:31:00Z`);
      expect(warm.exitCode, `window ${n}: ${warm.stderr}\n${warm.stdout}`).toBe(0);
      expect(action(warm)).toMatchObject({ decision: "start", outcome: "started", smoke: { failed: 0 } });
      expect(names(readState(project, "contest"))).toEqual(expect.arrayContaining(["gateway", "session-pool", "gateway-caller-team-a"]));
      // The key issued before the first window works; no key is refused at the gateway.
      expect(await call(key)).toBe(200);
      expect(await call()).toBe(401);
      // After the window: neither gateway nor pool.
      const after = await reconcile(`2026-12-${day}T11:15:00Z`, n === 1 ? { FAKE_AZ_LOGGED_OUT: "1" } : {});
      expect(after.exitCode, `window ${n}: ${after.stderr}`).toBe(0);
      expect(action(after)).toMatchObject({ decision: "stop", why: "window-ended", outcome: "stopped" });
      const state = names(readState(project, "contest"));
      expect(state).not.toContain("gateway");
      expect(state).not.toContain("session-pool");
      expect(await call(key)).toBe("no answer");
      if (n === 1) {
        // The first stop could not purge (az logged out): it says so, with the command; Azure keeps the instance soft-deleted.
        expect(after.stdout + after.stderr).toMatch(/could not purge the soft-deleted gateway codeeng-contest-gw[\s\S]*az rest --method delete --url '\/subscriptions\/\{subscriptionId\}\/providers\/Microsoft\.ApiManagement\/locations\/eastus\/deletedservices\/codeeng-contest-gw\?api-version=2024-05-01'/);
        expect(await deletedGateway()).toBe(true);
      } else expect(await deletedGateway()).toBe(false);
    }
    // The idle stack's cost: the registry floor.
    const cost = await run(["cost-estimate", "--stack", "contest", "--profile", "idle", "--json"], "2026-12-06T12:00:00Z");
    expect(JSON.parse(cost.stdout).estimates[0]).toMatchObject({ profile: "idle", perDay: expect.closeTo(0.167, 3) });
    expect(JSON.parse(cost.stdout).estimates[0].perDay).toBeLessThanOrEqual(0.2);
  }, 240_000);

  test("a window's gateway that answers a call without a key: reconcile fails the start and every run after it (exit 1), naming the hole and the commands; fixed, the next run is green", async () => {
    // After the test above: idle again. The gateway that comes up lets anonymous calls through.
    const run = (args: string[], now: string) => manageDecision(args, { project, env: { ...env, ...at(now) } });
    const scheduled = await run(["schedule", "--stack", "contest", "--at", "2026-12-08T09:00:00Z", "--for", "2h"], "2026-12-07T08:00:00Z");
    expect(scheduled.exitCode, scheduled.stderr).toBe(0);
    const reconcile = (now: string) => run(["reconcile", "--yes", "--json", "--wait-timeout", "2m", "--stack", "contest"], now);
    const action = (r: { stdout: string }) => JSON.parse(r.stdout).actions.find((a: { stack: string }) => a.stack === "contest");
    gate.requireCredential = false;
    try {
      const warm = await reconcile("2026-12-08T07:31:00Z");
      expect(warm.exitCode, warm.stderr).toBe(1);
      expect(action(warm)).toMatchObject({ decision: "start", outcome: "failed" });
      expect(action(warm).error).toContain("window started and code runs, but the gateway answered 200 to a call without a key (expected 401): anyone could reach the pool");
      expect(action(warm).error).toContain("Fix: `manage doctor --stack contest` says what the gateway lets through; `manage stop --stack contest` closes it meanwhile");
      // The job fails (GitHub mails it) while the hole is open: what runs is said, not hidden.
      expect(names(readState(project, "contest"))).toEqual(expect.arrayContaining(["gateway", "session-pool"]));
      // The next run does not take the window for running: it checks it again, and fails again.
      const next = await reconcile("2026-12-08T07:36:00Z");
      expect(next.exitCode, next.stderr).toBe(1);
      expect(action(next)).toMatchObject({ decision: "running", outcome: "failed" });
      expect(action(next).error).toContain("window w-20261208-0900 runs, but the gateway answered 200 to a call without a key (expected 401): anyone could reach the pool");
      expect(next.stderr).toContain("stack(s) not reconciled: contest");
      // Fixed (the gateway refuses anonymous calls again): the next run is green, and changes nothing.
      gate.requireCredential = true;
      const revision = readState(project, "contest").find((r) => r.type === "pulumi:pulumi:Stack")!.outputs.operations.revision;
      const fixed = await reconcile("2026-12-08T07:41:00Z");
      expect(fixed.exitCode, fixed.stderr).toBe(0);
      expect(action(fixed)).toMatchObject({ decision: "running", outcome: "checked" });
      expect(readState(project, "contest").find((r) => r.type === "pulumi:pulumi:Stack")!.outputs.operations.revision).toBe(revision);
      // And the stop closes it.
      const stop = await run(["stop", "--stack", "contest", "--yes"], "2026-12-08T07:45:00Z");
      expect(stop.exitCode, stop.stderr).toBe(0);
      expect(names(readState(project, "contest"))).not.toContain("gateway");
    } finally {
      gate.requireCredential = true;
    }
  });

  test("a start whose readiness wait times out (the new gateway does not answer yet): every later run checks again and fails until it answers", async () => {
    const run = (args: string[], now: string) => manageDecision(args, { project, env: { ...env, ...at(now) } });
    expect((await run(["schedule", "--stack", "contest", "--at", "2026-12-10T09:00:00Z", "--for", "2h"], "2026-12-09T08:00:00Z")).exitCode).toBe(0);
    const reconcile = (now: string) => run(["reconcile", "--yes", "--json", "--wait-timeout", "3s", "--stack", "contest"], now);
    const action = (r: { stdout: string }) => JSON.parse(r.stdout).actions.find((a: { stack: string }) => a.stack === "contest");
    answering = false;
    try {
      const warm = await reconcile("2026-12-10T07:31:00Z");
      expect(warm.exitCode, warm.stderr).toBe(1);
      expect(action(warm)).toMatchObject({ decision: "start", outcome: "failed" });
      expect(action(warm).error).toMatch(/contest is deployed as contest, but no code ran within \d+ probe\(s\)/);
      const next = await reconcile("2026-12-10T07:36:00Z");
      expect(next.exitCode, next.stderr).toBe(1);
      expect(action(next)).toMatchObject({ decision: "running", outcome: "failed" });
      expect(action(next).error).toContain("window w-20261210-0900 runs, but its backend does not answer through the gateway with the stack's key (GET /)");
      expect(action(next).error).toContain("`manage stop --stack contest` ends the window");
      answering = true;
      const fixed = await reconcile("2026-12-10T07:41:00Z");
      expect(fixed.exitCode, fixed.stderr).toBe(0);
      expect(action(fixed)).toMatchObject({ decision: "running", outcome: "checked" });
    } finally {
      answering = true;
    }
    expect((await run(["stop", "--stack", "contest", "--yes"], "2026-12-10T07:45:00Z")).exitCode).toBe(0);
  });

  test("a revoke whose subscription delete fails: the key still works and it says so; the list no longer has the name, and revoking it again finishes it", async () => {
    const run = (args: string[], now: string, extra: Record<string, string> = {}) => manageDecision(args, { project, env: { ...env, ...at(now), ...extra } });
    const issued = await run(["keys", "issue", "--stack", "contest", "--name", "team-b", "--json"], "2026-12-11T07:00:00Z");
    expect(issued.exitCode, issued.stderr).toBe(0);
    const key = JSON.parse(issued.stdout).key as string;
    const up = await run(["start-session-pool", "--stack", "contest", "--no-wait", "--yes"], "2026-12-11T07:05:00Z");
    expect(up.exitCode, up.stderr).toBe(0);
    // The gateway's cost is said once the change goes ahead: after the plan, before the outcome
    // (start-session-pool is a scale to testing: the same change, the same notice).
    expect(up.stdout).toMatch(/contest: scale to testing[\s\S]*the gateway \(API Management Basic\) runs with the pool[\s\S]*Done: contest scale to testing/);
    expect(await call(key)).toBe(200);

    const failed = await run(["keys", "revoke", "--stack", "contest", "--name", "team-b"], "2026-12-11T07:10:00Z", { FAKE_PULUMI_FAIL: "gateway-caller-team-b" });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain("The key of team-b is still accepted by the gateway until a revoke succeeds: `manage keys revoke --stack contest --name team-b` again");
    expect(await call(key)).toBe(200);
    // The engine recorded the new list before its delete failed: the name is gone from it...
    const listed = await run(["keys", "list", "--stack", "contest", "--json"], "2026-12-11T07:11:00Z");
    expect(JSON.parse(listed.stdout).map((k: { name: string }) => k.name)).not.toContain("team-b");
    // ...and revoking it again is not refused: it deletes the subscription still in the gateway.
    const again = await run(["keys", "revoke", "--stack", "contest", "--name", "team-b"], "2026-12-11T07:12:00Z");
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain("Revoked the key of team-b on contest; the gateway refuses it now.");
    expect(await call(key)).toBe(401);
    // A name never issued is still bad input.
    const unknown = await run(["keys", "revoke", "--stack", "contest", "--name", "team-z"], "2026-12-11T07:13:00Z");
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("no key named team-z on contest");
  });

  test("a stop whose gateway delete fails: the state says idle but the gateway bills on; status, doctor and the scheduled job say so, and the job stops it again", async () => {
    // After the test above: the testing profile runs, with its gateway.
    const run = (args: string[], now: string, extra: Record<string, string> = {}) => manageDecision(args, { project, env: { ...env, ...at(now), ...extra } });
    expect(names(readState(project, "contest"))).toContain("gateway");
    const stop = await run(["stop", "--stack", "contest", "--yes"], "2026-12-11T08:00:00Z", { FAKE_PULUMI_FAIL: "gateway" });
    expect(stop.exitCode).toBe(1);
    // What pulumi recorded: the stop's idle operation (registered before the deletes), and the gateway still there.
    const state = readState(project, "contest");
    expect(state.find((r) => r.type === "pulumi:pulumi:Stack")!.outputs.operations).toMatchObject({ profile: "idle" });
    expect(state.some((r) => r.type === APIM)).toBe(true);

    const status = await run(["status", "--stack", "contest"], "2026-12-11T08:05:00Z");
    expect(status.stderr).toMatch(/the stack is idle, but (a session pool and )?an API Management gateway (is|are) still deployed, and billing: a stop failed part-way/);
    const json = JSON.parse((await run(["status", "--stack", "contest", "--json"], "2026-12-11T08:05:00Z")).stdout);
    expect(json.leftBehind).toContain("an API Management gateway");
    // What it costs says the gateway bills on (the idle floor is the registry's ~$0.17 a day).
    expect(json.burn.basis).toMatch(/the \w+ gateway left by a failed stop/);
    expect(json.burn.perDay).toBeGreaterThan(1);

    const doctor = await run(["doctor", "--stack", "contest", "--json"], "2026-12-11T08:05:00Z");
    expect(doctor.exitCode).toBe(1);
    const checks = JSON.parse(doctor.stdout).checks as Array<{ name: string; verdict: string; detail: string; fix?: string }>;
    expect(checks.find((c) => c.name === "idle")).toMatchObject({ verdict: "fail", fix: expect.stringContaining("manage stop --stack contest removes") });
    expect(checks.find((c) => c.name === "idle")!.detail).toContain("an API Management gateway");
    expect(checks.some((c) => c.name === "gateway" && c.verdict === "ok")).toBe(false);

    // The scheduled job stops it again, and then has nothing to do.
    const job = await run(["reconcile", "--yes", "--stack", "contest"], "2026-12-11T08:10:00Z");
    expect(job.exitCode, job.stderr).toBe(0);
    expect(job.stdout).toMatch(/contest: idle, but (a session pool and )?an API Management gateway (is|are) still deployed \(an earlier stop failed\): returned to idle/);
    expect(readState(project, "contest").some((r) => r.type === APIM)).toBe(false);
    const after = await run(["reconcile", "--yes", "--stack", "contest"], "2026-12-11T08:15:00Z");
    expect(after.stdout).toContain("contest: idle: nothing to do");
    const doctorAfter = await run(["doctor", "--stack", "contest", "--json"], "2026-12-11T08:15:00Z");
    expect(JSON.parse(doctorAfter.stdout).checks.find((c: { name: string }) => c.name === "idle")).toBeUndefined();
  });

  /** Whether API Management holds the contest gateway soft-deleted (asked as a person would: az rest). */
  async function deletedGateway(): Promise<boolean> {
    const { execa } = await import("execa");
    const { FAKE_AZ_BIN } = await import("../helpers/project.js");
    const r = await execa(
      `${FAKE_AZ_BIN}/az`,
      ["rest", "--method", "get", "--url", "/subscriptions/{subscriptionId}/providers/Microsoft.ApiManagement/locations/eastus/deletedservices/codeeng-contest-gw?api-version=2024-05-01"],
      { reject: false, env: { MANAGE_PROJECT_DIR: project, FAKE_AZ_STATE: `${project}/.fake-az.json` } },
    );
    return r.exitCode === 0;
  }
});
