// Which period `manage report` covers, and which hours of it the cost model prices at which profile.
// Pure: the options, the stack's windows (infra/operations.ts, the `operations` output) and the
// clock in; the period, or a UsageError naming the option, out.
//
// Cost Management answers whole UTC days (cli/azure/spend.ts: Daily is the only granularity), so
// the cost part of a report covers the days the period touches, and the model prices those same
// days with the one account of hours `manage spend` uses (cli/costing/spend.ts hoursRun). The
// option values themselves (--window's ID, the times) are read by their types (cli/options.ts).

import type { Window } from "../../infra/operations.js";
import type { Period } from "../costing/spend.js";
import { UsageError } from "../errors.js";
import { isoSeconds } from "../clock.js";
import { ENDED_WINDOWS_KEPT_DAYS, warmupStart, windowRun } from "../schedule.js";
import { suggest } from "../suggest.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The longest period a report covers: a contest lasts hours, and Azure Monitor's finest grain
 * within 720 points (cli/azure/metrics.ts grainFor) is PT1H at 30 days.
 */
const MAX_REPORT_DAYS = 31;

export type PeriodRequest = { kind: "window"; id: string } | { kind: "range"; from: Date; to: Date };

/** The options, checked before anything is read (bad input touches nothing). */
export function periodRequest(o: { window?: string; from?: Date; to?: Date }, now: Date): PeriodRequest {
  const example = "--window w-20261205-0900, or --from 2026-12-05T08:00:00Z --to 2026-12-05T12:00:00Z";
  if (o.window !== undefined && (o.from || o.to)) throw new UsageError(`give either --window or --from/--to, not both: e.g. ${example}`);
  if (o.window !== undefined) return { kind: "window", id: o.window };
  if (!o.from && !o.to) throw new UsageError(`a report needs a period: --window ID (a scheduled window in the stack's state) or --from and --to: e.g. ${example}`);
  if (!o.from) throw new UsageError(`--to ${isoSeconds(o.to!)} needs --from: e.g. --from ${isoSeconds(new Date(o.to!.getTime() - 4 * HOUR))} --to ${isoSeconds(o.to!)}`);
  if (!o.to) throw new UsageError(`--from ${isoSeconds(o.from)} needs --to: e.g. --from ${isoSeconds(o.from)} --to ${isoSeconds(new Date(o.from.getTime() + 4 * HOUR))}`);
  if (o.from.getTime() >= o.to.getTime()) throw new UsageError(`--from ${isoSeconds(o.from)} is not before --to ${isoSeconds(o.to)}: give the earlier time as --from`);
  if (o.from.getTime() > now.getTime()) throw new UsageError(`--from ${isoSeconds(o.from)} is in the future (now is ${isoSeconds(now)}): a report shows what happened`);
  if (o.to.getTime() > now.getTime()) throw new UsageError(`--to ${isoSeconds(o.to)} is in the future (now is ${isoSeconds(now)}): end the period now or earlier`);
  if (o.to.getTime() - o.from.getTime() > MAX_REPORT_DAYS * DAY)
    throw new UsageError(`--from ${isoSeconds(o.from)} to --to ${isoSeconds(o.to)} is longer than ${MAX_REPORT_DAYS} days: a report is for a contest; for the bill of a longer period, use manage spend`);
  return { kind: "range", from: o.from, to: o.to };
}

/**
 * The period of a request: the range as given, or the window found in the stack's state (ended
 * windows stay there ENDED_WINDOWS_KEPT_DAYS, with when they really ran). One older than that, or
 * one that never existed: the fix is to give its times. With the window reported on (null for a
 * range) and whether it is still in progress (then the period stops now).
 */
export function resolvePeriod(request: PeriodRequest, windows: Window[], stack: string, now: Date) {
  if (request.kind === "range") return { from: request.from, to: request.to, window: null, inProgress: false };
  const window = windows.find((w) => w.id === request.id);
  if (!window) {
    const known = windows.length ? ` (it has ${windows.map((w) => w.id).join(", ")})` : "";
    throw new UsageError(
      `--window ${request.id}: window ${request.id} is not in stack ${stack}'s state${known}: ended windows stay ${ENDED_WINDOWS_KEPT_DAYS} days\n` +
        `  Fix: \`${suggest("schedule", { list: true, stack })}\`, or use --from/--to with the window's times, e.g. --from 2026-12-05T08:30:00Z --to 2026-12-05T11:00:00Z`,
    );
  }
  const run = windowRun(window, now);
  if (!run)
    throw new UsageError(`--window ${window.id} has not started yet (its warm-up begins at ${isoSeconds(warmupStart(window))}; now is ${isoSeconds(now)}): there is nothing to report`);
  const inProgress = !window.stoppedAt && Date.parse(window.end) > now.getTime();
  return { ...run, window, inProgress };
}

/** The whole UTC days a period touches: what Cost Management can answer for it. */
export function costDays(p: Period): Period {
  const from = Math.floor(p.from.getTime() / DAY) * DAY;
  const to = Math.max(from + DAY, Math.ceil(p.to.getTime() / DAY) * DAY);
  return { from: new Date(from), to: new Date(to) };
}
