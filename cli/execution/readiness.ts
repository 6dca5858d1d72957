// "Done" means code runs: one probe execution end to end through the backend, and the readiness gate
// that repeats it with backoff until it succeeds (a new Session Executor assignment can take up to
// 30 minutes to take effect; a fresh pool answers 502 until its container listens). Used by
// start-session-pool, start and scale, and by doctor.

import pRetry, { AbortError } from "p-retry";
import { randomUUID } from "node:crypto";
import { execute, programRequest, type Answer, type ExecuteResponse, type Headers } from "./api.js";
import { diagnose, type Diagnosis } from "./diagnose.js";

export interface ProbeResult {
  ok: boolean;
  answer: Answer<ExecuteResponse>;
  /** Why it failed (absent when ok). */
  diagnosis?: Diagnosis;
}

/** One Python run that prints a fresh nonce: only a real execution can echo it back. */
export async function probeExecution(endpoint: string, stack?: string, timeoutMs = 60_000, headers: Headers = {}): Promise<ProbeResult> {
  const nonce = `manage-probe-${randomUUID().slice(0, 8)}`;
  const answer = await execute(endpoint, programRequest("python", `print("${nonce}")`), timeoutMs, headers);
  if (answer.status === 200 && answer.body?.run?.stdout?.includes(nonce)) return { ok: true, answer };
  if (answer.status === 200)
    return {
      ok: false,
      answer,
      diagnosis: {
        cause: `the backend answered 200 but the program's output is missing (stdout ${JSON.stringify(answer.body?.run?.stdout ?? "")})`,
        fix: "the backend or session image is not running the code it is given: check the images' versions",
        transient: false,
      },
    };
  return { ok: false, answer, diagnosis: diagnose(answer, stack) };
}

export interface WaitOptions {
  /** Give up after this long (default 30 minutes: role propagation's worst case). */
  timeoutMs: number;
  stack?: string;
  /** The gateway's credential (accessMode token). */
  headers?: Headers;
  /** Called after each failed probe with what is being waited for. */
  onWaiting?: (attempt: number, result: ProbeResult, elapsedMs: number) => void;
}

class ProbeFailed extends Error {
  constructor(readonly result: ProbeResult) {
    super(result.diagnosis?.cause ?? "probe failed");
  }
}

/**
 * Probes until an execution succeeds, backing off between tries. Gives up at the timeout, or at
 * once on a failure that waiting cannot fix (wrong token audience, wrong route, bad api-version).
 */
export async function waitUntilExecutes(endpoint: string, o: WaitOptions) {
  const started = performance.now();
  let attempts = 0;
  let last: ProbeResult | undefined;
  try {
    last = await pRetry(
      async () => {
        attempts++;
        const remaining = o.timeoutMs - (performance.now() - started);
        const result = await probeExecution(endpoint, o.stack, Math.max(1_000, Math.min(60_000, remaining)), o.headers);
        last = result;
        if (result.ok) return result;
        if (!result.diagnosis?.transient) throw new AbortError(new ProbeFailed(result));
        throw new ProbeFailed(result);
      },
      {
        retries: Number.POSITIVE_INFINITY,
        // The first and the longest pause between probes.
        factor: 2,
        minTimeout: 2_000,
        maxTimeout: 30_000,
        maxRetryTime: o.timeoutMs,
        onFailedAttempt: ({ error, attemptNumber }) => {
          if (error instanceof ProbeFailed) o.onWaiting?.(attemptNumber, error.result, performance.now() - started);
        },
      },
    );
  } catch (err) {
    if (!(err instanceof ProbeFailed) || !last) throw err;
  }
  // elapsedMs: from the start of waiting to the first successful execution (or to giving up).
  return { ok: last!.ok, attempts, elapsedMs: performance.now() - started, last: last! };
}
