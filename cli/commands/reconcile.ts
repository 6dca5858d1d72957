// `manage reconcile` (alias: enforce-expiry): the one command the scheduled workflow runs, every few
// minutes, for every stack. From each stack's state alone (never a stack file's copy of it), it
// starts a scheduled window at its warm-up (the readiness gate, then a smoke run: the window is
// proved to run code), checks a running window on every run (its backend answers with the stack's
// key; a token stack's gateway refuses a call without one: a failed start stays red until fixed or
// stopped), returns an expired window or `--for` expiry to idle, and stops again a pool or gateway
// left by a failed stop. It does nothing twice; --dry-run
// changes nothing; --json prints one action log. A failure is reported, the other stacks are still
// handled, and the exit code is 1 so the job stays red until a later run succeeds.
// A stack locked by an update that may still be running (a deploy: the workflows keep deploys and
// reconcile in separate concurrency groups so a cron run never cancels a queued deploy, and pulumi's
// lock serializes them, docs/ci.md) is left for the next run: "busy", exit 0, whether the lock is
// seen before acting (a file backend's lock files, ../schedule.ts interruptedVerdict) or pulumi
// refuses the change for it. A lock older than the longest a workflow job may run (../workflow.ts)
// has no job behind it any more: that one fails, naming the lock and the commands that remove it.

import { listStackFiles, readStackFile } from "../stack-files.js";
import { applyStackChange, type StackChange } from "../change.js";
import type { OptionsFor } from "../main.js";
import { now as clock, isoSeconds } from "../clock.js";
import { OperationError } from "../errors.js";
import { printJson } from "../output.js";
import { projectDir } from "../project.js";
import { describeExpiry, describeInterrupted, describeStaleLocks, leftBehind, leftWords, readStackRuntime, settingsInEffect, stopChange, type StackRuntime } from "../operations.js";
import { decideReconcile, describeWindow, interruptedVerdict, keptWindows, RUNNING_CHECK_TIMEOUT_MS, windowOperation, windowOverrides, withoutSizing, type ReconcileDecision } from "../schedule.js";
import { stackFile } from "../settings.js";
import { lockOutlivedJobs } from "../workflow.js";
import type { Window } from "../../infra/operations.js";
import type { ProfileOverrides } from "../../infra/profiles.js";
import { suggest } from "../suggest.js";
import type { Target } from "../execution/target.js";

type ReconcileOptions = OptionsFor<"reconcile">;

export interface Action {
  stack: string;
  /** What the state says runs (before this run acted). */
  profile: string;
  expiresAt: string | null;
  /** Who asked for the operation in effect, and when. */
  by?: string;
  decision: ReconcileDecision["kind"] | "unknown";
  why?: string;
  window?: Pick<Window, "id" | "profile" | "start" | "end">;
  outcome?: "started" | "stopped" | "would-start" | "would-stop" | "checked" | "busy" | "failed";
  /** A started window's proof: the smoke run's counts and warm latency. */
  smoke?: { passed: number; failed: number; warmP95Ms: number | null };
  error?: string;
  /** A change under way or interrupted: what it is and how to settle it (the job leaves the stack alone). */
  interrupted?: { what: string; fix: string };
  /** The stack file cannot be read: reported (exit 1); the decision still comes from the state. */
  fileError?: string;
  /** Idle, but still deployed (a failed stop's leftovers, ../operations.ts leftBehind): what. */
  leftBehind?: string[];
}

export async function run(o: ReconcileOptions): Promise<void> {
  const now = clock();
  const dir = projectDir();
  // A stack named with --stack whose file cannot be read is bad input, as in every command.
  if (o.stack) stackFile(o.stack, dir);
  const stacks = o.stack ? [o.stack] : listStackFiles(dir);
  const { PulumiReader } = await import("../pulumi/reader.js");
  const pulumi = await PulumiReader.connect(dir, o.verbose);
  const known = new Set(await pulumi.stacks());
  const actions: Action[] = [];
  for (const stack of stacks) {
    const action: Action = { stack, profile: "unknown", expiresAt: null, decision: "unknown" };
    actions.push(action);
    try {
      readStackFile(dir, stack);
    } catch (err) {
      action.fileError = err instanceof Error ? err.message : String(err);
    }
    let runtime: StackRuntime;
    let decision: ReconcileDecision;
    try {
      runtime = known.has(stack) ? await readStackRuntime(pulumi, stack) : { deployed: false, operation: null, poolDeployed: false, gatewayDeployed: false, outputs: {} };
      // The history only matters for an idle stack with a pool or gateway: was it a stop that failed?
      const needsHistory = leftBehind(runtime).length > 0 && !runtime.interrupted;
      decision = decideReconcile(runtime, now, needsHistory ? await pulumi.lastUpdate(stack) : null);
    } catch (err) {
      action.outcome = "failed";
      action.error = `its state cannot be read: ${err instanceof Error ? err.message : String(err)}`;
      continue;
    }
    const op = runtime.operation;
    action.profile = op?.profile ?? (runtime.poolDeployed ? "unknown" : "idle");
    action.expiresAt = op?.expiresAt ?? null;
    if (op) action.by = `${op.by} at ${op.at}`;
    action.decision = decision.kind;
    if ("why" in decision) action.why = decision.why;
    if (leftBehind(runtime).length) action.leftBehind = leftBehind(runtime);
    if (runtime.interrupted) {
      action.interrupted = describeInterrupted(stack, runtime.interrupted);
      // Left because of it: green while an update may hold the lock, red once none can. Wall-clock
      // time, not manage's clock: a lock's time is the locking machine's.
      const verdict = decision.kind === "leave" && decision.why === "interrupted" ? interruptedVerdict(runtime.interrupted, new Date()) : null;
      if (verdict) action.outcome = verdict.outcome;
      if (verdict?.outcome === "failed") action.error = describeStaleLocks(stack, verdict.stale);
    }
    if ("window" in decision) action.window = { id: decision.window.id, profile: decision.window.profile, start: decision.window.start, end: decision.window.end };
    // A window that runs is checked on every run, not trusted: a start whose proof failed (readiness,
    // smoke, a gateway letting anonymous calls through) keeps the job red until it is fixed or stopped.
    if (decision.kind === "running" && !o.dryRun) {
      try {
        await checkRunning(stack, decision.window, o);
        action.outcome = "checked";
      } catch (err) {
        action.outcome = "failed";
        action.error = err instanceof Error ? err.message : String(err);
      }
      continue;
    }
    if (decision.kind !== "start" && decision.kind !== "stop") continue;
    if (o.dryRun) {
      action.outcome = decision.kind === "start" ? "would-start" : "would-stop";
      continue;
    }
    try {
      // Progress goes to stderr (json: true); this command prints the one log of what it did.
      const g = { ...o, json: true as const, stack, yes: true as const };
      if (decision.kind === "stop") {
        const why = { "window-ended": "its window ended", expired: "expired", leftover: `${leftBehind(runtime).join(" and ")} left by a failed stop` }[decision.why];
        const stop = stopChange(stack);
        // A window's sizing (its --users) was for that window only: the profile goes back to its own.
        const ran = op?.window ? op.windows?.find((w) => w.id === op.window) : undefined;
        const sizing = ran ? windowSizing(ran, stack, op, dir) : {};
        const operation: StackChange["operation"] = (current) => {
          const idle = stop.operation!(current);
          return ran ? { ...idle, overrides: withoutSizing(idle.overrides, ran.profile, sizing) } : idle;
        };
        await applyStackChange({ ...stop, operation, windows: (w) => keptWindows(w, now, op?.window, op?.window ? { stoppedAt: isoSeconds(now) } : {}), intent: `stop: ${why} (reconcile)` }, g, false);
        action.outcome = "stopped";
      } else {
        await applyStackChange(startWindow(stack, decision.window, op, now), { ...g, wait: true }, false);
        action.outcome = "started";
        action.smoke = await proveItRuns(stack, o);
        if (action.smoke.failed > 0) throw new OperationError(`window ${decision.window.id} started, but smoke failed ${action.smoke.failed} case(s): \`${suggest("smoke", { stack })}\` shows which, with their causes`);
      }
    } catch (err) {
      action.outcome = busy(err) ? "busy" : "failed";
      action.error = err instanceof Error ? err.message : String(err);
    }
  }
  if (o.json) printJson({ now: now.toISOString(), dryRun: Boolean(o.dryRun), actions });
  else for (const a of actions) console.log(describeAction(a));
  const failed = actions.filter((a) => a.outcome === "failed").map((a) => a.stack);
  const unreadable = actions.filter((a) => a.fileError).map((a) => a.stack);
  const problems = [
    ...(failed.length ? [`stack(s) not reconciled: ${failed.join(", ")}`] : []),
    ...(unreadable.length ? [`stack file(s) that cannot be read: ${unreadable.join(", ")}`] : []),
  ];
  if (problems.length) throw new OperationError(`${problems.join("; ")} (see above); the next run tries again`);
}

/**
 * Locked by an update that may still be running: its lock is younger than the longest a workflow
 * job may run (timeout-minutes, after which GitHub kills the job and its lock stays behind).
 * Wall-clock time, not manage's clock: the lock's time is the locking machine's.
 */
function busy(err: unknown): boolean {
  const failure = (err as { failure?: { kind?: string; lockedSince?: number } } | null)?.failure;
  if (failure?.kind !== "locked" || failure.lockedSince === undefined) return false;
  return !lockOutlivedJobs(failure.lockedSince, Date.now());
}

/** The sizing a window was started with, as startWindow computed it; none when the stack file cannot be read (a stop is never refused). */
function windowSizing(w: Window, stack: string, op: StackRuntime["operation"], dir: string): ProfileOverrides {
  try {
    return windowOverrides(w, settingsInEffect(stack, op, dir));
  } catch {
    return {};
  }
}

/** The change that starts a window: its profile, sized for its participants, until its end. */
function startWindow(stack: string, w: Window, op: StackRuntime["operation"], now: Date): StackChange {
  const settings = settingsInEffect(stack, op);
  return {
    stack,
    config: {},
    operation: (current) => windowOperation(w, current.overrides, settings),
    windows: (windows) => keptWindows(windows, now, w.id, { startedAt: isoSeconds(now) }),
    intent: `start window ${w.id}: ${describeWindow(w, false)} (reconcile)`,
    // On what the last update deployed, never the stack file: the job runs without the contest
    // stack's reviewers (docs/ci.md), so a file edit waits for `up` through them (and is named).
    deployedBaseline: true,
    verify: true,
  };
}

/** After the readiness gate's probe: every language's smoke cases through the stack's backend. */
async function proveItRuns(stack: string, o: ReconcileOptions): Promise<NonNullable<Action["smoke"]>> {
  const { resolveTarget } = await import("../execution/target.js");
  const { runSmokeLogged } = await import("../execution/smoke-run.js");
  const { credentialHeaders } = await import("../execution/credentials.js");
  // The outputs again, with the gateway's key (the change's result has it redacted).
  const target = await resolveTarget({ stack, verbose: o.verbose });
  // In the stack's run log like any smoke (the scheduled job keeps it as the run's artifact), for `manage report`.
  const { report, logProblem } = await runSmokeLogged(projectDir(), stack, target.endpoint, target.healthPath, { headers: credentialHeaders(target.credential) });
  if (logProblem) process.stderr.write(`warning: ${logProblem}\n`);
  const proved = { passed: report.passed, failed: report.failed + (report.stopped ? 1 : 0), warmP95Ms: report.latency.warm.p95 };
  const hole = await gatewayHole(target);
  if (hole) throw new OperationError(`window started and code runs, but ${hole}`);
  return proved;
}

/**
 * Behind a gateway (token), a window is only ready if the gateway also refuses a call without a key:
 * it is the only thing between the internet and the pool. One call; null when it is refused (401)
 * or the stack has no gateway, else what is wrong and the commands that close it.
 */
async function gatewayHole(target: Target, timeoutMs?: number): Promise<string | null> {
  if (target.outputs?.accessMode !== "token") return null;
  const { health } = await import("../execution/api.js");
  const anonymous = await health(target.endpoint, target.healthPath, timeoutMs);
  if (anonymous.status === 401) return null;
  const stack = target.stack!;
  return (
    `the gateway answered ${anonymous.status || "nothing"} to a call without a key (expected 401): anyone could reach the pool\n` +
    `  Fix: \`manage doctor --stack ${stack}\` says what the gateway lets through; \`manage stop --stack ${stack}\` closes it meanwhile`
  );
}

/**
 * The check of a window that runs, on every run (two calls at most, each within
 * RUNNING_CHECK_TIMEOUT_MS): the backend answers its health route through the stack's front door
 * with the stack's own key, and a token stack's gateway refuses a call without one. A failure throws
 * its cause and the commands: the job is red every run until it is fixed or the window stopped.
 */
async function checkRunning(stack: string, w: Window, o: ReconcileOptions): Promise<void> {
  const { resolveTarget } = await import("../execution/target.js");
  const { health, isHealthy } = await import("../execution/api.js");
  const { credentialHeaders } = await import("../execution/credentials.js");
  const { diagnose } = await import("../execution/diagnose.js");
  const target = await resolveTarget({ stack, verbose: o.verbose });
  const keyed = await health(target.endpoint, target.healthPath, RUNNING_CHECK_TIMEOUT_MS, credentialHeaders(target.credential));
  const fix = `\`manage doctor --stack ${stack}\` checks every part; \`manage stop --stack ${stack}\` ends the window`;
  if (!isHealthy(keyed)) {
    const d = diagnose(keyed, stack);
    throw new OperationError(
      `window ${w.id} runs, but its backend does not answer ${target.credential ? "through the gateway with the stack's key" : "its health check"} (GET ${target.healthPath}): ${d.cause}\n` +
        `  Fix: ${d.fix}; ${fix}`,
    );
  }
  const hole = await gatewayHole(target, RUNNING_CHECK_TIMEOUT_MS);
  if (hole) throw new OperationError(`window ${w.id} runs, but ${hole}`);
}

const BUSY = "another update holds the stack's lock (a deploy, or a person's change); the next run tries again";

/** One line per stack, for people (the job's log). */
function describeAction(a: Action): string {
  const expiry = a.expiresAt ? ` (expiry ${describeExpiry(new Date(a.expiresAt))}${a.by ? `, set by ${a.by}` : ""})` : "";
  return `${a.stack}: ${decisionLine(a)}${a.decision === "stop" || a.decision === "leave" ? expiry : ""}${a.fileError ? `\n  and its stack file cannot be read: ${a.fileError}` : ""}`;
}

/** What the run decided for a stack, and what came of it. */
function decisionLine(a: Action): string {
  const failed = `FAILED: ${a.error}`;
  const w = a.window ? `window ${a.window.id} (${describeExpiry(new Date(a.window.start))} to ${describeExpiry(new Date(a.window.end))})` : "";
  switch (a.decision) {
    case "start":
      return a.outcome === "started"
        ? `${w}: started, code runs (smoke ${a.smoke?.passed} passed${a.smoke?.warmP95Ms != null ? `, warm p95 ${Math.round(a.smoke.warmP95Ms)} ms` : ""})`
        : a.outcome === "would-start"
          ? `${w}: its warm-up has begun: would start it (dry run, nothing changed)`
          : a.outcome === "busy"
            ? `${w}: not started yet: ${BUSY}`
            : `${w}: start ${failed}`;
    case "running":
      return a.outcome === "checked"
        ? `${w}: running as scheduled (its backend answers with the stack's credential; a token stack's gateway refuses a call without a key)`
        : a.outcome === "failed"
          ? `${w}: running, but its check ${failed}`
          : `${w}: running as scheduled`;
    case "overridden":
      return `${w}: changed by hand since its warm-up began (${a.by}): left as it is`;
    case "not-started":
      return `idle; next: ${w}, warm-up not begun: nothing to do`;
    case "stop": {
      const what = a.why === "leftover" ? `idle, but ${leftWords(a.leftBehind ?? ["a session pool"])} still deployed (an earlier stop failed)` : a.why === "window-ended" ? "its window ended" : "expired";
      return `${what}: ${a.outcome === "stopped" ? "returned to idle" : a.outcome === "would-stop" ? "would return to idle (dry run, nothing changed)" : a.outcome === "busy" ? `not stopped yet: ${BUSY}` : `but the stop ${failed}`}`;
    }
    case "leave":
      return {
        "already-idle": "idle: nothing to do",
        "not-deployed": "not deployed: nothing to do",
        "not-expired": "not expired yet: left as it is",
        "no-expiry": `${a.profile} with no expiry: left as it is`,
        interrupted:
          a.outcome === "failed"
            ? failed
            : `left as it is${a.outcome === "busy" ? `: ${BUSY}` : ""}: ${a.interrupted?.what}\n  Fix: ${a.interrupted?.fix}`,
        "unrecorded-pool": `idle, but ${leftWords(a.leftBehind ?? ["a session pool"])} deployed that no recorded change explains (a change interrupted before the state recorded it?): left as it is. \`manage status --stack ${a.stack}\` shows it; \`manage stop --stack ${a.stack}\` removes it, or run the interrupted change again`,
      }[a.why as string]!;
    default:
      return failed;
  }
}
