// The run log: one JSON line per `manage smoke` / `manage load-test` run against a stack, appended to
// .manage/runs/<stack>.ndjson in the project directory (gitignored), so `manage report` can show the
// latency and errors measured during a contest window. A CI job's log (an artifact) is read the same
// way (`manage report --runs FILE`). The record builders are pure; appendRun is the one writer.
//
// Writing the log must never fail a check: a read-only checkout or a full disk costs the record, not
// the smoke's verdict, so appendRun warns and returns. Each record is one appendFileSync of one line
// (O_APPEND: two runs finishing at once on one machine do not interleave lines on a local disk).

import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { LATENCY_SUMMARY, summarize } from "./stats.js";

/** The record's shape version: a reader skips lines of a version it does not know. */
export const RUN_RECORD_VERSION = 1;

/**
 * Latency by language, split into first runs (each a new session: it may have waited for a cold
 * start) and later runs (a warm session: the run time as the caller sees it). A first run waited
 * for a cold start only if there were more first runs than ready sessions; the record says both.
 */
const MEASURED = v.object({
  languages: v.record(v.string(), v.object({ first: LATENCY_SUMMARY, warm: LATENCY_SUMMARY })),
  /** First runs sent (each needing a session of its own). */
  firstRuns: v.number(),
  /** The ready sessions the stack's profile in effect kept (null: unknown). */
  readySessions: v.nullable(v.number()),
  /**
   * False when the first runs could not each start a session of their own: through the gateway
   * with per-user identifiers every call carries manage's one key, so one caller, one session
   * (docs/architecture.md "The backend contract"); shared identifiers likewise. Absent: as before,
   * each first run assumed a new session.
   */
  newSessions: v.optional(v.boolean()),
});
export type Measured = v.InferOutput<typeof MEASURED>;

/** One line of the run log: what this module writes and what `manage report` reads back (cli/report/runs.ts). */
export const RUN_RECORD = v.object({
  v: v.literal(RUN_RECORD_VERSION),
  stack: v.string(),
  command: v.picklist(["smoke", "load-test"]),
  endpoint: v.string(),
  /** ISO 8601 UTC: when the run began and ended (MANAGE_NOW moves both, as every clock in manage). */
  start: v.pipe(v.string(), v.isoTimestamp()),
  end: v.pipe(v.string(), v.isoTimestamp()),
  ok: v.boolean(),
  /** Executions (smoke: cases that ran code; load-test: executions offered). */
  executions: v.number(),
  failed: v.number(),
  /** Successful executions' latency, ms. */
  latency: LATENCY_SUMMARY,
  /** Executions by outcome: "ok", or the failure's status ("502", "404", "wrong output", "no answer"). */
  outcomes: v.record(v.string(), v.number()),
  /** Failures by diagnosed cause (cli/execution/diagnose.ts), in words. */
  causes: v.record(v.string(), v.number()),
  /** What the run measured about the deployment: the capacity planner's inputs (cli/costing/calibration.ts); older records lack it. */
  measured: v.optional(MEASURED),
});
export type RunRecord = v.InferOutput<typeof RUN_RECORD>;

/** Per-language summaries of successful runs: first runs apart from later ones. Pure. */
export function measuredOf(runs: Array<{ language: string; first: boolean; ms: number }>, readySessions: number | null, newSessions?: boolean): Measured {
  const languages: Measured["languages"] = {};
  for (const language of [...new Set(runs.map((r) => r.language))].sort())
    languages[language] = {
      first: summarize(runs.filter((r) => r.language === language && r.first).map((r) => r.ms)),
      warm: summarize(runs.filter((r) => r.language === language && !r.first).map((r) => r.ms)),
    };
  return { languages, firstRuns: runs.filter((r) => r.first).length, readySessions, ...(newSessions === undefined ? {} : { newSessions }) };
}

/** Where a stack's runs are logged. */
export const runLogPath = (projectDir: string, stack: string) => join(projectDir, ".manage", "runs", `${stack}.ndjson`);

/** The outcome key of one execution, as load-test's error table names them. */
export const outcomeOf = (ok: boolean, status: number) => (ok ? "ok" : status === 200 ? "wrong output" : status === 0 ? "no answer" : String(status));

const count = (keys: string[]) => keys.reduce<Record<string, number>>((acc, k) => ((acc[k] = (acc[k] ?? 0) + 1), acc), {});

interface Timing {
  stack: string;
  endpoint: string;
  start: Date;
  end: Date;
  /** The ready sessions the stack's profile keeps, when known: whether first runs can have cold-started. */
  readySessions?: number | null;
  /** Whether each first run started a session of its own (Measured.newSessions). */
  newSessions?: boolean;
}

const times = (t: Timing) => ({ stack: t.stack, endpoint: t.endpoint, start: t.start.toISOString(), end: t.end.toISOString() });

/** A smoke run's record: the cases that ran code (not the health check), their latency and failures. Pure. */
export function smokeRecord(
  t: Timing,
  report: { stopped: string | null; cases: Array<{ name: string; ok: boolean; ms: number; status: number; cold?: boolean; diagnosis?: { cause: string } }> },
): RunRecord {
  const executions = report.cases.filter((c) => !c.name.startsWith("health"));
  const failures = report.cases.filter((c) => !c.ok);
  return {
    v: RUN_RECORD_VERSION,
    command: "smoke",
    ...times(t),
    ok: report.stopped === null && failures.length === 0,
    executions: executions.length,
    failed: failures.length,
    latency: summarize(executions.filter((c) => c.ok && c.status === 200).map((c) => c.ms)),
    outcomes: count(report.cases.map((c) => outcomeOf(c.ok, c.status))),
    causes: count(failures.flatMap((c) => (c.diagnosis ? [c.diagnosis.cause] : []))),
    // The cases that ran code and answered 200, by language ("python: stdin" is python's): its first case is its cold one.
    measured: measuredOf(
      executions
        .filter((c) => c.ok && c.status === 200 && !c.name.startsWith("concurrency"))
        .map((c) => ({ language: c.name.split(":")[0]!, first: c.cold === true, ms: c.ms })),
      t.readySessions ?? null,
      t.newSessions,
    ),
  };
}

/** A load test's record, from its summary (cli/execution/load.ts summarizeLoad). Pure. */
export function loadRecord(
  t: Timing,
  report: { offered: number; ok: number; latency: RunRecord["latency"]; errors: Record<string, number>; causes: Array<{ cause: string }> },
  runs?: Array<{ language: string; first?: boolean; ok: boolean; ms: number }>,
): RunRecord {
  const failed = report.offered - report.ok;
  return {
    v: RUN_RECORD_VERSION,
    command: "load-test",
    ...times(t),
    ok: failed === 0,
    executions: report.offered,
    failed,
    latency: report.latency,
    outcomes: { ...(report.ok ? { ok: report.ok } : {}), ...report.errors },
    // summarizeLoad keeps each cause once (with its fix), not its count: 1 each says "seen".
    causes: Object.fromEntries(report.causes.map((c) => [c.cause, 1])),
    ...(runs ? { measured: measuredOf(runs.filter((r) => r.ok).map((r) => ({ language: r.language, first: r.first === true, ms: r.ms })), t.readySessions ?? null, t.newSessions) } : {}),
  };
}

/**
 * Appends the record to the stack's run log. Never throws: a failure is returned in words for the
 * caller to warn with (the run's own result stands).
 */
export function appendRun(projectDir: string, record: RunRecord): string | null {
  const file = runLogPath(projectDir, record.stack);
  try {
    mkdirSync(join(projectDir, ".manage", "runs"), { recursive: true });
    appendFileSync(file, JSON.stringify(record) + "\n");
    return null;
  } catch (err) {
    return `this run was not recorded in ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); manage report will not show it`;
  }
}
