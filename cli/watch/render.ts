// A watch snapshot in words: the same lines on a refreshing screen (a terminal) and in a log (a
// pipe or file, one block per refresh). Pure apart from colour, which chalk decides once per run.

import chalk from "chalk";
import { money, relative } from "../output.js";
import type { Snapshot } from "./snapshot.js";

const n = (v: number | null) => (v === null ? "?" : String(v));
const hhmm = (iso: string) => `${iso.slice(11, 16)} UTC`;

/** "2xx 950, 4xx 2, 5xx 0" in class order; "no data yet" before Azure has reported a minute. */
function byClass(requests: Record<string, number> | null): string {
  if (!requests) return "no data yet";
  const classes = ["2xx", "3xx", "4xx", "5xx", ...Object.keys(requests).filter((k) => !/^[2-5]xx$/.test(k))];
  return classes.filter((c) => c in requests || c === "2xx" || c === "5xx").map((c) => `${c} ${Math.round(requests[c] ?? 0)}`).join(", ");
}

export function renderSnapshot(s: Snapshot): string[] {
  const lines: string[] = [];
  const now = Date.parse(s.at);
  const ends = s.window.end ? `window ends ${relative(Date.parse(s.window.end) - now)} (${hhmm(s.window.end)})` : "no expiry set (scale --for)";
  lines.push(`${chalk.bold(`Stack ${s.stack}`)} at ${s.at.slice(11, 19)} UTC: profile ${s.profile}; ${ends}`);
  const p = s.pool;
  if (p.exists === false) lines.push("Sessions:  no pool (the profile has none, or it was deleted)");
  else {
    const cap = p.maxSessions === null ? "" : ` of max ${p.maxSessions}${p.capShare === null ? "" : ` (${Math.round(p.capShare * 100)}% allocated)`}`;
    const drift = p.azureMaxSessions !== null && p.maxSessions !== null && p.azureMaxSessions !== p.maxSessions ? ` (Azure says max ${p.azureMaxSessions})` : "";
    lines.push(`Sessions:  ${n(p.executing)} executing, ${n(p.pending)} being created, ${n(p.ready)} ready${cap}${drift}; nodes ${n(p.nodes)}`);
  }
  const b = s.backend;
  const notFound = b.notFoundPerMinute === null ? "" : ` (404: ${Math.round(b.notFoundPerMinute)})`;
  lines.push(`Backend:   ${n(b.replicas)} of max ${b.maxReplicas} replicas; requests/min ${byClass(b.requestsPerMinute)}${notFound}`);
  const c = s.cost;
  if (c.perHour === null && c.soFar === null) lines.push(`Cost:      n/a (${c.basis})`);
  else
    lines.push(
      `Cost:      ${c.soFar === null ? "n/a so far (no pool creation time)" : `${money(c.soFar)} so far since ${hhmm(c.since!)}`}; ` +
        `burn ${c.perHour === null ? "n/a" : `${money(c.perHour)}/hour, ${money(c.perDay)}/day`}${c.complete ? "" : " (incomplete: prices missing)"} ${chalk.dim(`(${c.basis})`)}`,
    );
  for (const w of s.warnings) lines.push(`${chalk.yellow("warning:")} ${w.message}\n  Fix: ${w.fix}`);
  for (const u of s.unavailable) lines.push(`${chalk.yellow("unavailable:")} ${u}`);
  if (s.warnings.length === 0 && s.unavailable.length === 0) lines.push(chalk.green("ok: no warnings"));
  return lines;
}
