// The planner's measured inputs. `manage smoke` and `manage load-test` record latency by language in
// the stack's run log (cli/execution/run-log.ts, `measured`); this reads the latest measurement of
// each input the planner takes from the deployment:
//   run time    the warm runs' median latency, weighted by runs (as the caller sees it: an upper
//               bound on the time a session is busy);
//   cold start  the slowest first run less its language's warm median, and only from a run whose
//               first runs outnumbered the ready sessions in effect (otherwise every first run may
//               have found a ready session, and the "cold" latency is an allocation, not a cold
//               start). ASSUMPTION (docs/costs.md "Measured inputs"): each first run of a run
//               started a session of its own; a run that says its first runs shared one caller's
//               session (through the gateway, one key) measures no cold start.
// The one validation of a measurement is here: a value outside the range its option accepts
// (OPTION_RANGES), a record dated in the future, or a line that is not a record is skipped with a
// warning naming the run log and the fix, never planned with. A measurement needs
// MEASUREMENT_MIN_SAMPLES; the latest record with that many wins over a newer one with fewer.
// `manage capacity` plans with them and `--apply` records them in the stack's config keys
// (coldStartSeconds, runSeconds, measuredBy), which the program, cost-estimate and schedule read:
// the program never reads the run log (it is on the operator's machine, not in the stack).
// Pure, but for the two thin readers at the end.

import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { runLogPath, type RunRecord } from "../execution/run-log.js";
import { parseRunLog } from "../report/runs.js";
import { DEFAULT_PARTICIPANTS } from "../../infra/capacity.js";
import { OPTION_RANGES } from "../../infra/limits.js";
import type { DeploymentSettings } from "../../infra/config.js";
import { now as clockNow, utcMinute } from "../clock.js";

export interface Measurement {
  value: number;
  /** Which run measured it, in words: "load-test 2026-12-06 09:12 UTC, 180 first runs (52 ready)". */
  by: string;
  samples: number;
}

export interface Calibration {
  coldStartSeconds: Measurement | null;
  runSeconds: Measurement | null;
  /** Why no cold start was measured, when a run could have measured one ("first runs were no slower than warm ones in ..."). */
  coldStartNote?: string;
  /** Records (or the log) skipped, each naming the run log and the fix: for a warning line. */
  warnings?: string[];
}

/**
 * Samples a measurement needs before it replaces an older one that has them: warm runs for the run
 * time; first runs beyond the ready sessions (each one a cold start) for the cold start. A smoke run
 * (a few cases per language) has fewer: it measures only until a load test has measured.
 */
export const MEASUREMENT_MIN_SAMPLES = { runSeconds: 20, coldStartSeconds: 10 } as const;

const within = (x: number, range: { min: number; max: number }) => Number.isFinite(x) && x >= range.min && x <= range.max;
const countOk = (n: number) => Number.isInteger(n) && n >= 0;

/**
 * The latest measurement of each input among the records (any order; any stacks' mixed in are the
 * caller's). `now`: records that started after it are dated in the future and skipped. `source`:
 * the run log's name, for the warnings.
 */
export function calibrate(records: RunRecord[], now: Date = new Date(), source = "the run log"): Calibration {
  const warnings: string[] = [];
  const fix = `Fix: delete that line from ${source} (or the file), and rerun manage load-test to measure again`;
  const skip = (r: RunRecord, why: string) => warnings.push(`${source}: the ${r.command} record of ${utcMinute(r.end)} ${why}: not planned with. ${fix}`);
  const dated = records.filter((r) => {
    if (!r.measured) return false;
    if (Date.parse(r.start) > now.getTime()) return skip(r, `is dated in the future (started ${r.start}; the clock now says ${now.toISOString()})`), false;
    const counts = [r.measured.firstRuns, ...Object.values(r.measured.languages).flatMap((l) => [l.first.count, l.warm.count])];
    if (!counts.every(countOk) || (r.measured.readySessions !== null && !countOk(r.measured.readySessions)))
      return skip(r, "has run counts that are not whole numbers of runs"), false;
    return true;
  });
  const newest = dated.sort((a, b) => Date.parse(b.end) - Date.parse(a.end));
  const runTimes: Measurement[] = [];
  const coldStarts: Measurement[] = [];
  let coldStartNote: string | undefined;
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  const range = (r: { min: number; max: number }) => `${r.min}-${r.max} s`;
  for (const r of newest) {
    const m = r.measured!;
    const langs = Object.values(m.languages);
    const warmRuns = langs.reduce((n, l) => n + (l.warm.p50 === null ? 0 : l.warm.count), 0);
    if (warmRuns > 0) {
      const value = seconds(langs.reduce((s, l) => s + (l.warm.p50 === null ? 0 : l.warm.p50 * l.warm.count), 0) / warmRuns);
      if (!within(value, OPTION_RANGES.runSeconds)) skip(r, `measured a run time of ${value} s, outside ${range(OPTION_RANGES.runSeconds)} (what --avg-exec-seconds accepts)`);
      else runTimes.push({ value, by: `${r.command} ${utcMinute(r.end)}, ${warmRuns} warm run${warmRuns === 1 ? "" : "s"}`, samples: warmRuns });
    }
    const forced = m.readySessions !== null && m.firstRuns > m.readySessions && m.newSessions !== false;
    const extras = langs.flatMap((l) => (l.first.max !== null && l.warm.p50 !== null ? [l.first.max - l.warm.p50] : []));
    if (!forced || !extras.length) continue;
    const value = seconds(Math.max(...extras));
    const by = `${r.command} ${utcMinute(r.end)}, ${m.firstRuns} first run${m.firstRuns === 1 ? "" : "s"} (${m.readySessions} ready)`;
    // A first run no slower than a warm one (within the least cold start an option accepts) saw no cold start: not a measurement.
    if (value < OPTION_RANGES.coldStartSeconds.min) coldStartNote ??= `not measured: first runs were no slower than warm ones (${by})`;
    else if (!within(value, OPTION_RANGES.coldStartSeconds)) skip(r, `measured a cold start of ${value} s, outside ${range(OPTION_RANGES.coldStartSeconds)} (what --cold-start-seconds accepts)`);
    else coldStarts.push({ value, by, samples: m.firstRuns - m.readySessions! });
  }
  // The newest with the samples a measurement needs, else the newest at all (its sample count is in its words).
  const best = (ms: Measurement[], min: number) => ms.find((x) => x.samples >= min) ?? ms[0] ?? null;
  const coldStartSeconds = best(coldStarts, MEASUREMENT_MIN_SAMPLES.coldStartSeconds);
  return {
    coldStartSeconds,
    runSeconds: best(runTimes, MEASUREMENT_MIN_SAMPLES.runSeconds),
    ...(coldStartSeconds || !coldStartNote ? {} : { coldStartNote }),
    ...(warnings.length ? { warnings } : {}),
  };
}

/**
 * measuredBy (a stack config key) names the run that measured each recorded input apart:
 * "cold start: <run>; run time: <run>". An entry without a name (as recorded before) names both.
 */
const MEASURED_LABEL = { coldStartSeconds: "cold start", runSeconds: "run time" } as const;
type Input = keyof typeof MEASURED_LABEL;

export function measuredByText(by: Partial<Record<Input, string>>): string {
  return (Object.keys(MEASURED_LABEL) as Input[]).flatMap((k) => (by[k] ? [`${MEASURED_LABEL[k]}: ${by[k]}`] : [])).join("; ");
}

export function measuredByOf(text: string): Partial<Record<Input, string>> {
  const out: Partial<Record<Input, string>> = {};
  for (const entry of text.split("; ").filter(Boolean)) {
    const named = (Object.keys(MEASURED_LABEL) as Input[]).find((k) => entry.startsWith(`${MEASURED_LABEL[k]}: `));
    if (named) out[named] = entry.slice(MEASURED_LABEL[named].length + 2);
    else for (const k of Object.keys(MEASURED_LABEL) as Input[]) out[k] ??= entry;
  }
  return out;
}

/** Where an input of the plan came from: an option, the stack's latest measurement, its config (recorded), or the assumption. */
export interface PlannerInput {
  value: number;
  source: "option" | "measured" | "recorded" | "config" | "assumed";
  /** For measured and recorded: which run measured it. */
  by?: string;
  /** For assumed: why no run measured it, when one could have. */
  note?: string;
}

/** The measured inputs (cold start, run time) by precedence: option, latest measurement, the stack's config, the assumption. */
export function plannerInputs(
  o: { coldStartSeconds?: number; avgExecSeconds?: number },
  settings: Pick<DeploymentSettings, "participantModel" | "measuredBy">,
  calibration: Calibration,
): { coldStartSeconds: PlannerInput; runSeconds: PlannerInput } {
  const recordedBy = measuredByOf(settings.measuredBy);
  // Each input goes by one name in the calibration, the stack's participant model and its defaults.
  const pick = (input: Input, given: number | undefined): PlannerInput => {
    const measured = calibration[input];
    const configured = settings.participantModel[input];
    if (given !== undefined) return { value: given, source: "option" };
    // Recorded: the stack's config holds this very measurement, and measuredBy names its run for this input.
    if (measured) return { value: measured.value, source: recordedBy[input] === measured.by && configured === measured.value ? "recorded" : "measured", by: measured.by };
    if (recordedBy[input]) return { value: configured, source: "recorded", by: recordedBy[input] };
    return configured === DEFAULT_PARTICIPANTS[input] ? { value: configured, source: "assumed", ...(input === "coldStartSeconds" && calibration.coldStartNote ? { note: calibration.coldStartNote } : {}) } : { value: configured, source: "config" };
  };
  return {
    coldStartSeconds: pick("coldStartSeconds", o.coldStartSeconds),
    runSeconds: pick("runSeconds", o.avgExecSeconds),
  };
}

/** "15 s (measured: load-test 2026-12-06 09:12 UTC, 180 first runs (52 ready))". */
export function describeInput(x: PlannerInput, unit = "s"): string {
  const what = {
    option: "given",
    measured: `measured: ${x.by}; not yet in the stack's config`,
    recorded: `measured: ${x.by}`,
    config: "the stack's config",
    assumed: `assumed, ${x.note ?? "not measured: manage smoke or load-test measures it"}`,
  }[x.source];
  return `${x.value} ${unit} (${what})`;
}

/**
 * What the stack's contest profile is sized with (its config: the program's sizing, which
 * cost-estimate and schedule follow), and a newer measurement not yet recorded there, in one line.
 */
export function sizingNote(settings: Pick<DeploymentSettings, "participantModel" | "measuredBy">, calibration: Calibration): string {
  const recorded = plannerInputs({}, settings, { coldStartSeconds: null, runSeconds: null });
  const latest = plannerInputs({}, settings, calibration);
  const newer = [latest.coldStartSeconds, latest.runSeconds].filter((x) => x.source === "measured");
  return (
    `The contest profile is sized with a cold start of ${describeInput(recorded.coldStartSeconds)} and runs of ${describeInput(recorded.runSeconds)}` +
    (newer.length ? `; the stack's latest measurement (${newer.map((x) => `${x.value} s, ${x.by}`).join("; ")}) is not recorded yet: manage capacity --apply records it.` : ".")
  );
}

/**
 * The latest measurements in the stack's own run log (none recorded on this machine: nulls). A log
 * that cannot be read, or lines that are not records, are warnings (the assumptions stand), never
 * silent: the person sees why the plan is not the measured one.
 */
export function latestCalibration(projectDir: string, stack: string, now: Date = clockNow()): Calibration {
  const file = runLogPath(projectDir, stack);
  const name = relative(projectDir, file) || file;
  if (!existsSync(file)) return calibrate([], now, name);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    return { coldStartSeconds: null, runSeconds: null, warnings: [`${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): planning with the stack's config. Fix: make it a readable file, or remove it`] };
  }
  const parsed = parseRunLog(text, name);
  const calibration = calibrate(parsed.records.filter((r) => r.stack === stack), now, name);
  const unread = parsed.skipped.map((line) => `${line}: not planned with. Fix: delete that line from ${name}, or rerun manage load-test to measure again`);
  const warnings = [...unread, ...(calibration.warnings ?? [])];
  return { ...calibration, ...(warnings.length ? { warnings } : {}) };
}

/**
 * What a run against the stack can measure, for its record: the ready sessions the profile in effect
 * keeps (its file's baseline with the operation its state records, what \`manage scale\` set; not
 * the stack file's resting profile), and whether each first run starts a session of its own (not
 * through the gateway with per-user identifiers, where manage's one key is one caller and one
 * session; not with shared ones). From the outputs the run already read (cli/execution/target.ts);
 * unknown: null ready sessions, which measures no cold start.
 */
export async function sessionsInEffect(stack: string, outputs: Record<string, unknown> | undefined): Promise<{ readySessions: number | null; newSessions?: boolean }> {
  if (!outputs) return { readySessions: null };
  try {
    const { OPERATIONS_OUTPUT, parseOperationsState } = await import("../../infra/operations.js");
    const { settingsInEffect } = await import("../operations.js");
    const settings = settingsInEffect(stack, parseOperationsState(outputs[OPERATIONS_OUTPUT]));
    const strategy = settings.participantModel.strategy.kind;
    const newSessions = strategy === "per-execution" || (strategy === "per-user" && outputs.accessMode !== "token");
    return { readySessions: settings.profile.pool?.readySessions ?? null, newSessions };
  } catch {
    return { readySessions: null };
  }
}
