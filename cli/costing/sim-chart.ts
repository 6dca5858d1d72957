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
  const minutes = Math.round((sim.series.seconds.at(-1)! + (sim.series.seconds[1] ?? 0)) / 60);
  const axis = `${" ".repeat(8)}0 min${" ".repeat(Math.max(1, held.length - 10 - String(minutes).length))}${minutes} min`;
  const key = colour
    ? `${chalk.blue("held")}  ${chalk.green("ready")}  ${chalk.gray("node capacity (nodes x " + labels.sessionsPerNode + ")")}`
    : `lines from top: node capacity (nodes x ${labels.sessionsPerNode}), sessions held, ready sessions`;
  return `${plot}\n${axis}\n${" ".repeat(8)}${key}`;
}

/** The SVG picture: held and ready sessions (left axis) and nodes (right axis, steps) over minutes. */
export async function svgChart(sim: SimulationResult, labels: ChartLabels): Promise<string> {
  const echarts = await import("echarts");
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: 960, height: 420 });
  const minutes = sim.series.seconds.map((s) => Math.round((s / 60) * 100) / 100);
  const pairs = (values: number[]) => values.map((v, i) => [minutes[i]!, v]);
  chart.setOption({
    animation: false,
    backgroundColor: "#ffffff",
    title: { text: labels.title, subtext: labels.subtitle, left: 16, top: 8, textStyle: { fontSize: 15 }, subtextStyle: { fontSize: 12 } },
    legend: { top: 14, right: 24, data: ["sessions held", "ready sessions", "E16 nodes", "maxSessions"] },
    grid: { left: 64, right: 64, top: 72, bottom: 48 },
    xAxis: { type: "value", name: "minutes", nameLocation: "middle", nameGap: 28, min: 0, max: minutes.at(-1)! + (minutes[1] ?? 0) },
    yAxis: [
      { type: "value", name: "sessions", min: 0 },
      { type: "value", name: "nodes", min: 0, minInterval: 1, splitLine: { show: false } },
    ],
    series: [
      { name: "sessions held", type: "line", showSymbol: false, data: pairs(sim.series.held), lineStyle: { width: 1.5 } },
      { name: "ready sessions", type: "line", showSymbol: false, data: pairs(sim.series.ready), lineStyle: { width: 1.5 } },
      { name: "E16 nodes", type: "line", step: "end", yAxisIndex: 1, showSymbol: false, data: pairs(sim.series.nodes), lineStyle: { width: 1.5 } },
      {
        name: "maxSessions",
        type: "line",
        showSymbol: false,
        data: [
          [0, labels.maxSessions],
          [minutes.at(-1)! + (minutes[1] ?? 0), labels.maxSessions],
        ],
        lineStyle: { type: "dashed", width: 1 },
      },
    ],
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}
