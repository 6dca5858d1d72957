// Printing: human tables and sentences on a terminal, one JSON document with --json. chalk turns
// colour off by itself when stdout is not a terminal (or NO_COLOR is set).

import chalk from "chalk";
import Table from "cli-table3";

export function money(usd: number | null): string {
  if (usd === null) return "n/a";
  if (usd !== 0 && Math.abs(usd) < 0.01) return `$${usd.toPrecision(2)}`;
  return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function table(head: string[], rows: Array<Array<string | number>>): string {
  const t = new Table({
    head: head.map((h) => chalk.bold(h)),
    style: { head: [], border: [] },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  t.push(...rows.map((r) => r.map(String)));
  return t.toString();
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

export function warn(message: string): void {
  process.stderr.write(`${chalk.yellow("warning:")} ${message}\n`);
}

export const heading = (text: string) => chalk.bold(text);
export const dim = (text: string) => chalk.dim(text);
