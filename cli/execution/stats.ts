// Latency summaries for smoke and load tests. Pure.

import * as v from "valibot";

/** Nearest-rank percentile (p in 0..100) of unsorted samples; null for no samples. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const MS = v.nullable(v.number());
/** A summary of latencies in ms, as summarize gives it and the run log records it (./run-log.ts). */
export const LATENCY_SUMMARY = v.object({ count: v.number(), p50: MS, p95: MS, p99: MS, max: MS });
export type LatencySummary = v.InferOutput<typeof LATENCY_SUMMARY>;

export function summarize(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: samples.length ? Math.max(...samples) : null,
  };
}

/** "120 ms" / "2.4 s"; "-" when there is nothing to show. */
export function formatMs(ms: number | null): string {
  if (ms === null) return "-";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
