// The Retail Prices API client against a local server answering in the API's documented shape
// ({ Items, NextPageLink, Count }, 100 items a page). The pages are built here from the embedded
// table's own numbers plus the row kinds the real API mixes in (reservations, a $0 free tier).
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fetchAllItems, livePriceBook, pricesFromItems, retailPricesUrl, type RetailItem } from "../../cli/costing/retail-prices.js";

const item = (meterName: string, unitOfMeasure: string, retailPrice: number, extra: Partial<RetailItem> = {}): RetailItem => ({
  meterName,
  unitOfMeasure,
  retailPrice,
  unitPrice: retailPrice,
  armRegionName: "eastus",
  productName: "Azure Container Apps",
  type: "Consumption",
  effectiveStartDate: "2026-01-01T00:00:00Z",
  ...extra,
});

// 150 filler rows force a second page, as 100 items a page does for real.
const filler = Array.from({ length: 150 }, (_, i) => item(`Some Other Meter ${i}`, "1 Hour", 1));
const APPS = [
  ...filler,
  item("Dedicated vCPU Usage", "1 Hour", 0.0571),
  item("Dedicated vCPU Usage", "1 Hour", 0.04, { type: "Reservation" }),
  item("Dedicated Memory Usage", "1 Hour", 0.005),
  item("Dedicated Plan Management", "1 Hour", 0.1),
  item("Standard vCPU Active Usage", "1 Second", 0.000024),
  item("Standard vCPU Idle Usage", "1 Second", 0.000003),
  item("Standard Memory Active Usage", "1 GiB Second", 0.000003),
  item("Standard Memory Idle Usage", "1 GiB Second", 0.000003),
  item("Standard Requests", "1M", 0.4),
];
const REGISTRY = [item("Basic Registry Unit", "1/Day", 0.167, { productName: "Container Registry" })];
const LOGS = [
  item("Analytics Logs Data Ingestion", "1 GB", 0, { tierMinimumUnits: 0, productName: "Log Analytics" }),
  item("Analytics Logs Data Ingestion", "1 GB", 2.3, { tierMinimumUnits: 5, productName: "Log Analytics" }),
];

let server: Server;
let base = "";
const requests: string[] = [];
let mode: "ok" | "down" | "slow" = "ok";

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, base);
    requests.push(url.search);
    if (mode === "down") return void res.writeHead(503).end();
    if (mode === "slow") return void setTimeout(() => res.end("{}"), 2000);
    const filter = url.searchParams.get("$filter") ?? "";
    const rows = filter.includes("'Azure Container Apps'") ? APPS : filter.includes("'Container Registry'") ? REGISTRY : filter.includes("'Log Analytics'") ? LOGS : [];
    const skip = Number(url.searchParams.get("$skip") ?? 0);
    const page = rows.slice(skip, skip + 100);
    const next = skip + 100 < rows.length ? `${base}/api/retail/prices?${url.searchParams.toString().replace(/&?\$skip=\d+/, "")}&$skip=${skip + 100}` : null;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ BillingCurrency: "USD", Items: page, NextPageLink: next, Count: page.length }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => server.close());

const api = () => `${base}/api/retail/prices`;

describe("Retail Prices API client", () => {
  test("filters by service and region with the API's case-sensitive values", () => {
    const url = new URL(retailPricesUrl("Azure Container Apps", "eastus", api()));
    expect(url.searchParams.get("api-version")).toBe("2023-01-01-preview");
    expect(url.searchParams.get("$filter")).toBe("serviceName eq 'Azure Container Apps' and armRegionName eq 'eastus'");
  });

  test("follows NextPageLink until it is null", async () => {
    mode = "ok";
    const items = await fetchAllItems(retailPricesUrl("Azure Container Apps", "eastus", api()));
    expect(items).toHaveLength(APPS.length);
  });

  test("keeps pay-as-you-go rows, skipping reservations and the $0 free tier", () => {
    const prices = pricesFromItems([...APPS, ...REGISTRY, ...LOGS], "2026-11-22");
    expect(prices.dedicatedVcpuHour?.usd).toBe(0.0571);
    expect(prices.logIngestionGb?.usd).toBe(2.3);
    expect(prices.registryBasicDay).toMatchObject({ usd: 0.167, asOf: "2026-11-22", confidence: "recorded" });
    expect(prices.registryPremiumDay).toBeUndefined();
  });

  test("live: fetches every priced service, caches it with its date, and needs no warning", async () => {
    mode = "ok";
    const cacheDir = mkdtempSync(join(tmpdir(), "prices-"));
    const book = await livePriceBook("eastus", { cacheDir, baseUrl: api(), now: () => new Date("2026-11-22T10:00:00Z") });
    expect(book.origin).toBe("live");
    expect(book.warnings).toEqual([]);
    expect(book.prices.consumptionRequestsMillion?.usd).toBe(0.4);
    const cache = JSON.parse(readFileSync(join(cacheDir, "eastus.json"), "utf8"));
    expect(cache.fetchedAt).toBe("2026-11-22T10:00:00.000Z");
  });

  test("offline: falls back to the cache, saying so with its date", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "prices-"));
    mode = "ok";
    await livePriceBook("eastus", { cacheDir, baseUrl: api(), now: () => new Date("2026-11-20T08:00:00Z") });
    mode = "down";
    const book = await livePriceBook("eastus", { cacheDir, baseUrl: api() });
    expect(book.origin).toBe("cache");
    expect(book.warnings[0]).toMatch(/live prices unavailable \(.*HTTP 503.*\); using prices cached 2026-11-20T08:00:00.000Z/);
    expect(book.prices.dedicatedVcpuHour?.usd).toBe(0.0571);
  });

  test("offline with no cache: the embedded table, with a visible warning", async () => {
    mode = "slow";
    const cacheDir = mkdtempSync(join(tmpdir(), "prices-"));
    const book = await livePriceBook("westeurope", { cacheDir, baseUrl: api(), timeoutMs: 200 });
    expect(book.origin).toBe("embedded");
    expect(book.warnings[0]).toMatch(/live prices unavailable .*using the embedded table/);
    expect(existsSync(join(cacheDir, "westeurope.json"))).toBe(false);
  });

  test("offline, no cache and a region nobody has prices for: an error, not a number", async () => {
    mode = "down";
    const cacheDir = mkdtempSync(join(tmpdir(), "prices-"));
    await expect(livePriceBook("brazilsouth", { cacheDir, baseUrl: api() })).rejects.toThrow(/no embedded prices for region "brazilsouth"/);
  });
});
