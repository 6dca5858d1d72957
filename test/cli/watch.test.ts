// manage watch end to end: the stack's outputs through the stand-in pulumi, the pool and backend
// through the real @azure/arm-appcontainers client, and their metrics through the real
// @azure/arm-monitor client, all against the local ARM server with scripted metric timelines
// (test/arm-server/monitor.ts). One contest deployment for the file: watching changes nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { makeProject, manageDecision, prepare, readState, spawnManage } from "../helpers/cli.js";
import { ARM_TOKEN, seedFromState, startArmServer, type ArmServer } from "../arm-server/server.js";
import type { MetricScript } from "../arm-server/monitor.js";

let project: string;
let arm: ArmServer;
let poolId: string;
let appId: string;
const CREATED = new Date(Date.now() - 30 * 60_000);

beforeAll(async () => {
  project = makeProject();
  arm = await startArmServer();
  await prepare(project, "contest");
  const r = await manageDecision(["scale", "--no-wait", "--stack", "contest", "--profile", "contest", "--for", "2h"], { project, env: { MANAGE_NOW: "" } });
  expect(r.exitCode).toBe(0);
  seedFromState(arm, readState(project, "contest"), { nodeCount: 3, runningReplicas: 2 });
  poolId = [...arm.resources.keys()].find((k) => k.endsWith("/sessionpools/codeengcontestpool"))!;
  appId = [...arm.resources.keys()].find((k) => k.endsWith("/containerapps/codeeng-contest-backend"))!;
  // The pool was created half an hour ago: the window's spending starts there.
  arm.resources.get(poolId)!.systemData = { createdAt: CREATED.toISOString() };
});
afterAll(() => arm.close());

// The real clock (MANAGE_NOW ""): the scripted metrics are minutes back from now.
const env = { MANAGE_ARM_ENDPOINT: "", MANAGE_ARM_TOKEN: ARM_TOKEN, NODE_EXTRA_CA_CERTS: "", MANAGE_NOW: "" };
const azure = () => ({ ...env, MANAGE_ARM_ENDPOINT: arm.url, NODE_EXTRA_CA_CERTS: arm.caFile });

/** `minutes` values of `v` each (a steady minute-by-minute timeline). */
const flat = (v: number, minutes = 40) => Array<number>(minutes).fill(v);

/** A healthy contest: 120 executing, none waiting, 40 ready, 2 replicas, only 2xx. */
function healthy(): Record<string, Record<string, MetricScript>> {
  return {
    [poolId]: { PoolExecutingPodCount: flat(120), PoolPendingPodCount: flat(0), PoolReadyPodCount: flat(40) },
    [appId]: { Replicas: flat(2), Requests: { "200": flat(900), "400": flat(2) } },
  };
}

function script(scripts: Record<string, Record<string, MetricScript>>) {
  arm.metrics.scripts.clear();
  for (const [id, metrics] of Object.entries(scripts)) for (const [name, values] of Object.entries(metrics)) arm.metrics.script(id, name, values);
}

beforeEach(() => {
  arm.metrics.queries.length = 0;
});

describe("manage watch", () => {
  test("--once: the pool's pressure against its cap, the backend's answers by class, cost so far and burn; no warning when healthy", async () => {
    script(healthy());
    const r = await manageDecision(["watch", "--stack", "contest", "--once"], { project, env: azure() });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Stack contest at \d\d:\d\d:\d\d UTC: profile contest; window ends in (1 h 59 min|2 h 0 min) \(\d\d:\d\d UTC\)$/m);
    expect(r.stdout).toContain("Sessions:  120 executing, 0 being created, 40 ready of max 200 (60% allocated); nodes 3");
    expect(r.stdout).toContain("Backend:   2 of max 10 replicas; requests/min 2xx 900, 4xx 2, 5xx 0 (404: 0)");
    // The contest stack's gateway is the default tier (gatewaySku, infra/config.ts): Basic.
    expect(r.stdout).toMatch(/Cost: +\$\d+\.\d\d so far since \d\d:\d\d UTC; burn \$\d+\.\d\d\/hour, \$\d+\.\d\d\/day \(3 E16 node\(s\), 2 backend replica\(s\), the Basic gateway\)/);
    expect(r.stdout).toContain("ok: no warnings");
    // The real SDK asked Azure Monitor with its api-version, the pool's three gauges in one request,
    // Requests split by class and code.
    const pool = arm.metrics.queries.find((q) => q.toLowerCase().startsWith(poolId))!;
    expect(pool).toContain("api-version=2018-01-01");
    expect(decodeURIComponent(pool)).toContain("metricnames=PoolExecutingPodCount,PoolPendingPodCount,PoolReadyPodCount");
    expect(arm.metrics.queries.map((q) => new URLSearchParams(q.split("|")[1]).get("$filter"))).toContain("statusCodeCategory eq '*' and statusCode eq '*'");
  });

  test("warnings fire from the metrics: sessions pending for minutes, ready at 0, 5xx and 404 rising, near the cap", async () => {
    script({
      [poolId]: {
        PoolExecutingPodCount: [...flat(150, 30), 170, 180, 185, 188, 190],
        PoolPendingPodCount: [...flat(0, 30), 0, 4, 6, 5, 3],
        PoolReadyPodCount: [...flat(40, 30), 10, 2, 0, 0, 0],
      },
      [appId]: {
        Replicas: flat(10, 35),
        Requests: { "200": flat(900, 35), "502": [...flat(0, 29), 0, 0, 1, 3, 6, 9], "404": [...flat(0, 32), 2, 4, 8] },
      },
    });
    const r = await manageDecision(["watch", "--stack", "contest", "--once", "--json"], { project, env: azure() });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.warnings.map((w: { code: string }) => w.code)).toEqual(["pending-sessions", "no-ready-sessions", "near-session-cap", "5xx-rising", "404-rising", "backend-at-max"]);
    expect(doc.warnings[0].message).toContain("waiting to be created for 4 min");
    expect(doc.pool).toMatchObject({ executing: 190, pending: 3, ready: 0, maxSessions: 200, capShare: 0.965, nodes: 3 });
    expect(doc.backend).toMatchObject({ replicas: 10, maxReplicas: 10, requestsPerMinute: { "2xx": 900, "4xx": 8, "5xx": 9 }, notFoundPerMinute: 8 });
    expect(doc.warnings[3].message).toBe("5xx answers rising: 18 in the last 3 min (1 in the 3 before)");
  });

  test("--json streams one document per refresh (NDJSON) until Ctrl-C, which ends it cleanly", async () => {
    script(healthy());
    const child = spawnManage(["watch", "--stack", "contest", "--json", "--interval", "1s"], project, azure());
    const lines: string[] = [];
    await new Promise<void>((resolve) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        lines.push(...chunk.toString().split("\n").filter(Boolean));
        if (lines.length >= 2) resolve();
      });
    });
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode).toBe(0);
    const docs = lines.map((l) => JSON.parse(l));
    expect(docs.length).toBeGreaterThanOrEqual(2);
    for (const d of docs) {
      expect(Object.keys(d)).toEqual(["stack", "at", "profile", "window", "pool", "backend", "cost", "warnings", "unavailable"]);
      expect(d.window).toMatchObject({ start: CREATED.toISOString(), end: expect.any(String) });
      expect(d.cost.soFar).toBeGreaterThan(0);
      expect(d.cost.perHour).toBeGreaterThan(0);
    }
    expect(Date.parse(docs[1].at)).toBeGreaterThan(Date.parse(docs[0].at));
  });

  test("bad --interval is refused naming the option (exit 2)", async () => {
    const r = await manageDecision(["watch", "--stack", "contest", "--interval", "5"], { project, env: azure() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('manage: --interval "5" has no unit (5 seconds? minutes? hours?): it takes a duration with a unit (s, m, h, d) from 1s to 10m, e.g. --interval 5s');
  });

  test("metrics Azure refuses are named, and the rest is still shown", async () => {
    script(healthy());
    // Last in the file: the server keeps refusing from here on.
    arm.fail("/providers/microsoft.insights/metrics", 403, "AuthorizationFailed");
    const r = await manageDecision(["watch", "--stack", "contest", "--once"], { project, env: azure() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("unavailable: metrics: your Azure identity may not read the metrics of codeengcontestpool and codeeng-contest-backend (403 AuthorizationFailed)");
    expect(r.stdout).toContain("Sessions:  ? executing");
    expect(r.stdout).toMatch(/burn \$\d+\.\d\d\/hour/);
  });

});
