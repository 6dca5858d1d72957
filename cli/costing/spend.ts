// Actual spend against the model (`manage spend`): the period asked for, the hours the stack ran at
// each profile, the model's estimate for exactly those hours, which model resource each billed row
// belongs to, and why a gap is likely there. Pure: rows, settings, a price book and the clock in,
// decisions out; the Cost Management client (cli/azure/spend.ts) and the command do the I/O.

import { profileOf, type DeploymentSettings } from "../../infra/config.js";
import type { ProfileName, ProfileOverrides } from "../../infra/profiles.js";
import type { Operation, Window } from "../../infra/operations.js";
import { warmupStart, windowOverrides, windowRun } from "../schedule.js";
import { estimateCost, type Resource } from "../../infra/costing/model.js";
import type { PriceBook } from "../../infra/costing/prices.js";
import { costQuery } from "../../infra/costing/query.js";
import { isoSeconds } from "../clock.js";
import { UsageError } from "../errors.js";
import type { SpendRow } from "../azure/spend.js";
import { DEFAULT_SPEND_SINCE_MS } from "../options.js";
import type { OptionsFor } from "../main.js";

/**
 * Rules for reading a gap, named once (revisit them against real bills):
 * - gapShare: a gap above this share of the estimate is flagged (the model's assumptions, e.g. the
 *   node reservation and unverified prices, are good to ~10%; a gap beyond 15% has a cause);
 * - billingDelayHours: Cost Management's data lags usage by up to ~24 h, so a period ending within
 *   that of now may be missing its last hours (a shortfall there is most likely the delay).
 */
export const SPEND_ASSUMPTIONS = { gapShare: 0.15, billingDelayHours: 24 } as const;

const HOUR = 3_600_000;

export interface Period {
  from: Date;
  to: Date;
}

/** The period asked for: --since (default a week: DEFAULT_SPEND_SINCE_MS) back from now, or --from [--to] (to defaults to now). */
export function spendPeriod(o: Pick<OptionsFor<"spend">, "since" | "from" | "to">, now: Date): Period {
  if (o.since !== undefined && (o.from || o.to)) throw new UsageError("give either --since or --from/--to, not both: e.g. --since 7d, or --from 2026-11-01 --to 2026-11-08");
  if (o.to && !o.from) throw new UsageError(`--to ${isoSeconds(o.to)} needs --from: e.g. --from ${isoSeconds(new Date(o.to.getTime() - DEFAULT_SPEND_SINCE_MS)).slice(0, 10)} --to ${isoSeconds(o.to)}`);
  if (o.from) {
    const to = o.to ?? now;
    if (o.from.getTime() > now.getTime()) throw new UsageError(`--from ${isoSeconds(o.from)} is in the future (now is ${isoSeconds(now)}): spend reports what was billed; for what a period will cost, use manage cost-estimate`);
    if (to.getTime() > now.getTime()) throw new UsageError(`--to ${isoSeconds(to)} is in the future (now is ${isoSeconds(now)}): leave --to out to end the period now`);
    if (o.from.getTime() >= to.getTime()) throw new UsageError(`--from ${isoSeconds(o.from)} is not before --to ${isoSeconds(to)}: give the earlier time as --from`);
    if (to.getTime() - o.from.getTime() > 366 * 24 * HOUR) throw new UsageError(`--from ${isoSeconds(o.from)} to --to ${isoSeconds(to)} is longer than a year, the most Cost Management answers at once: split the period`);
    return { from: o.from, to };
  }
  const since = o.since ?? DEFAULT_SPEND_SINCE_MS;
  return { from: new Date(now.getTime() - since), to: now };
}

export interface ProfileHours {
  profile: ProfileName;
  hours: number;
  /**
   * The profile's overrides for these hours, where they were not the stack file's: a window's
   * sizing (its --users) for the window's hours only, an operator's scale for its hours.
   */
  overrides?: ProfileOverrides;
}

/** What the stack's state says ran: the operation in effect (the latest asked for) and the windows, with when they ran. */
export interface RunHistory {
  operation: Pick<Operation, "profile" | "at" | "expiresAt" | "window" | "overrides"> | null;
  windows: Window[];
}

/**
 * THE account of hours, for spend and report alike: the hours of `period` at each profile (and
 * sizing), from the stack's state. At any moment:
 * - from when the operation in effect was asked for (`at`) to its expiry, an operation of a
 *   person (scale, start, stop, up; not a window's own) runs its profile with its overrides; within
 *   a window's run only if it was asked once the window's warm-up had begun: the job leaves that
 *   person's word alone, and starts the window over anything asked before (decideReconcile);
 * - otherwise within a window's run (the job's start to its stop, else warm-up to end), the window's
 *   profile sized for its participants: that sizing for that window only;
 * - otherwise idle (the stack rests idle between contests; the state keeps no older operations).
 * With no operation recorded (never deployed by this manage), the stack file's profile and expiry
 * (profileHours) fill what no window covers. Nothing after `now` counts. Merged by profile and
 * sizing, largest first. Pure.
 */
export function hoursRun(period: Period, history: RunHistory, settings: Parameters<typeof windowOverrides>[1] & Pick<DeploymentSettings, "overrides"> & Parameters<typeof profileHours>[0], now = new Date(8.64e15)): ProfileHours[] {
  const end = Math.min(period.to.getTime(), now.getTime());
  const start = period.from.getTime();
  if (end <= start) return [];
  // `since`: a window's warm-up start; an operation asked before it gives way to the window.
  type Segment = { from: number; to: number; profile: ProfileName; overrides?: ProfileOverrides; since?: number };
  const windows: Segment[] = history.windows
    .map((w) => ({ w, span: windowRun(w, now) }))
    .filter((x) => x.span !== null)
    .map(({ w, span }) => {
      // The window's sizing only where it differs from the numbers the stack file already runs (a
      // window sized for the participants the profile is planned for adds nothing: ProfileHours.overrides).
      const own = profileOf(settings, w.profile).pool;
      const sizing = Object.fromEntries(Object.entries(windowOverrides(w, settings)).filter(([k, v]) => own?.[k as keyof typeof own] !== v));
      return { from: span!.from.getTime(), to: span!.to.getTime(), since: warmupStart(w).getTime(), profile: w.profile, ...(Object.keys(sizing).length ? { overrides: { ...settings.overrides[w.profile], ...sizing } } : {}) };
    })
    .sort((a, b) => a.from - b.from);
  const op = history.operation;
  const operation: Segment | null =
    op && !op.window ? { from: Date.parse(op.at), to: op.expiresAt ? Date.parse(op.expiresAt) : Infinity, profile: op.profile, overrides: op.overrides[op.profile] ?? {} } : null;
  const cuts = [...new Set([start, end, ...[...windows, ...(operation ? [operation] : [])].flatMap((s) => [s.from, s.to]).filter((t) => t > start && t < end)])].sort((a, b) => a - b);
  const out = new Map<string, ProfileHours>();
  const add = (h: ProfileHours) => {
    if (h.hours <= 0) return;
    const key = `${h.profile}|${JSON.stringify(h.overrides ?? null)}`;
    const seen = out.get(key);
    out.set(key, seen ? { ...seen, hours: seen.hours + h.hours } : h);
  };
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [from, to] = [cuts[i]!, cuts[i + 1]!];
    const inside = (s: Segment) => s.from <= from && to <= s.to;
    // Overlapping windows count once, at the first one's profile.
    const window = windows.find(inside);
    const governing = operation && inside(operation) && (!window || operation.from >= window.since!) ? operation : window;
    if (governing) add({ profile: governing.profile, hours: (to - from) / HOUR, ...(governing.overrides && Object.keys(governing.overrides).length ? { overrides: governing.overrides } : {}) });
    else if (op) add({ profile: "idle", hours: (to - from) / HOUR });
    else profileHours(settings, { from: new Date(from), to: new Date(to) }).forEach(add);
  }
  return [...out.values()].sort((a, b) => b.hours - a.hours);
}

/**
 * What ran by the stack file alone, for a stack whose state records no operation (never deployed by
 * this manage): its profile the whole period, except that a recorded expiry (`scale --for`) inside
 * the period counts as the return to idle. hoursRun uses it for that case.
 */
export function profileHours(settings: Pick<DeploymentSettings, "profileExpiresAt"> & { profile: { name: ProfileName } }, period: Period): ProfileHours[] {
  const total = (period.to.getTime() - period.from.getTime()) / HOUR;
  const expiry = settings.profileExpiresAt?.getTime();
  const name = settings.profile.name;
  if (name === "idle" || expiry === undefined || expiry >= period.to.getTime()) return [{ profile: name, hours: total }];
  if (expiry <= period.from.getTime()) return [{ profile: "idle", hours: total }];
  const before = (expiry - period.from.getTime()) / HOUR;
  return [
    { profile: name, hours: before },
    { profile: "idle", hours: total - before },
  ];
}

/** Which of the model's resources a billed row is, from its resource type and meter; null: not in the model. */
export function modelResourceOf(resourceId: string, meter: string): Resource | null {
  const id = resourceId.toLowerCase();
  // Dedicated nodes and the plan's fee may be billed on the environment: they are the pool's.
  if (id.includes("/microsoft.app/sessionpools/") || (/^dedicated /i.test(meter) && id.includes("/microsoft.app/managedenvironments/"))) return "session pool";
  if (id.includes("/microsoft.app/containerapps/")) return "backend";
  if (id.includes("/microsoft.containerregistry/registries/")) return "registry";
  if (id.includes("/microsoft.operationalinsights/workspaces/")) return "log analytics";
  if (id.includes("/microsoft.apimanagement/service/")) return "gateway";
  if (id.includes("/microsoft.insights/metricalerts/")) return "alerts";
  return null;
}

export interface ResourceComparison {
  resource: Resource | "not in the model";
  actual: number;
  /** null for rows the model has no line for. */
  estimate: number | null;
}

export interface Gap {
  usd: number;
  /** (actual - estimate) / estimate; null when the estimate is 0 or missing. */
  share: number | null;
  flagged: boolean;
  causes: string[];
}

export interface SpendComparison {
  actual: number;
  estimate: number | null;
  currency: string;
  hours: ProfileHours[];
  byResource: ResourceComparison[];
  /** Meters billed that the model has no line for, with their cost. */
  unmodelled: Array<{ resourceId: string; meter: string; cost: number }>;
  gap: Gap;
}

/**
 * The model's estimate for exactly the hours run: each profile's always-on lines times its hours
 * (no warm-up or tail: the hours are the ones the stack actually spent at that profile). The usage
 * parts need a load the period does not record, so they are not in it.
 */
export function estimateForHours(book: PriceBook, settings: DeploymentSettings, hours: ProfileHours[]): { total: number | null; byResource: Map<Resource, number> } {
  const byResource = new Map<Resource, number>();
  let complete = true;
  for (const h of hours) {
    // The hours' own sizing (a window's, an operator's), not whatever the stack carries now.
    const sized = h.overrides ? { ...settings, overrides: { ...settings.overrides, [h.profile]: h.overrides } } : settings;
    const e = estimateCost(book, costQuery(settings, profileOf(sized, h.profile), h.hours));
    complete &&= e.complete;
    for (const l of e.lines.filter((l) => l.part === "always-on"))
      byResource.set(l.resource, (byResource.get(l.resource) ?? 0) + (l.perHour ?? 0) * h.hours);
  }
  return { total: complete ? [...byResource.values()].reduce((a, b) => a + b, 0) : null, byResource };
}

/** The bill (Cost Management's rows; their days do not matter here) against the model's estimate, by resource. */
export function compareSpend(rows: Array<Omit<SpendRow, "date">>, estimate: ReturnType<typeof estimateForHours>, hours: ProfileHours[], period: Period, now: Date): SpendComparison {
  const actualBy = new Map<ResourceComparison["resource"], number>();
  const unmodelled = new Map<string, { resourceId: string; meter: string; cost: number }>();
  for (const r of rows) {
    const resource = modelResourceOf(r.resourceId, r.meter) ?? "not in the model";
    actualBy.set(resource, (actualBy.get(resource) ?? 0) + r.cost);
    if (resource === "not in the model") {
      const key = `${r.resourceId}|${r.meter}`;
      const u = unmodelled.get(key) ?? { resourceId: r.resourceId, meter: r.meter, cost: 0 };
      u.cost += r.cost;
      unmodelled.set(key, u);
    }
  }
  const resources = [...new Set<ResourceComparison["resource"]>([...estimate.byResource.keys(), ...actualBy.keys()])];
  const byResource = resources.map((resource) => ({
    resource,
    actual: actualBy.get(resource) ?? 0,
    estimate: resource === "not in the model" ? null : (estimate.byResource.get(resource) ?? 0),
  }));
  const actual = rows.reduce((a, r) => a + r.cost, 0);
  const currencies = [...new Set(rows.map((r) => r.currency).filter(Boolean))];
  const currency = currencies.length === 1 ? currencies[0]! : currencies.length === 0 ? "USD" : currencies.join("+");
  const comparison = { actual, estimate: estimate.total, currency, hours, byResource, unmodelled: [...unmodelled.values()].sort((a, b) => b.cost - a.cost) };
  return { ...comparison, gap: explainGap(comparison, period, now) };
}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** Whether the gap is worth a flag, and its likely causes, most specific first. */
export function explainGap(c: Omit<SpendComparison, "gap">, period: Period, now: Date): Gap {
  if (c.estimate === null) return { usd: NaN, share: null, flagged: false, causes: [] };
  const gapUsd = c.actual - c.estimate;
  const share = c.estimate > 0 ? gapUsd / c.estimate : null;
  const flagged = share === null ? c.actual > 0.01 : Math.abs(share) > SPEND_ASSUMPTIONS.gapShare;
  if (!flagged) return { usd: gapUsd, share, flagged, causes: [] };
  const causes: string[] = [];
  if (c.currency !== "USD") causes.push(`the bill is in ${c.currency}, the model in USD: compare with the exchange rate in mind`);
  const recent = now.getTime() - period.to.getTime() < SPEND_ASSUMPTIONS.billingDelayHours * HOUR;
  const pool = c.byResource.find((r) => r.resource === "session pool");
  if (gapUsd > 0) {
    const unmodelledUsd = c.unmodelled.reduce((a, u) => a + u.cost, 0);
    if (unmodelledUsd > 0.25 * gapUsd)
      causes.push(`meters not in the model: ${c.unmodelled.slice(0, 3).map((u) => `${u.meter} on ${u.resourceId.split("/").pop()} (${usd(u.cost)})`).join(", ")}`);
    if (pool && pool.estimate !== null && pool.actual - pool.estimate > 0.25 * gapUsd)
      causes.push(
        `the pool cost ${usd(pool.actual)} against ${usd(pool.estimate)} for its ready sessions: it ran past its window (an expiry not enforced, a stop that failed), or a load held sessions on more nodes (the model's hours count only the profile's always-on part)`,
      );
  } else {
    if (recent) causes.push(`billing delay: Cost Management's data lags by up to ~${SPEND_ASSUMPTIONS.billingDelayHours} h, so the last hours may be missing (rerun later, or end the period a day ago with --to)`);
    if (pool && pool.estimate !== null && pool.estimate - pool.actual > 0.25 * -gapUsd)
      causes.push(`the pool cost ${usd(pool.actual)} against ${usd(pool.estimate)}: it ran less than the stack file says (stopped early, or the profile changed within the period)`);
  }
  if (causes.length === 0) causes.push("prices other than the price book's (check with --live-prices), or an assumption of the model (docs/costs.md, Assumptions)");
  return { usd: gapUsd, share, flagged, causes };
}
