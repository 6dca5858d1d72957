// Reading Azure Monitor: the session pool's and the backend's platform metrics, with the real
// @azure/arm-monitor client on the ARM plane (MonitorClient.metrics.list), so the same endpoint
// override (MANAGE_ARM_ENDPOINT) and credential as every other Azure read apply, and tests point it
// at test/arm-server. Loaded only by `manage watch`.
//
// Why this SDK and version: @azure/arm-monitor 8 needs Node 22, and these machines (and the
// package's engines) still allow Node 20, so 7.0.0 (the last release for Node 20), as with
// @azure/arm-appcontainers 3 and @azure/identity 4.13.0. The data-plane alternative
// (@azure/monitor-query-metrics, <region>.metrics.monitor.azure.com) would need a second endpoint
// and token audience. 7.0.0 sends api-version 2018-01-01 of Metrics_List, whose REST shape is
// specification/monitor/resource-manager/Microsoft.Insights/stable/2018-01-01/metrics_API.json in
// Azure/azure-rest-api-specs: GET {resourceUri}/providers/Microsoft.Insights/metrics
//   ?api-version&metricnames=A,B&timespan=start/end&interval=PT1M&aggregation=average,total
//   [&$filter=dim eq '*'][&top=N (series, default 10 when filtered)][&metricnamespace]
// -> { cost, timespan, interval, namespace, resourceregion, value: [ { id, type, name: {value,
//      localizedValue}, unit, timeseries: [ { metadatavalues: [{name: {value}, value}], data:
//      [ {timeStamp, average?, total?, maximum?, minimum?, count?} ] } ] } ] }
// A minute with no data comes back as a point with only a timeStamp.
//
// Metric names (shared/azure-facts.md; Azure Monitor's supported-metrics pages):
//   Microsoft.App/sessionPools    PoolExecutingPodCount, PoolPendingPodCount, PoolReadyPodCount (PT1M)
//   Microsoft.App/containerApps   Replicas, Requests (dimensions statusCodeCategory, statusCode)
// The pool namespace has no node metric: nodes come from the pool's nodeCount (ARM, live.ts).

import pRetry from "p-retry";
import { armOptions, azureCredential } from "./live.js";

const POOL_METRICS = { executing: "PoolExecutingPodCount", pending: "PoolPendingPodCount", ready: "PoolReadyPodCount" } as const;
const APP_METRICS = { replicas: "Replicas", requests: "Requests" } as const;
/** The dimensions Requests is split by: the class (2xx...) and the exact code (404 is the pool's "full"). */
const REQUEST_DIMENSIONS = { category: "statusCodeCategory", code: "statusCode" } as const;
/** Enough series for every status code a backend answers in a window (the API keeps 10 by default). */
const REQUEST_SERIES_TOP = 50;

/** One bucket of the timeline: its start, and each value Azure had for it (absent: no data). */
export interface Sample {
  at: number;
  executing?: number;
  pending?: number;
  ready?: number;
  replicas?: number;
  /** Requests in the bucket by status class ("2xx", "4xx", "5xx", ...). */
  requests?: Record<string, number>;
  /** Requests answered 404 in the bucket (the pool's session limit, or a wrong route). */
  notFound?: number;
}

export interface MetricsQuery {
  subscriptionId: string;
  poolId: string | null;
  appId: string;
  from: Date;
  to: Date;
  /** ISO 8601 time grain: PT1M, PT5M... */
  interval: Grain;
}

export interface Timeline {
  /** The time grain the samples are in, and its length. */
  interval: string;
  bucketMs: number;
  samples: Sample[];
}

// ---- pure: query shapes and response parsing -----------------------------------------------------

/** The time grains manage reads at (Metrics_List's interval), and their lengths. */
const GRAINS = {
  PT1M: 60_000,
  PT5M: 300_000,
  PT15M: 900_000,
  PT30M: 1_800_000,
  PT1H: 3_600_000,
} as const;
export type Grain = keyof typeof GRAINS;

/**
 * The finest grain that keeps a span within `maxPoints` buckets: a 4-hour contest at PT1M (240
 * points a metric), a pool left up for days at a coarser one. Pure.
 */
export function grainFor(spanMs: number, maxPoints = 720): Grain {
  const grains = Object.keys(GRAINS) as Grain[];
  return grains.find((g) => spanMs / GRAINS[g] <= maxPoints) ?? grains.at(-1)!;
}

/** start/end as the API takes it, both on whole minutes (buckets start on the minute). */
export function timespan(from: Date, to: Date): string {
  const minute = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000).toISOString().replace(/\.000Z$/, "Z");
  return `${minute(from)}/${minute(new Date(to.getTime() + 59_999))}`;
}

interface Point {
  timeStamp: Date | string;
  average?: number;
  total?: number;
}
interface Series {
  metadatavalues?: Array<{ name?: { value?: string }; value?: string }>;
  data?: Point[];
}
interface Metric {
  name: { value: string };
  timeseries: Series[];
}

const time = (p: Point) => new Date(p.timeStamp).getTime();
const dimension = (s: Series, name: string) => s.metadatavalues?.find((m) => m.name?.value?.toLowerCase() === name.toLowerCase())?.value;

/**
 * Azure's answers (pool metrics, Replicas, Requests by class and code) folded into one timeline,
 * bucket by bucket. Gauges (sessions, replicas) take the bucket's average; Requests the total. A
 * bucket Azure has no value for keeps the field absent, so the latest minute, which Azure often
 * reports a minute or two late, is not read as zero. Pure.
 */
export function foldTimeline(metrics: Metric[]): Sample[] {
  const byTime = new Map<number, Sample>();
  const at = (t: number) => byTime.get(t) ?? byTime.set(t, { at: t }).get(t)!;
  const gauges: Record<string, keyof Pick<Sample, "executing" | "pending" | "ready" | "replicas">> = {
    [POOL_METRICS.executing]: "executing",
    [POOL_METRICS.pending]: "pending",
    [POOL_METRICS.ready]: "ready",
    [APP_METRICS.replicas]: "replicas",
  };
  for (const m of metrics) {
    const field = gauges[m.name.value];
    for (const series of m.timeseries ?? [])
      for (const p of series.data ?? []) {
        const s = at(time(p));
        if (field) {
          // Replicas is reported per revision: the app's replicas are their sum.
          if (p.average !== undefined) s[field] = (s[field] ?? 0) + p.average;
          continue;
        }
        if (m.name.value !== APP_METRICS.requests || p.total === undefined) continue;
        const code = dimension(series, REQUEST_DIMENSIONS.code);
        const category = dimension(series, REQUEST_DIMENSIONS.category) ?? (code ? `${code[0]}xx` : "total");
        s.requests = { ...s.requests, [category]: (s.requests?.[category] ?? 0) + p.total };
        if (code === "404") s.notFound = (s.notFound ?? 0) + p.total;
        else if (code !== undefined) s.notFound ??= 0;
      }
  }
  return [...byTime.values()].sort((a, b) => a.at - b.at);
}

// ---- the client ---------------------------------------------------------------------------------

/** Loads the SDKs a watch refresh uses, so a caller can do it while it waits for something else. */
export async function preloadClients(): Promise<void> {
  await Promise.all([import("@azure/arm-monitor"), import("@azure/arm-appcontainers")]);
}

/** Azure sometimes answers a pool's metrics "not a supported platform metric namespace" for a while: retried. */
const isTransientNamespaceError = (err: unknown) => /not a supported platform metric namespace/i.test((err as Error)?.message ?? "");

/**
 * Reads the pool's and the backend's metrics over [from, to] at `interval`: one request for the
 * pool's three gauges, one for Replicas, one for Requests split by class and code (a $filter
 * applies to every metric of a request, and Replicas has no status dimensions).
 */
export async function readMetrics(q: MetricsQuery, env: NodeJS.ProcessEnv = process.env): Promise<Timeline> {
  const { MonitorClient } = await import("@azure/arm-monitor");
  const options = armOptions(env);
  const client = new MonitorClient(await azureCredential(env), q.subscriptionId, { ...options, credentialScopes: [`${options.endpoint.replace(/\/+$/, "")}/.default`] });
  const span = timespan(q.from, q.to);
  const list = (resourceId: string, metricnames: string, aggregation: string, filter?: string) =>
    pRetry(
      async () => {
        const r = await client.metrics.list(resourceId.replace(/^\//, ""), {
          metricnames,
          timespan: span,
          interval: q.interval,
          aggregation,
          ...(filter ? { filter, top: REQUEST_SERIES_TOP } : {}),
        });
        return r.value as unknown as Metric[];
      },
      { retries: 2, minTimeout: 200, shouldRetry: ({ error }) => isTransientNamespaceError(error) },
    );
  const parts = await Promise.all([
    // A pool that does not exist (idle, deleted) has no metrics: ARM answers 404, which is no data here.
    q.poolId
      ? list(q.poolId, Object.values(POOL_METRICS).join(","), "average").catch((err) => {
          if ((err as { statusCode?: number }).statusCode === 404) return [] as Metric[];
          throw err;
        })
      : Promise.resolve([] as Metric[]),
    list(q.appId, APP_METRICS.replicas, "average"),
    list(q.appId, APP_METRICS.requests, "total", `${REQUEST_DIMENSIONS.category} eq '*' and ${REQUEST_DIMENSIONS.code} eq '*'`),
  ]);
  return { interval: q.interval, bucketMs: GRAINS[q.interval], samples: foldTimeline(parts.flat()) };
}
