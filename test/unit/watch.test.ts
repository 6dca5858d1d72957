// The pure parts of `manage watch`: the warning rules on scripted minutes, the cost of a window from
// its timeline (the one cost model), folding Azure Monitor's answer into a timeline, and the local
// server's reading of timespans and filters.
import { describe, expect, test } from "vitest";
import { foldTimeline, grainFor, timespan, type Sample } from "../../cli/azure/metrics.js";
import { WATCH_THRESHOLDS, watchWarnings } from "../../cli/watch/warnings.js";
import { costSoFar, type Snapshot } from "../../cli/watch/snapshot.js";
import { renderSnapshot } from "../../cli/watch/render.js";
import { liveBurnPerHour } from "../../infra/costing/model.js";
import { embeddedPriceBook } from "../../infra/costing/prices.js";
import { parseFilter, parseTimespan, serveMetrics, monitorMetrics } from "../arm-server/monitor.js";
import { stackSettings } from "../../cli/settings.js";
import { ROOT } from "../helpers/program.js";
import { gibibytes } from "../../infra/costing/query.js";
import { scaleChange } from "../../cli/operations.js";
import { TYPES } from "../../cli/options.js";

const T0 = Date.parse("2026-11-22T14:00:00Z");
/** Minutes of samples, oldest first, from per-field arrays. */
function minutes(fields: Partial<Record<"executing" | "pending" | "ready" | "replicas" | "notFound" | "5xx", number[]>>): Sample[] {
  const n = Math.max(...Object.values(fields).map((v) => v!.length));
  return Array.from({ length: n }, (_, i) => {
    const s: Sample = { at: T0 + i * 60_000 };
    for (const f of ["executing", "pending", "ready", "replicas", "notFound"] as const) if (fields[f]) s[f] = fields[f]![i];
    if (fields["5xx"]) s.requests = { "2xx": 100, "5xx": fields["5xx"][i]! };
    return s;
  });
}
const pool = { maxSessions: 200, readySessions: 43 };
const codes = (samples: Sample[], p: typeof pool | null = pool) => watchWarnings({ samples, pool: p, backendMaxReplicas: 10, stack: "contest", profile: "contest" }).map((w) => w.code);

describe("watch warnings", () => {
  test("a healthy contest: none", () => {
    expect(codes(minutes({ executing: [120, 125, 130, 128, 131, 129], pending: [0, 1, 0, 0, 0, 0], ready: [40, 39, 41, 43, 42, 43], replicas: [2, 2, 3, 3, 3, 3], notFound: [0, 0, 0, 1, 0, 0], "5xx": [0, 1, 0, 0, 1, 0] }))).toEqual([]);
  });

  test("sessions being created: only after several minutes in a row (a burst creates some for a minute)", () => {
    expect(codes(minutes({ pending: [0, 0, 5, 4] }))).toEqual([]);
    expect(codes(minutes({ pending: [0, 5, 4, 3] }))).toEqual(["pending-sessions"]);
    expect(codes(minutes({ pending: [5, 4, 3, 0] }))).toEqual([]);
    // Minutes Azure has not reported yet neither break nor extend the run.
    const late = minutes({ pending: [0, 5, 4, 3, 0] });
    delete late[4]!.pending;
    expect(codes(late)).toEqual(["pending-sessions"]);
    expect(WATCH_THRESHOLDS.pendingMinutes).toBe(3);
  });

  test("ready at 0 while the profile keeps ready sessions; not for a profile without any", () => {
    expect(codes(minutes({ ready: [5, 1, 0] }))).toEqual(["no-ready-sessions"]);
    expect(codes(minutes({ ready: [0, 0, 0] }), { maxSessions: 5, readySessions: 0 })).toEqual([]);
    expect(codes(minutes({ ready: [0, 0, 0] }), null)).toEqual([]);
  });

  test("close to the cap: executing plus being created at 90% of maxSessions", () => {
    expect(codes(minutes({ executing: [170, 179], pending: [0, 0] }))).toEqual([]);
    expect(codes(minutes({ executing: [170, 175], pending: [0, 5] }))).toEqual(["near-session-cap"]);
  });

  test("5xx and 404 rising: the latest 3 minutes above the 3 before, and at least 3", () => {
    expect(codes(minutes({ "5xx": [0, 0, 0, 1, 1, 1] }))).toEqual(["5xx-rising"]);
    expect(codes(minutes({ "5xx": [0, 0, 0, 0, 1, 1] }))).toEqual([]);
    // Steady errors are not rising.
    expect(codes(minutes({ "5xx": [2, 2, 2, 2, 2, 2] }))).toEqual([]);
    expect(codes(minutes({ notFound: [0, 0, 1, 2, 4, 8] }))).toEqual(["404-rising"]);
    expect(codes(minutes({ notFound: [9, 9, 9, 2, 2, 2] }))).toEqual([]);
  });

  test("the backend at its maximum replicas", () => {
    expect(codes(minutes({ replicas: [9, 10] }))).toEqual(["backend-at-max"]);
  });

  test("every warning says what to run", () => {
    const all = watchWarnings({
      samples: minutes({ executing: [190, 190, 190, 190, 190, 190], pending: [5, 5, 5, 5, 5, 5], ready: [0, 0, 0, 0, 0, 0], replicas: [10, 10, 10, 10, 10, 10], notFound: [0, 0, 0, 3, 3, 3], "5xx": [0, 0, 0, 3, 3, 3] }),
      pool,
      backendMaxReplicas: 10,
      stack: "contest",
      profile: "contest",
    });
    expect(all.map((w) => w.code)).toEqual(["pending-sessions", "no-ready-sessions", "near-session-cap", "5xx-rising", "404-rising", "backend-at-max"]);
    for (const w of all) expect(w.fix).toMatch(/`manage /);
  });
});

describe("watch's scale fixes during a window", () => {
  const samples = minutes({ executing: [190, 190, 190, 190, 190, 190], pending: [5, 5, 5, 5, 5, 5], ready: [0, 0, 0, 0, 0, 0], replicas: [10, 10, 10, 10, 10, 10] });
  const now = new Date(T0 + 6 * 60_000);
  const scaleFixes = (expiresAt: Date | null) =>
    watchWarnings({ samples, pool, backendMaxReplicas: 10, stack: "contest", profile: "contest", expiresAt, now })
      .flatMap((w) => [...w.fix.matchAll(/`(manage scale [^`]*)`/g)].map((m) => m[1]!));

  test("a scale without --for records no expiry, so each fix carries the time left: pasted, the pool still returns to idle when it would have", () => {
    // 1 h 34 min 30 s left: rounded up to the minute, never earlier than the window's end.
    const expiresAt = new Date(now.getTime() + 94.5 * 60_000);
    const fixes = scaleFixes(expiresAt);
    expect(fixes.length).toBeGreaterThanOrEqual(4);
    for (const fix of fixes) {
      const forText = /--for (\S+)/.exec(fix)?.[1];
      expect(forText).toBe("95m");
      // As pasted: the parser reads --for, scale records the expiry from it.
      const change = scaleChange("contest", { profile: "contest", maxSessions: 250, for: TYPES.expiry.read(forText!) }, now);
      const recorded = Date.parse(change.operation!({ profile: "contest", overrides: {}, expiresAt: expiresAt.toISOString() }).expiresAt!);
      expect(recorded - expiresAt.getTime()).toBeGreaterThanOrEqual(0);
      expect(recorded - expiresAt.getTime()).toBeLessThan(60_000);
    }
    // Without --for, scale drops the expiry it runs with (why the fix must carry it).
    expect(scaleChange("contest", { profile: "contest" }, now).operation!({ profile: "contest", overrides: {}, expiresAt: expiresAt.toISOString() }).expiresAt).toBeNull();
  });

  test("no expiry in effect: no --for; one already past (a window's end, a --for): no scale at all, a stop", () => {
    for (const fix of scaleFixes(null)) expect(fix).not.toContain("--for");
    const ended = new Date(now.getTime() - 60_000);
    expect(scaleFixes(ended)).toEqual([]);
    const fixes = watchWarnings({ samples, pool, backendMaxReplicas: 10, stack: "contest", profile: "contest", expiresAt: ended, now }).map((w) => w.fix);
    expect(fixes.length).toBeGreaterThanOrEqual(4);
    for (const fix of fixes)
      expect(fix).toBe(
        `the contest profile's time ended at ${ended.toISOString().replace(".000Z", "Z")} (a window's end or a --for), so no scale: the scheduled job (manage reconcile) returns the stack to idle on its next run, or \`manage stop --stack contest\` stops it now`,
      );
  });
});

describe("the snapshot in words", () => {
  const base: Snapshot = {
    stack: "contest",
    at: "2026-11-22T14:00:00.000Z",
    profile: "contest",
    window: { start: "2026-11-22T13:30:00.000Z", end: "2026-11-22T16:00:00.000Z", remainingSeconds: 7200 },
    pool: { exists: true, executing: 190, pending: 3, ready: 0, maxSessions: 200, azureMaxSessions: 180, capShare: 0.965, nodes: 9 },
    backend: { replicas: 4, maxReplicas: 10, requestsPerMinute: { "2xx": 900, "5xx": 9 }, notFoundPerMinute: 8 },
    cost: { soFar: 4.5, since: "2026-11-22T13:30:00.000Z", perHour: 14.2, perDay: 340.8, complete: true, basis: "9 E16 node(s), 4 backend replica(s)" },
    warnings: [{ code: "pending-sessions", message: "sessions have been waiting to be created for 4 min (3 now)", fix: "more ready sessions: `manage scale ...`" }],
    unavailable: [],
  };
  test("pressure against the cap (and Azure's cap when it differs), answers by class, cost, each warning with its fix", () => {
    expect(renderSnapshot(base)).toEqual([
      "Stack contest at 14:00:00 UTC: profile contest; window ends in 2 h 0 min (16:00 UTC)",
      "Sessions:  190 executing, 3 being created, 0 ready of max 200 (97% allocated) (Azure says max 180); nodes 9",
      "Backend:   4 of max 10 replicas; requests/min 2xx 900, 5xx 9 (404: 8)",
      "Cost:      $4.50 so far since 13:30 UTC; burn $14.20/hour, $340.80/day (9 E16 node(s), 4 backend replica(s))",
      "warning: sessions have been waiting to be created for 4 min (3 now)\n  Fix: more ready sessions: `manage scale ...`",
    ]);
  });
  test("healthy says so; no data yet and no pool say so", () => {
    const lines = renderSnapshot({ ...base, pool: { ...base.pool, exists: false }, backend: { ...base.backend, requestsPerMinute: null, notFoundPerMinute: null }, warnings: [] });
    expect(lines).toContain("Sessions:  no pool (the profile has none, or it was deleted)");
    expect(lines).toContain("Backend:   4 of max 10 replicas; requests/min no data yet");
    expect(lines.at(-1)).toBe("ok: no warnings");
  });
});

describe("the window's cost so far", () => {
  // In a window: the contest profile, with its gateway (the gate lives with the pool).
  const settings = stackSettings("contest", { profile: "contest" }, ROOT);
  const book = embeddedPriceBook("eastus");
  const burn = (nodes: number, replicas: number) =>
    liveBurnPerHour(book, {
      backend: { cpu: settings.backend.cpu, memoryGi: gibibytes(settings.backend.memory), concurrentRequests: settings.backend.concurrentRequests },
      registrySku: settings.registrySku,
      gateway: settings.access.gateway && { sku: settings.access.gateway.sku },
      logs: { dailyCapGb: settings.logDailyCapGb },
      nodeCount: nodes,
      backendReplicas: replicas,
    }).perHour;

  test("each minute at the burn rate of what ran in it: nodes from held + ready sessions, the backend's replicas", () => {
    // 30 sessions (28 a node: 2 nodes) and 2 replicas for 60 minutes, then 60 sessions (3 nodes) for 30.
    const samples = [
      ...minutes({ executing: Array(60).fill(20), pending: Array(60).fill(0), ready: Array(60).fill(10), replicas: Array(60).fill(2) }),
      ...minutes({ executing: Array(30).fill(50), pending: Array(30).fill(0), ready: Array(30).fill(10), replicas: Array(30).fill(2) }).map((s) => ({ ...s, at: s.at + 60 * 60_000 })),
    ];
    const { usd, complete } = costSoFar(book, settings, { interval: "PT1M", bucketMs: 60_000, samples }, T0, T0 + 90 * 60_000);
    expect(complete).toBe(true);
    expect(usd).toBeCloseTo(burn(2, 2) + burn(3, 2) / 2, 6);
  });

  test("a minute without data keeps the previous values; only the part inside the window counts", () => {
    const samples = minutes({ executing: [20, 20], ready: [10, 10], replicas: [1, 1] });
    delete samples[1]!.executing;
    delete samples[1]!.ready;
    const half = costSoFar(book, settings, { interval: "PT1M", bucketMs: 60_000, samples }, T0 + 30_000, T0 + 120_000);
    expect(half.usd).toBeCloseTo((burn(2, 1) * 1.5) / 60, 9);
  });
});

describe("Azure Monitor's answers", () => {
  test("folded into one timeline: gauges by average, Requests by class and code, 404 counted, empty minutes absent", () => {
    const at = (m: number) => new Date(T0 + m * 60_000).toISOString();
    const samples = foldTimeline([
      { name: { value: "PoolReadyPodCount" }, timeseries: [{ data: [{ timeStamp: at(0), average: 4 }, { timeStamp: at(1) }] }] },
      { name: { value: "Replicas" }, timeseries: [{ metadatavalues: [], data: [{ timeStamp: at(0), average: 2 }] }] },
      {
        name: { value: "Requests" },
        timeseries: [
          { metadatavalues: [{ name: { value: "statuscodecategory" }, value: "2xx" }, { name: { value: "statuscode" }, value: "200" }], data: [{ timeStamp: at(0), total: 90 }] },
          { metadatavalues: [{ name: { value: "statuscodecategory" }, value: "4xx" }, { name: { value: "statuscode" }, value: "404" }], data: [{ timeStamp: at(0), total: 3 }] },
          { metadatavalues: [{ name: { value: "statuscodecategory" }, value: "4xx" }, { name: { value: "statuscode" }, value: "400" }], data: [{ timeStamp: at(0), total: 1 }] },
        ],
      },
    ]);
    expect(samples).toEqual([
      { at: T0, ready: 4, replicas: 2, requests: { "2xx": 90, "4xx": 4 }, notFound: 3 },
      { at: T0 + 60_000 },
    ]);
  });

  test("query shapes: whole-minute timespans, the finest grain within 720 points", () => {
    expect(timespan(new Date("2026-11-22T14:00:30Z"), new Date("2026-11-22T14:15:10Z"))).toBe("2026-11-22T14:00:00Z/2026-11-22T14:16:00Z");
    expect(grainFor(4 * 3_600_000)).toBe("PT1M");
    expect(grainFor(3 * 86_400_000)).toBe("PT15M");
  });
});

describe("the local server's Metrics_List", () => {
  const now = T0 + 10 * 60_000;
  test("timespans: start/end, start/duration, a duration ending now; refused when backwards or not a time", () => {
    expect(parseTimespan("2026-11-22T14:00:00Z/2026-11-22T15:00:00Z", now)).toEqual([T0, T0 + 3_600_000]);
    expect(parseTimespan("2026-11-22T14:00:00Z/PT30M", now)).toEqual([T0, T0 + 1_800_000]);
    expect(parseTimespan("PT10M", now)).toEqual([T0, now]);
    expect(parseTimespan(null, now)).toEqual([now - 3_600_000, now]);
    expect(parseTimespan("2026-11-22T15:00:00Z/2026-11-22T14:00:00Z", now)).toBeNull();
    expect(parseTimespan("yesterday", now)).toBeNull();
  });

  test("filters: split by a dimension or keep one value", () => {
    expect(parseFilter("statusCodeCategory eq '*' and statusCode eq '404'")).toEqual({ statusCodeCategory: "*", statusCode: "404" });
    expect(parseFilter("statusCode = 404")).toBeNull();
  });

  test("an unknown metric name is Azure's 400 with the valid names; buckets aggregate the scripted minutes", () => {
    const m = monitorMetrics();
    m.now = () => now;
    const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/sessionPools/p";
    const [status, body] = serveMetrics(m, `${id}/providers/Microsoft.Insights/metrics`, new URLSearchParams({ "api-version": "2018-01-01", metricnames: "PoolBusyPodCount" }));
    expect(status).toBe(400);
    expect(JSON.parse(body)).toEqual({
      code: "BadRequest",
      message: "Failed to find metric configuration for provider: Microsoft.App, resource Type: sessionPools, metric: PoolBusyPodCount, Valid metrics: PoolExecutingPodCount,PoolPendingPodCount,PoolReadyPodCount",
    });
    m.script(id, "PoolReadyPodCount", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const [ok, answer] = serveMetrics(
      m,
      `${id}/providers/Microsoft.Insights/metrics`,
      new URLSearchParams({ "api-version": "2018-01-01", metricnames: "PoolReadyPodCount", timespan: `${new Date(T0).toISOString()}/PT10M`, interval: "PT5M", aggregation: "average,maximum" }),
    );
    expect(ok).toBe(200);
    const doc = JSON.parse(answer);
    expect(doc).toMatchObject({ interval: "PT5M", namespace: "Microsoft.App/sessionPools" });
    expect(doc.value[0].timeseries[0].data).toEqual([
      { timeStamp: "2026-11-22T14:00:00Z", average: 3, maximum: 5 },
      { timeStamp: "2026-11-22T14:05:00Z", average: 8, maximum: 10 },
    ]);
    const [badGrain] = serveMetrics(m, `${id}/providers/Microsoft.Insights/metrics`, new URLSearchParams({ "api-version": "2018-01-01", metricnames: "PoolReadyPodCount", interval: "PT2M" }));
    expect(badGrain).toBe(400);
  });
});
