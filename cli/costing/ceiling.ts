// The stack's cost ceiling (costCeilingPerDay) judged: the most the profile in effect can cost in a
// day (every session it allows held, the backend busy at its maximum, logs at their cap) against
// the ceiling. One formula, pure, used wherever a change is made: manage before it runs pulumi
// (cli/cost-ceiling.ts) and the program itself on every preview and update (infra/program.ts), so a
// plain `pulumi up` (the deploy workflow's) refuses what manage refuses.

import { profileOf, type DeploymentSettings } from "../../infra/config.js";
import type { ResolvedProfile } from "../../infra/profiles.js";
import { estimateCost, type AtMost } from "./model.js";
import { embeddedPriceBook, isKnownRegion } from "./prices.js";
import { costQuery } from "./query.js";
import { money } from "../money.js";

/** The contest window every cost view assumes unless told otherwise (cost-estimate --hours). */
export const DEFAULT_WINDOW_HOURS = 2;

export interface CeilingVerdict {
  ok: boolean;
  atMost: AtMost;
  ceiling: number;
  /** The sentence for people: the cost, what it assumes and the ceiling. */
  message: string;
}

/**
 * The most a profile can cost per day, against the stack's ceiling: by default the stack's profile in
 * effect (as its config resolves it); `profile` judges another, e.g. a plan's pool before it is
 * recorded. null: no prices for its region.
 */
export function ceilingVerdict(settings: DeploymentSettings, profile: ResolvedProfile = profileOf(settings, settings.profile.name)): CeilingVerdict | null {
  if (!isKnownRegion(settings.location)) return null;
  const book = embeddedPriceBook(settings.location);
  const atMost = estimateCost(book, costQuery(settings, profile, DEFAULT_WINDOW_HOURS)).atMost;
  const ceiling = settings.costCeilingPerDay;
  const ok = atMost.perDay <= ceiling;
  return {
    ok,
    atMost,
    ceiling,
    message:
      `at most ${money(atMost.perDay)}/day (${atMost.basis})${atMost.complete ? "" : " (incomplete: prices missing)"}, ` +
      `${ok ? "within" : "above"} stack ${settings.stack}'s cost ceiling of ${money(ceiling)}/day (costCeilingPerDay)`,
  };
}

/**
 * Whether a change to `next` may go ahead as far as the ceiling goes: within it, or lowering the
 * most the stack can cost from what runs now (`before`; a stop must never be refused).
 */
export function ceilingAllows(next: CeilingVerdict, before: CeilingVerdict | null): boolean {
  return next.ok || (before !== null && next.atMost.perDay < before.atMost.perDay);
}
