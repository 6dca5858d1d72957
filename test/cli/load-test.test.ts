// manage load-test end to end: a small, bounded contest-shaped load against a local backend that
// really runs the code.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execServerAndProject, manageDecision, prepare } from "../helpers/cli.js";
import type { ExecServer } from "../exec-server/server.js";

interface LoadJson {
  offered: number;
  ok: number;
  errors: Record<string, number>;
  sessionLimitHit: boolean;
  latency: { count: number; p50: number; p95: number; p99: number };
  latencyByLanguage: Record<string, { count: number }>;
  throughputPerSecond: number;
  causes: Array<{ cause: string }>;
  shape: Record<string, unknown>;
}

describe("manage load-test", () => {
  let exec: ExecServer;
  let project: string;
  beforeAll(async () => ({ exec, project } = await execServerAndProject()));
  afterAll(() => exec.close());

  test("an opening burst then steady arrivals: every execution succeeds; latency, throughput, per language", async () => {
    const before = exec.requests.length;
    const r = await manageDecision(
      ["load-test", "--endpoint", exec.url, "--users", "24", "--duration", "4s", "--rate", "3", "--mix", "python:50,js:50", "--json"],
      { project },
    );
    const report = JSON.parse(r.stdout) as LoadJson;
    expect(report.errors).toEqual({});
    expect(r.exitCode).toBe(0);
    expect(report.offered).toBeGreaterThanOrEqual(24);
    expect(report.ok).toBe(report.offered);
    // Open model: what was offered is what arrived, answered or not.
    expect(exec.requests.length - before).toBe(report.offered);
    expect(Object.keys(report.latencyByLanguage).sort()).toEqual(["javascript", "python"]);
    expect(report.latency.p50).toBeGreaterThan(0);
    expect(report.latency.p95).toBeGreaterThanOrEqual(report.latency.p50);
    expect(report.latency.p99).toBeGreaterThanOrEqual(report.latency.p95);
    expect(report.throughputPerSecond).toBeGreaterThan(1);
    expect(report.sessionLimitHit).toBe(false);
    // The shape keeps the JSON keys scripts read (--users is shape.users), whatever the code calls it.
    expect(report.shape).toMatchObject({ users: 24, ratePerSecond: 3 });
    expect(report.shape).not.toHaveProperty("participants");
  });

  test("more people at once than maxConcurrentSessions: 404s counted, the limit named with its fix, exit 1", async () => {
    exec.maxSessions = 2;
    try {
      const r = await manageDecision(["load-test", "--endpoint", exec.url, "--users", "20", "--duration", "2s", "--burst-seconds", "0.5", "--rate", "0", "--mix", "python:1"], {
        project,
      });
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/Errors: \d+ × 404/);
      expect(r.stdout).toContain("Session limit: HIT (404s)");
      expect(r.stdout).toContain("Why: 404: the pool's session limit (maxConcurrentSessions) is reached");
      expect(r.stderr).toMatch(/load-test: \d+ of 20 executions failed/);
    } finally {
      exec.maxSessions = Number.POSITIVE_INFINITY;
    }
  });

  test("aimed at no explicit endpoint, it takes only the stack's own backend, and refuses an idle stack", async () => {
    await prepare(project, "contest");
    const half = await manageDecision(["load-test", "--stack", "contest", "--users", "5", "--duration", "5s"], { project });
    expect(half.exitCode).toBe(2);
    expect(half.stderr).toContain("stack contest has no backend URL in its outputs: run `manage up --stack contest`");
    expect((await manageDecision(["up", "--stack", "contest"], { project })).exitCode).toBe(0);
    const r = await manageDecision(["load-test", "--stack", "contest", "--users", "5", "--duration", "5s"], { project });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("stack contest is idle (no session pool): every execution would fail. `manage scale --stack contest --profile contest` first");
  });
});
