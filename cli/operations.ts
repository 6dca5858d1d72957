// The operations manage asks of a stack (scale, stop, start) and how it reads what runs: the
// operational layer of infra/operations.ts as the last update recorded it in the stack's state.
// Pure builders and one thin reader; the commands (cli/commands/*) and the scheduled job
// (reconcile) share them.

import { overrideConfigKey, PROFILES, type OverrideField, type ProfileName, type ProfileOverrides } from "../infra/profiles.js";
import { effectiveConfig, OPERATIONS_OUTPUT, parseOperationsState, settingsOn, withOverrides, type OperationOverrides, type OperationsState } from "../infra/operations.js";
import type { DeploymentSettings } from "../infra/config.js";
import { stackFile, stackSettings, validSettings } from "./settings.js";
import type { StackChange } from "./change.js";
import type { OptionsFor } from "./main.js";
import { isoSeconds, utcMinute } from "./clock.js";
import { UsageError } from "./errors.js";
import { stackLocks, type StackLock, type PulumiReader } from "./pulumi/reader.js";
import { cancelCommand, settleCommand } from "./pulumi/failures.js";
import { CHANGE_JOB_TIMEOUT_MINUTES } from "./workflow.js";
import { gatewayNotice } from "./costing/estimate.js";
import { projectDir } from "./project.js";

/** What a scale changes, as `manage scale` declares it (main.ts): the profile, its overrides, --for in milliseconds. */
export type ScaleOptions = Pick<OptionsFor<"scale">, "profile" | "maxSessions" | "readySessions" | "cooldown" | "backendMin" | "backendMax" | "for">;

const OPTION_FIELDS: Array<[keyof ScaleOptions, OverrideField, string]> = [
  ["maxSessions", "maxSessions", "--max-sessions"],
  ["readySessions", "readySessions", "--ready-sessions"],
  ["cooldown", "cooldownSeconds", "--cooldown"],
  ["backendMin", "backendMinReplicas", "--backend-min"],
  ["backendMax", "backendMaxReplicas", "--backend-max"],
];

/**
 * "2026-11-22 18:00 UTC (19:00 CET local)": local is the zone of whoever reads it (the process's
 * TZ). A text recorded in the stack's state for others to read (an operation's intent) says UTC
 * only (`local: false`): the recorder's zone is not the reader's.
 */
export function describeExpiry(at: Date, local = true): string {
  const utc = utcMinute(at);
  if (!local) return utc;
  return `${utc} (${at.toLocaleString(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" })} local)`;
}

/** An intent recorded by an older manage, with the recorder's local times taken out: the reader's zone is not the recorder's. */
export const recordedIntent = (intent: string) => intent.replace(/ \(\d\d:\d\d(?: [^()]*)? local\)/g, "");

/** The operation a scale asks for: the profile, its overrides, until when. Pure: `now` is passed in. */
export function scaleChange(stack: string, o: ScaleOptions, now: Date): StackChange {
  const profile = PROFILES[o.profile];
  const overrides: ProfileOverrides = {};
  const sources: Record<string, string> = {};
  const words: string[] = [];
  for (const [option, field, flag] of OPTION_FIELDS) {
    const value = o[option] as number | undefined;
    if (value === undefined) continue;
    if (!profile.pool && ["maxSessions", "readySessions", "cooldownSeconds"].includes(field))
      throw new UsageError(`${flag} sizes the session pool, and the ${o.profile} profile has none; scale to testing or contest`);
    overrides[field] = value;
    sources[overrideConfigKey(o.profile, field)] = `${flag} ${value}`;
    words.push(`${flag.slice(2)} ${value}`);
  }
  let expiresAt: string | null = null;
  let until = "";
  if (o.for !== undefined) {
    if (!profile.pool) throw new UsageError("--for sets when to return to idle; it makes no sense when scaling to idle");
    const at = new Date(now.getTime() + o.for);
    expiresAt = isoSeconds(at);
    until = ` until ${describeExpiry(at)}`;
  }
  // The overrides an earlier scale of this profile set and this one keeps (withOverrides), named:
  // "scale to contest (kept: max-sessions 230)" is what runs, not the profile's own numbers.
  const intentFrom = (current: { overrides: OperationOverrides }) => {
    const kept = Object.entries(current.overrides[o.profile] ?? {})
      .filter(([field, value]) => value !== undefined && !(field in overrides))
      .map(([field, value]) => `${OPTION_FIELDS.find(([, f]) => f === field)?.[2].slice(2) ?? field} ${value}`);
    const parts = [words.join(", "), kept.length ? `kept: ${kept.join(", ")}` : ""].filter(Boolean);
    return `scale to ${o.profile}${parts.length ? ` (${parts.join("; ")})` : ""}${until}`;
  };
  return {
    stack,
    config: {},
    // The new overrides join the ones in effect for this profile (and the other profiles' stay).
    operation: (current) => ({ profile: o.profile, overrides: withOverrides(current.overrides, o.profile, overrides), expiresAt }),
    intent: intentFrom({ overrides: {} }),
    intentFrom,
    // A token stack's gateway comes up with the pool: how long it takes and what it costs, said once
    // the change goes ahead (a refused scale brings nothing up). start-session-pool is this change too.
    notice: (settings) => gatewayNotice(settings, o.profile),
    verify: profile.pool !== null,
    sources,
  };
}

/**
 * Down to the idle cost. The pool goes; the registry, images, identity, environment, workspace,
 * settings and the stack file's overrides stay, so the next start is the same deployment. It runs
 * on the baseline of the last update, so an unrelated edit in the stack file (an image, a size) is
 * left for `manage up` and reported, and it needs no new image.
 */
export function stopChange(stack: string): StackChange {
  return {
    stack,
    intent: "stop (idle: registry, images, identity and settings kept)",
    config: {},
    // Every profile's overrides stay for the next start, but the one that keeps an idle backend
    // running (start-backend) goes: idle means the idle cost.
    operation: (current) => ({ profile: "idle", overrides: withoutIdleBackend(current.overrides), expiresAt: null }),
    deployedBaseline: true,
  };
}

function withoutIdleBackend(overrides: OperationOverrides): OperationOverrides {
  const { backendMinReplicas: _dropped, ...idle } = overrides.idle ?? {};
  return { ...overrides, idle };
}

/** The pool only exists inside a profile: starting it means scaling to one with a pool. */
export function startPoolChange(stack: string, profile: ProfileName, now = new Date()): StackChange {
  if (!PROFILES[profile].pool) throw new UsageError(`the ${profile} profile has no session pool; start it with --profile testing or contest`);
  return scaleChange(stack, { profile }, now);
}

/** Keeps the profile (and expiry) in effect and makes sure a backend replica runs. */
export function startBackendChange(stack: string): StackChange {
  return {
    stack,
    config: {},
    operation: (current) => {
      const min = current.overrides[current.profile]?.backendMinReplicas ?? PROFILES[current.profile].backend.minReplicas;
      return min > 0 ? current : { ...current, overrides: withOverrides(current.overrides, current.profile, { backendMinReplicas: 1 }) };
    },
    intent: "start the backend (at least one replica; in idle, executions answer 503 until start-session-pool)",
  };
}

/** What runs, as the stack's state says: every machine reading the same backend sees the same. */
export interface StackRuntime {
  /** The backend has the stack and it has been updated at least once. */
  deployed: boolean;
  /** The operational layer of the last update; null before the first (or from an older program). */
  operation: OperationsState | null;
  /** A session pool is in the state (a failed stop leaves it there, whatever the operation says). */
  poolDeployed: boolean;
  /**
   * The token mode's API Management gateway, or any of its parts, is in the state. It lives with the
   * pool (infra/access-mode.ts gatewayFor), so at idle it is as much a leftover of a failed stop.
   */
  gatewayDeployed: boolean;
  outputs: Record<string, unknown>;
  /**
   * An update that did not finish: the locks it left (a DIY file backend's) and the operations it
   * left pending. Absent when there is neither.
   */
  interrupted?: { locks: StackLock[]; pending: Array<{ name: string; type: string }> };
}

const SESSION_POOL_TYPE = "azure-native:app:ContainerAppsSessionPool";
/** Every resource of the gateway (the service, its API, policies, subscriptions) is of this module. */
const GATEWAY_TYPE_PREFIX = "azure-native:apimanagement:";

/** Which of the parts that live only with a pool the state has, from its resource types. Pure. */
export function partsDeployed(types: readonly string[]): Pick<StackRuntime, "poolDeployed" | "gatewayDeployed"> {
  return { poolDeployed: types.includes(SESSION_POOL_TYPE), gatewayDeployed: types.some((t) => t.startsWith(GATEWAY_TYPE_PREFIX)) };
}

/**
 * What a stack whose operation is idle still has deployed that idle never has: the session pool and
 * the gateway (both live only with a pool). The engine records a stop's idle outputs before it
 * deletes anything (test/fake-pulumi/main.ts cites pulumi's deployment_executor.go), so a stop whose
 * delete failed records idle and leaves these in the state and in Azure, billing. Empty when the
 * operation is not idle or nothing is left. Pure.
 */
export function leftBehind(runtime: Pick<StackRuntime, "operation" | "poolDeployed" | "gatewayDeployed">): string[] {
  if (runtime.operation?.profile !== "idle") return [];
  return [...(runtime.poolDeployed ? ["a session pool"] : []), ...(runtime.gatewayDeployed ? ["an API Management gateway"] : [])];
}

/** What leftBehind found, as a sentence's subject: "a session pool is", "a session pool and an API Management gateway are". */
export const leftWords = (left: string[]) => `${left.join(" and ")} ${left.length > 1 ? "are" : "is"}`;

/** One `pulumi stack export` of a stack the backend knows, and the locks its backend holds for it. */
export async function readStackRuntime(pulumi: Pick<PulumiReader, "state" | "backend">, stack: string): Promise<StackRuntime> {
  const { types, outputs, pending } = await pulumi.state(stack);
  const locks = stackLocks(pulumi.backend, stack);
  return {
    deployed: types.length > 0,
    operation: parseOperationsState(outputs[OPERATIONS_OUTPUT]),
    ...partsDeployed(types),
    outputs,
    ...(locks.length || pending.length ? { interrupted: { locks, pending } } : {}),
  };
}

/**
 * What a deployed stack's state says runs; null when the backend has no such stack or it was never
 * updated. One pulumi call for a deployed stack; the list of stacks only when that call fails.
 */
export async function deployedRuntime(stack: string, verbose?: boolean): Promise<StackRuntime | null> {
  const { PulumiReader } = await import("./pulumi/reader.js");
  const pulumi = await PulumiReader.connect(projectDir(), verbose);
  const runtime = await readStackRuntime(pulumi, stack).catch(async (err) => {
    if (!(await pulumi.hasStack(stack))) return null;
    throw err;
  });
  return runtime?.deployed ? runtime : null;
}

/**
 * An update of the stack that has not finished, in words: who holds the lock since when, what it
 * left under way, and the commands that settle it. `pulumi cancel` on a DIY backend deletes every
 * lock file of the stack (pkg/backend/diy/backend.go CancelCurrentUpdate), `pulumi refresh`
 * reads each pending resource back from Azure and clears the pending operations
 * (pkg/cmd/pulumi/operations/refresh.go), the pending creates only with --clear-pending-creates
 * without a terminal (settleCommand). Pure.
 */
export function describeInterrupted(stack: string, interrupted: NonNullable<StackRuntime["interrupted"]>): { what: string; fix: string } {
  const holders = interrupted.locks.map(holder);
  const pending = interrupted.pending.map((p) => `${p.type} ${p.name}`);
  const what =
    `a change to ${stack} has not finished` +
    (holders.length ? `: the stack is locked by ${holders.join(", ")}` : "") +
    (pending.length ? `${holders.length ? ";" : ":"} left under way: ${pending.join(", ")}` : "") +
    ". It is running, or it was interrupted (killed, a closed laptop) and the state does not record it yet";
  const fix =
    `if that change is still running, wait for it; if it was interrupted: ` +
    (holders.length ? `\`${cancelCommand(stack)}\` (removes the lock), then ` : "") +
    `\`${settleCommand(stack)}\` (reads what Azure has; an interrupted create is made again by the next update), then run the change again`;
  return { what, fix };
}

/** Who holds a lock and since when, as its file says. */
const holder = (l: StackLock) => `${l.who ?? "an unknown process"}${l.pid ? ` (pid ${l.pid})` : ""}${l.since ? ` since ${l.since}` : ""}`;

/**
 * Locks older than any workflow job may run (lockOutlivedJobs), in words, with the commands that
 * remove them: no job holds them any more, and the DIY backend refuses every update of the stack
 * while any lock file is there (pkg/backend/diy/lock.go checkForLock). Pure.
 */
export function describeStaleLocks(stack: string, locks: StackLock[]): string {
  return (
    `the stack is locked by ${locks.map(holder).join(", ")}, longer than a workflow job may run (${CHANGE_JOB_TIMEOUT_MINUTES} min): ` +
    `no job holds the lock any more (a job killed at its time limit leaves it), and every update of ${stack} is refused until it is removed\n` +
    `  Fix: if no one is changing ${stack} by hand: \`${cancelCommand(stack)}\` (removes the lock), then ` +
    `\`${settleCommand(stack)}\` (reads what Azure has); the next run then reconciles it`
  );
}

/**
 * The settings a stack runs with: the baseline its last update ran on with the operation its state
 * records on top (infra/operations.ts's one formula), as the change path reads what runs; the file
 * alone when no operation is recorded yet. An edit of the stack file not yet applied (by `up`) is not
 * what runs (status names it as pending). A recorded baseline this program cannot read (an older
 * one's) falls back to the file's.
 */
export function settingsInEffect(stack: string, operation: OperationsState | null, dir?: string): DeploymentSettings {
  if (!operation) return stackSettings(stack, {}, dir);
  const recorded = settingsOn(operation.baseline, operation, stack);
  if (recorded) return recorded;
  const file = stackFile(stack, dir);
  return validSettings(effectiveConfig(file.raw, operation), stack, file);
}
