// Azure Monitor's metrics list on the local ARM server (server.ts hands it every
// GET {resourceUri}/providers/Microsoft.Insights/metrics), answering as
// specification/monitor/resource-manager/Microsoft.Insights/stable/2018-01-01/metrics_API.json
// (Azure/azure-rest-api-specs) says, and as Azure does where the spec is silent:
// - a known api-version (server.ts already refuses a request without one, or without the token);
// - metricnames checked against the resource type's metrics: an unknown one is 400 with Azure's own
//   unwrapped body {"code": "BadRequest", "message": "Failed to find metric configuration for
//   provider: ..., Valid metrics: ..."} (the spec's ErrorResponse; seen in azure-sdk-for-net#29584);
// - timespan "start/end", "start/duration" or a duration ending now (default: the last hour);
//   interval PT1M, PT5M, PT15M, PT30M, PT1H, PT6H, PT12H, P1D or FULL (default PT1M);
// - aggregation average, total, maximum, minimum, count (default average); a bucket with no data is
//   a point with only its timeStamp;
// - $filter "dim eq '*'" (split by a dimension) or "dim eq 'value'" (keep one), top (series, 10 by
//   default when filtered).
//
// Tests script the values: a timeline per metric, one value a minute, the last one being the
// current minute (a resource's clock is the server's, `now()`). A dimensioned metric (Requests) is
// scripted per status code; its statusCodeCategory is derived from the code.

type Json = Record<string, any>;

/** Per-minute values, oldest first; the last is the current minute. null: no data that minute. */
export type Timeline = Array<number | null>;

/** A metric's script: one timeline, or one per status code (Requests). */
export type MetricScript = Timeline | Record<string, Timeline>;

/** The metrics each resource type has (Azure Monitor's supported-metrics reference), and their dimensions. */
export const METRIC_CATALOG: Record<string, Record<string, { unit: string; dimensions: string[] }>> = {
  "microsoft.app/sessionpools": {
    PoolExecutingPodCount: { unit: "Count", dimensions: ["poolName"] },
    PoolPendingPodCount: { unit: "Count", dimensions: ["poolName"] },
    PoolReadyPodCount: { unit: "Count", dimensions: ["poolName"] },
  },
  "microsoft.app/containerapps": {
    Replicas: { unit: "Count", dimensions: ["revisionName", "deploymentName"] },
    Requests: { unit: "Count", dimensions: ["revisionName", "podName", "statusCodeCategory", "statusCode"] },
    RestartCount: { unit: "Count", dimensions: ["revisionName", "podName"] },
    UsageNanoCores: { unit: "NanoCores", dimensions: ["revisionName", "podName"] },
    WorkingSetBytes: { unit: "Bytes", dimensions: ["revisionName", "podName"] },
  },
};

const API_VERSIONS = ["2018-01-01", "2019-07-01", "2021-05-01", "2023-10-01", "2024-02-01"];
const GRAINS: Record<string, number> = { PT1M: 1, PT5M: 5, PT15M: 15, PT30M: 30, PT1H: 60, PT6H: 360, PT12H: 720, P1D: 1440 };
const AGGREGATIONS = ["average", "total", "maximum", "minimum", "count"];

export interface MonitorMetrics {
  /** Scripts by resource ID (lower-case) and metric name. */
  scripts: Map<string, Record<string, MetricScript>>;
  /** Sets a resource's metric timeline (replacing any earlier one). */
  script(resourceId: string, metric: string, values: MetricScript): void;
  /** The server's clock (tests may pin it). */
  now: () => number;
  /** Requests served, as "{resource}|{query}", for asserting what the client asked. */
  queries: string[];
}

export function monitorMetrics(): MonitorMetrics {
  const scripts = new Map<string, Record<string, MetricScript>>();
  return {
    scripts,
    queries: [],
    now: () => Date.now(),
    script(resourceId, metric, values) {
      const id = resourceId.toLowerCase();
      scripts.set(id, { ...scripts.get(id), [metric]: values });
    },
  };
}

const METRICS_SUFFIX = "/providers/microsoft.insights/metrics";
export const isMetricsRequest = (path: string) => path.toLowerCase().endsWith(METRICS_SUFFIX);

/** ISO 8601 durations as Azure's timespans and grains use them: PT1H, PT90M, P1D, P1DT2H. */
function durationMinutes(text: string): number | null {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text);
  if (!m || text.toUpperCase() === "P" || text.toUpperCase() === "PT") return null;
  return Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 60;
}

/** "start/end", "start/PT1H" or "PT1H" (ending now) -> [start, end) in ms. */
export function parseTimespan(text: string | null, now: number): [number, number] | null {
  if (!text) return [now - 3_600_000, now];
  const [a, b] = text.split("/");
  const date = (s: string) => (/^\d{4}-\d\d-\d\dT/.test(s) && !Number.isNaN(Date.parse(s)) ? Date.parse(s) : null);
  if (b === undefined) {
    const minutes = durationMinutes(a!);
    return minutes === null ? null : [now - minutes * 60_000, now];
  }
  const start = date(a!);
  if (start === null) return null;
  const end = date(b) ?? (durationMinutes(b) === null ? null : start + durationMinutes(b)! * 60_000);
  return end === null || end <= start ? null : [start, end];
}

/** "statusCodeCategory eq '*' and statusCode eq '404'" -> {statusCodeCategory: "*", statusCode: "404"}. */
export function parseFilter(text: string | null): Record<string, string> | null {
  if (!text) return {};
  const out: Record<string, string> = {};
  for (const clause of text.split(/\s+and\s+/i)) {
    const m = /^\s*([A-Za-z][\w]*)\s+eq\s+'([^']*)'\s*$/.exec(clause);
    if (!m) return null;
    out[m[1]!] = m[2]!;
  }
  return out;
}

const metricError = (code: string, message: string) => JSON.stringify({ code, message });

/** The value of one minute: the timeline's entry `minutesAgo` before its last. */
function valueAt(t: Timeline, minutesAgo: number): number | null {
  const i = t.length - 1 - minutesAgo;
  return i >= 0 && i < t.length ? (t[i] ?? null) : null;
}

function aggregate(values: number[], aggregations: string[]): Json {
  if (values.length === 0) return {};
  const sum = values.reduce((a, b) => a + b, 0);
  const all: Json = { average: sum / values.length, total: sum, maximum: Math.max(...values), minimum: Math.min(...values), count: values.length };
  return Object.fromEntries(aggregations.map((a) => [a, all[a]]));
}

/** Serves one metrics request: [status, body]. */
export function serveMetrics(m: MonitorMetrics, path: string, query: URLSearchParams): [number, string] {
  const resourceId = path.slice(0, -METRICS_SUFFIX.length);
  m.queries.push(`${resourceId}|${query.toString()}`);
  const apiVersion = query.get("api-version")!;
  if (!API_VERSIONS.includes(apiVersion))
    return [
      400,
      JSON.stringify({
        error: {
          code: "NoRegisteredProviderFound",
          message: `No registered resource provider found for location 'eastus' and API version '${apiVersion}' for type 'metrics'. The supported api-versions are '${API_VERSIONS.join(", ")}'.`,
        },
      }),
    ];
  const [, provider, type] = /\/providers\/([^/]+)\/([^/]+)\/[^/]+$/i.exec(resourceId) ?? [];
  const catalog = METRIC_CATALOG[`${provider}/${type}`.toLowerCase()];
  if (!catalog) return [400, metricError("ResourceNotSupported", `The resource type ${provider}/${type} has no metrics here.`)];
  const names = (query.get("metricnames") ?? "").split(",").filter(Boolean);
  const unknown = names.find((n) => !Object.keys(catalog).some((k) => k.toLowerCase() === n.toLowerCase()));
  if (names.length === 0 || unknown)
    return [
      400,
      metricError(
        "BadRequest",
        `Failed to find metric configuration for provider: ${provider}, resource Type: ${type}, metric: ${unknown ?? ""}, Valid metrics: ${Object.keys(catalog).join(",")}`,
      ),
    ];
  const now = m.now();
  const span = parseTimespan(query.get("timespan"), now);
  if (!span) return [400, metricError("BadRequest", `Invalid time range: ${query.get("timespan")}. The timespan takes 'startDateTime_ISO/endDateTime_ISO'.`)];
  const interval = query.get("interval") ?? "PT1M";
  const grain = interval.toUpperCase() === "FULL" ? Math.ceil((span[1] - span[0]) / 60_000) : GRAINS[interval.toUpperCase()];
  if (!grain) return [400, metricError("BadRequest", `Invalid interval '${interval}': the supported time grains are ${Object.keys(GRAINS).join(", ")} and FULL.`)];
  const aggregations = (query.get("aggregation") ?? "average").split(",").map((a) => a.trim().toLowerCase());
  const badAggregation = aggregations.find((a) => !AGGREGATIONS.includes(a));
  if (badAggregation) return [400, metricError("BadRequest", `Invalid aggregation '${badAggregation}': one of ${AGGREGATIONS.join(", ")}.`)];
  const filter = parseFilter(query.get("$filter"));
  if (!filter) return [400, metricError("BadRequest", `Invalid $filter '${query.get("$filter")}'.`)];
  const top = Number(query.get("top") ?? 10);

  const currentMinute = Math.floor(now / 60_000) * 60_000;
  const start = Math.floor(span[0] / 60_000) * 60_000;
  const buckets: number[] = [];
  for (let t = start; t < span[1]; t += grain * 60_000) buckets.push(t);
  const scripts = m.scripts.get(resourceId.toLowerCase()) ?? {};

  const value = names.map((requested) => {
    const name = Object.keys(catalog).find((k) => k.toLowerCase() === requested.toLowerCase())!;
    const { unit, dimensions } = catalog[name]!;
    for (const dim of Object.keys(filter))
      if (!dimensions.some((d) => d.toLowerCase() === dim.toLowerCase()))
        return { error: metricError("BadRequest", `Metric: ${name} does not support requested dimension combination: ${Object.keys(filter).join(",")}, supported ones are: ${dimensions.join(",")}`) };
    const script = scripts[name] ?? [];
    // Series: one per scripted status code, keyed by the dimensions the filter splits or selects.
    const perCode: Array<[Record<string, string>, Timeline]> = Array.isArray(script)
      ? [[{}, script]]
      : Object.entries(script).map(([code, t]) => [{ statusCode: code, statusCodeCategory: `${code[0]}xx` }, t]);
    const groups = new Map<string, { keys: Record<string, string>; timelines: Timeline[] }>();
    for (const [dims, t] of perCode) {
      if (Object.entries(filter).some(([d, v]) => v !== "*" && dims[d] !== v)) continue;
      const keys = Object.fromEntries(Object.keys(filter).map((d) => [d, dims[d] ?? ""]));
      const key = JSON.stringify(keys);
      const g = groups.get(key) ?? groups.set(key, { keys, timelines: [] }).get(key)!;
      g.timelines.push(t);
    }
    const timeseries = [...groups.values()].slice(0, Object.keys(filter).length ? top : undefined).map((g) => ({
      metadatavalues: Object.entries(g.keys).map(([d, v]) => ({ name: { value: d.toLowerCase(), localizedValue: d.toLowerCase() }, value: v })),
      data: buckets.map((b) => {
        const values: number[] = [];
        for (let minute = b; minute < b + grain * 60_000 && minute < span[1]; minute += 60_000) {
          const perTimeline = g.timelines.map((t) => valueAt(t, (currentMinute - minute) / 60_000)).filter((v): v is number => v !== null);
          // Several codes in one group (a class): their requests add up in the minute.
          if (perTimeline.length) values.push(perTimeline.reduce((a, c) => a + c, 0));
        }
        return { timeStamp: new Date(b).toISOString().replace(/\.000Z$/, "Z"), ...aggregate(values, aggregations) };
      }),
    }));
    return {
      id: `${resourceId}/providers/Microsoft.Insights/metrics/${name}`,
      type: "Microsoft.Insights/metrics",
      name: { value: name, localizedValue: name },
      unit,
      timeseries,
      errorCode: "Success",
    };
  });
  const failed = value.find((v): v is { error: string } => "error" in v);
  if (failed) return [400, failed.error];
  return [
    200,
    JSON.stringify({
      cost: buckets.length * names.length,
      timespan: `${new Date(span[0]).toISOString()}/${new Date(span[1]).toISOString()}`,
      interval: interval.toUpperCase() === "FULL" ? `PT${grain}M` : interval,
      namespace: `${provider}/${type}`,
      resourceregion: "eastus",
      value,
    }),
  ];
}
