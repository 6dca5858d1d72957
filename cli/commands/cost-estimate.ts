// `manage cost-estimate`: what each profile costs per hour, day, month and window, per resource.
// Offline by default (embedded prices); --live-prices asks the Azure Retail Prices API.

import { join } from "node:path";
import { PROFILE_NAMES, type ProfileName, type ResolvedProfile } from "../../infra/profiles.js";
import { profileOf, type DeploymentSettings } from "../../infra/config.js";
import {
  estimateCost,
  describeMeter,
  HOURS_PER_MONTH,
  FREE_GRANT_PER_MONTH,
  type CostQuery,
  type Estimate,
  type Load,
} from "../costing/model.js";
import { EMBEDDED_REGIONS, embeddedPriceBook, isKnownRegion, priceDate, unverifiedMeters, type MeterKey, type PriceBook } from "../costing/prices.js";
import { livePriceBook } from "../costing/retail-prices.js";
import { UsageError } from "../errors.js";
import { dim, heading, money, printJson, table, warn } from "../output.js";
import { defaultStack, projectDir } from "../project.js";
import { gibibytes, stackFile, stackSettings } from "../settings.js";

/** The cost model's named assumptions as flags (cost-estimate and capacity both take them). */
export interface CostAssumptionOptions {
  sessionsPerNode?: number;
  nodeReservedShare?: number;
  logGbPer1000Runs?: number;
  logGbPerReplicaHour?: number;
  registryGb?: number;
  warmUpHours?: number;
  tailHours?: number;
  /** false with --no-management-fee. */
  managementFee?: boolean;
}

export interface CostEstimateOptions extends CostAssumptionOptions {
  stack?: string;
  profile?: ProfileName;
  hours?: number;
  days?: number;
  executions?: number;
  avgExecSeconds?: number;
  region?: string;
  livePrices?: boolean;
  json?: boolean;
}

export const DEFAULT_WINDOW_HOURS = 2;

/** Window length from --hours / --days (exclusive), default a 2-hour contest. */
export function windowHours(o: { hours?: number; days?: number }): number {
  if (o.hours !== undefined && o.days !== undefined) throw new UsageError("give either --hours or --days, not both");
  return o.hours ?? (o.days !== undefined ? o.days * 24 : DEFAULT_WINDOW_HOURS);
}

/** Where the region to price came from: the --region option, or the stack's location. */
export type RegionSource = { option: true } | { option: false; stack: string };

/** The price book for a region: embedded, or live with cache and fallback. A region with no prices exits 2. */
export async function priceBookFor(region: string, live: boolean, source: RegionSource = { option: true }): Promise<PriceBook> {
  if (live)
    return livePriceBook(region, {
      cacheDir: join(projectDir(), ".cache", "prices"),
      baseUrl: process.env.MANAGE_RETAIL_PRICES_URL,
    });
  if (!isKnownRegion(region)) {
    const embedded = EMBEDDED_REGIONS.join(", ");
    if (source.option)
      throw new UsageError(`--region "${region}" has no embedded prices: it takes a region of the embedded table (embedded: ${embedded}), or any Azure region with --live-prices, e.g. --region eastus`);
    const file = stackFile(source.stack);
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

/** The model's query for a stack: its sizes, participants and log cap, and any assumption flags. */
export function costQuery(settings: DeploymentSettings, profile: ResolvedProfile, hours: number, extra: CostAssumptionOptions & { load?: Load } = {}): CostQuery {
  return {
    profile,
    session: { cpu: settings.session.cpu, memoryGi: gibibytes(settings.session.memory) },
    backend: { cpu: settings.backend.cpu, memoryGi: gibibytes(settings.backend.memory), concurrentRequests: settings.backend.concurrentRequests },
    registrySku: settings.registrySku,
    gateway: settings.access.gateway && { sku: settings.access.gateway.sku },
    windowHours: hours,
    load: extra.load,
    participants: settings.participants,
    sessionsPerNode: extra.sessionsPerNode,
    reservedShare: extra.nodeReservedShare,
    logs: { gbPer1000Runs: extra.logGbPer1000Runs, gbPerReplicaHour: extra.logGbPerReplicaHour, dailyCapGb: settings.logDailyCapGb },
    registryStoredGb: extra.registryGb,
    managementFee: extra.managementFee,
    warmUpHours: extra.warmUpHours,
    tailHours: extra.tailHours,
  };
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

export async function run(o: CostEstimateOptions): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const hours = windowHours(o);
  const settings = stackSettings(stack);
  const region = o.region ?? settings.location;
  const book = await priceBookFor(region, o.livePrices ?? false, o.region !== undefined ? { option: true } : { option: false, stack });
  const load: Load | undefined =
    o.executions !== undefined ? { executions: o.executions, avgExecSeconds: o.avgExecSeconds ?? 2 } : undefined;
  if (o.avgExecSeconds !== undefined && o.executions === undefined)
    throw new UsageError("--avg-exec-seconds describes a load: give --executions too");
  const extra = { ...o, load };

  const profiles: readonly ProfileName[] = o.profile ? [o.profile] : PROFILE_NAMES;
  const estimates = profiles.map((p) => estimateFor(book, settings, p, hours, extra));
  const idle = estimates.find((e) => e.profile === "idle") ?? estimateFor(book, settings, "idle", hours, extra);
  const lever = biggestLever(estimates, idle);
  warnAboutPrices(book);
  const missing = [...new Set(estimates.flatMap((e) => e.missing))];
  if (missing.length) warnMissingPrices(region, missing);

  if (o.json) {
    printJson({
      stack,
      region,
      prices: { origin: book.origin, asOf: priceDate(book), warnings: book.warnings, used: book.prices },
      windowHours: hours,
      currentProfile: settings.profile.name,
      estimates,
      lever,
    });
    return;
  }

  const window = `${hours} h window`;
  const withPool = estimates.find((e) => e.billedHours > e.windowHours);
  console.log(heading(`Cost estimate for stack ${stack} in ${region}`) + dim(` (prices as of ${priceDate(book)}, ${book.origin})`));
  if (estimates.length > 1) {
    console.log(
      table(
        ["profile", "per hour", "per day", `per month (${HOURS_PER_MONTH} h)`, withPool ? windowLabel(hours, withPool) : window, "at most per day", "E16 nodes", "per execution"],
        estimates.map((e) => [
          e.profile + (e.profile === settings.profile.name ? " (current)" : ""),
          total(e, e.perHour),
          total(e, e.perDay),
          total(e, e.perMonth),
          total(e, e.window),
          e.atMost.complete ? money(e.atMost.perDay) : "n/a",
          e.nodes.peak === e.nodes.ready ? String(e.nodes.ready) : `${e.nodes.ready}-${e.nodes.peak}`,
          money(e.marginalPerExecution),
        ]),
        // On a narrow terminal: the per-execution and nodes columns go first, then the month.
        { droppable: [7, 6, 3] },
      ),
    );
  }
  for (const e of estimates.length === 1 ? estimates : []) {
    console.log(
      table(
        ["resource", "part", "per hour", "per day", windowLabel(hours, e), "basis"],
        e.lines.map((l) => [
          l.resource,
          l.part,
          l.perHour === null ? (l.part === "usage" ? "-" : "n/a") : money(l.perHour),
          l.perHour === null ? (l.part === "usage" ? "-" : "n/a") : money(l.perHour * 24),
          l.windowUsd === null ? "n/a" : money(l.windowUsd),
          l.basis,
        ]),
      ),
    );
    console.log(
      e.complete
        ? `${e.profile}: ${money(e.perHour)}/hour, ${money(e.perDay)}/day, ${money(e.perMonth)}/month; ${money(e.window)} for the ${windowLabel(hours, e)}`
        : `${e.profile}: no total: the ${region} prices of ${e.missing.map(describeMeter).join(", ")} are missing (the parts above with a price are correct)`,
    );
    if (e.atMost.complete) console.log(`At most ${money(e.atMost.perDay)}/day (${e.atMost.basis}); the stack's ceiling is ${money(settings.costCeilingPerDay)}/day.`);
    if (e.marginalPerExecution !== null)
      console.log(`Each execution adds about ${money(e.marginalPerExecution)} (its session is held for the run plus the cooldown).`);
  }
  if (lever) console.log(`Biggest lever: idle instead of ${lever.from} saves ${money(lever.savesPerDay)}/day.`);
  if (withPool)
    console.log(
      dim(`Windows include ${+(withPool.billedHours - withPool.windowHours).toFixed(2)} h of warm-up before and tail after the contest (profiles with a pool; --warm-up-hours, --tail-hours).`),
    );
  const grant = estimates[0]?.freeGrantUsd ?? null;
  console.log(
    dim(
      `Not subtracted: the Consumption free grant per subscription and month (${FREE_GRANT_PER_MONTH.vcpuSeconds.toLocaleString("en-US")} vCPU-s, ` +
        `${FREE_GRANT_PER_MONTH.gibSeconds.toLocaleString("en-US")} GiB-s, ${FREE_GRANT_PER_MONTH.requests / 1e6}M requests${grant === null ? "" : `, worth ${money(grant)}`}), ` +
        "nor Log Analytics' 5 GB a month per billing account.",
    ),
  );
  for (const note of assumptionNotes(estimates[0]!, estimates.slice(1))) console.log(dim(note));
}
