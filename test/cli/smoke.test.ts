// manage smoke and the readiness gate, end to end through the built binary, against a local server
// that speaks the backend's API and really runs the code with python3, node, g++ and java.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execServerAndProject, makeProject, manageDecision } from "../helpers/cli.js";
import type { ExecServer } from "../exec-server/server.js";

interface Report {
  passed: number;
  failed: number;
  cases: Array<{ name: string; ok: boolean; reason: string | null; cold: boolean; diagnosis?: { cause: string; fix: string } }>;
  latency: { cold: { count: number; p50: number }; warm: { count: number; p95: number } };
}

describe("manage smoke --endpoint", () => {
  let exec: ExecServer;
  let project: string;
  beforeAll(async () => ({ exec, project } = await execServerAndProject()));
  afterAll(() => exec.close());

  test("--full: every case of every language passes, with cold and warm latency; exit 0", async () => {
    const r = await manageDecision(["smoke", "--endpoint", exec.url, "--full", "--json"], { project });
    const report = JSON.parse(r.stdout) as Report;
    expect(report.cases.filter((c) => !c.ok)).toEqual([]);
    expect(r.exitCode).toBe(0);
    const names = report.cases.map((c) => c.name);
    for (const language of ["python", "javascript", "java", "c++"])
      for (const kind of ["hello world", "stdin", "args", "exit code", "runtime error", "unicode", "time limit", "large output"])
        expect(names).toContain(`${language}: ${kind}`);
    expect(names).toEqual(expect.arrayContaining(["java: compile error", "c++: compile error", "unknown language", "concurrency: 8 parallel runs"]));
    expect(names).not.toContain("python: compile error");
    // Really executed, by every toolchain; the cold run is each language's first.
    expect(Object.keys(exec.executions).sort()).toEqual(["c++", "java", "javascript", "python"]);
    expect(report.latency.cold.count).toBe(4);
    expect(report.latency.warm.count).toBeGreaterThan(20);
    expect(exec.peakConcurrent).toBeGreaterThanOrEqual(4);
  });

  test("without --full the slow cases are left out, and the table ends with one line of outcome", async () => {
    const r = await manageDecision(["smoke", "--endpoint", exec.url, "--concurrency", "3"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain("time limit");
    expect(r.stdout).toContain("concurrency: 3 parallel runs");
    expect(r.stdout).toMatch(/Latency: cold p50 \d+ ms|Latency: cold p50 [\d.]+ s/);
    expect(r.stdout.trim().split("\n").at(-1)).toMatch(/^Smoke passed: \d+ of \d+ cases, every language runs\.$/);
  });

  test("403 while Session Executor propagates: every execution fails with the cause and its fix; exit 1", async () => {
    exec.fault(403, Number.POSITIVE_INFINITY, "Forbidden");
    try {
      const r = await manageDecision(["smoke", "--endpoint", exec.url], { project });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/smoke: \d+ of \d+ cases failed/);
      expect(r.stdout).toContain("python: hello world");
      expect(r.stdout).toContain("FAIL");
      expect(r.stdout).toContain("Why: 403: the backend's identity lacks Azure ContainerApps Session Executor");
      expect(r.stdout).toContain("Fix: wait for propagation");
      // The health endpoint does not go through the pool: it still passes.
      expect(r.stdout).toMatch(/health: GET \/\s+│ pass/);
    } finally {
      exec.clearFaults();
    }
  });

  test("502 twice (container not listening yet): exactly those cases fail, named as a cold start", async () => {
    exec.fault(502, 2, "Bad Gateway");
    const r = await manageDecision(["smoke", "--endpoint", exec.url, "--json"], { project });
    const report = JSON.parse(r.stdout) as Report;
    expect(r.exitCode).toBe(1);
    // Which cases failed and why, said when there are more than the two faults (seen once, on a clean clone under load).
    const failed = report.cases.filter((c) => !c.ok);
    expect(report.failed, JSON.stringify(failed, null, 2)).toBe(2);
    expect(failed.map((c) => c.diagnosis?.cause)).toEqual([
      expect.stringMatching(/^502: the session container is not listening yet/),
      expect.stringMatching(/^502: the session container is not listening yet/),
    ]);
  });

  test("the session limit: parallel runs beyond maxConcurrentSessions get 404, named as the limit", async () => {
    exec.maxSessions = 2;
    try {
      const r = await manageDecision(["smoke", "--endpoint", exec.url, "--concurrency", "12", "--json"], { project });
      const report = JSON.parse(r.stdout) as Report;
      const parallel = report.cases.find((c) => c.name.startsWith("concurrency"))!;
      expect(parallel.ok).toBe(false);
      expect(parallel.diagnosis?.cause).toBe("404: the pool's session limit (maxConcurrentSessions) is reached");
      expect(parallel.diagnosis?.fix).toContain("--max-sessions");
      expect(r.exitCode).toBe(1);
    } finally {
      exec.maxSessions = Number.POSITIVE_INFINITY;
    }
  });
});

test("smoke of a stack that was never deployed says how to deploy it, exit 2", async () => {
  const project = makeProject();
  const r = await manageDecision(["smoke", "--stack", "contest"], { project });
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(/stack contest has not been deployed yet .*: run `manage up --stack contest`/);
  expect(existsSync(join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "contest.json"))).toBe(false);
});
