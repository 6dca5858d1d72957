// The one path by which manage changes a stack (up, stop, scale, start...):
//   1. validate the new config offline (bad input: exit 2 before pulumi is even looked for);
//   2. check pulumi, create the stack from its stack file if the backend lacks it, and read the
//      operational layer the last update recorded in the stack's state (infra/operations.ts);
//   3. baseline edits only (capacity --apply): record them with `pulumi config set`; then
//      `pulumi preview` with the policy pack and manage's request for the operational layer (a
//      mandatory violation stops here: exit 2), and say what will change;
//   4. if anything is deleted or replaced: ask at a terminal, require --yes otherwise;
//   5. `pulumi up` with the same request, showing per-resource progress from its event stream (one
//      Ctrl-C stops pulumi cleanly: ./pulumi/interrupt.ts). The request names the revision of the
//      state and the stack file it was previewed against: if either moved since, the program
//      refuses before declaring anything, so what was confirmed is exactly what runs;
//   6. when the change brings up a pool, the readiness gate: not "done" until a probe execution
//      succeeds end to end through the backend (skipped with --no-wait);
//   7. end with one line: what changed, how long it took, the new cost per day.
// The operational layer (profile, overrides in effect, expiry) lives only in the stack's state, so
// every machine sees it and a failed update leaves the previous one in place. A change refused at
// step 3 or 4 puts the stack file back byte for byte: nothing in the cloud or the files is touched.

import { readFileSync, writeFileSync } from "node:fs";
import { parseSettings, ConfigError, type DeploymentSettings } from "../infra/config.js";
import { openAccessWarning } from "../infra/access-mode.js";
import { credentialHeaders, redactOutputs, resolveCredential, type Credential } from "./execution/credentials.js";
import { describeChanges, progressLine, urnName, type Progress } from "./pulumi/events.js";
import type { Pulumi, PreviewStep } from "./pulumi/runner.js";
import { stackFilePath } from "./stack-files.js";
import { OperationError, UsageError } from "./errors.js";
import { heading, money, printJson, warn } from "./output.js";
import { foundationTargets, imageCommands, imagesNeeded } from "./images-guard.js";
import { projectDir } from "./project.js";
import { withInterrupts } from "./pulumi/interrupt.js";
import { policyOptions } from "./pulumi/policy-pack.js";
import { describeIssues, stackFile } from "./settings.js";
import { embeddedPriceBook, isKnownRegion } from "./costing/prices.js";
import { estimateFor, DEFAULT_WINDOW_HOURS } from "./costing/estimate.js";
import { enforceCostCeiling } from "./cost-ceiling.js";
import {
  baselineDifferences,
  configHash,
  effectiveConfig,
  operationOfFile,
  OPERATIONS_ENV,
  OPERATIONS_OUTPUT,
  parseOperationsState,
  sameOperation,
  sameWindows,
  type Operation,
  type OperationsRequest,
  type Window,
} from "../infra/operations.js";
import { actor, isoSeconds, now } from "./clock.js";
import type { RawConfig } from "../infra/config.js";

export interface GlobalOptions {
  stack?: string;
  yes?: boolean;
  json?: boolean;
  verbose?: boolean;
  /** --allow-over-ceiling: let the change cost more than the stack's costCeilingPerDay. */
  allowOverCeiling?: boolean;
}

/** The readiness gate's options, on the commands that bring up a pool. */
export interface GateOptions {
  /** false with --no-wait. */
  wait?: boolean;
  /** --wait-timeout, in milliseconds (default 30 minutes). */
  waitTimeout?: number;
}

/** Role propagation can take up to 30 minutes (shared/azure-facts.md): wait that long by default. */
export const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;

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
  /**
   * Run on the baseline of the last update, not the stack file (stops): a stop changes only what
   * idle needs, and an unrelated edit in the file (an image, a size) is left for `up` and reported.
   */
  deployedBaseline?: boolean;
  /** What the person asked for, in words: "scale to contest", "stop". */
  intent: string;
  /** The change brings up a pool: it is done when code runs (the readiness gate). */
  verify?: boolean;
  /** The option each config key came from ("--max-sessions 900"), so a refusal names the option, not the file. */
  sources?: Record<string, string>;
}

export interface ChangeResult {
  stack: string;
  intent: string;
  profile: string;
  /** When the scheduled job returns it to idle (ISO 8601), null for until stopped. */
  expiresAt: string | null;
  changes: Record<string, number>;
  durationSeconds: number;
  perDay: number | null;
  outputs: Record<string, unknown>;
  /** The readiness gate's outcome; absent when it did not run. */
  readiness?: { ok: boolean; attempts: number; secondsToFirstExecution: number | null; cause?: string; fix?: string };
}

// A replacement reaches the event stream as up to three steps for one resource (create-replacement,
// replace, delete-replaced: pkg/resource/deploy/step_generator.go); a person sees one.
const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced"]);
const DESTRUCTIVE = new Set(["delete", "discard", ...REPLACE_OPS]);

/** One entry per resource a preview says will be deleted or replaced (the old one is deleted too). */
export function destructiveSteps(steps: PreviewStep[]): PreviewStep[] {
  const seen = new Set<string>();
  return steps.filter((s) => DESTRUCTIVE.has(s.op) && !seen.has(s.urn) && Boolean(seen.add(s.urn)));
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

/** The effective settings (baseline + operation), or a usage error naming the option or the file's line. */
function validate(change: StackChange, baseline: RawConfig, op: OperationFields, dir: string): DeploymentSettings {
  const file = stackFile(change.stack, dir);
  try {
    return parseSettings(effectiveConfig(baseline, op), change.stack);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(describeIssues(err, file, change.sources));
    throw err;
  }
}

/** The settings, or null when they do not validate (an old state: nothing to compare against). */
function settingsOrNull(read: () => DeploymentSettings): DeploymentSettings | null {
  try {
    return read();
  } catch {
    return null;
  }
}

function say(g: GlobalOptions, line: string) {
  // With --json, stdout carries one JSON document; everything for people goes to stderr.
  (g.json ? process.stderr : process.stdout).write(line + "\n");
}

function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

async function confirmAtTerminal(message: string): Promise<boolean> {
  const { default: confirm } = await import("@inquirer/confirm");
  return confirm({ message, default: false });
}

/**
 * A person-readable plan from the preview's steps: one line per resource that changes, its type,
 * and for a replacement the properties that force it. The runner already left out the root stack
 * and the default providers.
 */
export function describePlan(steps: PreviewStep[]): string[] {
  const symbol: Record<string, string> = { create: "+ create", update: "~ update", delete: "- delete", replace: "+- replace" };
  const lines: string[] = [];
  const shown = new Set<string>();
  for (const s of steps) {
    if (s.op === "same" || s.op === "read" || shown.has(s.urn)) continue;
    const op = REPLACE_OPS.has(s.op) ? "replace" : s.op;
    const keys = op === "replace" ? (steps.find((t) => t.urn === s.urn && t.replaceKeys?.length)?.replaceKeys ?? []) : [];
    shown.add(s.urn);
    lines.push(
      `  ${symbol[op] ?? op} ${urnName(s.urn)} (${s.type.replace(/^azure-native:/, "")})` +
        (keys.length ? `: ${keys.join(", ")} changed, so Azure recreates it` : ""),
    );
  }
  return lines;
}

export function costPerDay(settings: DeploymentSettings): number | null {
  if (!isKnownRegion(settings.location)) return null;
  const e = estimateFor(embeddedPriceBook(settings.location), settings, settings.profile.name, DEFAULT_WINDOW_HOURS);
  return e.perDay;
}

function formatDuration(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

const showProgress = (p: Progress) => {
  const line = progressLine(p);
  if (line) process.stderr.write(line + "\n");
};

/** Stops the change (exit 1, nothing recorded) when the images it needs are not in the registry. */
async function ensureImages(pulumi: Pulumi, settings: DeploymentSettings, g: GlobalOptions, deployedTypes: string[]): Promise<void> {
  const needed = imagesNeeded(settings);
  if (!deployedTypes.includes("azure-native:containerregistry:Registry")) {
    say(g, `The stack's registry does not exist yet, so it holds no images: deploying the foundation first (registry, identity, AcrPull).`);
    await withInterrupts(settings.stack, () => pulumi.up(settings.stack, showProgress, { targets: foundationTargets(settings), ...policyOptions(pulumi.projectDir) }));
    throw new OperationError(`foundation deployed; ${imageCommands(settings, needed)}`);
  }
  const { missingImages } = await import("./azure/az.js");
  let missing: string[];
  try {
    missing = await missingImages(settings.names.registry, needed, g.verbose);
  } catch (err) {
    // Without the Azure CLI the registry cannot be read; pulumi will say if an image is missing.
    warn(`cannot check the images in ${settings.names.registry}: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  if (missing.length) throw new OperationError(imageCommands(settings, missing));
}

/** `report: false` when the caller reports the result itself (reconcile's action log). */
/** Probes the new deployment until code runs, showing what it waits for. */
async function readinessGate(endpoint: string, stack: string, timeoutMs: number, g: GlobalOptions, credential?: Credential): Promise<NonNullable<ChangeResult["readiness"]>> {
  const { waitUntilExecutes } = await import("./execution/readiness.js");
  say(
    g,
    `Waiting until code runs through ${endpoint}${credential ? ` with ${credential.source}` : ""} (up to ${formatDuration(timeoutMs / 1000)}; --no-wait skips this)...`,
  );
  const r = await waitUntilExecutes(endpoint, {
    timeoutMs,
    stack,
    headers: credentialHeaders(credential),
    onWaiting: (attempt, probe, elapsed) =>
      process.stderr.write(`  not yet (attempt ${attempt}, ${formatDuration(elapsed / 1000)}): ${probe.diagnosis?.cause ?? "no answer"}\n`),
  });
  return r.ok
    ? { ok: true, attempts: r.attempts, secondsToFirstExecution: r.elapsedMs / 1000 }
    : { ok: false, attempts: r.attempts, secondsToFirstExecution: null, cause: r.last.diagnosis?.cause, fix: r.last.diagnosis?.fix };
}

export async function applyStackChange(change: StackChange, g: GlobalOptions & GateOptions, report = true): Promise<ChangeResult> {
  const started = performance.now();
  const dir = projectDir();
  const at = isoSeconds(now());
  // Offline first: the stack file with the baseline edits, and the operation asked for on top of
  // the file's own (the state is read below; bad input is refused before pulumi is looked for).
  // Every change needs a stack file that parses: pulumi itself reads it (for its config and
  // encryption salt) on every preview and update, a stop's too.
  const fileRaw = applyConfig(stackFile(change.stack, dir).raw, change.config);
  const fileOperation = operationOfFile(fileRaw, at);
  const offlineOperation = change.operation?.(fileOperation) ?? fileOperation;
  const offline = validate(change, fileRaw, offlineOperation, dir);
  // The cost ceiling on what the file and the options ask for, before pulumi runs (checked again
  // below on the state's operation, whose overrides of the profile may differ).
  enforceCostCeiling(offline, dir, g);
  // Two credentials in the environment is bad input: said now, before anything is changed.
  resolveCredential({}, process.env);
  const { Pulumi } = await import("./pulumi/runner.js");
  const pulumi = await Pulumi.connect(dir, g.verbose);
  if (g.verbose) process.stderr.write(`${pulumi.backend.description}\n`);
  // What runs now, as the last update recorded it (every machine reads the same). A stack the
  // backend lacks is created only after every refusal below: a refused change touches nothing.
  const exists = await pulumi.hasStack(change.stack);
  const state = exists ? await pulumi.state(change.stack) : { types: [], outputs: {} };
  const previous = parseOperationsState(state.outputs[OPERATIONS_OUTPUT]);
  if (change.deployedBaseline && state.types.length === 0) {
    // Nothing deployed, nothing to stop: a stop never deploys a foundation first.
    const result: ChangeResult = { stack: change.stack, intent: change.intent, profile: "idle", expiresAt: null, changes: {}, durationSeconds: (performance.now() - started) / 1000, perDay: 0, outputs: {} };
    if (report) g.json ? printJson(result) : console.log(`Nothing to do: ${change.stack} is not deployed (${pulumi.backend.description}).`);
    return result;
  }
  const current: OperationFields = previous ?? fileOperation;
  const wanted = change.operation ? change.operation(current) : current;
  const operation: Operation = change.operation || !previous ? { ...wanted, intent: change.intent, by: actor(), at } : previous;
  const windows = change.windows?.(previous?.windows ?? []);
  const onDeployed = Boolean(change.deployedBaseline && previous);
  const baseline = onDeployed ? previous!.baseline : fileRaw;
  const settings = validate(change, baseline, operation, dir);
  if (onDeployed) {
    const left = baselineDifferences(previous!.baseline, fileRaw);
    if (left.length) say(g, `${stackFilePath(dir, change.stack).split("/").pop()} differs from what runs (${left.join(", ")}): left for \`manage up --stack ${change.stack}\`; this ${change.intent.split(" ")[0]} changes only what it needs.`);
  }
  // Open is allowed only where chosen explicitly (and listed in the policy config); never quietly.
  if (settings.access.mode === "open" && settings.profile.pool) warn(openAccessWarning(change.stack));
  // The stack's cost ceiling again, only when the state made the change differ from what was
  // checked offline; "lowers what runs" is then measured against what the state says runs.
  if (configHash(effectiveConfig(baseline, operation)) !== configHash(effectiveConfig(fileRaw, offlineOperation)))
    enforceCostCeiling(settings, dir, g, previous ? settingsOrNull(() => parseSettings(effectiveConfig(previous.baseline, previous), change.stack)) : undefined);
  if (settings.profile.pool && !settings.profileExpiresAt) {
    const perDay = costPerDay(settings);
    warn(`${change.stack} will run a session pool with no expiry${perDay === null ? "" : ` (${money(perDay)}/day)`} until someone stops it: --for 3h (manage scale) sets when it returns to idle`);
  }
  if (!exists && (await pulumi.ensureStack(change.stack))) say(g, `Created stack ${change.stack} in the state backend from ${stackFilePath(dir, change.stack)}.`);
  // A stop needs no new image: it runs on what is deployed.
  if (!onDeployed) await ensureImages(pulumi, settings, g, state.types);

  const request: OperationsRequest = {
    basedOn: previous?.revision ?? 0,
    baseline: onDeployed ? "deployed" : "file",
    operation,
    ...(windows ? { windows } : {}),
    // The program checks the ceiling too (so a plain `pulumi up` does); the person's --allow-over-ceiling reaches it here.
    ...(g.allowOverCeiling ? { allowOverCeiling: true } : {}),
  };
  pulumi.setProgramEnv(OPERATIONS_ENV, JSON.stringify(request));

  const file = stackFilePath(dir, change.stack);
  const snapshot = readFileSync(file);
  const restore = () => writeFileSync(file, snapshot);

  const policy = policyOptions(dir);
  let steps: PreviewStep[];
  try {
    if (Object.keys(change.config).length) await pulumi.setConfig(change.stack, change.config);
    const preview = await withInterrupts(change.stack, () => pulumi.preview(change.stack, policy));
    steps = preview.steps;
    for (const w of preview.warnings) warn(`policy (advisory): ${w}`);
  } catch (err) {
    restore();
    // A preview that failed still says what the change would have done (a protected resource
    // replaced, say): show it with the refusal, so the person sees what their edit recreates.
    const would = describePlan((err as { steps?: PreviewStep[] }).steps ?? []);
    if (would.length) say(g, [`${heading(`${change.stack}: ${change.intent}`)}: refused; the preview says it would`, ...would].join("\n"));
    throw err;
  }

  const afterPreview = onDeployed ? {} : stackFile(change.stack, dir).raw;
  const plan = describePlan(steps);
  const records = !previous || !sameOperation(previous, operation) || (windows !== undefined && !sameWindows(windows, previous.windows));
  say(g, heading(`${change.stack}: ${change.intent}`) + (plan.length ? "" : records ? ": nothing to change in the cloud; recording the operation in the stack's state" : ": nothing to change in the cloud"));
  for (const line of plan) say(g, line);

  const deletions = destructiveSteps(steps);
  if (deletions.length > 0 && !g.yes) {
    const names = deletions.map((s) => urnName(s.urn)).join(", ");
    const verb = deletions.every((s) => REPLACE_OPS.has(s.op)) ? "replace (delete and recreate)" : "delete or replace";
    if (!interactive()) {
      restore();
      throw new UsageError(
        `this would ${verb} ${names}, and there is no terminal to ask at: pass --yes to confirm. Nothing was changed.`,
      );
    }
    if (!(await confirmAtTerminal(`${verb[0]!.toUpperCase()}${verb.slice(1)} ${names}?`))) {
      restore();
      throw new OperationError("canceled at the prompt; nothing was changed");
    }
  }

  let changes: Record<string, number> = {};
  let outputs: Record<string, unknown>;
  if (plan.length > 0 || records) {
    // The stack file is on this machine: if it changed since the preview, what was confirmed is not
    // what would run (the state's side of the race is checked by the program: infra/operations.ts).
    if (!onDeployed && configHash(stackFile(change.stack, dir).raw) !== configHash(afterPreview))
      throw new OperationError(
        `not applied: ${stackFilePath(dir, change.stack).split("/").pop()} changed after the preview. Nothing was changed, so what you confirmed did not run\n  Fix: run the command again to see the new plan`,
      );
    ({ changes, outputs } = await withInterrupts(change.stack, () => pulumi.up(change.stack, showProgress, policy)));
    // No "Done" for a change that did not happen: the state must now hold exactly this operation.
    const recorded = parseOperationsState(outputs[OPERATIONS_OUTPUT]);
    if (!recorded || recorded.revision !== request.basedOn + 1 || !sameOperation(recorded, operation) || (windows && !sameWindows(recorded.windows, windows)))
      throw new OperationError(
        `pulumi reported success, but the stack's state does not hold this change (revision ${recorded?.revision ?? "none"}, expected ${request.basedOn + 1}).\n` +
          `  What runs now: \`manage status --stack ${change.stack}\`; apply it again with the same command.`,
      );
  } else outputs = await pulumi.outputs(change.stack);
  const readiness =
    change.verify && g.wait !== false && settings.profile.pool
      ? await readinessGate(
          String(outputs.backendUrl ?? ""),
          change.stack,
          g.waitTimeout ?? DEFAULT_WAIT_TIMEOUT_MS,
          g,
          resolveCredential({}, process.env, settings.access.mode === "token" ? outputs : undefined),
        )
      : undefined;
  const perDay = costPerDay(settings);
  const durationSeconds = (performance.now() - started) / 1000;
  const result: ChangeResult = {
    stack: change.stack,
    intent: change.intent,
    profile: settings.profile.name,
    expiresAt: operation.expiresAt,
    changes,
    durationSeconds,
    perDay,
    // Shown with --json: the gateway's key stays out (manage pulumi -- stack output gatewayKey --show-secrets).
    outputs: redactOutputs(outputs),
    ...(readiness ? { readiness } : {}),
  };
  const notRunning =
    readiness && !readiness.ok
      ? new OperationError(
          `${change.stack} is deployed as ${settings.profile.name}, but no code ran within ${readiness.attempts} probe(s): ` +
            `${readiness.cause}\n  Fix: ${readiness.fix}\n  Then check again with \`manage doctor --stack ${change.stack}\`.`,
        )
      : undefined;
  if (!report) {
    if (notRunning) throw notRunning;
    return result;
  }
  if (g.json) printJson(result);
  else {
    const admin = Array.isArray(outputs.adminCommands) ? (outputs.adminCommands as string[]) : [];
    if (admin.length)
      console.log(
        "roleAssignmentMode is external: an administrator must run these (once per scope) before code can run:\n" +
          admin.map((c) => `  ${c}`).join("\n"),
      );
    if (!notRunning)
      console.log(
        `Done: ${change.stack} ${change.intent} in ${formatDuration(durationSeconds)}: ${describeChanges(changes)}; ` +
          `profile ${settings.profile.name}, now ${perDay === null ? "an unknown cost" : `${money(perDay)}/day`}` +
          (readiness ? `; code runs (first execution after ${formatDuration(readiness.secondsToFirstExecution!)}).` : "."),
      );
  }
  if (notRunning) throw notRunning;
  return result;
}

