// Estimating what a stack costs, shared by every command that shows a cost (cost-estimate, capacity,
// plan, status) and by the change path (the cost line after a change, the cost ceiling): choosing a
// price book, the cost query for a stack's settings, and the words around an estimate. Command
// modules stay leaves: they import this, never each other.
import { join } from "node:path";
import type { ProfileName, ResolvedProfile } from "../../infra/profiles.js";
import { profileOf, type DeploymentSettings } from "../../infra/config.js";
import { estimateCost, describeMeter, GATEWAY_METERS, type Estimate, type Load } from "../../infra/costing/model.js";
import { GATEWAY_CREATE_MINUTES, gatewayFor } from "../../infra/access-mode.js";
import { EMBEDDED_REGIONS, embeddedPriceBook, isKnownRegion, unverifiedMeters, type MeterKey, type PriceBook } from "../../infra/costing/prices.js";
import { livePriceBook } from "./retail-prices.js";
import { UsageError } from "../errors.js";
import { money, warn } from "../output.js";
import { projectDir } from "../project.js";
import type { CostAssumptionFlags } from "../main.js";
import { stackFile } from "../settings.js";
// The query itself is pure and light (infra/costing/query.ts): the program's budget builds it too.
import { costQuery, gibibytes, type CostAssumptionOptions } from "../../infra/costing/query.js";
import { CAPACITY_DEFAULTS, sessionsPerNodeRange } from "../../infra/capacity.js";

/** A check the compiler makes: true when it holds, a type error when not. */
type Holds<T extends true> = T;
/**
 * The cost assumptions the estimate reads are named in infra/costing/query.ts, which the program
 * shares and so cannot import the CLI: each field it names must be an option main.ts declares
 * (withCostAssumptions), so renaming a flag or a field alone fails the type check here (passing
 * the options checks their value types).
 */
export type AssumptionsDeclared = Holds<[Exclude<keyof CostAssumptionOptions, keyof CostAssumptionFlags>] extends [never] ? true : false>;

/** Window length from --hours / --days (exclusive), default a contest (CAPACITY_DEFAULTS.hours). */
export function windowHours(o: { hours?: number; days?: number }): number {
  if (o.hours !== undefined && o.days !== undefined) throw new UsageError("give either --hours or --days, not both");
  return o.hours ?? (o.days !== undefined ? o.days * 24 : CAPACITY_DEFAULTS.hours);
}

/**
 * The price book for --region, else the stack's location: embedded, or live with cache and fallback
 * (--live-prices). A region with no prices exits 2, naming where it came from.
 */
export async function priceBookFor(o: Pick<CostAssumptionFlags, "region" | "livePrices">, settings: Pick<DeploymentSettings, "stack" | "location">): Promise<PriceBook> {
  const region = o.region ?? settings.location;
  if (o.livePrices)
    return livePriceBook(region, {
      cacheDir: join(projectDir(), ".cache", "prices"),
      baseUrl: process.env.MANAGE_RETAIL_PRICES_URL,
    });
  if (!isKnownRegion(region)) {
    const embedded = EMBEDDED_REGIONS.join(", ");
    if (o.region !== undefined)
      throw new UsageError(`--region "${region}" has no embedded prices: it takes a region of the embedded table (embedded: ${embedded}), or any Azure region with --live-prices, e.g. --region eastus`);
    const file = stackFile(settings.stack);
    const line = file.lineOf("location");
    throw new UsageError(
      `no embedded prices for region "${region}", the location in ${file.name}${line ? `:${line}` : ""} (embedded: ${embedded})\n` +
        `  Fix: price it with --live-prices, or in another region with --region (one of those)`,
    );
  }
  return embeddedPriceBook(region);
}

/** Prices the table lacks: one short line; which ones with --verbose. */
export function warnMissingPrices(region: string, missing: MeterKey[]): void {
  warn(`${missing.length} ${region} price(s) missing: totals that need them say n/a (--live-prices, or another --region)`, `missing: ${missing.map(describeMeter).join(", ")}`);
}

/** A book's warnings, each one short line once per run; which prices, with --verbose. */
export function warnAboutPrices(book: PriceBook): void {
  for (const w of book.warnings) warn(w, /unverified/.test(w) ? `unverified: ${unverifiedMeters(book).join(", ")} (embedded table, from Microsoft's pricing pages)` : undefined);
}

/** One estimate for a profile of the stack, with the stack's own overrides, sizes and participants. */
export function estimateFor(
  book: PriceBook,
  settings: DeploymentSettings,
  profile: ProfileName,
  hours: number,
  extra: CostAssumptionOptions & { load?: Load; profileOverride?: ResolvedProfile } = {},
): Estimate {
  return estimateCost(book, costQuery(settings, extra.profileOverride ?? profileOf(settings, profile), hours, extra));
}

/**
 * The window's cost at both ends of the sessions-per-node range (infra/capacity.ts
 * NODE_RESERVED_SHARE_RANGE: unmeasured until a load test reads the pool's nodeCount), for a profile
 * with a pool; null without one, or when --sessions-per-node fixes the number. Asked as estimateFor is.
 */
export function windowRange(...[book, settings, profile, hours, extra = {}]: Parameters<typeof estimateFor>): { fewest: number; most: number; high: number; low: number } | null {
  const resolved = extra.profileOverride ?? profileOf(settings, profile);
  if (!resolved.pool || extra.sessionsPerNode !== undefined) return null;
  const range = sessionsPerNodeRange({ cpu: settings.session.cpu, memoryGi: gibibytes(settings.session.memory) });
  const at = (spn: number) => estimateFor(book, settings, profile, hours, { ...extra, sessionsPerNode: spn });
  const high = at(range.fewest);
  const low = at(range.most);
  if (!high.complete || !low.complete) return null;
  return { fewest: range.fewest, most: range.most, high: high.window, low: low.window };
}

/** "$31–$48 at 24–32 sessions per node": a window cost as the range it is until sessions per node are measured. */
export function rangeText(r: { fewest: number; most: number; high: number; low: number }): string {
  return `${money(r.low) === money(r.high) ? money(r.low) : `${money(r.low)}–${money(r.high)}`} at ${r.most}–${r.fewest} sessions per node`;
}

/** The assumption lines every cost view ends with (dim): what was assumed and the flag to change it. */
export function assumptionNotes(e: Estimate, others: Estimate[] = []): string[] {
  const notes: string[] = [];
  // Only complete estimates: a partial sum "without the fee" would be another false total.
  const withNodes = [e, ...others].filter((x) => x.nodes.ready > 0 && x.complete);
  if (withNodes.length && e.managementFee.assumed)
    notes.push(
      `Management fee assumed (the docs tie it to dedicated workload profiles; unconfirmed for a pool alone; --no-management-fee): without it ` +
        withNodes.map((x) => `${x.profile} ${money(x.perDay - x.managementFee.perHour * 24)}/day`).join(", ") + ".",
    );
  else if (!e.managementFee.assumed) notes.push("Management fee left out (--no-management-fee): if Azure charges it, add $0.10/hour while any node exists.");
  notes.push(
    `Session pools bill whole E16 nodes for held + ready sessions: ${e.sessionsPerNode} sessions per node assumed` +
      (e.reservedShare === null ? " (--sessions-per-node)" : ` (net of ${+(e.reservedShare * 100).toFixed(1)}% of each node reserved; --node-reserved-share)`) +
      ". See docs/costs.md.",
  );
  return notes;
}

/** "2 h window" plus what it bills around it. */
export function windowLabel(hours: number, e: Estimate): string {
  const margin = e.billedHours - e.windowHours;
  return `${hours} h window` + (margin > 0 ? ` (+${+margin.toFixed(2)} h)` : "");
}

/** "idle instead of contest saves $X/day": the biggest saving on the table, only between complete estimates. */
export function biggestLever(estimates: Estimate[], idle: Estimate): { from: string; savesPerDay: number } | null {
  if (!idle.complete) return null;
  const costliest = estimates.filter((e) => e.profile !== "idle" && e.complete).sort((a, b) => b.perDay - a.perDay)[0];
  if (!costliest || costliest.perDay <= idle.perDay) return null;
  return { from: costliest.profile, savesPerDay: costliest.perDay - idle.perDay };
}

/** A total, or n/a when a price it needs is missing: a partial sum is not a total. */
export const total = (e: Estimate, usd: number | null) => (e.complete ? money(usd) : "n/a");

/**
 * What a change that brings up a pool on a token stack must say (manual use stays honest): the
 * gateway comes up with the pool, may take GATEWAY_CREATE_MINUTES to create, and bills per hour
 * while it runs; a stop deletes it. Null where no gateway runs with the profile.
 */
export function gatewayNotice(settings: DeploymentSettings, profile: ProfileName): string | null {
  const resolved = profileOf(settings, profile);
  const gateway = gatewayFor(settings.access.gateway, resolved.pool);
  if (!gateway) return null;
  const perHour = isKnownRegion(settings.location) ? embeddedPriceBook(settings.location).prices[GATEWAY_METERS[gateway.sku]]?.usd : undefined;
  return (
    `${settings.stack} is in accessMode token: the gateway (API Management ${gateway.sku}) runs with the pool. If it is not up yet, creating it ` +
    `may take up to ${GATEWAY_CREATE_MINUTES} minutes; it costs ${perHour === undefined ? "an unknown amount" : `${money(perHour)}/hour (${money(perHour * 24)}/day)`} ` +
    `until \`manage stop\` deletes it with the pool. For a contest, \`manage schedule\` warms up early enough for it.`
  );
}
