// One smoke run against a backend: every language's cases (./smoke-cases.ts), cold and warm latency,
// and the cause of any failure. Used by `manage smoke` and by the scheduled job's proof that a
// window it started runs code (`manage reconcile`).

import { execute, health, isHealthy, type Answer, type ExecuteResponse, type Headers } from "./api.js";
import { diagnose, type Diagnosis } from "./diagnose.js";
import { concurrencyCase, smokeSuite, type SmokeCase } from "./smoke-cases.js";
import { summarize } from "./stats.js";
import { appendRun, smokeRecord } from "./run-log.js";
import { now } from "../clock.js";
import { DEFAULT_SMOKE_CONCURRENCY } from "../options.js";

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

type SmokeOptions = { full?: boolean; concurrency?: number; stack?: string; headers?: Headers; onCase?: (r: CaseResult) => void };

/**
 * runSmoke against a stack's backend, timed and recorded as one line of the stack's run log for
 * `manage report` (./run-log.ts). What the log could not take comes back to be warned about: it never
 * changes the smoke's verdict.
 */
export async function runSmokeLogged(
  projectDir: string,
  stack: string,
  endpoint: string,
  healthPath: string,
  o: Omit<SmokeOptions, "stack"> & { readySessions?: number | null; newSessions?: boolean },
) {
  const start = now();
  const began = performance.now();
  const report = await runSmoke(endpoint, healthPath, { ...o, stack });
  const timing = { stack, endpoint, start, end: new Date(start.getTime() + performance.now() - began), readySessions: o.readySessions ?? null, newSessions: o.newSessions };
  const logProblem = appendRun(projectDir, smokeRecord(timing, report));
  return { report, logProblem };
}

export async function runSmoke(endpoint: string, healthPath: string, o: SmokeOptions) {
  const results: CaseResult[] = [];
  const headers = o.headers ?? {};
  const done = (r: CaseResult) => {
    o.onCase?.(r);
    return r;
  };
  /** `stopped`: why the run stopped before every case ran (the health check failed), or null. */
  const report = (stopped: string | null) => {
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

  const n = o.concurrency ?? DEFAULT_SMOKE_CONCURRENCY;
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

