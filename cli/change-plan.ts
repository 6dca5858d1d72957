// What a change to a stack does, decided without touching anything: the pure half of the change
// path (./change.ts runs it). From the stack file, the stack's state, the requested operation and
// the flags it gives the settings to run, the request the program receives, the refusals with their
// messages, the lines to say, and what needs a person's confirmation. Tested in-process
// (test/unit/change-plan.test.ts); the executor only reads, asks and runs.

import type { DeploymentSettings, RawConfig } from "../infra/config.js";
import {
  baselineDifferences,
  configFingerprint,
  configHash,
  effectiveConfig,
  operationOfFile,
  parseOperationsState,
  sameOperation,
  sameWindows,
  settingsOn,
  type Operation,
  type OperationsRequest,
  type OperationsState,
  type Window,
} from "../infra/operations.js";
import { ceilingOutcome, ceilingRefusal } from "./cost-ceiling.js";
import { capitalized, ceilingAllows, ceilingDecision, judgedWhere } from "../infra/costing/ceiling.js";
import { ended, overridesAfterWindow, windowOperation } from "./schedule.js";
import { UsageError } from "./errors.js";
import { urnName } from "./pulumi/events.js";
import type { PreviewStep } from "./pulumi/runner.js";
import { validSettings } from "./settings.js";
import { offers, suggest } from "./suggest.js";
import type { StackFile } from "./stack-files.js";
import type { Caller } from "../infra/callers.js";

/** What an operation asks the stack to run (who and when are added by the change path). */
export type OperationFields = Pick<Operation, "profile" | "overrides" | "expiresAt" | "window">;

export interface StackChange {
  stack: string;
  /**
   * Baseline edits (capacity --apply): config key (without project prefix) -> new value; null
   * removes the key. A dotted key is a path into an object value, set with `config set --path`.
   * Recorded in the stack file, to be committed.
   */
  config: Record<string, string | number | null>;
  /**
   * The operational layer to run, from the one in effect (scale, stop, start): recorded in the
   * stack's state, never in the stack file. Absent: keep the one in effect (`manage up`).
   */
  operation?: (current: OperationFields) => OperationFields;
  /** The schedule to record, from the one in the state (schedule, reconcile). Absent: keep it. */
  windows?: (current: Window[]) => Window[];
  /** The participants' credentials to record (manage keys, infra/callers.ts): the whole new list. Absent: keep them. */
  callers?: Caller[];
  /**
   * The state's revision when the caller read what this change is computed from (manage keys reads
   * the list, then edits it): the update refuses if the state moved since, so a list read before
   * another key was issued can never drop that key. Absent: the revision this plan reads.
   */
  basedOn?: number;
  /**
   * Run on the baseline of the last update, not the stack file (stops, keys): a stop changes only
   * what idle needs, and an unrelated edit in the file (an image, a size) is left for `up` and reported.
   */
  deployedBaseline?: boolean;
  /** What the person asked for, in words: "scale to contest", "stop". */
  intent: string;
  /**
   * The intent once the operation in effect is known (scale names the overrides it keeps from
   * earlier scales of the profile); absent: `intent`.
   */
  intentFrom?: (current: OperationFields) => string;
  /**
   * Said once the change goes ahead (every check passed, the person confirmed, pulumi about to
   * run), never for a refused one: scale's notice of what the token gateway costs.
   */
  notice?: (settings: DeploymentSettings) => string | null;
  /** The change brings up a pool: it is done when code runs (the readiness gate). */
  verify?: boolean;
  /** The option each config key came from ("--max-sessions 900"), so a refusal names the option, not the file. */
  sources?: Record<string, string>;
}

/**
 * The new raw config after a change: pure, so the CLI validates it before running anything. Values
 * are in Pulumi's string form; a dotted key sets or removes a number inside an object value, as
 * `pulumi config set --path` does (integers stored as numbers).
 */
export function applyConfig(raw: Record<string, string>, config: StackChange["config"]): Record<string, string> {
  const next = { ...raw };
  for (const [key, value] of Object.entries(config)) {
    const [top, ...path] = key.split(".");
    if (path.length === 0) {
      if (value === null) delete next[top!];
      else next[top!] = String(value);
      continue;
    }
    let root: Record<string, unknown>;
    try {
      root = next[top!] ? (JSON.parse(next[top!]!) as Record<string, unknown>) : {};
    } catch {
      root = {};
    }
    let node = root;
    for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    const leaf = path.at(-1)!;
    if (value === null) delete node[leaf];
    else node[leaf] = typeof value === "number" || /^-?\d+$/.test(value) ? Number(value) : value;
    next[top!] = JSON.stringify(root);
  }
  return next;
}

/** The cost ceiling's verdict: its warnings joined to `warnings`, a refusal thrown (exit 2). */
function ceiling(next: DeploymentSettings, before: DeploymentSettings | null, flags: PlanFlags, warnings: string[], more: string[] = []): void {
  const outcome = ceilingOutcome(next, before, flags, { more });
  warnings.push(...outcome.warnings);
  if (outcome.refusal) throw new UsageError(outcome.refusal);
}

/**
 * The cost ceiling on the windows still to come (not ended; the one this operation runs is judged
 * as the change itself): each at its own sizing, as the scheduled job will start it (its profile,
 * sized for its --users, on this change's baseline and overrides: windowOperation). A change the
 * ceiling would not let through for the window (ceilingAllows: it raises the window's cost above the
 * ceiling, or lowers the ceiling below it) would make it unstartable, the job failing at its warm-up:
 * refused, naming the window, unless --allow-over-ceiling (then a warning). A change that leaves a
 * window's cost where it was under the same ceiling (a stop, an image) or lowers it is let through.
 */
function windowCeilings(
  stack: string,
  after: { baseline: RawConfig; operation: OperationFields; windows: Window[] },
  before: { baseline: RawConfig; operation: OperationFields; windows: Window[] } | null,
  flags: PlanFlags,
  now: Date,
  warnings: string[],
): void {
  const judge = (side: NonNullable<typeof before>, w: Window) => {
    const running = settingsOn(side.baseline, side.operation, stack);
    if (!running) return null;
    // The scheduled job starts it after the window running now (if any) has ended and been stopped,
    // so without that window's sizing (judged with it, a later, smaller window was refused).
    const overrides = overridesAfterWindow(side.operation, side.windows, running);
    const sized = settingsOn(side.baseline, windowOperation(w, overrides, running), stack);
    // As the job will judge it: against an idle stack (nothing it could "run no more" than).
    return sized && { sized, decision: ceilingDecision(sized, null), kept: overrides[w.profile] ?? {} };
  };
  for (const w of after.windows) {
    if (ended(w, now) || w.id === after.operation.window) continue;
    const judged = judge(after, w);
    if (!judged || judged.decision.kind === "within" || judged.decision.kind === "unjudged-idle") continue;
    const was = before?.windows.find((x) => x.id === w.id);
    const prior = before && was ? judge(before, was)?.decision : undefined;
    const next = judged.decision;
    // Not made worse by this change: already unjudged before, or over by no more (ceilingAllows).
    if (next.kind === "unjudged" ? prior?.kind === "unjudged" : prior && "verdict" in prior && "verdict" in next && ceilingAllows(next.verdict, prior.verdict)) continue;
    // Sizes the state keeps for the window's profile (an earlier scale's, kept by a stop) are part of its cost: named.
    const kept = Object.entries(judged.kept).filter(([, v]) => v !== undefined);
    const window =
      `window ${w.id} (starts ${w.start}, ${w.profile}${w.users ? ` for ${w.users} participants` : ""}` +
      `${kept.length ? `, with the overrides the state keeps for ${w.profile}: ${kept.map(([f, v]) => `${f} ${v}`).join(", ")}` : ""})`;
    // Cancelling is a fix only for a window already recorded, not one this change adds (schedule).
    const cancel = was ? [`cancel the window (\`${suggest("schedule", { stack, cancel: w.id })}\`)`] : [];
    if (next.kind === "unjudged") {
      const what = `with this change, ${window} cannot be judged against the cost ceiling: ${next.reason}`;
      if (flags.allowOverCeiling) warnings.push(`${what}; the scheduled job will refuse to start it. Going ahead (--allow-over-ceiling)`);
      else throw new UsageError(`${what}, so the scheduled job would refuse to start it. ${capitalized([judgedWhere(judged.sized), ...cancel, ...(offers("--allow-over-ceiling") ? ["pass --allow-over-ceiling"] : [])].join(", or "))}. Nothing was changed.`);
      continue;
    }
    if (!("verdict" in next)) continue;
    const what = `with this change, ${window} can cost`;
    if (flags.allowOverCeiling) warnings.push(`${what} ${next.verdict.message}; the scheduled job will refuse to start it. Going ahead (--allow-over-ceiling)`);
    else throw new UsageError(ceilingRefusal(next.verdict, stack, what, cancel));
  }
}

export interface PlanFlags {
  /** --allow-over-ceiling. */
  allowOverCeiling?: boolean;
}

/** What is decided before pulumi is even looked for (bad input: exit 2, nothing touched). */
export type OfflinePlan = ReturnType<typeof planOffline>;

/**
 * Step 1: the stack file with the baseline edits and the operation asked for on top of the file's
 * own, validated (bad input the state cannot mend), and the cost ceiling where no state can exist. Every change needs
 * a stack file that parses: pulumi itself reads it on every preview and update, a stop's too.
 */
export function planOffline(change: StackChange, file: StackFile, flags: PlanFlags, at: string, stateless = false) {
  /** The stack file's config with the change's baseline edits. */
  const fileRaw = applyConfig(file.raw, change.config);
  /** The file's own operation (a first deployment's). */
  const fileOperation = operationOfFile(fileRaw, at);
  // Refused: a usage error naming the option or the file's line.
  const settings = validSettings(effectiveConfig(fileRaw, change.operation?.(fileOperation) ?? fileOperation), change.stack, file, change.sources);
  // The cost ceiling depends on the state (the overrides a scale keeps; what runs now, for a change
  // that lowers it), so it is judged once, in planChange, on what will run: judged on the file alone
  // it refused a lowering scale quoting sizes that would not run. Only where no state can exist
  // (`stateless`: the backend holds none yet) is the file what runs, and it is judged here, before
  // pulumi is looked for, so the refusal touches nothing.
  const warnings: string[] = [];
  if (stateless) ceiling(settings, null, flags, warnings);
  return { fileRaw, fileOperation, warnings, /** The cost ceiling was judged here: no state can exist (`stateless`). */ ceilingJudged: stateless };
}

/** What the stack's state says before the change (one `pulumi stack export`). */
export interface StackState {
  /** The resource types pulumi believes exist. */
  types: string[];
  /** The operations output of the last update (unparsed: the plan refuses one this program did not write). */
  operations: unknown;
}

export type ChangePlan =
  | { kind: "nothing-deployed" }
  | {
      kind: "run";
      /** What the change does, in words, with what it keeps from the operation in effect. */
      intent: string;
      settings: DeploymentSettings;
      operation: Operation;
      previous: OperationsState | null;
      /** The schedule to record; undefined: keep the state's. */
      windows?: Window[];
      /** Runs on the deployed baseline (a stop): the stack file is neither applied nor checked. */
      onDeployed: boolean;
      /** What the program receives (OPERATIONS_ENV); the stack file's hash is added at the preview. */
      request: OperationsRequest;
      /** The operation, the schedule, the callers or the file's baseline differs from the state's: the update records it even with no resource change. */
      records: boolean;
      /** Lines said before pulumi runs. */
      notes: string[];
      warnings: string[];
      /** Whether the images the settings need must be checked first (not for a stop). */
      checkImages: boolean;
    };

/**
 * Step 2: with the state read, what runs. The operation asked for is applied to the one in effect
 * (the state's, else the file's); a stop runs on the deployed baseline; the settings are validated
 * again (the state's overrides may differ from the file's), and the cost ceiling judged once, on
 * what will run, measured against what the state says runs now (and on the windows still to come).
 */
export function planChange(
  change: StackChange,
  file: StackFile,
  offline: OfflinePlan,
  state: StackState,
  flags: PlanFlags,
  /** realAt: the real clock, when `at` is a rehearsal clock (MANAGE_NOW). */
  who: { by: string; at: string; realAt?: string },
): ChangePlan {
  const previous = parseOperationsState(state.operations);
  // Nothing deployed, nothing to stop: a stop never deploys a foundation first.
  if (change.deployedBaseline && state.types.length === 0) return { kind: "nothing-deployed" };
  const current: OperationFields = previous ?? offline.fileOperation;
  const wanted = change.operation ? change.operation(current) : current;
  const intent = change.intentFrom?.(current) ?? change.intent;
  const operation: Operation = change.operation || !previous ? { ...wanted, intent, ...who } : previous;
  const windows = change.windows?.(previous?.windows ?? []);
  const onDeployed = Boolean(change.deployedBaseline && previous);
  const baseline = onDeployed ? previous!.baseline : offline.fileRaw;
  const settings = validSettings(effectiveConfig(baseline, operation), change.stack, file, change.sources);
  const notes: string[] = [];
  const warnings = [...offline.warnings];
  if (onDeployed) {
    const left = baselineDifferences(previous!.baseline, offline.fileRaw);
    if (left.length)
      notes.push(`${file.name} differs from what runs (${left.join(", ")}): left for \`${suggest("up", { stack: change.stack })}\`; this ${change.intent.split(" ")[0]} changes only what it needs.`);
  }
  // Starting a window (the scheduled job): cancelling it is a way out too.
  const starts = change.operation && operation.window && operation.window !== previous?.window ? [`cancel the window (\`${suggest("schedule", { stack: change.stack, cancel: operation.window })}\`)`] : [];
  if (previous || !offline.ceilingJudged) ceiling(settings, previous && settingsOn(previous.baseline, previous, change.stack), flags, warnings, starts);
  windowCeilings(
    change.stack,
    { baseline, operation, windows: windows ?? previous?.windows ?? [] },
    previous && { baseline: previous.baseline, operation: previous, windows: previous.windows },
    flags,
    // A window is left unjudged only once it has ended by the scheduled job's clock too: a rehearsal
    // clock past its end does not make it one the job will not start.
    new Date(Math.min(Date.parse(who.at), Date.parse(who.realAt ?? who.at))),
    warnings,
  );
  const request: OperationsRequest = {
    basedOn: change.basedOn ?? previous?.revision ?? 0,
    baseline: onDeployed ? "deployed" : "file",
    operation,
    ...(windows ? { windows } : {}),
    ...(change.callers ? { callers: change.callers } : {}),
    // The program checks the ceiling too (so a plain `pulumi up` does); the person's --allow-over-ceiling reaches it here.
    ...(flags.allowOverCeiling ? { allowOverCeiling: true } : {}),
  };
  // A stack file edited since the last update is recorded even when nothing in the cloud changes
  // (participants, the ceiling, an image not yet pulled): the scheduled job, status and every later
  // change read what runs from the recorded baseline, so an `up` that skipped it would apply nothing.
  const fileEdited = !onDeployed && previous !== null && baselineDifferences(previous.baseline, offline.fileRaw).length > 0;
  const records =
    !previous || !sameOperation(previous, operation) || (windows !== undefined && !sameWindows(windows, previous.windows)) || change.callers !== undefined || fileEdited;
  return { kind: "run", intent, settings, operation, previous, windows, onDeployed, request, records, notes, warnings, checkImages: !onDeployed };
}

/**
 * The request as previewed: with the baseline from the file, the file's config hash as the preview
 * read it. The update carries the same, so the program refuses if the file changed in between.
 */
export function previewedRequest(request: OperationsRequest, file: StackFile): OperationsRequest {
  if (request.baseline !== "file") return request;
  return { ...request, stackFile: { name: file.name, hash: configFingerprint(file.raw) } };
}

/**
 * Why the update must not run: the stack file manage reads now differs from the one it previewed
 * (the whole config, secrets' ciphertext included); null when it does not.
 */
export function fileChangedSincePreview(previewed: StackFile, now: StackFile): string | null {
  if (configHash(previewed.raw) === configHash(now.raw)) return null;
  return `not applied: ${now.name} changed after the preview. Nothing was changed, so what you confirmed did not run\n  Fix: run the command again to see the new plan`;
}

// A replacement reaches the event stream as up to three steps for one resource (create-replacement,
// replace, delete-replaced: pkg/resource/deploy/step_generator.go); a person sees one.
export const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced"]);
const DESTRUCTIVE = new Set(["delete", "discard", ...REPLACE_OPS]);

/** One entry per resource a preview says will be deleted or replaced (the old one is deleted too). */
export function destructiveSteps(steps: PreviewStep[]): PreviewStep[] {
  const seen = new Set<string>();
  return steps.filter((s) => DESTRUCTIVE.has(s.op) && !seen.has(s.urn) && Boolean(seen.add(s.urn)));
}

/**
 * What needs a person's yes before the update: anything deleted or replaced. null: nothing (or
 * --yes given). `question` is asked at a terminal; `refusal` is the usage error without one.
 */
export function confirmationNeeded(steps: PreviewStep[], yes: boolean | undefined): { question: string; refusal: string } | null {
  const deletions = destructiveSteps(steps);
  if (deletions.length === 0 || yes) return null;
  const names = deletions.map((s) => urnName(s.urn)).join(", ");
  const verb = deletions.every((s) => REPLACE_OPS.has(s.op)) ? "replace (delete and recreate)" : "delete or replace";
  return {
    question: `${verb[0]!.toUpperCase()}${verb.slice(1)} ${names}?`,
    refusal: `this would ${verb} ${names}, and there is no terminal to ask at: pass --yes to confirm. Nothing was changed.`,
  };
}

/**
 * What a refused change (a declined prompt, a failed preview) does with the stack file. Only the
 * baseline edits (capacity --apply) are manage's own writes: with none there is nothing to undo; with
 * some, the file is put back only while it still holds exactly what manage wrote, so an edit saved
 * meanwhile is never lost.
 */
export function undoOnRefusal(wrote: Buffer | null, current: Buffer): "nothing-written" | "restore" | "edited-since" {
  if (!wrote) return "nothing-written";
  return wrote.equals(current) ? "restore" : "edited-since";
}

/** Said when the file was edited after manage wrote it: left as it is. */
export const keptEdit = (name: string, keys: string[]) =>
  `${name} changed after manage wrote ${keys.join(", ")} into it: left as it is (manage's edit may still be in it; check it before committing)`;

/**
 * "Done" only for a change that happened: the state must now hold exactly this operation, one
 * revision on. The message when it does not; null when it does.
 */
export function notRecorded(stack: string, outputs: unknown, request: OperationsRequest, operation: Operation, windows: Window[] | undefined): string | null {
  const recorded = parseOperationsState(outputs);
  if (recorded && recorded.revision === request.basedOn + 1 && sameOperation(recorded, operation) && (!windows || sameWindows(recorded.windows, windows))) return null;
  return (
    `pulumi reported success, but the stack's state does not hold this change (revision ${recorded?.revision ?? "none"}, expected ${request.basedOn + 1}).\n` +
    `  What runs now: \`manage status --stack ${stack}\`; apply it again with the same command.`
  );
}
