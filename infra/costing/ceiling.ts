// The stack's cost ceiling (costCeilingPerDay) judged: the most the profile in effect can cost in a
// day (every session it allows held, the backend busy at its maximum, logs at their cap) against
// the ceiling. One formula, pure, used wherever a change is made: manage before it runs pulumi
// (cli/cost-ceiling.ts) and the program itself on every preview and update (infra/program.ts), so a
// plain `pulumi up` (the deploy workflow's) refuses what manage refuses.

import { profileOf, type DeploymentSettings } from "../config.js";
import type { ResolvedProfile } from "../profiles.js";
import { estimateCost, type AtMost } from "./model.js";
import { embeddedPriceBook, isKnownRegion, type PriceBook } from "./prices.js";
import { costQuery, gibibytes, type CostAssumptionOptions } from "./query.js";
import { sessionsPerNodeRange } from "../capacity.js";
import { money } from "./money.js";

/** The contest window every cost view assumes unless told otherwise (cost-estimate --hours). */
export const DEFAULT_WINDOW_HOURS = 2;

export interface CeilingVerdict {
  ok: boolean;
  /** At the assumed sessions per node. */
  atMost: AtMost;
  /** At the fewest sessions per node the assumed range allows (worstAtMost): what the ceiling judges. */
  worst: { perDay: number; sessionsPerNode: number } | null;
  ceiling: number;
  /** The sentence for people: the cost, what it assumes and the ceiling. */
  message: string;
}

/**
 * The most a profile can cost per day at the fewest sessions per node the assumed range allows
 * (infra/capacity.ts NODE_RESERVED_SHARE_RANGE: a quarter of each node reserved), the worst case
 * until the pool's nodeCount measures it; null when that is no more than at the assumed count (no
 * pool, or the same nodes), or when --sessions-per-node / --node-reserved-share fix the number.
 */
export function worstAtMost(
  book: PriceBook,
  settings: DeploymentSettings,
  profile: ResolvedProfile,
  extra: CostAssumptionOptions = {},
): { perDay: number; sessionsPerNode: number } | null {
  if (!profile.pool || extra.sessionsPerNode !== undefined || extra.nodeReservedShare !== undefined) return null;
  const fewest = sessionsPerNodeRange({ cpu: settings.session.cpu, memoryGi: gibibytes(settings.session.memory) }).fewest;
  const at = (q: CostAssumptionOptions) => estimateCost(book, costQuery(settings, profile, DEFAULT_WINDOW_HOURS, { ...extra, ...q })).atMost;
  const worst = at({ sessionsPerNode: fewest });
  return worst.complete && worst.perDay > at({}).perDay ? { perDay: worst.perDay, sessionsPerNode: fewest } : null;
}

/**
 * The most a profile can cost per day, against the stack's ceiling: by default the stack's profile in
 * effect (as its config resolves it); `profile` judges another, e.g. a plan's pool before it is
 * recorded. Judged at the worst end of the sessions-per-node range (worstAtMost), the case the
 * docs state, so no configuration within the ceiling can cost more than it if nodes hold fewer
 * sessions than assumed. null: no prices for its region.
 */
export function ceilingVerdict(settings: DeploymentSettings, profile: ResolvedProfile = profileOf(settings, settings.profile.name)): CeilingVerdict | null {
  if (!isKnownRegion(settings.location)) return null;
  const book = embeddedPriceBook(settings.location);
  const atMost = estimateCost(book, costQuery(settings, profile, DEFAULT_WINDOW_HOURS)).atMost;
  const worst = worstAtMost(book, settings, profile);
  const ceiling = settings.costCeilingPerDay;
  const ok = judged({ atMost, worst }) <= ceiling;
  return {
    ok,
    atMost,
    worst,
    ceiling,
    message:
      `at most ${money(atMost.perDay)}/day (${atMost.basis})${atMost.complete ? "" : " (incomplete: prices missing)"}` +
      (worst ? ` and ${money(worst.perDay)} at ${worst.sessionsPerNode} sessions per node (the assumed range's worst)` : "") +
      `, ${ok ? "within" : "above"} stack ${settings.stack}'s cost ceiling of ${money(ceiling)}/day (costCeilingPerDay)`,
  };
}

/** The figure the ceiling judges: the worst end of the sessions-per-node range when there is one. */
const judged = (v: Pick<CeilingVerdict, "atMost" | "worst">) => v.worst?.perDay ?? v.atMost.perDay;

/**
 * Whether a change to `next` may go ahead as far as the ceiling goes, given what runs now (`before`,
 * from the stack's state; null when nothing runs): within the ceiling; or lowering the most the stack
 * can cost (a stop must never be refused); or neither raising that cost nor lowering the ceiling, so
 * a stack someone took over its ceiling on purpose (--allow-over-ceiling) can still have its keys
 * issued, a window scheduled or the same `up` run. A ceiling lowered below what runs is the change
 * to refuse: it says the stack must cost less.
 */
export function ceilingAllows(next: CeilingVerdict, before: CeilingVerdict | null): boolean {
  if (next.ok) return true;
  if (before === null) return false;
  return judged(next) < judged(before) || (judged(next) <= judged(before) && next.ceiling >= before.ceiling);
}

/**
 * Whether `next` can cost more than `before` (null: nothing to compare, so yes): a change that
 * leaves a scheduled window's cost where it was did not make the window unstartable (a stop, an
 * image change), so it is not the change to refuse for it (cli/change-plan.ts).
 */
export function ceilingRaised(next: CeilingVerdict, before: CeilingVerdict | null): boolean {
  return before === null || judged(next) > judged(before);
}
