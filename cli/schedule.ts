// Contest windows and what the scheduled job does about them. Pure: the clock, the stack's state and
// the stack file come in; a window, a refusal or a decision comes out. `manage schedule` records
// windows in the stack's state (infra/operations.ts, Window); `manage reconcile` acts on them.

import { PROFILES, type ProfileName, type ProfileOverrides } from "../infra/profiles.js";
import { plannedPool } from "../infra/capacity.js";
import type { DeploymentSettings } from "../infra/config.js";
import { withOverrides, type Operation, type OperationOverrides, type Window } from "../infra/operations.js";
import { GATEWAY_CREATE_MINUTES, gatewayFor, type AccessSettings } from "../infra/access-mode.js";
import { isoSeconds } from "./clock.js";
import { DEFAULT_WARMUP_MINUTES } from "./options.js";
import { UsageError } from "./errors.js";
import { suggest } from "./suggest.js";
import { describeExpiry, leftBehind, type StackRuntime } from "./operations.js";
import type { StackLock } from "./pulumi/reader.js";
import { lockOutlivedJobs } from "./workflow.js";

export interface WindowRequest {
  profile: ProfileName;
  start: Date;
  /** Length in milliseconds. */
  forMs: number;
  warmupMs: number;
  users: number | null;
  /** The stack it is for, named in the commands a refusal suggests (absent: the default stack). */
  stack?: string;
  /** The shortest warm-up this stack allows (minimumWarmupMinutes); absent: none. */
  minWarmupMinutes?: number;
}

/**
 * The shortest warm-up a window of `profile` may have on a stack with this access: on a token stack
 * the gateway is created at the warm-up's start with the pool (the gate lives with the pool) and
 * may take GATEWAY_CREATE_MINUTES, and the window is ready only when it answers. 0 otherwise.
 */
export function minimumWarmupMinutes(access: AccessSettings, profile: ProfileName): number {
  return gatewayFor(access.gateway, PROFILES[profile].pool) ? GATEWAY_CREATE_MINUTES : 0;
}

/** The warm-up a window gets by default: 30 minutes, or the gateway's minimum where it is longer. */
export const defaultWarmupMinutes = (access: AccessSettings, profile: ProfileName) => Math.max(DEFAULT_WARMUP_MINUTES, minimumWarmupMinutes(access, profile));

/** The warm-up's start: when the scheduled job brings the window's profile up. */
export const warmupStart = (w: Pick<Window, "start" | "warmupMinutes">) => new Date(Date.parse(w.start) - w.warmupMinutes * 60_000);

/**
 * "contest for 250 participants, 2026-12-05 08:00 UTC (09:00 CET local) to ...". `local: false` for a
 * text recorded in the state (an intent): others read it in their own zone.
 */
export function describeWindow(w: Pick<Window, "start" | "end" | "warmupMinutes" | "profile" | "users">, local = true): string {
  const at = (t: Date) => describeExpiry(t, local);
  return `${w.profile}${w.users ? ` for ${w.users} participants` : ""}, ${at(new Date(w.start))} to ${at(new Date(w.end))}, warm-up from ${at(warmupStart(w))}`;
}

/** "w-20261205-0800", unique among the windows given. */
function windowId(start: Date, existing: Window[]): string {
  const base = `w-${isoSeconds(start).slice(0, 16).replace(/[-:]/g, "").replace("T", "-")}`;
  let id = base;
  for (let n = 2; existing.some((w) => w.id === id); n++) id = `${base}-${n}`;
  return id;
}

/**
 * A new window, checked: a profile with a pool, not in the past, no overlap with another window
 * (warm-ups included). Refusals are usage errors (exit 2) naming the option.
 */
export function planWindow(r: WindowRequest, existing: Window[], now: Date, by: string): Window {
  if (!PROFILES[r.profile].pool) throw new UsageError(`--profile ${r.profile} has no session pool: a window runs a contest; use --profile contest (or testing)`);
  const min = r.minWarmupMinutes ?? 0;
  if (Math.round(r.warmupMs / 60_000) < min)
    throw new UsageError(
      `--warmup ${Math.round(r.warmupMs / 60_000)}m is too short: this stack's gateway (accessMode token) is created with the pool at the warm-up's start, ` +
        `and API Management may take ${GATEWAY_CREATE_MINUTES} minutes to create; the window would not be ready at its start\n` +
        `  Fix: --warmup ${min}m or more (the default on a token stack), or leave --warmup out`,
    );
  if (r.start.getTime() <= now.getTime())
    throw new UsageError(`--at ${isoSeconds(r.start)} is in the past (now ${isoSeconds(now)}): a window starts later; for now, use \`${suggest("scale", { stack: r.stack, profile: r.profile, for: "<length>" })}\``);
  const window: Window = {
    id: windowId(r.start, existing),
    profile: r.profile,
    start: isoSeconds(r.start),
    end: isoSeconds(new Date(r.start.getTime() + r.forMs)),
    warmupMinutes: Math.round(r.warmupMs / 60_000),
    users: r.users,
    by,
    at: isoSeconds(now),
  };
  const clash = existing.find((w) => warmupStart(window).getTime() < Date.parse(w.end) && warmupStart(w).getTime() < Date.parse(window.end));
  if (clash)
    throw new UsageError(
      `this window (warm-up included: ${isoSeconds(warmupStart(window))} to ${window.end}) overlaps window ${clash.id} (${isoSeconds(warmupStart(clash))} to ${clash.end})\n` +
        `  Fix: choose another --at or --for, or cancel it first: \`${suggest("schedule", { stack: r.stack, cancel: clash.id })}\``,
    );
  return window;
}

/** The overrides a window runs with: its profile sized by the planner for its participants, if given. */
export function windowOverrides(w: Pick<Window, "profile" | "users">, settings: Pick<DeploymentSettings, "participantModel" | "overrides">): ProfileOverrides {
  const base = PROFILES[w.profile];
  if (!w.users || !base.pool || !base.planned) return {};
  const cooldown = settings.overrides[w.profile]?.cooldownSeconds ?? base.pool.cooldownSeconds;
  return plannedPool({ ...settings.participantModel, participants: w.users }, cooldown);
}

/**
 * The operation a window runs, as the scheduled job starts it: its profile, sized for its
 * participants (windowOverrides) on top of the overrides in effect, until its end. `settings` are
 * what runs when it starts (their participants and cooldown size it). One piece for reconcile's
 * start and for the change path's check of the windows still to come (cli/change-plan.ts).
 */
export function windowOperation(w: Window, overrides: OperationOverrides, settings: Pick<DeploymentSettings, "participantModel" | "overrides">): Pick<Operation, "profile" | "overrides" | "expiresAt" | "window"> {
  const sizing = windowOverrides(w, settings);
  return { profile: w.profile, overrides: Object.keys(sizing).length ? withOverrides(overrides, w.profile, sizing) : overrides, expiresAt: w.end, window: w.id };
}

/** The overrides without the fields a window set to its sizing (a value someone changed since stays). Pure. */
export function withoutSizing(overrides: OperationOverrides, profile: ProfileName, sizing: ProfileOverrides): OperationOverrides {
  const kept = Object.fromEntries(Object.entries(overrides[profile] ?? {}).filter(([field, value]) => sizing[field as keyof ProfileOverrides] !== value));
  return { ...overrides, [profile]: kept };
}

/**
 * The overrides once the window an operation runs (if any) is over: its sizing (its --users) was for
 * that window only, so the scheduled job's stop strips it (cli/commands/reconcile.ts) and a later
 * window starts without it. `settings` are the operation's own (they sized the window).
 */
export function overridesAfterWindow(op: Pick<Operation, "overrides" | "window">, windows: Window[], settings: Pick<DeploymentSettings, "participantModel" | "overrides">): OperationOverrides {
  const ran = op.window ? windows.find((w) => w.id === op.window) : undefined;
  return ran ? withoutSizing(op.overrides, ran.profile, windowOverrides(ran, settings)) : op.overrides;
}

export type ReconcileDecision =
  | { kind: "start"; window: Window }
  | { kind: "running"; window: Window }
  | { kind: "overridden"; window: Window }
  | { kind: "stop"; why: "window-ended" | "expired" | "leftover" }
  | { kind: "not-started"; window: Window }
  | { kind: "leave"; why: "already-idle" | "no-expiry" | "not-expired" | "not-deployed" | "interrupted" | "unrecorded-pool" };

/** The last update of a stack's history, as far as the scheduled job reads it (cli/pulumi/reader.ts lastUpdate). */
export interface LastUpdate {
  /** "update", "refresh", "destroy"... */
  kind: string;
  /** "succeeded", "failed", "in-progress". */
  result: string;
}

/**
 * Whether an idle operation with a pool or gateway still deployed (leftBehind) is a stop that failed
 * part-way: the last update failed. The engine records the stack's outputs before it deletes what
 * the program dropped, so a stop whose delete failed records idle and leaves them (a failed update
 * is in the history as "failed": pkg/backend/diy/backend.go apply). The last update is the one that
 * recorded the operation or a later one, so no clock is compared (manage's clock, which may be
 * MANAGE_NOW, and pulumi's are not the same). An update killed mid-way writes no history entry at
 * all (the entry is written when the update returns), so a pool brought up by a change that was
 * interrupted has a successful update, a refresh, or nothing as the last entry.
 */
export function failedStop(last: LastUpdate | null | undefined): boolean {
  return Boolean(last && last.kind === "update" && last.result === "failed");
}

/**
 * What the scheduled job does with one stack now, from its state alone. In order:
 * - a window whose warm-up has begun and that has not ended: start it (its profile, sized for its
 *   participants, until its end), unless it already runs; an operator's own change made after the
 *   warm-up began wins (left as it is: the job never fights a person);
 * - a change under way or interrupted (a lock, pending operations): nothing, whatever the record says;
 * - otherwise an expired operation (a window's end is its expiry, `scale --for` sets one too), or an
 *   idle operation with a pool or gateway still deployed by a stop that failed (leftBehind,
 *   failedStop): stop; one no recorded change explains is left for a person;
 * - otherwise nothing, saying why (the next window, if any).
 */
export function decideReconcile(
  runtime: Pick<StackRuntime, "deployed" | "operation" | "poolDeployed" | "gatewayDeployed" | "interrupted">,
  now: Date,
  lastUpdate?: LastUpdate | null,
): ReconcileDecision {
  if (!runtime.deployed) return { kind: "leave", why: "not-deployed" };
  // A change under way or interrupted (a lock, pending operations): what runs is not what the state
  // records yet, and acting on the record could undo what a person started.
  if (runtime.interrupted) return { kind: "leave", why: "interrupted" };
  const op = runtime.operation;
  const windows = op?.windows ?? [];
  const t = now.getTime();
  const active = windows.find((w) => warmupStart(w).getTime() <= t && t < Date.parse(w.end));
  if (active) {
    if (op?.window === active.id) return runtime.poolDeployed ? { kind: "running", window: active } : { kind: "start", window: active };
    if (op && Date.parse(op.at) >= warmupStart(active).getTime()) return { kind: "overridden", window: active };
    return { kind: "start", window: active };
  }
  if (op && op.profile !== "idle" && op.expiresAt && Date.parse(op.expiresAt) <= t) return { kind: "stop", why: op.window ? "window-ended" : "expired" };
  if (op && leftBehind(runtime).length) return failedStop(lastUpdate) ? { kind: "stop", why: "leftover" } : { kind: "leave", why: "unrecorded-pool" };
  if (!op && runtime.poolDeployed) return { kind: "leave", why: "no-expiry" };
  const next = windows.find((w) => warmupStart(w).getTime() > t);
  if (next && (!op || op.profile === "idle")) return { kind: "not-started", window: next };
  if (!op || op.profile === "idle") return { kind: "leave", why: "already-idle" };
  return { kind: "leave", why: op.expiresAt ? "not-expired" : "no-expiry" };
}

/**
 * What the scheduled job's run makes of a stack decideReconcile leaves as interrupted. A lock older
 * than any job may run (lockOutlivedJobs) has no update behind it and blocks every update of the
 * stack until a person removes it: "failed", naming those locks (the job goes red). Any other lock
 * may be an update still running (a deploy, a person's change): "busy", left for the next run, the
 * job green. Pending operations with no lock: neither (nothing runs; left for a person, as status
 * says). A lock whose time cannot be read counts as running. Pure: `wallNow` is the real clock.
 */
export function interruptedVerdict(
  interrupted: NonNullable<StackRuntime["interrupted"]>,
  wallNow: Date,
): { outcome: "busy" } | { outcome: "failed"; stale: StackLock[] } | null {
  const stale = interrupted.locks.filter((l) => l.since !== undefined && !Number.isNaN(Date.parse(l.since)) && lockOutlivedJobs(Date.parse(l.since), wallNow.getTime()));
  if (stale.length) return { outcome: "failed", stale };
  return interrupted.locks.length ? { outcome: "busy" } : null;
}

/**
 * The check reconcile makes of a window that runs, on every run (cli/commands/reconcile.ts
 * checkRunning): at most two HTTP calls (the health route with the stack's key, and for a token
 * stack one without a key), each given this long. Short: the job runs every few minutes and a
 * backend that needs longer than this to answer its health route is not answering participants.
 */
export const RUNNING_CHECK_TIMEOUT_MS = 5_000;

/** How long an ended window stays in the state, for `spend --window` and `report --window`. */
export const ENDED_WINDOWS_KEPT_DAYS = 60;

/** The schedule without windows that ended more than ENDED_WINDOWS_KEPT_DAYS ago, with `patch` applied to window `id`. */
export function keptWindows(windows: Window[], now: Date, id?: string, patch: Partial<Window> = {}): Window[] {
  const horizon = now.getTime() - ENDED_WINDOWS_KEPT_DAYS * 24 * 3600_000;
  return windows.filter((w) => Date.parse(w.end) > horizon).map((w) => (w.id === id ? { ...w, ...patch } : w));
}

/**
 * The period a window ran, for spend and report: from when the scheduled job started it (else its
 * warm-up) to when it stopped it (else its end, or now while it runs). Null before its warm-up.
 */
export function windowRun(w: Window, now: Date): { from: Date; to: Date } | null {
  const from = new Date(w.startedAt ?? warmupStart(w).toISOString());
  if (from.getTime() >= now.getTime()) return null;
  const to = new Date(Math.min(Date.parse(w.stoppedAt ?? w.end), now.getTime()));
  return { from, to };
}

/** Whether a window is over (its end passed). */
export const ended = (w: Pick<Window, "end">, now: Date) => Date.parse(w.end) <= now.getTime();

