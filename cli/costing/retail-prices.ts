// The Azure Retail Prices API (public, no auth): current list prices for a region, cached on disk
// with their date. When the API cannot be reached, the last cache is used, then the embedded table,
// and the estimate says which with a visible warning.
//
// GET https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview&$filter=...
// -> { Items[], NextPageLink, Count }, 100 items a page. Filter values are case-sensitive.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { embeddedPriceBook, isKnownRegion, METERS, type MeterKey, type Price, type PriceBook } from "../../infra/costing/prices.js";

export const RETAIL_PRICES_URL = "https://prices.azure.com/api/retail/prices";
export const RETAIL_PRICES_API_VERSION = "2023-01-01-preview";
/** The services whose meters the cost model uses, as the API spells them (case-sensitive). */
export const PRICED_SERVICES = ["Azure Container Apps", "Container Registry", "Log Analytics", "API Management"] as const;
/** A runaway NextPageLink chain is a bug, not a price list: stop well above the real page count. */
const MAX_PAGES = 50;

export interface RetailItem {
  meterName: string;
  productName?: string;
  serviceName?: string;
  unitOfMeasure: string;
  retailPrice: number;
  unitPrice?: number;
  armRegionName: string;
  type?: string;
  effectiveStartDate?: string;
  tierMinimumUnits?: number;
}

export function retailPricesUrl(service: string, region: string, base = RETAIL_PRICES_URL): string {
  const filter = `serviceName eq '${service}' and armRegionName eq '${region}'`;
  return `${base}?api-version=${RETAIL_PRICES_API_VERSION}&$filter=${encodeURIComponent(filter)}`;
}

export type Fetch = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

/** Every item of a query, following NextPageLink until it is null. */
export async function fetchAllItems(url: string, opts: { fetch?: Fetch; timeoutMs?: number } = {}): Promise<RetailItem[]> {
  const doFetch = opts.fetch ?? fetch;
  const items: RetailItem[] = [];
  let next: string | null = url;
  for (let page = 0; next; page++) {
    if (page >= MAX_PAGES) throw new Error(`the Retail Prices API returned more than ${MAX_PAGES} pages for ${url}`);
    const response = await doFetch(next, { signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
    if (!response.ok) throw new Error(`the Retail Prices API answered HTTP ${response.status} for ${next}`);
    const body = (await response.json()) as { Items?: RetailItem[]; NextPageLink?: string | null };
    items.push(...(body.Items ?? []));
    next = body.NextPageLink ?? null;
  }
  return items;
}

/**
 * The pay-as-you-go price of each meter the model uses. Reservation and dev/test rows are skipped,
 * and so are zero-priced free tiers (Log Analytics publishes its free 5 GB as a $0 row).
 */
export function pricesFromItems(items: RetailItem[], asOf: string): Partial<Record<MeterKey, Price>> {
  const prices: Partial<Record<MeterKey, Price>> = {};
  for (const key of Object.keys(METERS) as MeterKey[]) {
    const { meterName, unit } = METERS[key];
    const candidates = items
      .filter((i) => i.meterName === meterName && i.unitOfMeasure === unit && (i.type ?? "Consumption") === "Consumption")
      .filter((i) => i.retailPrice > 0)
      .sort((a, b) => (a.tierMinimumUnits ?? 0) - (b.tierMinimumUnits ?? 0));
    const chosen = candidates[0];
    if (chosen)
      prices[key] = {
        usd: chosen.retailPrice,
        asOf,
        source: `Azure Retail Prices API (${chosen.armRegionName}, ${chosen.productName ?? chosen.serviceName ?? "?"})`,
        confidence: "recorded",
      };
  }
  return prices;
}

interface CacheFile {
  region: string;
  fetchedAt: string;
  items: RetailItem[];
}

export interface LivePriceOptions {
  cacheDir: string;
  fetch?: Fetch;
  baseUrl?: string;
  timeoutMs?: number;
  now?: () => Date;
}

/** Current prices for a region: live, else the last cache, else the embedded table; never silent. */
export async function livePriceBook(region: string, opts: LivePriceOptions): Promise<PriceBook> {
  const now = (opts.now ?? (() => new Date()))();
  const cachePath = join(opts.cacheDir, `${region}.json`);
  try {
    const items = (
      await Promise.all(
        PRICED_SERVICES.map((service) =>
          fetchAllItems(retailPricesUrl(service, region, opts.baseUrl), { fetch: opts.fetch, timeoutMs: opts.timeoutMs }),
        ),
      )
    ).flat();
    if (items.length === 0) throw new Error(`the Retail Prices API has no prices for region "${region}"`);
    const fetchedAt = now.toISOString();
    await mkdir(opts.cacheDir, { recursive: true });
    await writeFile(cachePath, JSON.stringify({ region, fetchedAt, items } satisfies CacheFile));
    // Fetched prices are all recorded: a live book has nothing unverified to warn of.
    return { region, origin: "live", prices: pricesFromItems(items, fetchedAt.slice(0, 10)), warnings: [] };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const cached = await readCache(cachePath);
    if (cached)
      return {
        region,
        origin: "cache",
        prices: pricesFromItems(cached.items, cached.fetchedAt.slice(0, 10)),
        warnings: [`live prices unavailable (${reason}); using prices cached ${cached.fetchedAt}`],
      };
    if (!isKnownRegion(region)) throw new Error(`live prices unavailable (${reason}) and no embedded prices for region "${region}"`);
    const book = embeddedPriceBook(region);
    return { ...book, warnings: [`live prices unavailable (${reason}); using the embedded table`, ...book.warnings] };
  }
}

async function readCache(path: string): Promise<CacheFile | null> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as CacheFile;
  } catch {
    return null;
  }
}
