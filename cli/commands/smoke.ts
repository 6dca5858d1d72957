// `manage smoke [--stack S | --endpoint URL] [--full] [--concurrency N]`: does code really run, in
// every language, fast enough? Runs the case table of cli/execution/smoke-cases.ts against the
// backend's API, reports each case with its reason, cold and warm latency, and the cause and fix of
// any HTTP failure. Exit 0 only when every case passed.

import type { GlobalOptions } from "../change.js";
import { OperationError } from "../errors.js";
import { heading, printJson, table, warn } from "../output.js";
import { execute, health, isHealthy, type Answer, type ExecuteResponse, type Headers } from "../execution/api.js";
import { credentialHeaders, type CredentialOptions } from "../execution/credentials.js";
import { diagnose, type Diagnosis } from "../execution/diagnose.js";
import { concurrencyCase, smokeSuite, type SmokeCase } from "../execution/smoke-cases.js";
import { formatMs, summarize, type LatencySummary } from "../execution/stats.js";
import { resolveTarget } from "../execution/target.js";
import { appendRun, smokeRecord } from "../execution/run-log.js";
import { now } from "../clock.js";
import { projectDir } from "../project.js";

export interface SmokeOptions extends GlobalOptions, CredentialOptions {
  endpoint?: string;
  full?: boolean;
  concurrency?: number;
}

export interface CaseResult {
  name: string;
  ok: boolean;
  reason: string | null;
  ms: number;
  /** The first run of its language: it may have started a session or warmed a compiler. */
  cold: boolean;
  status: number;
  diagnosis?: Diagnosis;
}

export interface SmokeReport {
  endpoint: string;
  stack: string | null;
  /** Why the run stopped before every case ran (the health check failed), or null. */
  stopped: string | null;
  passed: number;
  failed: number;
  cases: CaseResult[];
  latency: { cold: LatencySummary; warm: LatencySummary };
}

const DEFAULT_CONCURRENCY = 8;

function judge(k: SmokeCase, answer: Answer<ExecuteResponse>, cold: boolean, stack?: string): CaseResult {
  // An answer cut off at the body cap is named as such, not as whatever its first 4 MiB lack.
  const reason = answer.status !== 0 && answer.error ? answer.error : k.check(answer);
  return {
    name: k.name,
    ok: reason === null,
    reason,
    ms: answer.ms,
    cold,
    status: answer.status,
    // A wrong answer with 200 is the program's fault; a non-200 has a cause worth naming.
    ...(reason !== null && answer.status !== 200 && k.language !== null ? { diagnosis: diagnose(answer, stack) } : {}),
  };
}

/** One line on stderr per finished case, so a slow backend is seen being slow. */
const progress = (r: CaseResult) => process.stderr.write(`  ${r.ok ? "pass" : "FAIL"} ${r.name} (${formatMs(r.ms)})${r.ok ? "" : `: ${r.reason}`}\n`);

export async function runSmoke(
  endpoint: string,
  healthPath: string,
  o: { full?: boolean; concurrency?: number; stack?: string; headers?: Headers; onCase?: (r: CaseResult) => void },
): Promise<SmokeReport> {
  const results: CaseResult[] = [];
  const headers = o.headers ?? {};
  const done = (r: CaseResult) => {
    o.onCase?.(r);
    return r;
  };
  const report = (stopped: string | null): SmokeReport => {
    const timed = results.filter((r) => r.status === 200 && !r.name.startsWith("health") && !r.name.startsWith("concurrency"));
    return {
      endpoint,
      stack: o.stack ?? null,
      stopped,
      passed: results.filter((r) => r.ok).length,
      failed: results.filter((r) => !r.ok).length,
      cases: results,
      latency: { cold: summarize(timed.filter((r) => r.cold).map((r) => r.ms)), warm: summarize(timed.filter((r) => !r.cold).map((r) => r.ms)) },
    };
  };

  const h = await health(endpoint, healthPath, undefined, headers);
  const healthy = isHealthy(h);
  results.push(
    done({
      name: `health: GET ${healthPath}`,
      ok: healthy,
      reason: healthy ? null : `HTTP ${h.status || "no answer"}${h.error ? ` (${h.error})` : ""}: ${h.text.slice(0, 120) || "expected {\"status\":\"healthy\"}"}`,
      ms: h.ms,
      cold: false,
      status: h.status,
      ...(healthy ? {} : { diagnosis: diagnose(h, o.stack) }),
    }),
  );
  // A backend that is not healthy runs no code: every case would wait out its timeout for nothing.
  if (!healthy) return report(`the backend's health check failed (${diagnose(h, o.stack).cause}), so no execution was tried`);

  // Languages side by side, each language's cases in order: its first run is its cold run. A
  // language whose run got no answer at all skips its other cases (each would wait its timeout).
  const groups = await Promise.all(
    smokeSuite(Boolean(o.full)).map(async ({ cases }) => {
      const out: CaseResult[] = [];
      for (const [i, k] of cases.entries()) {
        const r = done(judge(k, await execute(endpoint, k.request, undefined, headers), i === 0 && k.language !== null, o.stack));
        out.push(r);
        if (r.status === 0 && i < cases.length - 1) {
          for (const rest of cases.slice(i + 1))
            out.push(done({ name: rest.name, ok: false, reason: `skipped: ${r.name} got no answer`, ms: 0, cold: false, status: 0 }));
          break;
        }
      }
      return out;
    }),
  );
  results.push(...groups.flat());
  if (!results.some((r) => r.status !== 0 && !r.name.startsWith("health")))
    return report("no execution got an answer, so the concurrency case was not tried");

  const n = o.concurrency ?? DEFAULT_CONCURRENCY;
  const parallel = concurrencyCase(n);
  const answers = await Promise.all(Array.from({ length: n }, () => execute(endpoint, parallel.request, undefined, headers)));
  const failures = answers.map((a) => ({ a, reason: parallel.check(a) })).filter((f) => f.reason !== null);
  results.push(
    done({
      name: parallel.name,
      ok: failures.length === 0,
      reason: failures.length ? `${failures.length} of ${n} failed; first: ${failures[0]!.reason}` : null,
      ms: Math.max(...answers.map((a) => a.ms)),
      cold: false,
      status: failures[0]?.a.status ?? 200,
      ...(failures.length && failures[0]!.a.status !== 200 ? { diagnosis: diagnose(failures[0]!.a, o.stack) } : {}),
    }),
  );
  return report(null);
}

/** The distinct causes behind the failures, each once with its fix. */
export function causesOf(cases: CaseResult[]): Diagnosis[] {
  const seen = new Map<string, Diagnosis>();
  for (const c of cases) if (c.diagnosis && !seen.has(c.diagnosis.cause)) seen.set(c.diagnosis.cause, c.diagnosis);
  return [...seen.values()];
}

export async function run(o: SmokeOptions): Promise<void> {
  const target = await resolveTarget(o);
  const where = target.stack ? `stack ${target.stack} (${target.endpoint})` : target.endpoint;
  if (!o.json) process.stderr.write(`Smoke test of ${where}${o.full ? ", full suite" : ""}${target.credential ? `, with ${target.credential.source}` : ""}...\n`);
  const start = now();
  const began = performance.now();
  const report = await runSmoke(target.endpoint, target.healthPath, {
    full: o.full,
    concurrency: o.concurrency,
    stack: target.stack,
    headers: credentialHeaders(target.credential),
    onCase: progress,
  });
  // The stack's run log, for `manage report` (an explicit --endpoint belongs to no stack: not logged).
  if (target.stack) {
    const problem = appendRun(projectDir(), smokeRecord({ stack: target.stack, endpoint: target.endpoint, start, end: new Date(start.getTime() + performance.now() - began) }, report));
    if (problem) warn(problem);
  }

  if (o.json) printJson(report);
  else {
    console.log(heading(`Smoke test of ${where}`));
    console.log(
      table(
        ["case", "result", "time", "reason"],
        report.cases.map((c) => [c.name, c.ok ? "pass" : "FAIL", `${formatMs(c.ms)}${c.cold ? " (cold)" : ""}`, c.reason ?? ""]),
      ),
    );
    const { cold, warm } = report.latency;
    console.log(`Latency: cold p50 ${formatMs(cold.p50)}, p95 ${formatMs(cold.p95)} (${cold.count} runs); warm p50 ${formatMs(warm.p50)}, p95 ${formatMs(warm.p95)} (${warm.count} runs)`);
    for (const d of causesOf(report.cases)) console.log(`Why: ${d.cause}\n  Fix: ${d.fix}`);
  }
  const total = report.passed + report.failed;
  if (report.stopped) throw new OperationError(`smoke stopped early: ${report.stopped}`);
  if (report.failed > 0) throw new OperationError(`smoke: ${report.failed} of ${total} cases failed`);
  if (!o.json) console.log(`Smoke passed: ${total} of ${total} cases, every language runs.`);
}
