// Printing: human tables and sentences on a terminal, one JSON document with --json, and the one
// way a run ends badly. Conventions (README, "Output"):
// - colour only on a terminal, and never with NO_COLOR or --no-color (Node's own detection, which
//   follows no-color.org and FORCE_COLOR; chalk's ignores NO_COLOR);
// - tables fit the terminal: low-value columns go first, then long cells wrap;
// - a warning is one short line, said once per run; its details only with --verbose;
// - --json: exactly one JSON document on stdout, whatever happens. A command hands its report to
//   printJson; main.ts prints it when the run ends, with an "error" member when the run failed;
// - every error is `manage: <what happened>` on stderr, its fix on the lines after.

import { createRequire } from "node:module";
import { WriteStream } from "node:tty";
import chalk from "chalk";
import { money } from "../infra/costing/money.js";

// The table layout library and its measure of a cell's width load with the first table, not with
// every run (an error message needs neither).
const require = createRequire(import.meta.url);
const tableLibrary = () => require("cli-table3") as typeof import("cli-table3");
const stringWidth = (s: string) => (require("string-width") as (s: string) => number)(s);

export interface OutputSettings {
  json: boolean;
  verbose: boolean;
  /** --color (true), --no-color (false), neither (undefined). */
  color?: boolean;
}

const settings: OutputSettings = { json: false, verbose: false };

/**
 * Colour depth in bits per pixel as Node reports it (1 = none), from the flag, the environment and
 * whether stdout is a terminal. Node's getColorDepth honours FORCE_COLOR, NO_COLOR,
 * NODE_DISABLE_COLORS and TERM=dumb. Pure apart from Node's reading of `env`.
 */
export function colourDepth(flag: boolean | undefined, env: NodeJS.ProcessEnv, isTTY: boolean): number {
  if (flag === false) return 1;
  const depth = WriteStream.prototype.getColorDepth.call(undefined as never, env);
  if (flag === true) return Math.max(depth, 4);
  if (!isTTY && !("FORCE_COLOR" in env)) return 1;
  return depth;
}

const chalkLevel = (depth: number) => (depth >= 24 ? 3 : depth >= 8 ? 2 : depth >= 4 ? 1 : 0) as 0 | 1 | 2 | 3;

/**
 * Sets a run's output up before its command prints anything; a run starts with no JSON document and
 * no warning said yet (main() may run again in the same process: the tests' in-process runs).
 */
export function configureOutput(o: OutputSettings): void {
  Object.assign(settings, o);
  chalk.level = chalkLevel(colourDepth(o.color, process.env, Boolean(process.stdout.isTTY)));
  document = undefined;
  warned.clear();
}

/** --json: stdout carries one JSON document (what the person asked for, not what a caller passes along). */
export const isJson = () => settings.json;

// Pure, in its own module: the program's cost-ceiling refusal (infra/costing/ceiling.ts) says it too.
export { money };

/** A difference to the cent, with its sign: "+$112.83", "-$2.72", "$0.00" (spend's and report's gaps). */
export function signedMoney(usd: number): string {
  const cents = Math.round(usd * 100) / 100;
  return cents === 0 ? "$0.00" : `${cents > 0 ? "+" : "-"}${money(Math.abs(cents))}`;
}

/** A time from now in words: "in 2 h 10 min" / "35 min ago" (status's expiry, watch's window end). */
export function relative(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const text = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

// ---- tables -----------------------------------------------------------------------------------

/** The width tables must fit: the terminal's, COLUMNS when set, none for a pipe or file. */
export function terminalWidth(): number | null {
  const fromEnv = Number(process.env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : null;
}

/** A cell's inner width: its longest line, as cli-table3 measures it. */
const cellWidth = (s: string) => Math.max(0, ...s.split("\n").map((l) => stringWidth(l)));
/** A table's width with these inner column widths: "│ a │ b │". */
export const tableWidth = (widths: number[]) => widths.reduce((s, w) => s + w + 3, 1);

/**
 * How a table fits `max` columns: first drop the low-value columns (`droppable`, least valuable
 * first) while it is too wide, then narrow the widest columns (their cells wrap), never below
 * `minWidth` or a column's header. The columns kept, by index, in order, and the inner width of
 * each (cells wrap to it). Pure.
 */
export function fitColumns(natural: number[], headers: number[], max: number | null, droppable: number[] = [], minWidth = 8): { keep: number[]; widths: number[] } {
  let keep = natural.map((_, i) => i);
  const width = () => tableWidth(keep.map((i) => natural[i]!));
  if (max === null || width() <= max) return { keep, widths: keep.map((i) => natural[i]!) };
  for (const d of droppable) {
    if (width() <= max) break;
    keep = keep.filter((i) => i !== d);
  }
  const widths = keep.map((i) => natural[i]!);
  const floor = keep.map((i) => Math.min(natural[i]!, Math.max(minWidth, headers[i]!)));
  // Narrow the widest column by one, again and again: long cells wrap first, short ones keep their line.
  while (tableWidth(widths) > max) {
    let widest = -1;
    for (let k = 0; k < widths.length; k++) if (widths[k]! > floor[k]! && (widest < 0 || widths[k]! > widths[widest]!)) widest = k;
    if (widest < 0) break;
    widths[widest]!--;
  }
  return { keep, widths };
}

/** "codeeng-contest-rg" in 10 columns -> "code…st-rg": the start and the end, which tell names apart. Pure. */
export function middleTruncate(word: string, width: number): string {
  if (width < 3 || stringWidth(word) <= width || /\u001b/.test(word)) return word;
  const tail = Math.floor((width - 1) / 2);
  return `${word.slice(0, width - 1 - tail)}…${word.slice(word.length - tail)}`;
}

/** Every word of a cell fits its column's width (longer ones cut in the middle); lines and spaces kept. */
const fitWords = (cell: string, width: number) =>
  Number.isFinite(width) ? cell.split("\n").map((line) => line.split(" ").map((w) => middleTruncate(w, width)).join(" ")).join("\n") : cell;

/** `droppable`: columns that may go when the terminal is too narrow, least valuable first. */
export function table(head: string[], rows: Array<Array<string | number>>, o: { droppable?: number[] } = {}): string {
  const cells = rows.map((r) => r.map(String));
  const natural = head.map((h, i) => Math.max(cellWidth(h), ...cells.map((r) => cellWidth(r[i] ?? ""))));
  const fit = fitColumns(natural, head.map(cellWidth), terminalWidth(), o.droppable);
  const Table = tableLibrary();
  // A word longer than its column is cut in the middle, not at the end: names that share a prefix
  // (codeeng-contest-rg, codeeng-contest-logs) stay distinguishable at 80 columns.
  const width = (i: number) => fit.widths[fit.keep.indexOf(i)] ?? Infinity;
  const fitted = cells.map((r) => r.map((c, i) => fitWords(c, width(i))));
  const t = new Table({
    head: fit.keep.map((i) => chalk.bold(head[i])),
    style: { head: [], border: [] },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
    // colWidths count the padding; cells wrap on word boundaries when narrowed.
    colWidths: fit.widths.map((w) => w + 2),
    wordWrap: true,
  });
  t.push(...fitted.map((r) => fit.keep.map((i) => r[i] ?? "")));
  return t.toString();
}

// ---- JSON -------------------------------------------------------------------------------------

let document: { value: unknown } | undefined;

/** The run's one JSON document: printed when the run ends (main.ts), with "error" added on failure. */
export function printJson(value: unknown): void {
  if (document) throw new Error("a run prints one JSON document: printJson was called twice");
  document = { value };
}

/** The document to print, merged with the failure if there was one. */
export function jsonDocument(error?: JsonError): unknown {
  const value = document?.value;
  if (!error) return value;
  return value && typeof value === "object" && !Array.isArray(value) ? { ...value, error } : { error };
}

export const writeJson = (value: unknown) => process.stdout.write(JSON.stringify(value, null, 2) + "\n");

// ---- warnings and errors ----------------------------------------------------------------------

const warned = new Set<string>();

/**
 * One short line on stderr, once per run; `details` (long lists, the reasoning) only with --verbose.
 */
export function warn(message: string, details?: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`${chalk.yellow("warning:")} ${message}${details && !settings.verbose ? " (--verbose says more)" : ""}\n`);
  if (details && settings.verbose) process.stderr.write(`  ${details}\n`);
}

export interface JsonError {
  message: string;
  exitCode: number;
  fix?: string;
  /** Machine-readable cause where one exists (commander's error codes, pulumi failure kinds). */
  code?: string;
}

/** "what happened\n  Fix: what to do" -> its two parts. */
export function splitFix(text: string): { message: string; fix?: string } {
  const m = /^([\s\S]*?)\n\s*Fix: ([\s\S]*)$/.exec(text);
  return m ? { message: m[1]!.trim(), fix: m[2]!.trim() } : { message: text.trim() };
}

/** The one way a run ends badly: `manage: ...` on stderr, and under --json the document on stdout. */
export function reportFailure(error: JsonError, json = settings.json): void {
  process.stderr.write(`${chalk.red("manage:")} ${error.message}${error.fix ? `\n  Fix: ${error.fix}` : ""}\n`);
  if (json) writeJson(jsonDocument(error));
}

export const heading = (text: string) => chalk.bold(text);
export const dim = (text: string) => chalk.dim(text);
