// Ctrl-C ends with the truth, whatever the moment: at a confirmation prompt, while pulumi changes the
// stack, while the readiness gate waits until code runs, during smoke or a load test. The person
// learns what runs now, what it costs a day (and until when), and what to run next; under --json
// that is one JSON document on stdout; the exit code is 130, as a shell reports SIGINT.
//   - at the prompt and in pulumi the change path throws InterruptedError (nothing was changed, or
//     pulumi stopped cleanly and recorded what it did), and main.ts reports it;
//   - waiting, smoke and load-test only read: a handler installed for the phase (`interruptible`)
//     reports at once and exits, with the requests in flight abandoned (they change nothing).
// The decisions (what to say) are pure: interruptOutcome.

import { isJson, jsonDocument, money, reportFailure, writeJson } from "./output.js";
import { suggest } from "./suggest.js";
import { isoSeconds, utcMinute } from "./clock.js";

/** A profile running on a stack, and its cost. */
export interface Running {
  profile: string;
  /** USD a day; null when the region has no embedded prices. */
  perDay: number | null;
  /** ISO 8601 expiry (the scheduled job returns it to idle then); null: until someone stops it. */
  expiresAt: string | null;
}

export interface InterruptFacts {
  /** null: an --endpoint that belongs to no stack. */
  stack: string | null;
  phase: "prompt" | "pulumi" | "waiting" | "smoke" | "load-test";
  /** What runs now as far as this run knows (before the change at the prompt, after it while waiting); null when unknown. */
  runs: Running | null;
  /** pulumi: what the change was to run; part of it may run now. */
  wanted?: Running;
  /** pulumi: only its preview ran, which changes nothing. */
  previewOnly?: boolean;
}

export type InterruptOutcome = ReturnType<typeof interruptOutcome>;

/** "contest at $79.00/day until 2026-12-05 11:00 UTC" / "idle at $1.75/day" */
function describeRunning(r: Running): string {
  const cost = r.perDay === null ? "an unknown cost (no embedded prices for its region)" : `${money(r.perDay)}/day`;
  const until = r.profile === "idle" ? "" : r.expiresAt ? ` until ${utcMinute(r.expiresAt)} (then the scheduled job returns it to idle)` : " with no expiry: until someone stops it";
  return `${r.profile} at ${cost}${until}`;
}

/** What an interruption in `phase` means, in words and as data. Pure. */
export function interruptOutcome(f: InterruptFacts) {
  const s = f.stack;
  const runsNow = f.runs ? `${s} runs ${describeRunning(f.runs)}` : null;
  const status = s ? suggest("status", { stack: s }) : null;
  const stop = s && f.runs && f.runs.profile !== "idle" ? suggest("stop", { stack: s }) : null;
  let message: string;
  let changed: boolean | "partly" = false;
  let next: string[];
  let then: string;
  switch (f.phase) {
    case "prompt":
    case "pulumi": {
      if (f.phase === "pulumi" && !f.previewOnly) {
        // pulumi stopped part-way through an update: the state records what it did. Part of a change
        // to a pool may run: idle is then one command away, whatever ran before.
        const toIdle = s && [f.runs, f.wanted].some((r) => r && r.profile !== "idle") ? suggest("stop", { stack: s }) : null;
        changed = "partly";
        message =
          `stopped at your request: pulumi canceled cleanly and the state records what it did` +
          (f.runs || f.wanted ? `: ${s} runs ${f.runs ? describeRunning(f.runs) : "what it ran before"}${f.wanted ? `, or part of the change to ${describeRunning(f.wanted)}` : ""}` : "");
        next = [...(status ? [status] : []), ...(toIdle ? [toIdle] : [])];
        then = `\`${status}\` shows what runs now; run the command again to finish the change${toIdle ? `, or \`${toIdle}\` for idle` : ""}`;
        break;
      }
      const prompt = f.phase === "prompt";
      message = `interrupted ${prompt ? "at the prompt" : "during pulumi's preview"}: nothing was changed${runsNow ? `; ${runsNow}` : ""}`;
      next = status ? [status] : [];
      then = `run the command again to ${prompt ? "answer the prompt" : "make the change"}${status ? `; \`${status}\` shows what runs` : ""}`;
      break;
    }
    case "waiting":
      changed = true;
      message = `interrupted while waiting until code runs: the change is done${runsNow ? `, and ${runsNow}` : ""}`;
      next = s ? [suggest("doctor", { stack: s }), ...(stop ? [stop] : [])] : [];
      then = s ? `\`${suggest("doctor", { stack: s })}\` checks whether code runs${stop ? `; \`${stop}\` returns it to idle now` : ""}` : "";
      break;
    case "smoke":
    case "load-test": {
      const what = f.phase === "smoke" ? "smoke" : "the load test";
      message = `interrupted during ${what}: it changed nothing${runsNow ? `; ${runsNow}` : ""}`;
      // A load test is run again with its own sizes (--users, --duration); smoke as it was.
      const again = s && f.phase === "smoke" ? suggest("smoke", { stack: s }) : null;
      next = [...(again ? [again] : []), ...(status ? [status] : []), ...(stop ? [stop] : [])];
      then = [again ? `\`${again}\` runs it again` : "", status ? `\`${status}\` shows what runs` : "", stop ? `\`${stop}\` returns it to idle` : ""].filter(Boolean).join("; ");
      break;
    }
  }
  return {
    /** The outcome line: what happened and what runs now, at what cost. */
    message,
    /** What to run next. */
    fix: then,
    /** One JSON document's members (besides "error"). */
    interrupted: { phase: f.phase, stack: s, changed, runs: f.runs, ...(f.wanted ? { wanted: f.wanted } : {}), next },
  };
}

/** The interruption thrown through the change path (prompt, pulumi): main.ts reports it. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  readonly exitCode = 130;
  constructor(readonly outcome: InterruptOutcome) {
    super(outcome.message);
  }
}

/** The outcome line (and fix) on stderr; under --json the one document on stdout. */
export function reportInterrupted(outcome: InterruptOutcome, json: boolean): void {
  const error = { message: outcome.message, ...(outcome.fix ? { fix: outcome.fix } : {}), exitCode: 130, code: "interrupted" };
  reportFailure(error, false);
  if (json) {
    const before = jsonDocument();
    writeJson({ ...(before && typeof before === "object" && !Array.isArray(before) ? before : {}), interrupted: outcome.interrupted, error });
  }
}

/**
 * Runs `work` (a phase that only reads: waiting, smoke, load-test); Ctrl-C (or a CI runner's
 * SIGTERM) during it reports the outcome from `facts` and exits 130 at once.
 */
export async function interruptible<T>(facts: () => InterruptFacts, work: () => Promise<T>): Promise<T> {
  return whileRunning(() => {
    process.stderr.write("\n");
    reportInterrupted(interruptOutcome(facts()), isJson());
    process.exit(130);
  }, work);
}

/** Runs `work` with `onSignal` answering Ctrl-C (SIGINT) and a CI runner's SIGTERM, only while it runs (ours, ./pulumi/interrupt.ts's and `manage watch`'s). */
export async function whileRunning<T>(onSignal: () => void, work: () => Promise<T>): Promise<T> {
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await work();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * What runs on a deployed stack and its cost, from its outputs (the operation the last update
 * recorded, on the stack file's baseline); null when that cannot be said. For the phases that
 * only read (smoke, load-test), computed before they start.
 */
export async function runningOn(stack: string, outputs: Record<string, unknown>): Promise<Running | null> {
  try {
    const { OPERATIONS_OUTPUT, parseOperationsState } = await import("../infra/operations.js");
    const { settingsInEffect } = await import("./operations.js");
    const { costPerDay } = await import("./change.js");
    const operation = parseOperationsState(outputs[OPERATIONS_OUTPUT]);
    const settings = settingsInEffect(stack, operation);
    const expiresAt = settings.profileExpiresAt;
    return { profile: settings.profile.name, perDay: costPerDay(settings), expiresAt: expiresAt ? isoSeconds(expiresAt) : null };
  } catch {
    return null;
  }
}
