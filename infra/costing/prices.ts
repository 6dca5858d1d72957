// Prices, each with the meter it is billed under, its unit, when and where it was taken, and how
// sure we are of it. The embedded table is what offline estimates use; `--live-prices` replaces it
// with the Azure Retail Prices API's current numbers (cli/costing/retail-prices.ts).
//
// Rule: never an invented number. A meter a region lacks here is reported as missing by the
// estimate, not filled in from another region. A price not fetched from the Retail Prices API is
// marked "unverified" and every estimate that uses one says so.

/** Every rate the cost model uses. */
export const METERS = {
  dedicatedVcpuHour: { meterName: "Dedicated vCPU Usage", unit: "1 Hour", what: "Dedicated plan vCPU-hour" },
  dedicatedMemoryGibHour: { meterName: "Dedicated Memory Usage", unit: "1 Hour", what: "Dedicated plan GiB-hour" },
  dedicatedManagementHour: { meterName: "Dedicated Plan Management", unit: "1 Hour", what: "Dedicated plan management fee, per hour" },
  consumptionVcpuActiveSecond: { meterName: "Standard vCPU Active Usage", unit: "1 Second", what: "Consumption vCPU-second, active" },
  consumptionVcpuIdleSecond: { meterName: "Standard vCPU Idle Usage", unit: "1 Second", what: "Consumption vCPU-second, idle" },
  consumptionMemoryActiveGibSecond: { meterName: "Standard Memory Active Usage", unit: "1 GiB Second", what: "Consumption GiB-second, active" },
  consumptionMemoryIdleGibSecond: { meterName: "Standard Memory Idle Usage", unit: "1 GiB Second", what: "Consumption GiB-second, idle" },
  consumptionRequestsMillion: { meterName: "Standard Requests", unit: "1M", what: "Consumption requests, per million" },
  registryBasicDay: { meterName: "Basic Registry Unit", unit: "1/Day", what: "Container Registry Basic, per day" },
  registryStandardDay: { meterName: "Standard Registry Unit", unit: "1/Day", what: "Container Registry Standard, per day" },
  registryPremiumDay: { meterName: "Premium Registry Unit", unit: "1/Day", what: "Container Registry Premium, per day" },
  registryStorageGbMonth: { meterName: "Data Stored", unit: "1 GB/Month", what: "Container Registry storage beyond the SKU's included GB, per GB-month" },
  logIngestionGb: { meterName: "Analytics Logs Data Ingestion", unit: "1 GB", what: "Log Analytics ingestion, per GB" },
  // The gateway's tiers (accessMode token; docs/costs.md, "The gateway"). Meter names as the Retail
  // Prices API is expected to spell them: UNCONFIRMED (never fetched).
  apimDeveloperHour: { meterName: "Developer Units", unit: "1 Hour", what: "API Management Developer unit, per hour" },
  apimBasicHour: { meterName: "Basic Units", unit: "1 Hour", what: "API Management Basic unit, per hour" },
  // Azure Monitor metric alert rules (alertEmails; docs/costs.md, "Alerts and the budget"): billed per
  // metric time series a rule monitors, per month. Meter name UNCONFIRMED (never fetched).
  metricAlertTimeSeriesMonth: { meterName: "Metric Alert Rule Time Series Monitored", unit: "1/Month", what: "Azure Monitor metric alert, per monitored time series per month" },
} as const;
export type MeterKey = keyof typeof METERS;

/** "recorded": taken from the Retail Prices API. "unverified": not fetched; confirm with --live-prices. */
export type Confidence = "recorded" | "unverified";

export interface Price {
  usd: number;
  /** When the price was taken (YYYY-MM or YYYY-MM-DD). */
  asOf: string;
  source: string;
  confidence: Confidence;
}

export interface PriceBook {
  region: string;
  /** "embedded" (this file), "live" (fetched now) or "cache" (fetched earlier, with its date). */
  origin: "embedded" | "live" | "cache";
  prices: Partial<Record<MeterKey, Price>>;
  /** Said out loud by every estimate that uses this book (unverified prices, stale cache...). */
  warnings: string[];
}

const FACTS = "shared/azure-facts.md (Azure Retail Prices API, koreacentral)";
const FACTS_NO_REGION = "shared/azure-facts.md (region not stated there)";
const UNVERIFIED = "list price recalled from the Azure pricing page; not fetched (no network where this table was written)";
const THIRD_PARTY_WESTEUROPE =
  "a public repository's recorded Retail Prices API response for westeurope, stated there as live-verified on 2026-08-28";

/**
 * The gateway options' list prices (docs/costs.md, "The gateway"): a named assumption, dated. Not
 * fetched (no network where this table was written) and not in shared/azure-facts.md: each is the
 * monthly list price on Azure's pricing pages as recalled, divided by 730 hours. Confirm them with
 * --live-prices, or on the pricing pages, before trusting a total that includes a gateway.
 */
const GATEWAY_LIST_PRICES_2026_11 =
  "ASSUMPTION gateway-list-prices-2026-11: monthly list price recalled from Azure's API Management / Front Door pricing pages, / 730 h; not fetched (no network where this table was written)";
/**
 * Metric alerts' list price: a named assumption, dated, like the gateway's. Not in
 * shared/azure-facts.md and not fetched: Azure Monitor's pricing page as recalled, $0.10 per
 * monitored metric time series per month (a rule on one resource, one metric and a fixed dimension
 * value monitors one series). The page's free allowance (a few series a month) is not subtracted,
 * like every other free grant. Action groups' mails (the first 1,000 a month free) and budgets
 * (Cost Management budgets carry no charge) are left out as free.
 */
const METRIC_ALERT_LIST_PRICE_2026_11 =
  "ASSUMPTION metric-alert-list-price-2026-11: $0.10 per monitored metric time series per month, recalled from Azure Monitor's pricing page; not fetched (no network where this table was written)";
const recorded = (usd: number, asOf: string, source: string): Price => ({ usd, asOf, source, confidence: "recorded" });
const unverified = (usd: number, asOf: string, source = UNVERIFIED): Price => ({ usd, asOf, source, confidence: "unverified" });

// Registry daily fee and request price as azure-facts.md states them (no region given there).
const REGISTRY_BASIC = recorded(0.167, "2026-05", FACTS_NO_REGION);

// Log Analytics per GB as azure-facts.md records them: the two US East regions differ.
const FACTS_LOGS = "shared/azure-facts.md (Log Analytics, recorded 2026-09)";

const US_EAST_UNVERIFIED: Partial<Record<MeterKey, Price>> = {
  dedicatedVcpuHour: unverified(0.0571, "2026-05"),
  dedicatedMemoryGibHour: unverified(0.005, "2026-05"),
  dedicatedManagementHour: unverified(0.1, "2026-05"),
  consumptionVcpuActiveSecond: unverified(0.000024, "2026-05"),
  consumptionVcpuIdleSecond: unverified(0.000003, "2026-05"),
  consumptionMemoryActiveGibSecond: unverified(0.000003, "2026-05"),
  consumptionMemoryIdleGibSecond: unverified(0.000003, "2026-05"),
  consumptionRequestsMillion: recorded(0.4, "2026-05", FACTS_NO_REGION),
  registryBasicDay: REGISTRY_BASIC,
  registryStorageGbMonth: unverified(0.1, "2026-05"),
  apimDeveloperHour: unverified(48.03 / 730, "2026-11", GATEWAY_LIST_PRICES_2026_11),
  apimBasicHour: unverified(147.17 / 730, "2026-11", GATEWAY_LIST_PRICES_2026_11),
  metricAlertTimeSeriesMonth: unverified(0.1, "2026-11", METRIC_ALERT_LIST_PRICE_2026_11),
};

/** The embedded table. Regions: at least eastus, eastus2, westeurope; koreacentral is the best sourced. */
export const EMBEDDED_PRICES: Readonly<Record<string, Partial<Record<MeterKey, Price>>>> = {
  koreacentral: {
    dedicatedVcpuHour: recorded(0.057077, "2026-05", FACTS),
    dedicatedMemoryGibHour: recorded(0.004978, "2026-05", FACTS),
    dedicatedManagementHour: recorded(0.1, "2026-05", FACTS),
    registryBasicDay: REGISTRY_BASIC,
  },
  // The same list prices in both US East regions (unverified: confirm with --live-prices), except
  // Log Analytics, recorded per region.
  eastus: { ...US_EAST_UNVERIFIED, logIngestionGb: recorded(2.3, "2026-09", FACTS_LOGS) },
  eastus2: { ...US_EAST_UNVERIFIED, logIngestionGb: recorded(2.76, "2026-09", FACTS_LOGS) },
  westeurope: {
    consumptionVcpuActiveSecond: recorded(0.000034, "2026-08-28", THIRD_PARTY_WESTEUROPE),
    consumptionVcpuIdleSecond: recorded(0.000004, "2026-08-28", THIRD_PARTY_WESTEUROPE),
    consumptionMemoryActiveGibSecond: recorded(0.000004, "2026-08-28", THIRD_PARTY_WESTEUROPE),
    consumptionMemoryIdleGibSecond: recorded(0.000004, "2026-08-28", THIRD_PARTY_WESTEUROPE),
    consumptionRequestsMillion: recorded(0.56, "2026-08-28", THIRD_PARTY_WESTEUROPE),
    registryBasicDay: REGISTRY_BASIC,
  },
};

export const EMBEDDED_REGIONS = Object.keys(EMBEDDED_PRICES).sort();

export function isKnownRegion(region: string): boolean {
  // Its own regions only: `in` also answers for what every object inherits ("constructor", "toString").
  return Object.hasOwn(EMBEDDED_PRICES, region);
}

/** The meters behind a book's unverified prices, for --verbose. */
export function unverifiedMeters(book: Pick<PriceBook, "prices">): string[] {
  return (Object.keys(book.prices) as MeterKey[]).filter((k) => book.prices[k]?.confidence === "unverified").map((k) => METERS[k].meterName);
}

/** The embedded table's book, saying how many of its prices are unverified before anyone trusts its totals. */
export function embeddedPriceBook(region: string): PriceBook {
  const prices = EMBEDDED_PRICES[region];
  if (!prices) throw new Error(`no embedded prices for region ${region}`);
  const unverified = unverifiedMeters({ prices }).length;
  return { region, origin: "embedded", prices, warnings: unverified ? [`${unverified} ${region} price(s) are unverified: --live-prices confirms them`] : [] };
}

/** The newest date among a book's prices: "prices as of ...". */
export function priceDate(book: PriceBook): string {
  return (Object.values(book.prices) as Price[]).map((p) => p.asOf).sort().at(-1) ?? "n/a";
}
