// The pure parts of manage report and the run log: which period, which hours at which profile, the
// run records and their selection, the report's numbers, the charts' specs and the page's escaping.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseSettings, PROJECT } from "../../infra/config.js";
import type { Window } from "../../infra/operations.js";
import { readStackConfig } from "../../cli/stack-files.js";
import { ROOT } from "../helpers/program.js";
import { UsageError } from "../../cli/errors.js";
import { costDays, periodRequest, resolvePeriod } from "../../cli/report/period.js";
import { windowRun } from "../../cli/schedule.js";
import { parseRunLog, runsIn } from "../../cli/report/runs.js";
import { estimateForHours, hoursRun } from "../../cli/costing/spend.js";
import { embeddedPriceBook } from "../../infra/costing/prices.js";
import { appendRun, loadRecord, runLogPath, smokeRecord, type RunRecord } from "../../cli/execution/run-log.js";
import { buildReport, type ReportInput } from "../../cli/report/data.js";
import { chartSpecs } from "../../cli/report/charts.js";
import { renderHtml } from "../../cli/report/html.js";
import { calibrate } from "../../cli/costing/calibration.js";

const d = (iso: string) => new Date(iso);
const NOW = d("2026-12-05T12:00:00Z");
/** The contest stack's file, as the model reads it (participants, overrides). */
const CONTEST = parseSettings(readStackConfig(ROOT, "contest"), "contest", PROJECT);
const W: Window = { id: "w-20261205-0900", profile: "contest", start: "2026-12-05T09:00:00Z", end: "2026-12-05T11:00:00Z", warmupMinutes: 30, users: null, by: "alice@laptop", at: "2026-12-01T10:00:00Z" };
const contest = parseSettings(readStackConfig(ROOT, "contest"), "contest", PROJECT);

const refused = (f: () => unknown, message: RegExp) => {
  expect(f).toThrow(UsageError);
  expect(f).toThrow(message);
};

describe("the period", () => {
  test("the options: one of --window or --from/--to, in order, in the past, at most 31 days", () => {
    expect(periodRequest({ window: W.id }, NOW)).toEqual({ kind: "window", id: W.id });
    expect(periodRequest({ from: d("2026-12-05T08:30:00Z"), to: d("2026-12-05T11:00:00Z") }, NOW)).toMatchObject({ kind: "range" });
    refused(() => periodRequest({}, NOW), /a report needs a period/);
    refused(() => periodRequest({ window: W.id, to: NOW }, NOW), /either --window or --from\/--to/);
    refused(() => periodRequest({ to: NOW }, NOW), /--to 2026-12-05T12:00:00Z needs --from: e\.g\. --from 2026-12-05T08:00:00Z/);
    refused(() => periodRequest({ from: NOW, to: NOW }, NOW), /is not before --to/);
    refused(() => periodRequest({ from: d("2026-12-05T11:00:00Z"), to: d("2026-12-05T13:00:00Z") }, NOW), /--to 2026-12-05T13:00:00Z is in the future/);
    refused(() => periodRequest({ from: d("2026-10-01"), to: d("2026-12-01") }, NOW), /longer than 31 days/);
  });

  test("a window covers its warm-up to its end; one still running stops now; one not started or gone is refused", () => {
    expect(resolvePeriod({ kind: "window", id: W.id }, [W], "contest", NOW)).toEqual({ from: d("2026-12-05T08:30:00Z"), to: d("2026-12-05T11:00:00Z"), window: W, inProgress: false });
    expect(resolvePeriod({ kind: "window", id: W.id }, [W], "contest", d("2026-12-05T10:00:00Z"))).toMatchObject({ to: d("2026-12-05T10:00:00Z"), inProgress: true });
    refused(() => resolvePeriod({ kind: "window", id: W.id }, [W], "contest", d("2026-12-05T08:29:00Z")), /has not started yet \(its warm-up begins at 2026-12-05T08:30:00Z/);
    // Once the scheduled job has run it, the window is what it really ran: started late, stopped after its end.
    const ran = { ...W, startedAt: "2026-12-05T08:31:00Z", stoppedAt: "2026-12-05T11:04:00Z" };
    expect(resolvePeriod({ kind: "window", id: W.id }, [ran], "contest", NOW)).toMatchObject({ from: d("2026-12-05T08:31:00Z"), to: d("2026-12-05T11:04:00Z"), inProgress: false });
    refused(() => resolvePeriod({ kind: "window", id: "w-old" }, [], "contest", NOW), /window w-old is not in stack contest's state: ended windows stay 60 days[\s\S]*Fix: `manage schedule --list --stack contest`, or use --from\/--to/);
  });

  test("the bill's days: whole UTC days around the period, a period ending at midnight not reaching into the next", () => {
    expect(costDays(windowRun(W, NOW)!)).toEqual({ from: d("2026-12-05"), to: d("2026-12-06") });
    expect(costDays({ from: d("2026-12-05T22:00:00Z"), to: d("2026-12-06T00:00:00Z") })).toEqual({ from: d("2026-12-05"), to: d("2026-12-06") });
    expect(costDays({ from: d("2026-12-05T22:00:00Z"), to: d("2026-12-06T01:00:00Z") })).toEqual({ from: d("2026-12-05"), to: d("2026-12-07") });
  });

  test("hours by profile: each window at its profile (clipped to the days, overlaps once), the rest as manage spend reads it", () => {
    const idle = { ...CONTEST, profile: { ...CONTEST.profile, name: "idle" as const }, profileExpiresAt: null };
    const day = { from: d("2026-12-05"), to: d("2026-12-06") };
    expect(hoursRun(day, { operation: null, windows: [W] }, idle)).toEqual([
      { profile: "idle", hours: 21.5 },
      { profile: "contest", hours: 2.5 },
    ]);
    const late = { ...W, id: "w-late", start: "2026-12-05T23:00:00Z", end: "2026-12-06T02:00:00Z", warmupMinutes: 0 };
    const overlapping = { ...W, id: "w-overlap", profile: "testing" as const, start: "2026-12-05T10:00:00Z", end: "2026-12-05T12:00:00Z", warmupMinutes: 0 };
    const hours = Object.fromEntries(hoursRun(day, { operation: null, windows: [late, overlapping, W] }, idle).map((h) => [h.profile, h.hours]));
    // 08:30-11:00 contest, 11:00-12:00 testing (the overlap counted once), 23:00-24:00 contest, the rest idle.
    expect(hours).toEqual({ contest: 3.5, testing: 1, idle: 19.5 });
    // Between windows, a profile in effect with an expiry returns to idle at the expiry (spend's profileHours).
    const testingUntil = { ...CONTEST, profile: { ...CONTEST.profile, name: "testing" as const }, profileExpiresAt: d("2026-12-05T06:00:00Z") };
    expect(Object.fromEntries(hoursRun(day, { operation: null, windows: [W] }, testingUntil).map((h) => [h.profile, h.hours]))).toEqual({ testing: 6, contest: 2.5, idle: 15.5 });
  });

  test("spend and report share one account of hours: an ended window, an operator's scale, a running window; each window's sizing for its hours only", () => {
    const now = d("2026-12-05T15:00:00Z");
    // Ended: ran 08:30 to 11:00 sized for 500; the operator's scale to testing at 11:30 for 1 h; the
    // next window (no --users) started at 13:30 and runs past now.
    const ended: Window = { ...W, users: 500, startedAt: "2026-12-05T08:30:00Z", stoppedAt: "2026-12-05T11:00:00Z" };
    const running: Window = { ...W, id: "w-20261205-1400", start: "2026-12-05T14:00:00Z", end: "2026-12-05T17:00:00Z", startedAt: "2026-12-05T13:30:00Z" };
    const operation = { profile: "testing" as const, at: "2026-12-05T11:30:00Z", expiresAt: "2026-12-05T12:30:00Z", overrides: { testing: { maxSessions: 12 } } };
    const day = { from: d("2026-12-05"), to: d("2026-12-06") };
    const history = { operation, windows: [ended, running] };
    const shared = hoursRun(day, history, CONTEST, now);
    const by = (profile: string, sized: boolean) => shared.filter((h) => h.profile === profile && Boolean(h.overrides) === sized).reduce((a, h) => a + h.hours, 0);
    expect(by("contest", true)).toBe(2.5); // the ended window, sized for its 500
    expect(shared.find((h) => h.profile === "contest" && h.overrides)!.overrides).toMatchObject({ maxSessions: expect.any(Number) });
    expect(by("contest", false)).toBe(1.5); // the running window, at the stack's own sizing, up to now
    expect(by("testing", true)).toBe(1); // the operator's scale, with its override
    expect(by("idle", false)).toBe(10); // 00:00-08:30, 11:00-11:30, 12:30-13:30
    expect(shared.reduce((a, h) => a + h.hours, 0)).toBe(15);
    // The model prices the window's hours at its own sizing: more for 500 than for the stack's 200.
    const book = embeddedPriceBook("eastus");
    const sizedFor500 = estimateForHours(book, CONTEST, [{ profile: "contest", hours: 1, overrides: shared.find((h) => h.profile === "contest" && h.overrides)!.overrides! }]).total!;
    expect(sizedFor500).toBeGreaterThan(estimateForHours(book, CONTEST, [{ profile: "contest", hours: 1 }]).total!);
  });

  test("an operation asked before a window's warm-up gives way to it, as the scheduled job starts it; one asked during it wins", () => {
    const day = { from: d("2026-12-05"), to: d("2026-12-06") };
    const hours = (operation: Parameters<typeof hoursRun>[1]["operation"]) => Object.fromEntries(hoursRun(day, { operation, windows: [{ ...W, users: 200 }] }, CONTEST).map((h) => [h.profile, h.hours]));
    // `manage up` (idle, no expiry) days before: the window's 2.5 h are contest, the rest idle.
    expect(hours({ profile: "idle", at: "2026-11-23T09:00:00Z", expiresAt: null, overrides: {} })).toEqual({ idle: 21.5, contest: 2.5 });
    // A stop at 10:00, during the window: the person's word from then on (the job leaves it).
    expect(hours({ profile: "idle", at: "2026-12-05T10:00:00Z", expiresAt: null, overrides: {} })).toEqual({ idle: 22.5, contest: 1.5 });
    // A window sized for the participants the stack's profile is already planned for carries no overrides of its own.
    expect(hoursRun(day, { operation: null, windows: [{ ...W, users: 200 }] }, { ...CONTEST, profile: { ...CONTEST.profile, name: "idle" as const }, profileExpiresAt: null }).every((h) => !h.overrides)).toBe(true);
  });
});

const at = (iso: string) => ({ start: iso, end: new Date(Date.parse(iso) + 30_000).toISOString() });
const record = (o: Partial<RunRecord> = {}): RunRecord => ({
  v: 1,
  stack: "contest",
  command: "smoke",
  endpoint: "https://x",
  ...at("2026-12-05T09:10:00.000Z"),
  ok: true,
  executions: 3,
  failed: 0,
  latency: { count: 3, p50: 100, p95: 300, p99: 300, max: 300 },
  outcomes: { ok: 4 },
  causes: {},
  ...o,
});

describe("the run log", () => {
  test("a smoke's record: the cases that ran code, successes' latency, outcomes and causes counted", () => {
    const r = smokeRecord(
      { stack: "dev", endpoint: "https://x", start: d("2026-12-05T09:00:00Z"), end: d("2026-12-05T09:00:30Z") },
      {
        stopped: null,
        cases: [
          { name: "health: GET /", ok: true, ms: 10, status: 200 },
          { name: "python: hello world", ok: true, ms: 200, status: 200 },
          { name: "python: stdin", ok: false, ms: 50, status: 502, diagnosis: { cause: "cold start" } },
          { name: "c++: stdin", ok: false, ms: 40, status: 502, diagnosis: { cause: "cold start" } },
          { name: "java: stdin", ok: false, ms: 900, status: 200 },
        ],
      },
    );
    expect(r).toEqual({
      v: 1,
      stack: "dev",
      command: "smoke",
      endpoint: "https://x",
      start: "2026-12-05T09:00:00.000Z",
      end: "2026-12-05T09:00:30.000Z",
      ok: false,
      executions: 4,
      failed: 3,
      latency: { count: 1, p50: 200, p95: 200, p99: 200, max: 200 },
      outcomes: { ok: 2, "502": 2, "wrong output": 1 },
      causes: { "cold start": 2 },
      // By language, the successful runs: none was a language's first (cold) run here.
      measured: {
        languages: { python: { first: { count: 0, p50: null, p95: null, p99: null, max: null }, warm: { count: 1, p50: 200, p95: 200, p99: 200, max: 200 } } },
        firstRuns: 0,
        readySessions: null,
      },
    });
  });

  test("the planner's measured inputs: the latest run time, and a cold start only from a run whose first runs outnumbered the ready sessions", () => {
    const at = (end: string) => ({ stack: "contest", endpoint: "https://x", start: d("2026-12-05T09:00:00Z"), end: d(end) });
    const runs = (firstMs: number, warmMs: number, firsts: number) => [
      ...Array.from({ length: firsts }, () => ({ language: "python" as const, first: true, ok: true, ms: firstMs })),
      ...Array.from({ length: 10 }, () => ({ language: "python" as const, first: false, ok: true, ms: warmMs })),
      { language: "java" as const, first: false, ok: true, ms: 3 * warmMs },
      { language: "java" as const, first: false, ok: false, ms: 99_000 },
    ];
    const summary = { offered: 0, ok: 0, latency: { count: 0, p50: null, p95: null, p99: null, max: null }, errors: {}, causes: [] };
    // 60 first runs against 52 ready: some waited; the slowest (15.4 s) less python's warm median (0.4 s).
    const forced = loadRecord({ ...at("2026-12-05T09:10:00Z"), readySessions: 52 }, summary, runs(15_400, 400, 60));
    // A later load test that never outran the ready sessions: its run time counts, its "cold" runs do not.
    const later = loadRecord({ ...at("2026-12-05T10:00:00Z"), readySessions: 52 }, summary, runs(700, 500, 20));
    expect(forced.measured).toMatchObject({ firstRuns: 60, readySessions: 52, languages: { python: { first: { count: 60, max: 15_400 }, warm: { count: 10, p50: 400 } } } });
    const c = calibrate([forced, later]);
    expect(c.coldStartSeconds).toEqual({ value: 15, by: "load-test 2026-12-05 09:10 UTC, 60 first runs (52 ready)", samples: 8 });
    // Warm medians weighted by runs: python 500 ms x 10, java 1500 ms x 1 (the failed run left out).
    expect(c.runSeconds).toMatchObject({ value: 0.6, by: "load-test 2026-12-05 10:00 UTC, 11 warm runs", samples: 11 });
    expect(calibrate([later]).coldStartSeconds).toBeNull();
    // A record without measurements (older manage) measures nothing; it parses as before.
    expect(calibrate([record()])).toEqual({ coldStartSeconds: null, runSeconds: null });
    expect(parseRunLog(JSON.stringify(forced), "log").records[0]!.measured).toEqual(forced.measured);
  });

  test("a load test's record from its summary", () => {
    const latency = { count: 8, p50: 1, p95: 2, p99: 3, max: 4 };
    const r = loadRecord({ stack: "dev", endpoint: "https://x", start: NOW, end: NOW }, { offered: 10, ok: 8, latency, errors: { "404": 2 }, causes: [{ cause: "session limit" }] });
    expect(r).toMatchObject({ command: "load-test", ok: false, executions: 10, failed: 2, latency, outcomes: { ok: 8, "404": 2 }, causes: { "session limit": 1 } });
  });

  test("appendRun adds one line; a log it cannot write is reported in words, never thrown", () => {
    const dir = mkdtempSync(join(tmpdir(), "run-log-"));
    expect(appendRun(dir, record())).toBeNull();
    expect(appendRun(dir, record({ command: "load-test" }))).toBeNull();
    expect(readFileSync(runLogPath(dir, "contest"), "utf8").trim().split("\n").map((l) => JSON.parse(l).command)).toEqual(["smoke", "load-test"]);
    const blocked = mkdtempSync(join(tmpdir(), "run-log-"));
    writeFileSync(join(blocked, ".manage"), "a file where the directory would be");
    expect(appendRun(blocked, record())).toMatch(/^this run was not recorded in .*contest\.ndjson \((EEXIST|ENOTDIR)\); manage report will not show it$/);
  });

  test("reading: records parsed, other lines named; the stack's runs in the period, each once, oldest first", () => {
    const a = record();
    const b = record({ command: "load-test", ...at("2026-12-05T08:50:00.000Z") });
    const text = [JSON.stringify(a), "", "not json", JSON.stringify({ v: 2, stack: "contest" }), JSON.stringify(b), JSON.stringify(a)].join("\n");
    const parsed = parseRunLog(text, "log");
    expect(parsed.records).toHaveLength(3);
    expect(parsed.skipped).toEqual(["log:3: not JSON", expect.stringMatching(/^log:4: not a run record/)]);
    const other = record({ stack: "dev" });
    const before = record(at("2026-12-05T07:00:00.000Z"));
    const period = { from: d("2026-12-05T08:30:00Z"), to: d("2026-12-05T11:00:00Z") };
    expect(runsIn([...parsed.records, other, before], "contest", period)).toEqual([b, a]);
  });
});

function input(o: Partial<ReportInput> = {}): ReportInput {
  const m = (hhmm: string) => Date.parse(`2026-12-05T${hhmm}:00Z`);
  return {
    stack: "contest",
    generatedAt: NOW,
    period: { from: d("2026-12-05T09:00:00Z"), to: d("2026-12-05T09:03:00Z"), window: W, inProgress: false },
    settings: contest,
    timeline: {
      interval: "PT1M",
      bucketMs: 60_000,
      samples: [
        { at: m("08:59"), executing: 999, requests: { "2xx": 999 } },
        { at: m("09:00"), executing: 10, pending: 2, ready: 43, replicas: 1, requests: { "2xx": 100, "5xx": 1 }, notFound: 0 },
        { at: m("09:01"), executing: 60, pending: 0, ready: 0, replicas: 3, requests: { "2xx": 300, "4xx": 4 }, notFound: 4 },
        { at: m("09:02"), replicas: 3 },
        { at: m("09:03"), executing: 999 },
      ],
    },
    runs: [record()],
    runSources: ["log"],
    cost: null,
    unavailable: [],
    ...o,
  };
}

describe("the report", () => {
  test("its numbers: buckets inside the period, nodes from sessions held and ready, requests by class", () => {
    const r = buildReport(input());
    expect(r.timeline.points.map((p) => p.at.slice(11, 16))).toEqual(["09:00", "09:01", "09:02"]);
    expect(r.timeline.points.map((p) => p.nodes)).toEqual([2, 3, null]);
    expect(r.summary).toEqual({
      peakExecuting: 60,
      peakPending: 2,
      bucketsPending: 1,
      minReady: 0,
      peakNodes: 3,
      peakReplicas: 3,
      requests: { total: 405, byClass: { "2xx": 400, "4xx": 4, "5xx": 1 }, notFound: 4, serverErrorShare: 0.0025 },
    });
    expect(r.profile).toEqual({ name: "contest", maxSessions: 200, readySessions: 52, backendMaxReplicas: 10 });
    expect(r.runs).toMatchObject({ count: 1, failedRuns: 0, executions: 3, worstP95: 300, outcomes: { ok: 4 } });
  });

  test("the charts: three from the timeline, one for the runs; none from a timeline that could not be read", () => {
    const specs = chartSpecs(buildReport(input()));
    expect(specs.map((s) => [s.id, s.series])).toEqual([
      ["sessions", ["executing", "pending", "ready", "maxSessions"]],
      ["capacity", ["E16 nodes", "backend replicas"]],
      ["requests", ["2xx", "4xx", "5xx"]],
      ["runs", ["p50", "p95", "p99"]],
    ]);
    expect(chartSpecs(buildReport(input({ timeline: null, runs: [] })))).toEqual([]);
  });

  test("the page escapes what it shows and holds no script", () => {
    const page = renderHtml(buildReport(input({ period: { ...input().period, window: { ...W, by: "<script>alert(1)</script>" } }, unavailable: ["metrics: <403>"] })), []);
    expect(page).not.toContain("<script");
    expect(page).toContain("scheduled by &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain("metrics: &lt;403&gt;");
  });
});
