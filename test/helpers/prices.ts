// A price book with round numbers, so expected costs can be computed by hand in the tests.
import type { MeterKey, Price, PriceBook } from "../../infra/costing/prices.js";

export function bookOf(usd: Partial<Record<MeterKey, number>>, region = "testregion"): PriceBook {
  const prices = Object.fromEntries(
    Object.entries(usd).map(([k, v]) => [k, { usd: v, asOf: "2026-01", source: "test", confidence: "recorded" } satisfies Price]),
  );
  return { region, origin: "embedded", prices, warnings: [] };
}

export const ROUND_PRICES = bookOf({
  dedicatedVcpuHour: 0.05,
  dedicatedMemoryGibHour: 0.005,
  dedicatedManagementHour: 0.1,
  consumptionVcpuActiveSecond: 0.00002,
  consumptionVcpuIdleSecond: 0.000002,
  consumptionMemoryActiveGibSecond: 0.000002,
  consumptionMemoryIdleGibSecond: 0.000002,
  consumptionRequestsMillion: 0.4,
  registryBasicDay: 0.24,
  registryStandardDay: 0.72,
  registryPremiumDay: 2.4,
  registryStorageGbMonth: 0.73,
  logIngestionGb: 2.4,
});
