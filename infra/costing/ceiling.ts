// The stack's cost ceiling (costCeilingPerDay) judged: the most the profile in effect can cost in a
// day (every session it allows held, the backend busy at its maximum, logs at their cap) against
// the ceiling. One formula, pure, used wherever a change is made: manage before it runs pulumi
// (cli/cost-ceiling.ts) and the program itself on every preview and update (infra/program.ts), so a
// plain `pulumi up` (the deploy workflow's) refuses what manage refuses.

import { profileOf, type DeploymentSettings } from "../config.js";
import type { ResolvedProfile } from "../profiles.js";
import { estimateCost, REGISTRY_INCLUDED_GB, type AtMost } from "./model.js";
import { EMBEDDED_REGIONS, embeddedPriceBook, isKnownRegion, type PriceBook } from "./prices.js";
import { costQuery, gibibytes, type CostAssumptionOptions } from "./query.js";
import { CAPACITY_DEFAULTS, sessionsPerNodeRange } from "../capacity.js";
import { money } from "./money.js";

export type CeilingVerdict = NonNullable<ReturnType<typeof ceilingVerdict>>;

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
  const at = (q: CostAssumptionOptions) => estimateCost(book, costQuery(settings, profile, CAPACITY_DEFAULTS.hours, { ...extra, ...q })).atMost;
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
export function ceilingVerdict(settings: DeploymentSettings, profile: ResolvedProfile = profileOf(settings, settings.profile.name)) {
  if (!isKnownRegion(settings.location)) return null;
  const book = embeddedPriceBook(settings.location);
  const atMost = estimateCost(book, costQuery(settings, profile, CAPACITY_DEFAULTS.hours)).atMost;
  const worst = worstAtMost(book, settings, profile);
  const ceiling = settings.costCeilingPerDay;
  const ok = judged({ atMost, worst }) <= ceiling;
  return {
    ok,
    /** At the assumed sessions per node. */
    atMost,
    /** At the fewest sessions per node the assumed range allows (worstAtMost): what the ceiling judges. */
    worst,
    ceiling,
    /** The sentence for people: the cost, what it assumes and the ceiling. */
    message:
      `at most ${money(atMost.perDay)}/day (${atMost.basis})${atMost.complete ? "" : " (incomplete: prices missing)"}` +
      (worst ? ` and ${money(worst.perDay)} at ${worst.sessionsPerNode} sessions per node (the assumed range's worst)` : "") +
      `, ${ok ? "within" : "above"} stack ${settings.stack}'s cost ceiling of ${money(ceiling)}/day (costCeilingPerDay)`,
  };
}

/** The figure the ceiling judges: the worst end of the sessions-per-node range when there is one. */
const judged = (v: { atMost: AtMost; worst: { perDay: number } | null }) => v.worst?.perDay ?? v.atMost.perDay;

/**
 * Whether a change to `next` may go ahead as far as the ceiling goes, given what runs now (`before`,
 * from the stack's state; null when nothing runs): within the ceiling; or lowering the most the stack
 * can cost (a stop must never be refused); or neither raising that cost nor lowering the ceiling, so
 * a stack someone took over its ceiling on purpose (--allow-over-ceiling) can still have its keys
 * issued, a window scheduled or the same `up` run, as long as it does not run longer than it would
 * have (`extendsExpiry`). A ceiling lowered below what runs is the change to refuse: it says the
 * stack must cost less.
 */
export function ceilingAllows(next: CeilingVerdict, before: CeilingVerdict | null, extendsExpiry = false): boolean {
  if (next.ok) return true;
  if (before === null) return false;
  return judged(next) < judged(before) || (!extendsExpiry && judged(next) <= judged(before) && next.ceiling >= before.ceiling);
}

/**
 * Whether a change keeps a pool running longer than what runs now would (a later expiry, or none
 * where there was one): on a stack over its ceiling that is more of the cost the ceiling was set
 * against, so it is no longer "not raised" (ceilingAllows). A stop (no pool) never extends.
 */
function extendsExpiry(next: Pick<DeploymentSettings, "profile" | "profileExpiresAt">, before: Pick<DeploymentSettings, "profileExpiresAt"> | null): boolean {
  if (!next.profile.pool || !before?.profileExpiresAt) return false;
  return next.profileExpiresAt === null || next.profileExpiresAt.getTime() > before.profileExpiresAt.getTime();
}

/** Where these settings could be judged, as a fix: the regions whose tables price them all, or that none does. */
export function judgedWhere(settings: DeploymentSettings): string {
  const regions = judgedRegions(settings);
  return regions.length
    ? `run the stack in a region manage has complete prices for (${regions.join(", ")})`
    : "no embedded price table prices all of this configuration (a Standard or Premium registry has no price in any), so choose what one prices";
}

/** A fix (judgedWhere's, which opens every list of fixes it is in) at the start of a sentence. */
export const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The regions whose embedded prices judge these settings completely: where a pool can be judged. */
export function judgedRegions(settings: DeploymentSettings): string[] {
  return EMBEDDED_REGIONS.filter((location) => ceilingVerdict({ ...settings, location })?.atMost.complete === true);
}

/**
 * Whether `next` runs no more than `before` (what runs now), where the region's own prices cannot
 * judge the ceiling: both priced at the rates of a region whose table prices both (the meters are
 * the same everywhere; only the rates differ, so a named assumption: which of two configurations
 * costs more does not depend on the region), and not for longer. What runs now already ran on the
 * person's word, so such a change (keys, a lower scale, a shorter --for, a cheaper gateway) is not
 * the one to refuse for the missing prices. With no table that prices both: no.
 */
function runsNoMore(next: DeploymentSettings, before: DeploymentSettings | null): boolean {
  if (!next.profile.pool) return true;
  if (!before?.profile.pool || extendsExpiry(next, before)) return false;
  // No table prices a Standard or Premium registry: a tier no higher than before's (the tiers rank
  // as the storage they include) is no more, and the rest is compared with both at Basic (the same
  // unpriced part on both sides cancels out).
  if (REGISTRY_INCLUDED_GB[next.registrySku] > REGISTRY_INCLUDED_GB[before.registrySku]) return false;
  const [a, b] = [{ ...next, registrySku: "Basic" as const }, { ...before, registrySku: "Basic" as const }];
  const bothPriced = judgedRegions(b);
  const region = judgedRegions(a).find((r) => bothPriced.includes(r));
  if (!region) return false;
  return judged(ceilingVerdict({ ...a, location: region })!) <= judged(ceilingVerdict({ ...b, location: region })!);
}

/**
 * What the ceiling decides for a change from what runs now (`before`, the state's; null when nothing
 * runs) to `next`, before the person's --allow-over-ceiling is weighed. One decision for manage
 * (cli/cost-ceiling.ts) and the program (infra/program.ts), each putting it in its own words:
 * - within: at or under the ceiling;
 * - stays-above: over it, but neither raised nor the ceiling lowered against what runs (ceilingAllows);
 * - longer: would stay above, but runs longer than what runs now (extendsExpiry);
 * - over: above it;
 * - unjudged-no-more / unjudged-idle: the prices cannot judge it, and it runs no more than what
 *   runs now, or no pool at all (runsNoMore);
 * - unjudged: the prices cannot judge it and it runs more.
 */
export type CeilingDecision =
  | { kind: "within"; verdict: CeilingVerdict }
  | { kind: "stays-above"; verdict: CeilingVerdict }
  | { kind: "over"; verdict: CeilingVerdict }
  | { kind: "longer"; verdict: CeilingVerdict; until: Date }
  | { kind: "unjudged"; reason: string }
  | { kind: "unjudged-no-more"; reason: string }
  | { kind: "unjudged-idle"; reason: string };

export function ceilingDecision(next: DeploymentSettings, before: DeploymentSettings | null): CeilingDecision {
  const verdict = ceilingVerdict(next);
  // Unjudged: no embedded prices for the region, or a table that lacks prices the most-per-day needs
  // (westeurope has no Dedicated plan rates, so a pool's nodes would count as $0). A partial sum is
  // never judged: it would let any pool through.
  if (!verdict?.atMost.complete) {
    const reason = verdict
      ? `the ${next.location} price table lacks prices this configuration needs (\`manage cost-estimate --region ${next.location} --verbose\` names them)`
      : `there are no embedded prices for region ${next.location}`;
    if (!next.profile.pool) return { kind: "unjudged-idle", reason };
    return runsNoMore(next, before) ? { kind: "unjudged-no-more", reason } : { kind: "unjudged", reason };
  }
  if (verdict.ok) return { kind: "within", verdict };
  const was = before && ceilingVerdict(before);
  const longer = extendsExpiry(next, before);
  if (ceilingAllows(verdict, was, longer)) return { kind: "stays-above", verdict };
  if (longer && ceilingAllows(verdict, was)) return { kind: "longer", verdict, until: before!.profileExpiresAt! };
  return { kind: "over", verdict };
}
