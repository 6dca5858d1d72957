// The report's charts: Apache ECharts options built from the report's data (pure: tests read them),
// rendered server-side to SVG strings (as cli/costing/sim-chart.ts does), so the HTML page holds
// them inline: no script, no network, opens anywhere. ECharts loads only when a report is drawn.

import type { ReportData } from "./data.js";
import { byClassOrder } from "./data.js";

export interface ChartSpec {
  /** Stable, for the page's anchors and tests: "sessions", "capacity", "requests", "cost", "runs". */
  id: string;
  title: string;
  /** The series drawn, in legend order. */
  series: string[];
  option: Record<string, unknown>;
}

export interface Chart extends Omit<ChartSpec, "option"> {
  svg: string;
}

const WIDTH = 960;
const HEIGHT = 320;
/** Azure's status classes in colours a reader expects: success green, client errors amber, server errors red. */
const CLASS_COLOURS: Record<string, string> = { "2xx": "#3ba272", "3xx": "#73a0fa", "4xx": "#e0a030", "5xx": "#d0403a" };

/** "14:05" in UTC, whatever the machine's zone (the page says UTC). */
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** A chart: the title it draws is the one the page names it by, the legend the series it draws. */
function spec(id: string, title: string, subtitle: string, series: string[], option: Record<string, unknown>): ChartSpec {
  return {
    id,
    title,
    series,
    option: {
      animation: false,
      backgroundColor: "#ffffff",
      title: { text: title, subtext: subtitle, left: 12, top: 6, textStyle: { fontSize: 14 }, subtextStyle: { fontSize: 11 } },
      legend: { bottom: 4, left: "center", data: series },
      // Room under the subtitle for the value axis' name.
      grid: { left: 56, right: 56, top: 84, bottom: 56 },
      ...option,
    },
  };
}

function timeAxis(d: ReportData) {
  return { type: "time", min: Date.parse(d.period.from), max: Date.parse(d.period.to), axisLabel: { formatter: hhmm, hideOverlap: true }, name: "UTC", nameGap: 6 };
}

const line = (name: string, data: Array<[number, number | null]>, extra: Record<string, unknown> = {}) => ({
  name,
  type: "line",
  showSymbol: false,
  connectNulls: false,
  data,
  lineStyle: { width: 1.6 },
  ...extra,
});

/** Sessions executing, waiting to be created and ready, against the profile's cap. */
function sessionsChart(d: ReportData): ChartSpec {
  const at = (p: ReportData["timeline"]["points"][number]) => Date.parse(p.at);
  const series = ["executing", "pending", "ready", ...(d.profile.maxSessions !== null ? ["maxSessions"] : [])];
  return spec("sessions", "Sessions", `executing, being created (pending) and ready, per ${d.timeline.interval ?? "minute"}; the ${d.profile.name} profile's cap dashed`, series, {
    color: ["#2f6fdf", "#d0603a", "#3ba272", "#5b5b5b"],
    xAxis: timeAxis(d),
    yAxis: { type: "value", name: "sessions", min: 0 },
    series: [
      line("executing", d.timeline.points.map((p) => [at(p), p.executing])),
      line("pending", d.timeline.points.map((p) => [at(p), p.pending])),
      line("ready", d.timeline.points.map((p) => [at(p), p.ready])),
      ...(d.profile.maxSessions !== null
        ? [
            line(
              "maxSessions",
              [
                [Date.parse(d.period.from), d.profile.maxSessions],
                [Date.parse(d.period.to), d.profile.maxSessions],
              ],
              { lineStyle: { type: "dashed", width: 1 } },
            ),
          ]
        : []),
    ],
  });
}

/** What was billed for: E16 nodes (from the sessions, the planner's rule) and backend replicas. */
function capacityChart(d: ReportData): ChartSpec {
  const subtitle = `E16 nodes the sessions held and ready need (the planner's rule: the pool reports no node count); backend replicas (max ${d.profile.backendMaxReplicas})`;
  return spec("capacity", "Nodes and backend replicas", subtitle, ["E16 nodes", "backend replicas"], {
    color: ["#7a4fd0", "#2a9db5"],
    xAxis: timeAxis(d),
    yAxis: { type: "value", min: 0, minInterval: 1 },
    series: [
      line("E16 nodes", d.timeline.points.map((p) => [Date.parse(p.at), p.nodes]), { step: "end" }),
      line("backend replicas", d.timeline.points.map((p) => [Date.parse(p.at), p.replicas]), { step: "end" }),
    ],
  });
}

/** The backend's answers per bucket, stacked by status class. */
function requestsChart(d: ReportData): ChartSpec {
  const classes = [...new Set(d.timeline.points.flatMap((p) => Object.keys(p.requests ?? {})))].sort(byClassOrder);
  return spec("requests", "Requests by status class", `the backend's answers per ${d.timeline.interval ?? "minute"} (Azure Monitor Requests by statusCodeCategory)`, classes, {
    color: classes.map((c) => CLASS_COLOURS[c] ?? "#888888"),
    xAxis: timeAxis(d),
    yAxis: { type: "value", name: "requests", min: 0 },
    series: classes.map((c) => ({
      name: c,
      type: "bar",
      stack: "requests",
      barCategoryGap: "10%",
      data: d.timeline.points.map((p) => [Date.parse(p.at), p.requests ? (p.requests[c] ?? 0) : null]),
    })),
  });
}

/** The window's days billed, by model resource, beside what the model says. */
function costChart(d: ReportData): ChartSpec | null {
  if (!d.cost) return null;
  const rows = d.cost.byResource.filter((r) => r.actual > 0 || (r.estimate ?? 0) > 0);
  const money = (n: number) => `$${n.toFixed(2)}`;
  const subtitle = `Cost Management's ${d.cost.currency} for the day(s) ${d.cost.days.from.slice(0, 10)} to ${d.cost.days.to.slice(0, 10)} (exclusive), by resource`;
  return spec("cost", "Cost: actual against the model", subtitle, ["actual", "model"], {
    color: ["#2f6fdf", "#a9a9a9"],
    xAxis: { type: "category", data: rows.map((r) => r.resource) },
    yAxis: { type: "value", name: d.cost.currency, min: 0 },
    series: [
      { name: "actual", type: "bar", data: rows.map((r) => +r.actual.toFixed(2)), label: { show: true, position: "top", formatter: ({ value }: { value: number }) => money(value) } },
      { name: "model", type: "bar", data: rows.map((r) => (r.estimate === null ? null : +r.estimate.toFixed(2))), label: { show: true, position: "top", formatter: ({ value }: { value: number }) => money(value) } },
    ],
  });
}

/** Each recorded smoke or load-test run's latency percentiles. */
function runsChart(d: ReportData): ChartSpec | null {
  const timed = d.runs.records.filter((r) => r.latency.count > 0);
  if (timed.length === 0) return null;
  const series = ["p50", "p95", "p99"] as const;
  return spec("runs", "Latency of recorded runs", "successful executions of each smoke and load-test run in the period, ms", [...series], {
    color: ["#3ba272", "#e0a030", "#d0403a"],
    xAxis: { type: "category", data: timed.map((r) => `${r.command} ${hhmm(Date.parse(r.start))}`) },
    yAxis: { type: "value", name: "ms", min: 0 },
    series: series.map((s) => ({ name: s, type: "bar", data: timed.map((r) => r.latency[s]) })),
  });
}

/** Every chart the report has data for, in page order. Pure. */
export function chartSpecs(d: ReportData): ChartSpec[] {
  const timeline = d.timeline.points.length ? [sessionsChart(d), capacityChart(d), requestsChart(d)] : [];
  return [...timeline, costChart(d), runsChart(d)].filter((c): c is ChartSpec => c !== null);
}

/** The charts as inline SVG (ECharts' server-side renderer: no DOM, no canvas). */
export async function renderCharts(specs: ChartSpec[]): Promise<Chart[]> {
  const echarts = await import("echarts");
  return specs.map(({ option, ...spec }) => {
    const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: WIDTH, height: HEIGHT });
    chart.setOption(option);
    const svg = chart.renderToSVGString({ useViewBox: true });
    chart.dispose();
    return { ...spec, svg };
  });
}
