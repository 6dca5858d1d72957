// Pictures of a simulated contest: sessions held, ready sessions and nodes over time, as an SVG file
// (Apache ECharts, rendered server-side without a DOM) and as a compact chart for the terminal
// (asciichart). Both draw the simulation's time series; neither computes anything.

import asciichart from "asciichart";
import chalk from "chalk";
import type { SimulationResult } from "./contest-sim.js";

export interface ChartLabels {
  title: string;
  subtitle: string;
  maxSessions: number;
  sessionsPerNode: number;
}

/** A series' span in minutes: to the end of its last step (the second sample's time). */
const spanMinutes = (seconds: number[]) => (seconds.at(-1)! + (seconds[1] ?? 0)) / 60;

/** Groups a series into `width` columns, keeping each column's extreme (max, or min for ready sessions). */
function columns(values: number[], width: number, pick: (a: number, b: number) => number): number[] {
  if (values.length <= width) return values;
  const out: number[] = [];
  for (let c = 0; c < width; c++) {
    const from = Math.floor((c * values.length) / width);
    const to = Math.max(from + 1, Math.floor(((c + 1) * values.length) / width));
    out.push(values.slice(from, to).reduce((a, b) => pick(a, b)));
  }
  return out;
}

/**
 * The terminal chart: sessions held, ready sessions and what the nodes can host (nodes x sessions
 * per node), on one scale, with the minutes along the bottom.
 */
export function terminalChart(sim: SimulationResult, labels: Pick<ChartLabels, "sessionsPerNode">, width = 64, height = 10): string {
  const held = columns(sim.series.held, width, Math.max);
  const ready = columns(sim.series.ready, width, Math.min);
  const capacity = columns(sim.series.nodes, width, Math.max).map((n) => n * labels.sessionsPerNode);
  const colour = chalk.level > 0;
  const plot = asciichart.plot([capacity, held, ready], {
    height,
    format: (x: number) => String(Math.round(x)).padStart(6),
    ...(colour ? { colors: [asciichart.lightgray, asciichart.blue, asciichart.green] } : {}),
  });
  const minutes = Math.round(spanMinutes(sim.series.seconds));
  const axis = `${" ".repeat(8)}0 min${" ".repeat(Math.max(1, held.length - 10 - String(minutes).length))}${minutes} min`;
  const key = colour
    ? `${chalk.blue("held")}  ${chalk.green("ready")}  ${chalk.gray("node capacity (nodes x " + labels.sessionsPerNode + ")")}`
    : `lines from top: node capacity (nodes x ${labels.sessionsPerNode}), sessions held, ready sessions`;
  return `${plot}\n${axis}\n${" ".repeat(8)}${key}`;
}

/**
 * The SVG picture: held and ready sessions (left axes) and nodes (right axes, steps) over the
 * whole contest, and the opening minutes (burst and first cooldown) beside it at a finer step.
 */
export async function svgChart(sim: SimulationResult, labels: ChartLabels): Promise<string> {
  const echarts = await import("echarts");
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: 1080, height: 460 });
  const panels = [
    { series: sim.series, left: 64, width: 600, name: "minutes" },
    { series: sim.opening, left: 790, width: 230, name: "the opening minutes" },
  ];
  const toMinutes = (seconds: number[]) => seconds.map((x) => Math.round((x / 60) * 100) / 100);
  const line = (name: string, data: number[][], axis: number, extra: Record<string, unknown> = {}) => ({
    name,
    type: "line",
    showSymbol: false,
    xAxisIndex: axis,
    data,
    lineStyle: { width: 1.5 },
    ...extra,
  });
  chart.setOption({
    animation: false,
    backgroundColor: "#ffffff",
    color: ["#2f6fdf", "#3ba272", "#5b5b5b", "#d0603a"],
    title: { text: labels.title, subtext: labels.subtitle, left: 16, top: 8, textStyle: { fontSize: 15 }, subtextStyle: { fontSize: 12 } },
    legend: { bottom: 8, left: "center", data: ["sessions held", "ready sessions", "E16 nodes", "maxSessions"] },
    grid: panels.map((p) => ({ left: p.left, width: p.width, top: 84, bottom: 80 })),
    xAxis: panels.map((p, i) => ({
      type: "value",
      gridIndex: i,
      name: p.name,
      nameLocation: "middle",
      nameGap: 26,
      min: 0,
      max: Math.round(spanMinutes(p.series.seconds)),
    })),
    yAxis: panels.flatMap((_, i) => [
      { type: "value", gridIndex: i, name: i === 0 ? "sessions" : "", min: 0 },
      { type: "value", gridIndex: i, name: i === 0 ? "" : "nodes", min: 0, minInterval: 1, splitLine: { show: false }, position: "right" },
    ]),
    series: panels.flatMap((p, i) => {
      const minutes = toMinutes(p.series.seconds);
      const pairs = (values: number[]) => values.map((v, k) => [minutes[k]!, v]);
      return [
        line("sessions held", pairs(p.series.held), i, { yAxisIndex: 2 * i }),
        line("ready sessions", pairs(p.series.ready), i, { yAxisIndex: 2 * i }),
        line("E16 nodes", pairs(p.series.nodes), i, { yAxisIndex: 2 * i + 1, step: "end" }),
        line(
          "maxSessions",
          [
            [0, labels.maxSessions],
            [spanMinutes(p.series.seconds), labels.maxSessions],
          ],
          i,
          { yAxisIndex: 2 * i, lineStyle: { type: "dashed", width: 1 } },
        ),
      ];
    }),
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}
