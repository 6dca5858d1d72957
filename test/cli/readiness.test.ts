// The readiness gate (start, scale) and smoke of a stack's own backend, end to end through the built
// binary, against a local server that speaks the backend's API and really runs the code with
// python3, node, g++ and java. (Split from smoke.test.ts so the two run side by side.)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { devStackOnExecServer, manageDecision } from "../helpers/cli.js";
import type { ExecServer } from "../exec-server/server.js";

describe("the readiness gate, and smoke of the stack's own backend", () => {
  let exec: ExecServer;
  let project: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ exec, project, env } = await devStackOnExecServer());
  });
  afterAll(() => exec.close());

  test("start-session-pool waits through a propagating role (403), then says code runs", async () => {
    exec.fault(403, 2, "Forbidden");
    const r = await manageDecision(["start-session-pool", "--yes"], { project, env });
    expect(r.stderr).toMatch(/not yet \(attempt 1, [\d.]+ s\): 403: the backend's identity lacks Azure ContainerApps Session Executor/);
    expect(r.stderr).toMatch(/not yet \(attempt 2,/);
    expect(r.stdout).toMatch(/Done: dev scale to testing .*; code runs \(first execution after [\d.]+ s\)\.$/m);
    expect(r.exitCode).toBe(0);
    expect(exec.executions.python).toBeGreaterThanOrEqual(1);
  });

  test("smoke --stack finds the stack's backend in its outputs and passes", async () => {
    const r = await manageDecision(["smoke", "--stack", "dev"], { project, env });
    expect(r.stdout).toContain(`Smoke test of stack dev (https://${new URL(exec.url).host})`);
    expect(r.exitCode).toBe(0);
    // The run is recorded for manage report: one line in the stack's run log.
    const lines = readFileSync(join(project, ".manage", "runs", "dev.ndjson"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({ v: 1, stack: "dev", command: "smoke", endpoint: `https://${new URL(exec.url).host}`, ok: true, failed: 0, causes: {} });
    expect(record.latency.count).toBeGreaterThan(0);
    expect(record.outcomes.ok).toBe(record.executions + 1);
    expect(Date.parse(record.end)).toBeGreaterThanOrEqual(Date.parse(record.start));
  });

  test("no code runs within --wait-timeout: the deployment stays, the cause and fix are named, exit 1", async () => {
    exec.fault(403, Number.POSITIVE_INFINITY, "Forbidden");
    try {
      const r = await manageDecision(["scale", "--profile", "contest", "--wait-timeout", "3s", "--json"], { project, env });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/dev is deployed as contest, but no code ran within \d+ probe\(s\): 403/);
      expect(r.stderr).toContain("manage doctor --stack dev");
      const result = JSON.parse(r.stdout) as { readiness: { ok: boolean; attempts: number }; profile: string };
      expect(result.profile).toBe("contest");
      expect(result.readiness.ok).toBe(false);
      expect(result.readiness.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      exec.clearFaults();
    }
  });

  test("a failure waiting cannot fix (401: wrong token audience) stops the gate at the first probe", async () => {
    exec.fault(401, Number.POSITIVE_INFINITY, "audience");
    try {
      const started = Date.now();
      const r = await manageDecision(["scale", "--profile", "testing", "--json"], { project, env });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain("401: the pool refused the backend's token (wrong audience)");
      expect((JSON.parse(r.stdout) as { readiness: { attempts: number } }).readiness.attempts).toBe(1);
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      exec.clearFaults();
    }
  });

  test("--no-wait skips the gate; stop never waits; a bad --wait-timeout is refused", async () => {
    const before = exec.requests.length;
    expect((await manageDecision(["scale", "--profile", "contest", "--no-wait"], { project, env })).exitCode).toBe(0);
    expect((await manageDecision(["stop", "--yes"], { project, env })).exitCode).toBe(0);
    expect(exec.requests.length).toBe(before);
    const refused = await manageDecision(["scale", "--profile", "contest", "--wait-timeout", "soon"], { project, env });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('manage: --wait-timeout "soon" is not a duration: it takes a duration with a unit (s, m, h, d) from 1s to 1d, e.g. --wait-timeout 30m');
  });
});

