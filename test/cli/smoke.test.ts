// manage smoke and the readiness gate, end to end through the built binary, against a local server
// that speaks the backend's API and really runs the code with python3, node, g++ and java.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectRefusal, makeProject, manage, prepare } from "../helpers/cli.js";
import { startExecServer, type ExecServer } from "../exec-server/server.js";

interface Report {
  passed: number;
  failed: number;
  cases: Array<{ name: string; ok: boolean; reason: string | null; cold: boolean; diagnosis?: { cause: string; fix: string } }>;
  latency: { cold: { count: number; p50: number }; warm: { count: number; p95: number } };
}

describe("manage smoke --endpoint", () => {
  let exec: ExecServer;
  let project: string;
  beforeAll(async () => {
    exec = await startExecServer();
    project = makeProject();
  });
  afterAll(() => exec.close());

  test("--full: every case of every language passes, with cold and warm latency; exit 0", async () => {
    const r = await manage(["smoke", "--endpoint", exec.url, "--full", "--json"], { project });
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
    const r = await manage(["smoke", "--endpoint", exec.url, "--concurrency", "3"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain("time limit");
    expect(r.stdout).toContain("concurrency: 3 parallel runs");
    expect(r.stdout).toMatch(/Latency: cold p50 \d+ ms|Latency: cold p50 [\d.]+ s/);
    expect(r.stdout.trim().split("\n").at(-1)).toMatch(/^Smoke passed: \d+ of \d+ cases, every language runs\.$/);
  });

  test("403 while Session Executor propagates: every execution fails with the cause and its fix; exit 1", async () => {
    exec.fault(403, Number.POSITIVE_INFINITY, "Forbidden");
    try {
      const r = await manage(["smoke", "--endpoint", exec.url], { project });
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
    const r = await manage(["smoke", "--endpoint", exec.url, "--json"], { project });
    const report = JSON.parse(r.stdout) as Report;
    expect(r.exitCode).toBe(1);
    expect(report.failed).toBe(2);
    expect(report.cases.filter((c) => !c.ok).map((c) => c.diagnosis?.cause)).toEqual([
      expect.stringMatching(/^502: the session container is not listening yet/),
      expect.stringMatching(/^502: the session container is not listening yet/),
    ]);
  });

  test("the session limit: parallel runs beyond maxConcurrentSessions get 404, named as the limit", async () => {
    exec.maxSessions = 2;
    try {
      const r = await manage(["smoke", "--endpoint", exec.url, "--concurrency", "12", "--json"], { project });
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

describe("the readiness gate, and smoke of the stack's own backend", () => {
  let exec: ExecServer;
  let project: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    exec = await startExecServer({ tls: true });
    project = makeProject();
    // What Azure would assign as the backend's FQDN is this machine's server, over HTTPS as in Azure.
    env = { FAKE_PULUMI_BACKEND_FQDN: new URL(exec.url).host, NODE_EXTRA_CA_CERTS: exec.caFile! };
    await prepare(project, "dev");
  });
  afterAll(() => exec.close());

  test("start-session-pool waits through a propagating role (403), then says code runs", async () => {
    exec.fault(403, 2, "Forbidden");
    const r = await manage(["start-session-pool", "--yes"], { project, env });
    expect(r.stderr).toMatch(/not yet \(attempt 1, [\d.]+ s\): 403: the backend's identity lacks Azure ContainerApps Session Executor/);
    expect(r.stderr).toMatch(/not yet \(attempt 2,/);
    expect(r.stdout).toMatch(/Done: dev scale to testing .*; code runs \(first execution after [\d.]+ s\)\.$/m);
    expect(r.exitCode).toBe(0);
    expect(exec.executions.python).toBeGreaterThanOrEqual(1);
  });

  test("smoke --stack finds the stack's backend in its outputs and passes", async () => {
    const r = await manage(["smoke", "--stack", "dev"], { project, env });
    expect(r.stdout).toContain(`Smoke test of stack dev (https://${new URL(exec.url).host})`);
    expect(r.exitCode).toBe(0);
  });

  test("no code runs within --wait-timeout: the deployment stays, the cause and fix are named, exit 1", async () => {
    exec.fault(403, Number.POSITIVE_INFINITY, "Forbidden");
    try {
      const r = await manage(["scale", "--profile", "contest", "--wait-timeout", "3s", "--json"], { project, env });
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
      const r = await manage(["scale", "--profile", "testing", "--json"], { project, env });
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
    expect((await manage(["scale", "--profile", "contest", "--no-wait"], { project, env })).exitCode).toBe(0);
    expect((await manage(["stop", "--yes"], { project, env })).exitCode).toBe(0);
    expect(exec.requests.length).toBe(before);
    const refused = await manage(["scale", "--profile", "contest", "--wait-timeout", "soon"], { project, env });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('manage: --wait-timeout "soon" is not a duration: it takes a duration with a unit (s, m, h, d) from 1s to 1d, e.g. --wait-timeout 30m');
  });
});

test("smoke of a stack that was never deployed says how to deploy it, exit 2", async () => {
  const project = makeProject();
  const r = await manage(["smoke", "--stack", "contest"], { project });
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(/stack contest has not been deployed yet .*: run `manage up --stack contest`/);
  expect(existsSync(join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "contest.json"))).toBe(false);
});
