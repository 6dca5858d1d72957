// The planner's measured inputs. `manage smoke` and `manage load-test` record latency by language in
// the stack's run log (cli/execution/run-log.ts, `measured`); this reads the latest measurement of
// each input the planner takes from the deployment:
//   run time    the warm runs' median latency, weighted by runs (as the caller sees it: an upper
//               bound on the time a session is busy);
//   cold start  the slowest first run less its language's warm median, and only from a run whose
//               first runs outnumbered the ready sessions (otherwise every first run may have found
//               a ready session, and the "cold" latency is an allocation, not a cold start).
// `manage capacity` plans with them and `--apply` records them in the stack's config keys
// (coldStartSeconds, runSeconds, measuredBy), which the program, cost-estimate and schedule read:
// the program never reads the run log (it is on the operator's machine, not in the stack).
// Pure, but for the two thin readers at the end.

import { runLogPath, type RunRecord } from "../execution/run-log.js";
import { readRunLogs } from "../report/runs.js";
import { stackSettings } from "../settings.js";
import { CAPACITY_DEFAULTS } from "../../infra/capacity.js";
import type { DeploymentSettings } from "../../infra/config.js";

export interface Measurement {
  value: number;
  /** Which run measured it, in words: "load-test 2026-12-06 09:12 UTC, 180 first runs (52 ready)". */
  by: string;
  /** When the run ended (ISO). */
  at: string;
  samples: number;
}

export interface Calibration {
  coldStartSeconds: Measurement | null;
  runSeconds: Measurement | null;
}

const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** The latest measurement of each input among the records (any order, any stacks' mixed in are the caller's). */
export function calibrate(records: RunRecord[]): Calibration {
  const newest = [...records].filter((r) => r.measured).sort((a, b) => Date.parse(b.end) - Date.parse(a.end));
  let runSeconds: Measurement | null = null;
  let coldStartSeconds: Measurement | null = null;
  for (const r of newest) {
    const m = r.measured!;
    const langs = Object.values(m.languages);
    const warmRuns = langs.reduce((n, l) => n + (l.warm.p50 === null ? 0 : l.warm.count), 0);
    if (!runSeconds && warmRuns > 0) {
      const weighted = langs.reduce((s, l) => s + (l.warm.p50 === null ? 0 : l.warm.p50 * l.warm.count), 0) / warmRuns;
      runSeconds = { value: round(weighted / 1000), by: `${r.command} ${when(r.end)}, ${warmRuns} warm runs`, at: r.end, samples: warmRuns };
    }
    const forced = m.readySessions !== null && m.firstRuns > m.readySessions;
    if (!coldStartSeconds && forced) {
      const extras = Object.values(m.languages).flatMap((l) => (l.first.max !== null && l.warm.p50 !== null ? [l.first.max - l.warm.p50] : []));
      if (extras.length)
        coldStartSeconds = {
          value: Math.max(0.1, round(Math.max(...extras) / 1000)),
          by: `${r.command} ${when(r.end)}, ${m.firstRuns} first runs (${m.readySessions} ready)`,
          at: r.end,
          samples: m.firstRuns,
        };
    }
    if (runSeconds && coldStartSeconds) break;
  }
  return { coldStartSeconds, runSeconds };
}

const round = (x: number) => Math.round(x * 10) / 10;

/** Where an input of the plan came from: an option, the stack's latest measurement, its config (recorded), or the assumption. */
export interface PlannerInput {
  value: number;
  source: "option" | "measured" | "recorded" | "config" | "assumed";
  /** For measured and recorded: which run measured it. */
  by?: string;
}

/** The measured inputs (cold start, run time) by precedence: option, latest measurement, the stack's config, the assumption. */
export function plannerInputs(
  o: { coldStartSeconds?: number; avgExecSeconds?: number },
  settings: Pick<DeploymentSettings, "participants" | "measuredBy">,
  calibration: Calibration,
): { coldStartSeconds: PlannerInput; runSeconds: PlannerInput } {
  const pick = (given: number | undefined, measured: Measurement | null, configured: number, assumption: number): PlannerInput => {
    if (given !== undefined) return { value: given, source: "option" };
    // measuredBy names each run that measured a recorded input, "; " between them.
    const recorded = settings.measuredBy.split("; ").includes(measured?.by ?? "\0") && configured === measured?.value;
    if (measured) return { value: measured.value, source: recorded ? "recorded" : "measured", by: measured.by };
    if (settings.measuredBy) return { value: configured, source: "recorded", by: settings.measuredBy };
    return { value: configured, source: configured === assumption ? "assumed" : "config" };
  };
  return {
    coldStartSeconds: pick(o.coldStartSeconds, calibration.coldStartSeconds, settings.participants.coldStartSeconds, CAPACITY_DEFAULTS.coldStartSeconds),
    runSeconds: pick(o.avgExecSeconds, calibration.runSeconds, settings.participants.avgExecSeconds, CAPACITY_DEFAULTS.avgExecSeconds),
  };
}

/** "15 s (measured: load-test 2026-12-06 09:12 UTC, 180 first runs (52 ready))". */
export function describeInput(x: PlannerInput, unit = "s"): string {
  const what = {
    option: "given",
    measured: `measured: ${x.by}; not yet in the stack's config`,
    recorded: `measured: ${x.by}`,
    config: "the stack's config",
    assumed: "assumed, not measured: manage smoke or load-test measures it",
  }[x.source];
  return `${x.value} ${unit} (${what})`;
}

/**
 * What the stack's contest profile is sized with (its config: the program's sizing, which
 * cost-estimate and schedule follow), and a newer measurement not yet recorded there, in one line.
 */
export function sizingNote(settings: Pick<DeploymentSettings, "participants" | "measuredBy">, calibration: Calibration): string {
  const recorded = plannerInputs({}, settings, { coldStartSeconds: null, runSeconds: null });
  const latest = plannerInputs({}, settings, calibration);
  const newer = [latest.coldStartSeconds, latest.runSeconds].filter((x) => x.source === "measured");
  return (
    `The contest profile is sized with a cold start of ${describeInput(recorded.coldStartSeconds)} and runs of ${describeInput(recorded.runSeconds)}` +
    (newer.length ? `; the stack's latest measurement (${newer.map((x) => `${x.value} s, ${x.by}`).join("; ")}) is not recorded yet: manage capacity --apply records it.` : ".")
  );
}

/** The latest measurements in the stack's own run log (none recorded on this machine: nulls). */
export function latestCalibration(projectDir: string, stack: string): Calibration {
  const { records } = readRunLogs(runLogPath(projectDir, stack), []);
  return calibrate(records.filter((r) => r.stack === stack));
}

/** The ready sessions the stack's profile in effect keeps, for a run's record; null when unknown. */
export function configuredReady(stack: string): number | null {
  try {
    return stackSettings(stack).profile.pool?.readySessions ?? null;
  } catch {
    return null;
  }
}
