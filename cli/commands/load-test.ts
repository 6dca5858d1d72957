// `manage load-test --users N --duration D [--rate R] [--mix python:60,cpp:20,java:10,js:10]`:
// a contest-shaped open-model load against the stack's own backend (or an explicit --endpoint),
// bounded in count and time. Reports latency p50/p95/p99, throughput, errors by status, and whether
// the session limit was hit. Exit 1 when any execution failed.

import type { OptionsFor } from "../main.js";
import { OperationError, UsageError } from "../errors.js";
import { heading, printJson, table, warn } from "../output.js";
import { arrivals, countArrivals, DEFAULT_MIX, DELAYED_AFTER_MS, parseMix, peakInWindow, runLoad, summarizeLoad, type LoadShape } from "../execution/load.js";
import { OPTION_RANGES } from "../../infra/limits.js";
import { CAPACITY_DEFAULTS } from "../../infra/capacity.js";
import { callerBudget } from "../../infra/caller-budget.js";
import { OPERATIONS_OUTPUT, parseOperationsState } from "../../infra/operations.js";
import type { DeploymentSettings } from "../../infra/config.js";
import { settingsInEffect } from "../operations.js";
import { credentialHeaders } from "../execution/credentials.js";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../infra/access-mode.js";
import { stackSettings } from "../settings.js";
import { formatMs } from "../execution/stats.js";
import { resolveTarget } from "../execution/target.js";
import { appendRun, loadRecord } from "../execution/run-log.js";
import { now } from "../clock.js";
import { projectDir } from "../project.js";
import { sessionsInEffect } from "../costing/calibration.js";
import { suggest } from "../suggest.js";
import { interruptible, runningOn } from "../interrupted.js";

/**
 * A load test is a test, not an attack: these bound it whatever the options say (the options' own
 * ranges are in infra/limits.ts OPTION_RANGES: duration, rate, --max-requests, open sockets).
 */
export const LIMITS = { graceMs: 30_000, maxOpen: OPTION_RANGES.sockets.max };

/** The load's shape from the options, or a usage error. Pure. */
export function loadShape(o: Pick<OptionsFor<"load-test">, "users" | "duration" | "rate" | "runsPerUserPerMinute" | "burstSeconds" | "mix" | "seed">): LoadShape {
  let mix;
  try {
    mix = parseMix(o.mix ?? DEFAULT_MIX);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (o.rate !== undefined && o.runsPerUserPerMinute !== undefined) throw new UsageError("give either --rate or --runs-per-user-per-minute, not both");
  if (o.burstSeconds !== undefined && o.burstSeconds * 1000 > o.duration)
    throw new UsageError(`--burst-seconds ${o.burstSeconds} is longer than --duration (${o.duration / 1000} s): the opening burst is part of the load; give at most ${o.duration / 1000}`);
  return {
    participants: o.users,
    durationMs: o.duration,
    // Default: each person runs code once a minute, the capacity model's default too.
    ratePerSecond: o.rate ?? (o.users * (o.runsPerUserPerMinute ?? CAPACITY_DEFAULTS.runsPerParticipantPerMinute)) / 60,
    burstMs: o.burstSeconds !== undefined ? o.burstSeconds * 1000 : Math.min(CAPACITY_DEFAULTS.openingBurstSeconds * 1000, o.duration / 4),
    mix,
    seed: o.seed,
  };
}

/** The number of executions a load sends, or a usage error when it is over the cap. Memory stays bounded by the cap. */
export function checkSize(shape: LoadShape, cap: number): number {
  const over = (n: string) =>
    new UsageError(`this load would send ${n} executions, over the cap of ${cap}: lower --users, --rate or --duration, or raise --max-requests (at most ${OPTION_RANGES.loadRequests.max})`);
  if (shape.participants > cap) throw over(`at least ${shape.participants}`);
  const count = countArrivals(shape, cap);
  if (count > cap) throw over(`more than ${cap}`);
  return count;
}

/**
 * What the gateway's per-caller budget (limit-concurrency, infra/caller-budget.ts) does to a load
 * sent through one credential: everyone's first run lands in the opening burst, so up to the
 * load's `participants` calls are in flight at once, and beyond the budget the gateway answers 429
 * without Retry-After. null when the budget holds them (or the stack runs no pool). Pure.
 */
export function concurrencyWarning(participants: number, settings: Pick<DeploymentSettings, "profile" | "participantModel">): string | null {
  const pool = settings.profile.pool;
  if (!pool) return null;
  const { concurrency } = callerBudget(pool.maxSessions, settings.participantModel.participants);
  if (participants <= concurrency) return null;
  return (
    `this load can have up to ${participants} calls in flight through one credential (everyone's first run in the opening burst), and the gateway lets each caller have ` +
    `${concurrency} (maxSessions ${pool.maxSessions} shared by ${settings.participantModel.participants} participants): expect 429s without Retry-After beyond that. ` +
    "A contest spreads its calls over every participant's credential."
  );
}

export async function run(o: OptionsFor<"load-test">): Promise<void> {
  const shape = loadShape(o);
  const count = checkSize(shape, o.maxRequests);
  const target = await resolveTarget(o);
  if (target.outputs && target.outputs.sessionPoolDeployed === false)
    throw new UsageError(`stack ${target.stack} is idle (no session pool): every execution would fail. \`${suggest("scale", { stack: target.stack, profile: "contest" })}\` first`);

  const gateway = target.stack && target.outputs?.accessMode === "token" ? stackSettings(target.stack).access.gateway : null;
  const peak = gateway ? peakInWindow(arrivals(shape), RATE_LIMIT_PERIOD_SECONDS * 1000) : 0;
  if (gateway && peak > gateway.callsPerMinute)
    warn(
      `this load sends up to ${peak} executions in a minute through one credential, and the gateway allows each caller ` +
        `${gateway.callsPerMinute} (gatewayRateLimitPerMinute): expect 429s. A contest spreads its calls over every participant's credential.`,
    );
  if (gateway && target.stack && target.outputs) {
    const concurrency = concurrencyWarning(shape.participants, settingsInEffect(target.stack, parseOperationsState(target.outputs[OPERATIONS_OUTPUT])));
    if (concurrency) warn(concurrency);
  }
  const where = target.stack ? `stack ${target.stack} (${target.endpoint})` : target.endpoint;
  // Ctrl-C during the load says what runs on the stack and what it costs (the load changed nothing).
  const runs = target.stack && target.outputs ? await runningOn(target.stack, target.outputs) : null;
  const start = now();
  const { outcomes, elapsedMs, delayed } = await interruptible(
    () => ({ stack: target.stack ?? null, phase: "load-test", runs }),
    () => {
      // Said once the handler is in place: whoever sees this line can interrupt with the outcome said.
      process.stderr.write(
        `Load test of ${where}: ${count} executions over ${shape.durationMs / 1000} s ` +
          `(${shape.participants} users' first runs within ${(shape.burstMs / 1000).toFixed(0)} s, then ${shape.ratePerSecond.toFixed(2)}/s; at most ${LIMITS.maxOpen} open at once)\n`,
      );
      return runLoad(target.endpoint, arrivals(shape), {
        durationMs: shape.durationMs,
        graceMs: LIMITS.graceMs,
        maxOpen: LIMITS.maxOpen,
        headers: credentialHeaders(target.credential),
        onTick: (sent, done, failed) => process.stderr.write(`  ${sent} of ${count} sent, ${done} answered, ${failed} failed\n`),
      });
    },
  );
  if (delayed) warn(`${delayed} execution(s) left more than ${DELAYED_AFTER_MS / 1000} s late: ${LIMITS.maxOpen} were already open (the backend answers slower than the load arrives)`);
  const report = summarizeLoad(outcomes, elapsedMs, target.stack);
  // The stack's run log, for `manage report` (an explicit --endpoint belongs to no stack: not logged).
  if (target.stack) {
    const problem = appendRun(projectDir(), loadRecord({ stack: target.stack, endpoint: target.endpoint, start, end: new Date(start.getTime() + elapsedMs), ...(await sessionsInEffect(target.stack, target.outputs)) }, report, outcomes));
    if (problem) warn(problem);
  }

  // The shape under the JSON keys it has always had (scripts read shape.users).
  const { participants: users, ...rest } = shape;
  if (o.json) printJson({ endpoint: target.endpoint, stack: target.stack ?? null, shape: { users, ...rest }, ...report });
  else {
    console.log(heading(`Load test of ${where}`));
    console.log(
      table(
        ["", "runs", "p50", "p95", "p99", "max"],
        [["all", report.latency] as const, ...Object.entries(report.latencyByLanguage)].map(([language, l]) => [language, l.count, formatMs(l.p50), formatMs(l.p95), formatMs(l.p99), formatMs(l.max)]),
      ),
    );
    console.log(`Throughput: ${report.throughputPerSecond.toFixed(2)} successful executions/s over ${report.durationSeconds.toFixed(1)} s`);
    const errors = Object.entries(report.errors);
    console.log(`Errors: ${errors.length ? errors.map(([k, n]) => `${n} × ${k}`).join(", ") : "none"}`);
    console.log(report.sessionLimitHit ? `Session limit: HIT (404s): \`${suggest("capacity", { stack: target.stack, users: shape.participants })}\` says how many sessions` : "Session limit: not reached");
    for (const c of report.causes) console.log(`Why: ${c.cause}\n  Fix: ${c.fix}`);
  }
  const failed = report.offered - report.ok;
  if (failed > 0) throw new OperationError(`load-test: ${failed} of ${report.offered} executions failed`);
  if (!o.json) console.log(`Load test passed: ${report.ok} of ${report.offered} executions succeeded.`);
}
