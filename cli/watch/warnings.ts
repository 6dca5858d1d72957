// What `manage watch` warns about, decided from the metric timeline alone. Pure: samples in, warnings
// out, so each rule is tested with scripted minutes (test/unit/watch.test.ts).
//
// The rules follow what the pool's metrics mean (shared/azure-facts.md):
//   - sessions being created (PoolPendingPodCount) for several minutes running: the pool is short of
//     ready sessions or at its limit; new executions wait for a cold start or get 404;
//   - no ready session (PoolReadyPodCount 0) while the profile keeps some: every new session is a
//     cold start;
//   - sessions allocated close to maxSessions: past it every request for a new session gets 404;
//   - 5xx or 404 answers rising minute over minute: the backend or the pool failing, or the pool full;
//   - the backend at its maximum replicas: it cannot take more load by scaling out.

import type { Sample } from "../azure/metrics.js";
import type { ProfileName } from "../../infra/profiles.js";
import { suggest } from "../suggest.js";
import { isoSeconds } from "../clock.js";
import { OPTION_RANGES } from "../../infra/limits.js";

/** Named thresholds (docs/runbook.md says what to do about each). */
export const WATCH_THRESHOLDS = {
  /** Minutes in a row with sessions being created before it is a warning (a burst creates some for a minute). */
  pendingMinutes: 3,
  /** Share of maxSessions allocated (executing + being created) at which the cap is close. */
  nearCapShare: 0.9,
  /** Minutes compared: the latest N against the N before them. */
  errorWindowMinutes: 3,
  /** Fewest 5xx or 404 answers in the latest window that count as a problem (one stray error does not). */
  minErrors: 3,
} as const;

export interface WatchWarning {
  code: "pending-sessions" | "no-ready-sessions" | "near-session-cap" | "5xx-rising" | "404-rising" | "backend-at-max";
  message: string;
  fix: string;
}

export interface WarningContext {
  /** One sample a minute, oldest first (PT1M). */
  samples: Sample[];
  /** The profile's pool (maxSessions, readySessions), or null when the profile has none. */
  pool: { maxSessions: number; readySessions: number } | null;
  backendMaxReplicas: number;
  stack: string;
  /**
   * The profile in effect: a fix scales within it. Suggesting another (contest on a stack resting
   * at testing) would be a switch of profile and of cost, not a fix.
   */
  profile: ProfileName;
  /**
   * When the profile in effect returns to idle (a `--for` or a window's end), null for never. A
   * `manage scale` without --for records no expiry (cli/operations.ts scaleChange), so a fix pasted
   * during a window carries the time left as --for: the pool still returns to idle when it would have.
   */
  expiresAt?: Date | null;
  /** The moment the samples end (the time left is counted from it). */
  now?: Date;
}

/**
 * The time left until `expiresAt`, as a --for value ("95m"), rounded up to the minute; undefined with
 * no expiry ahead. At most the longest --for scale accepts (OPTION_RANGES.expiryHours, 7 d): a
 * longer one (a 7 d window's warm-up: 7 d 30 min left) would be refused as pasted, so the fix asks
 * for the most there is, and the pool then returns to idle that much before the window's end.
 */
export function remainingFor(expiresAt: Date | null | undefined, now: Date | undefined): string | undefined {
  if (!expiresAt || !now || expiresAt.getTime() <= now.getTime()) return undefined;
  return `${Math.min(Math.ceil((expiresAt.getTime() - now.getTime()) / 60_000), OPTION_RANGES.expiryHours.max * 60)}m`;
}

/**
 * After the profile's expiry (a window's end, a --for) a scale is no fix: without --for it would
 * keep the pool with no expiry at all. What is said instead of each scale fix; null before it.
 */
function afterExpiry(c: WarningContext): string | null {
  if (!c.expiresAt || !c.now || c.expiresAt.getTime() > c.now.getTime()) return null;
  return (
    `the ${c.profile} profile's time ended at ${isoSeconds(c.expiresAt)} (a window's end or a --for), so no scale: ` +
    `the scheduled job (manage reconcile) returns the stack to idle on its next run, or \`${suggest("stop", { stack: c.stack })}\` stops it now`
  );
}

/** The latest sample that has a value for `field`. */
export function latest<K extends keyof Sample>(samples: Sample[], field: K): Sample[K] | undefined {
  for (let i = samples.length - 1; i >= 0; i--) if (samples[i]![field] !== undefined) return samples[i]![field];
  return undefined;
}

/** The trailing run of minutes with data for `field` in which `test` holds. */
function trailingRun(samples: Sample[], field: keyof Sample, test: (s: Sample) => boolean): number {
  const withData = samples.filter((s) => s[field] !== undefined);
  let run = 0;
  for (let i = withData.length - 1; i >= 0 && test(withData[i]!); i--) run++;
  return run;
}

/** Errors in the latest window and the one before it: [latest, previous]. */
function errorWindows(samples: Sample[], count: (s: Sample) => number | undefined, minutes: number): [number, number] {
  const withData = samples.filter((s) => count(s) !== undefined).map((s) => count(s)!);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return [sum(withData.slice(-minutes)), sum(withData.slice(-2 * minutes, -minutes))];
}

export function watchWarnings(c: WarningContext, t = WATCH_THRESHOLDS): WatchWarning[] {
  const out: WatchWarning[] = [];
  const s = c.samples;
  const scale = (override: string) => suggest("scale", { stack: c.stack, profile: c.profile, [override]: "<n>", for: remainingFor(c.expiresAt, c.now) });
  const ended = afterExpiry(c);
  if (c.pool) {
    const pendingRun = trailingRun(s, "pending", (x) => (x.pending ?? 0) > 0);
    if (pendingRun >= t.pendingMinutes)
      out.push({
        code: "pending-sessions",
        message: `sessions have been waiting to be created for ${pendingRun} min (${latest(s, "pending")} now): the pool is short of ready sessions or at its limit`,
        fix: ended ?? `more ready sessions: \`${scale("ready-sessions")}\` (or \`${scale("max-sessions")}\` if the cap is reached)`,
      });
    const ready = latest(s, "ready");
    if (ready === 0 && c.pool.readySessions > 0)
      out.push({
        code: "no-ready-sessions",
        message: `no ready session (the profile keeps ${c.pool.readySessions}): every new session waits for a cold start`,
        fix: ended ?? `\`${scale("ready-sessions")}\`; if it stays 0, the pool is at its cap or cannot start sessions (\`${suggest("doctor", { stack: c.stack })}\`)`,
      });
    const executing = latest(s, "executing");
    const allocated = (executing ?? 0) + (latest(s, "pending") ?? 0);
    if (executing !== undefined && allocated >= t.nearCapShare * c.pool.maxSessions)
      out.push({
        code: "near-session-cap",
        message: `${Math.round(allocated)} of ${c.pool.maxSessions} sessions allocated: past the cap every new session gets 404`,
        fix: ended ?? `\`${scale("max-sessions")}\` (\`${suggest("capacity", { stack: c.stack, profile: c.profile })}\` says how many)`,
      });
  }
  const [fiveNow, fiveBefore] = errorWindows(s, (x) => (x.requests ? (x.requests["5xx"] ?? 0) : undefined), t.errorWindowMinutes);
  if (fiveNow >= t.minErrors && fiveNow > fiveBefore)
    out.push({
      code: "5xx-rising",
      message: `5xx answers rising: ${fiveNow} in the last ${t.errorWindowMinutes} min (${fiveBefore} in the ${t.errorWindowMinutes} before)`,
      fix: `\`${suggest("smoke", { stack: c.stack })}\` names the cause (502: sessions not listening yet; 503: no pool to forward to)`,
    });
  const [nfNow, nfBefore] = errorWindows(s, (x) => x.notFound, t.errorWindowMinutes);
  if (nfNow >= t.minErrors && nfNow > nfBefore)
    out.push({
      code: "404-rising",
      message: `404 answers rising: ${nfNow} in the last ${t.errorWindowMinutes} min (${nfBefore} before): the pool's session limit, or a wrong route`,
      fix: c.pool
        ? ended ?? `at the limit: \`${scale("max-sessions")}\`; a wrong route: check sessionImage (\`${suggest("doctor", { stack: c.stack })}\`)`
        : `the ${c.profile} profile has no session pool to answer: \`${suggest("status", { stack: c.stack })}\` says what runs`,
    });
  const replicas = latest(s, "replicas");
  if (replicas !== undefined && c.backendMaxReplicas > 0 && replicas >= c.backendMaxReplicas)
    out.push({
      code: "backend-at-max",
      message: `the backend runs at its maximum of ${c.backendMaxReplicas} replicas: it cannot scale out further`,
      fix: ended ?? `\`${scale("backend-max")}\``,
    });
  return out;
}
