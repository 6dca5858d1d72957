// Reading run logs for `manage report`: the stack's own (.manage/runs/<stack>.ndjson, written by
// cli/execution/run-log.ts) and any given with --runs (a CI artifact of the scheduled job's smoke
// runs). Parsing and selection are pure; readRunLogs is the thin file edge.

import { existsSync, readFileSync } from "node:fs";
import * as v from "valibot";
import { RUN_RECORD, type RunRecord } from "../execution/run-log.js";
import type { Period } from "../costing/spend.js";
import { UsageError } from "../errors.js";

/** The records of one log's text; blank lines are ignored, others that are not a record are named. Pure. */
export function parseRunLog(text: string, source: string) {
  const records: RunRecord[] = [];
  // Lines skipped, "file:line: why" (a torn last line, another tool's JSON, a newer version).
  const skipped: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return skipped.push(`${source}:${i + 1}: not JSON`);
    }
    const r = v.safeParse(RUN_RECORD, json);
    if (r.success) records.push(r.output);
    else skipped.push(`${source}:${i + 1}: not a run record (${v.summarize(r.issues).split("\n")[0]})`);
  });
  return { records, skipped };
}

/**
 * The runs of `stack` that overlap the period, oldest first, each once: the same run can be in the
 * stack's own log and in a CI artifact. Pure.
 */
export function runsIn(records: RunRecord[], stack: string, period: Period): RunRecord[] {
  const seen = new Set<string>();
  return records
    .filter((r) => r.stack === stack && Date.parse(r.end) >= period.from.getTime() && Date.parse(r.start) <= period.to.getTime())
    .filter((r) => {
      const key = `${r.command}|${r.start}|${r.end}|${r.endpoint}`;
      return !seen.has(key) && Boolean(seen.add(key));
    })
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

/**
 * Reads the stack's own log (absent: no runs recorded on this machine, not an error) and every
 * --runs file (absent or unreadable: bad input, exit 2 naming the option).
 */
export function readRunLogs(own: string, given: string[]) {
  const out = { records: [] as RunRecord[], skipped: [] as string[], sources: [] as string[] };
  const read = (file: string, explicit: boolean) => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      if (!explicit) return;
      throw new UsageError(`--runs ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}\n  Fix: give a run log (.manage/runs/<stack>.ndjson, or a CI artifact of one)`);
    }
    const parsed = parseRunLog(text, file);
    out.records.push(...parsed.records);
    out.skipped.push(...parsed.skipped);
    out.sources.push(file);
  };
  if (existsSync(own)) read(own, false);
  for (const file of given) read(file, true);
  return out;
}
