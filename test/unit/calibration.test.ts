// The one validation of a calibration (cli/costing/calibration.ts): what a run log may and may not
// make the planner believe, and how each input's source is named.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { calibrate, describeInput, latestCalibration, MEASUREMENT_MIN_SAMPLES, measuredByOf, measuredByText, plannerInputs } from "../../cli/costing/calibration.js";
import type { RunRecord } from "../../cli/execution/run-log.js";
import { OPTION_RANGES } from "../../infra/limits.js";
import { CAPACITY_DEFAULTS, DEFAULT_PARTICIPANTS } from "../../infra/capacity.js";

const NOW = new Date("2026-12-07T00:00:00Z");
const summary = (count: number, ms: number | null, max: number | null = ms) => ({ count, p50: ms, p95: max, p99: max, max });

/** One load-test record: `firstMax` the slowest first run, `warm` the warm median (ms). */
function record(o: { end?: string; start?: string; firstMax?: number; warm?: number; warmCount?: number; firstRuns?: number; ready?: number | null; command?: "smoke" | "load-test"; newSessions?: boolean }): RunRecord {
  const end = o.end ?? "2026-12-06T09:10:00.000Z";
  const firstRuns = o.firstRuns ?? 200;
  return {
    v: 1,
    stack: "contest",
    command: o.command ?? "load-test",
    endpoint: "https://x",
    start: o.start ?? end.replace(/T..:..:/, "T00:00:"),
    end,
    ok: true,
    executions: 1000,
    failed: 0,
    latency: summary(1000, 600),
    outcomes: { ok: 1000 },
    causes: {},
    measured: {
      languages: { python: { first: summary(firstRuns, 1000, o.firstMax ?? 15_500), warm: summary(o.warmCount ?? 800, o.warm ?? 500, 900) } },
      firstRuns,
      readySessions: o.ready === undefined ? 52 : o.ready,
      ...(o.newSessions === undefined ? {} : { newSessions: o.newSessions }),
    },
  };
}
const settings = { participantModel: DEFAULT_PARTICIPANTS, measuredBy: "" };

describe("a measurement is one only within what the options accept", () => {
  test("first runs no slower than warm ones: not a measured cold start, said as such (not 0.1 s)", () => {
    const c = calibrate([record({ firstMax: 400 })], NOW, "log");
    expect(c.coldStartSeconds).toBeNull();
    const inputs = plannerInputs({}, settings, c);
    expect(inputs.coldStartSeconds).toMatchObject({ value: CAPACITY_DEFAULTS.coldStartSeconds, source: "assumed" });
    expect(describeInput(inputs.coldStartSeconds)).toMatch(/^10 s \(assumed, not measured: first runs were no slower than warm ones \(load-test 2026-12-06 09:10 UTC, 200 first runs \(52 ready\)\)\)$/);
  });

  test("values outside the options' ranges are skipped with a warning naming the run log and the fix", () => {
    for (const [r, what] of [
      [record({ warm: -300 }), `run time of -0.3 s, outside ${OPTION_RANGES.runSeconds.min}-${OPTION_RANGES.runSeconds.max} s`],
      [record({ warm: 1e9 }), "run time of 1000000 s"],
      [record({ firstMax: 1e12 }), "cold start of 999999999.5 s"],
    ] as const) {
      const c = calibrate([r], NOW, ".manage/runs/contest.ndjson");
      expect(c.warnings?.[0]).toContain(what);
      expect(c.warnings?.[0]).toMatch(/^\.manage\/runs\/contest\.ndjson: the load-test record of 2026-12-06 09:10 UTC .*: not planned with\. Fix: delete that line from \.manage\/runs\/contest\.ndjson/);
      const inputs = plannerInputs({}, settings, c);
      for (const x of [inputs.coldStartSeconds, inputs.runSeconds]) {
        const range = x === inputs.runSeconds ? OPTION_RANGES.runSeconds : OPTION_RANGES.coldStartSeconds;
        expect(x.value).toBeGreaterThanOrEqual(range.min);
        expect(x.value).toBeLessThanOrEqual(range.max);
      }
    }
    // Bounds are the options' own: the largest cold start an option takes is a measurement.
    expect(calibrate([record({ firstMax: OPTION_RANGES.coldStartSeconds.max * 1000 + 500 })], NOW).coldStartSeconds?.value).toBe(OPTION_RANGES.coldStartSeconds.max);
  });

  test("a record dated in the future is skipped, with a warning; an older one stands", () => {
    const future = record({ end: "2099-01-01T00:10:00.000Z", firstMax: 30_500 });
    const c = calibrate([record({}), future], NOW, "log");
    expect(c.coldStartSeconds?.value).toBe(15);
    expect(c.warnings?.join("\n")).toMatch(/dated in the future \(started 2099-01-01T00:00:00\.000Z/);
  });

  test("the latest record with the samples a measurement needs wins over a newer one with fewer", () => {
    const loadTest = record({ end: "2026-12-06T09:10:00.000Z" });
    // A smoke run later: 4 first runs against 1 ready (3 cold starts) and 10 warm runs.
    const smoke = record({ command: "smoke", end: "2026-12-06T11:00:00.000Z", firstRuns: 4, ready: 1, warmCount: 10, firstMax: 5_500, warm: 300 });
    const c = calibrate([loadTest, smoke], NOW);
    expect(c.coldStartSeconds).toMatchObject({ value: 15, samples: 200 - 52 });
    expect(c.runSeconds).toMatchObject({ value: 0.5, samples: 800 });
    expect(3).toBeLessThan(MEASUREMENT_MIN_SAMPLES.coldStartSeconds);
    expect(10).toBeLessThan(MEASUREMENT_MIN_SAMPLES.runSeconds);
    // Alone, the smoke run still measures (better than the assumption), its few samples in its words.
    expect(calibrate([smoke], NOW).coldStartSeconds).toMatchObject({ value: 5.2, by: "smoke 2026-12-06 11:00 UTC, 4 first runs (1 ready)" });
  });

  test("first runs that shared one session (through the gateway, one key) measure no cold start; their run time counts", () => {
    const c = calibrate([record({ newSessions: false })], NOW);
    expect(c.coldStartSeconds).toBeNull();
    expect(c.runSeconds?.value).toBe(0.5);
  });
});

describe("an unreadable run log is said, not silently replaced by the assumption", () => {
  const project = () => {
    const dir = mkdtempSync(join(tmpdir(), "calibration-"));
    mkdirSync(join(dir, ".manage", "runs"), { recursive: true });
    return dir;
  };
  test("a torn line: a warning naming the file and line, and the other records still count", () => {
    const dir = project();
    writeFileSync(join(dir, ".manage", "runs", "contest.ndjson"), JSON.stringify(record({})) + "\n" + '{"v":1,"stack":"con\n');
    const c = latestCalibration(dir, "contest", NOW);
    expect(c.coldStartSeconds?.value).toBe(15);
    expect(c.warnings).toEqual([".manage/runs/contest.ndjson:2: not JSON: not planned with. Fix: delete that line from .manage/runs/contest.ndjson, or rerun manage load-test to measure again"]);
  });
  test("a directory where the log should be: a warning, the stack's config stands", () => {
    const dir = project();
    mkdirSync(join(dir, ".manage", "runs", "contest.ndjson"));
    const c = latestCalibration(dir, "contest", NOW);
    expect(c.coldStartSeconds).toBeNull();
    expect(c.warnings?.[0]).toMatch(/^\.manage\/runs\/contest\.ndjson cannot be read \(EISDIR\): planning with the stack's config\. Fix: /);
  });
});

describe("measuredBy names each input's run apart", () => {
  const loadTest = "load-test 2026-12-06 09:10 UTC, 800 warm runs";
  test("a run time recorded from a warm-only run leaves the cold start assumed, not 'measured'", () => {
    const text = measuredByText({ runSeconds: loadTest });
    expect(text).toBe(`run time: ${loadTest}`);
    const inputs = plannerInputs({}, { participantModel: { ...DEFAULT_PARTICIPANTS, runSeconds: 0.5 }, measuredBy: text }, { coldStartSeconds: null, runSeconds: null });
    expect(inputs.coldStartSeconds.source).toBe("assumed");
    expect(inputs.runSeconds).toEqual({ value: 0.5, source: "recorded", by: loadTest });
  });
  test("both, read back; an entry without a name (as recorded before) names both", () => {
    expect(measuredByOf(measuredByText({ coldStartSeconds: "a", runSeconds: "b" }))).toEqual({ coldStartSeconds: "a", runSeconds: "b" });
    expect(measuredByOf("load-test x")).toEqual({ coldStartSeconds: "load-test x", runSeconds: "load-test x" });
  });
});
