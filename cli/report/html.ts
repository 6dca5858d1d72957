// The report as one self-contained HTML page: the key numbers, the charts as inline SVG
// (./charts.ts), the recorded runs and the cost against the model. No script, no stylesheet or font
// from the network: the file is mailed, archived as a CI artifact, opened offline. Pure: the
// report's data and its rendered charts in, the page out; every text from data is escaped.

import type { Chart } from "./charts.js";
import type { ReportData } from "./data.js";
import { formatMs } from "../execution/stats.js";
import { money, signedMoney } from "../output.js";
import { utcMinute } from "../clock.js";

const escape = (text: string | number) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const n = (x: number | null, unit = "") => (x === null ? "–" : `${Number.isInteger(x) ? x.toLocaleString("en-US") : x.toFixed(1)}${unit}`);
const pct = (share: number | null) => (share === null ? "–" : `${(share * 100).toFixed(share < 0.01 && share > 0 ? 2 : 1)}%`);

function table(head: string[], rows: Array<Array<string | number>>, cls = ""): string {
  return `<table${cls ? ` class="${cls}"` : ""}><thead><tr>${head.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** The headline: what was reported on. */
export function reportTitle(d: ReportData): string {
  const w = d.window;
  const what = w ? `window ${w.id} (${w.profile}${w.users ? `, ${w.users} participants` : ""})` : "a period";
  return `Stack ${d.stack}: ${what}, ${utcMinute(d.period.from)} to ${utcMinute(d.period.to)}`;
}

/** The numbers a reader looks for first, as [label, value, id] (ids for tests and links). */
export function keyNumbers(d: ReportData): Array<[string, string, string]> {
  const s = d.summary;
  const r = s.requests;
  const rows: Array<[string, string, string]> = [
    ["period", `${d.period.hours} h${d.window ? ` (warm-up ${d.window.warmupMinutes} min included)` : ""}${d.period.inProgress ? ", still in progress" : ""}`, "period"],
    ["peak sessions executing", `${n(s.peakExecuting)}${d.profile.maxSessions !== null ? ` of max ${d.profile.maxSessions}` : ""}`, "peak-executing"],
    ["sessions waiting to be created", s.peakPending === null ? "–" : `peak ${n(s.peakPending)}, in ${s.bucketsPending} of ${d.timeline.points.length} ${d.timeline.interval ?? ""} buckets`, "pending"],
    ["fewest ready sessions", `${n(s.minReady)}${d.profile.readySessions !== null ? ` (the profile keeps ${d.profile.readySessions})` : ""}`, "min-ready"],
    ["peak E16 nodes", n(s.peakNodes), "peak-nodes"],
    ["peak backend replicas", `${n(s.peakReplicas)} of max ${d.profile.backendMaxReplicas}`, "peak-replicas"],
    ["requests", r.total ? `${r.total.toLocaleString("en-US")} (${Object.entries(r.byClass).map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", ")}); 404: ${r.notFound}` : "none recorded", "requests"],
    ["server errors (5xx)", pct(r.serverErrorShare), "errors-5xx"],
    [
      "recorded runs",
      d.runs.count ? `${d.runs.count} (${d.runs.failedRuns} failed): ${d.runs.executions} executions, ${d.runs.failedExecutions} failed; worst p95 ${formatMs(d.runs.worstP95)}` : "none in the period",
      "runs",
    ],
  ];
  if (d.cost)
    rows.push([
      "cost of the day(s)",
      d.cost.estimate === null
        ? `${money(d.cost.actual)} actual; no model estimate (prices missing)`
        : `${money(d.cost.actual)} actual against ${money(d.cost.estimate)} estimated (${signedMoney(d.cost.actual - d.cost.estimate)}${d.cost.gap.share === null ? "" : `, ${d.cost.gap.share >= 0 ? "+" : ""}${Math.round(d.cost.gap.share * 100)}%`})${d.cost.gap.flagged ? ": GAP" : ": in line"}`,
      "cost",
    ]);
  return rows;
}

function runsSection(d: ReportData): string {
  if (!d.runs.count)
    return `<p>No smoke or load-test run of stack ${escape(d.stack)} is recorded in this period${d.runs.sources.length ? ` (read: ${d.runs.sources.map(escape).join(", ")})` : " (no run log found: runs are logged in .manage/runs/&lt;stack&gt;.ndjson; give others with --runs)"}.</p>`;
  const rows = d.runs.records.map((r) => [
    r.command,
    utcMinute(r.start),
    r.ok ? "pass" : "FAIL",
    r.executions,
    r.failed,
    formatMs(r.latency.p50),
    formatMs(r.latency.p95),
    formatMs(r.latency.p99),
    Object.entries(r.outcomes)
      // Successes first, then failures by count (a record's keys come back with numeric ones first).
      .sort(([a, x], [b, y]) => Number(b === "ok") - Number(a === "ok") || y - x)
      .map(([k, v]) => `${k} ${v}`)
      .join(", "),
    Object.entries(r.causes).map(([k, v]) => `${k} (${v})`).join("; "),
  ]);
  return `${table(["run", "started", "result", "executions", "failed", "p50", "p95", "p99", "outcomes", "causes"], rows, "runs")}<p class="note">From ${d.runs.sources.map(escape).join(", ")}.</p>`;
}

function costSection(d: ReportData): string {
  const c = d.cost;
  if (!c) return "<p>The cost could not be read (see below).</p>";
  const rows = c.byResource.map((r) => [r.resource, money(r.actual), r.estimate === null ? "–" : money(r.estimate), r.estimate === null ? "–" : signedMoney(r.actual - r.estimate)]);
  const hours = c.profiles.map((h) => `${h.profile} ${+h.hours.toFixed(2)} h`).join(", ");
  return [
    table(["resource", "actual", "model", "gap"], rows, "cost"),
    `<p class="note">Cost Management answers whole UTC days, so this covers ${escape(utcMinute(c.days.from))} to ${escape(utcMinute(c.days.to))}; the model prices the same hours: ${escape(hours)} (the window at its profile, the rest as manage spend reads it), always-on parts only.</p>`,
    ...c.gap.causes.map((cause) => `<p class="cause">likely: ${escape(cause)}</p>`),
  ].join("\n");
}

export function renderHtml(d: ReportData, charts: Chart[]): string {
  const title = reportTitle(d);
  const figures = charts
    // The chart draws its own title (the SVG stands alone if copied out); the figure names it for screen readers.
    .map((c) => `<figure id="chart-${escape(c.id)}" data-chart="${escape(c.id)}" data-series="${c.series.length}" aria-label="${escape(c.title)}">\n${c.svg}\n</figure>`)
    .join("\n");
  const numbers = keyNumbers(d)
    .map(([label, value, id]) => `<tr id="n-${id}"><th>${escape(label)}</th><td>${escape(value)}</td></tr>`)
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; max-width: 1000px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 20px; margin-bottom: 4px; } h2 { font-size: 16px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; }
table.runs td, table.cost td { border-top: 1px solid #eee; } .numbers th { font-weight: 600; white-space: nowrap; }
figure { margin: 16px 0; } svg { width: 100%; height: auto; }
.note { color: #666; font-size: 12px; } .cause { color: #a33; } .unavailable { color: #a33; }
</style>
</head>
<body>
<h1>${escape(title)}</h1>
<p class="note">manage report, generated ${escape(utcMinute(d.generatedAt))}. Profile ${escape(d.profile.name)}${d.window ? `; scheduled by ${escape(d.window.by)}` : ""}. Times in UTC.</p>
<h2>Key numbers</h2>
<table class="numbers">${numbers}</table>
<h2>Over the period</h2>
${figures || "<p>No chart: no metrics were read for this period.</p>"}
<h2>Smoke and load-test runs</h2>
${runsSection(d)}
<h2>Cost</h2>
${costSection(d)}
${d.unavailable.length ? `<h2>Not shown</h2>\n${d.unavailable.map((u) => `<p class="unavailable">${escape(u)}</p>`).join("\n")}` : ""}
</body>
</html>
`;
}
