// The one path by which manage changes a stack (up, stop, scale, start...). applyStackChange reads
// as the steps a person would name, each a function below:
//   read     validate the new config offline (bad input: exit 2 before pulumi is even looked for);
//            check pulumi and read the operational layer the last update recorded in the stack's
//            state (infra/operations.ts); plan the change on it;
//   say      the plan's notes and warnings; then (prepareStack) create the stack from its stack
//            file if the backend lacks it, and check the images the change needs;
//   preview  baseline edits only (capacity --apply): record them with `pulumi config set`
//            (./stack-file-edit.ts); then `pulumi preview` with the policy pack and manage's request
//            for the operational layer (a mandatory violation stops here: exit 2); say what changes;
//   confirm  if anything is deleted or replaced: ask at a terminal, require --yes otherwise;
//   apply    `pulumi up` with the same request, showing per-resource progress from its event stream
//            (one Ctrl-C stops pulumi cleanly: ./pulumi/interrupt.ts). The request names the
//            revision of the state and the stack file it was previewed against: if either moved
//            since, the program refuses before declaring anything, so what was confirmed is exactly
//            what runs; the gateway's name is freed around it, and the state must record it;
//   verify   when the change brings up a pool, the readiness gate: not "done" until a probe
//            execution succeeds end to end through the backend (skipped with --no-wait);
//   report   one line: what changed, how long it took, the new cost per day.
// The operational layer (profile, overrides in effect, expiry) lives only in the stack's state, so
// every machine sees it and a failed update leaves the previous one in place. A change refused at
// the preview or the confirmation undoes manage's own edit of the stack file, unless the file was
// edited since (then it is left and the person told): nothing in the cloud is touched, and no
// one's edit is lost.
//
// What to do is decided by the pure plan (./change-plan.ts: settings, request, refusals, what needs
// a yes); this module is the executor: it reads, asks, runs pulumi and reports.

import { chooseBackend, embeddedBackendEmpty, loggedInBackend } from "./pulumi/backend.js";
import { openAccessWarning } from "../infra/access-mode.js";
import type { DeploymentSettings } from "../infra/config.js";
import { OPERATIONS_ENV, settingsOn, type OperationsRequest, type OperationsState } from "../infra/operations.js";
import { credentialHeaders, redactOutputs, resolveCredential, stackCredential, type Credential } from "./execution/credentials.js";
import { describeChanges, progressLine, urnName, type Progress } from "./pulumi/events.js";
import type { Pulumi, PreviewStep } from "./pulumi/runner.js";
import { stackFilePath, type StackFile } from "./stack-files.js";
import { stackFileEdit, type StackFileEdit } from "./stack-file-edit.js";
import { OperationError, UsageError } from "./errors.js";
import { heading, money, printJson, warn } from "./output.js";
import { foundationTargets, imageCommands, imagesNeeded } from "./images-guard.js";
import { projectDir } from "./project.js";
import { withInterrupts } from "./pulumi/interrupt.js";
import { policyOptions } from "./pulumi/policy-pack.js";
import { InterruptedError, interruptible, interruptOutcome, type Running } from "./interrupted.js";
import { offers, suggest } from "./suggest.js";
import { stackFile } from "./settings.js";
import { embeddedPriceBook, isKnownRegion } from "../infra/costing/prices.js";
import { estimateFor } from "./costing/estimate.js";
import { CAPACITY_DEFAULTS } from "../infra/capacity.js";
import {
  REPLACE_OPS,
  confirmationNeeded,
  fileChangedSincePreview,
  notRecorded,
  planChange,
  planOffline,
  previewedRequest,
  type ChangePlan,
  type OfflinePlan,
  type StackChange,
} from "./change-plan.js";
import { actor, isoSeconds, now, rehearsalClock } from "./clock.js";
import { DEFAULT_WAIT_MINUTES } from "./options.js";
import type { CeilingOptions, GateOptions as DeclaredGate, GlobalOptions as DeclaredGlobals } from "./main.js";

export { applyConfig, destructiveSteps, type OperationFields, type StackChange } from "./change-plan.js";
import { freeGatewayName, gatewayLifecycle } from "./azure/gateway-purge.js";

/**
 * The options a change reads, as main.ts declares them: the global ones, and --allow-over-ceiling
 * where the command declares it (stop does not: a stop costs less).
 */
export type GlobalOptions = DeclaredGlobals & Partial<CeilingOptions>;

/** The readiness gate's options (--no-wait, --wait-timeout in milliseconds), on the commands that bring up a pool. */
export type GateOptions = Partial<DeclaredGate>;

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

function say(g: GlobalOptions, line: string) {
  // With --json, stdout carries one JSON document; everything for people goes to stderr.
  (g.json ? process.stderr : process.stdout).write(line + "\n");
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
  const e = estimateFor(embeddedPriceBook(settings.location), settings, settings.profile.name, CAPACITY_DEFAULTS.hours);
  // A partial sum (a table without the Dedicated rates prices a pool's nodes at $0) is not a cost: unknown.
  return e.complete ? e.perDay : null;
}

/** A profile that runs, with its cost a day and its expiry, as an interruption says it. */
const running = (settings: DeploymentSettings, expiresAt: string | null): Running => ({ profile: settings.profile.name, perDay: costPerDay(settings), expiresAt: settings.profile.pool ? expiresAt : null });

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

/** The readiness gate's first line; --no-wait is offered only by a command that takes it (not reconcile). */
export function waitingLine(endpoint: string, timeoutMs: number, credential?: Pick<Credential, "source">): string {
  return `Waiting until code runs through ${endpoint}${credential ? ` with ${credential.source}` : ""} (up to ${formatDuration(timeoutMs / 1000)}${offers("--no-wait") ? "; --no-wait skips this" : ""})...`;
}

/** What the steps after the read work from (readChange's answer): the change, the plan for it, and what runs now. */
type Run = Awaited<ReturnType<typeof readChange>> & { plan: Extract<ChangePlan, { kind: "run" }> };

/** `report: false` when the caller reports the result itself (reconcile's action log). */
export async function applyStackChange(change: StackChange, g: GlobalOptions & GateOptions, report = true): Promise<ChangeResult> {
  const started = performance.now();
  const read = await readChange(change, g);
  if (read.plan.kind === "nothing-deployed") return nothingDeployed(change, g, read.pulumi, started, report);
  const run: Run = { ...read, plan: read.plan };
  sayChange(run);
  await prepareStack(run);
  const edit = stackFileEdit(stackFilePath(run.dir, change.stack), run.file.name, change.config);
  const previewed = await previewChange(run, edit);
  const refusal = await confirmChange(run, previewed.steps);
  // Refused at the confirmation: nothing in the cloud was touched, so manage's edit is undone too.
  if (refusal) {
    edit.undo(warn);
    throw refusal;
  }
  const { changes, outputs } = await applyChange(run, previewed);
  const readiness = await verifyChange(run, outputs);
  return reportChange(run, { changes, outputs, readiness, durationSeconds: (performance.now() - started) / 1000 }, report);
}

/** Read: the offline plan (bad input refused before pulumi is looked for), then pulumi, the state and the plan. */
async function readChange(change: StackChange, g: GlobalOptions & GateOptions) {
  const dir = projectDir();
  // A rehearsal clock changes the cloud only when asked for explicitly, and never in a workflow run.
  const realClock = new Date();
  const rehearsal = rehearsalClock(process.env, realClock);
  if (rehearsal) warn(rehearsal.warning);
  const at = isoSeconds(now());
  // The stack file as read before any edit (named in what is said).
  const file = stackFile(change.stack, dir);
  // No state can matter where the embedded backend (the default: no PULUMI_BACKEND_URL, no login)
  // has no directory yet: no stack has been created, so the cost ceiling is judged offline.
  const offline = planOffline(change, file, g, at, embeddedBackendEmpty(chooseBackend(process.env, dir, loggedInBackend(process.env))));
  for (const w of offline.warnings) warn(w);
  // Two credentials in the environment is bad input: said now, before anything is changed.
  resolveCredential({}, process.env);
  const { Pulumi } = await import("./pulumi/runner.js");
  const pulumi = await Pulumi.connect(dir, g.verbose);
  if (g.verbose) process.stderr.write(`${pulumi.backend.description}\n`);
  // What runs now, as the last update recorded it (every machine reads the same). A stack the
  // backend lacks is created only after every refusal: a refused change touches nothing.
  const exists = await pulumi.hasStack(change.stack);
  const state = exists ? await pulumi.state(change.stack) : { types: [], outputs: {} as Record<string, unknown> };
  const plan = planChange(change, file, offline, { types: state.types, operations: state.outputs.operations }, g, { by: actor(), at, realAt: realClock.toISOString() });
  const runsNow = plan.kind === "run" ? runningBefore(change.stack, offline, plan.previous, state.types) : null;
  return { change, g, dir, pulumi, file, offline, exists, types: state.types, plan, runsNow, policy: policyOptions(dir) };
}

/**
 * What runs before this change, for an interruption to say: the state's operation on its baseline,
 * or, before a first deployment, the stack file's own; null when nothing is deployed.
 */
function runningBefore(stack: string, offline: OfflinePlan, previous: OperationsState | null, types: string[]): Running | null {
  const op = previous ?? offline.fileOperation;
  const before = settingsOn(previous?.baseline ?? offline.fileRaw, op, stack);
  return before && types.length ? running(before, op.expiresAt) : null;
}

/** A stop with nothing deployed: there is nothing to change, and the person is told so. */
function nothingDeployed(change: StackChange, g: GlobalOptions, pulumi: Pulumi, started: number, report: boolean): ChangeResult {
  const result: ChangeResult = { stack: change.stack, intent: change.intent, profile: "idle", expiresAt: null, changes: {}, durationSeconds: (performance.now() - started) / 1000, perDay: 0, outputs: {} };
  if (report) g.json ? printJson(result) : console.log(`Nothing to do: ${change.stack} is not deployed (${pulumi.backend.description}).`);
  return result;
}

/** Say: the plan's notes and warnings, and what the person must know before anything is touched. */
function sayChange({ change, g, offline, plan }: Run): void {
  for (const line of plan.notes) say(g, line);
  for (const w of plan.warnings.slice(offline.warnings.length)) warn(w);
  const { settings } = plan;
  // Open is allowed only where chosen explicitly (and listed in the policy config); never quietly.
  if (settings.access.mode === "open" && settings.profile.pool) warn(openAccessWarning(change.stack));
  if (settings.profile.pool && !settings.profileExpiresAt) {
    const perDay = costPerDay(settings);
    warn(`${change.stack} will run a session pool with no expiry${perDay === null ? "" : ` (${money(perDay)}/day)`} until someone stops it: \`${suggest("scale", { stack: change.stack, profile: settings.profile.name, for: "3h" })}\` sets when it returns to idle`);
  }
}

/** The stack in the backend and the images it needs: only after every refusal above, before the preview. */
async function prepareStack({ change, g, dir, pulumi, exists, types, plan }: Run): Promise<void> {
  if (!exists && (await pulumi.ensureStack(change.stack))) say(g, `Created stack ${change.stack} in the state backend from ${stackFilePath(dir, change.stack)}.`);
  // A stop needs no new image: it runs on what is deployed.
  if (plan.checkImages) await ensureImages(pulumi, plan.settings, g, types);
}

/** What was previewed: the update must run exactly this. */
interface Previewed {
  steps: PreviewStep[];
  /** The stack file as the preview read it. */
  file: StackFile;
  request: OperationsRequest;
  /** What changes in the cloud, one line per resource (none: nothing to change). */
  lines: string[];
}

/** Preview: manage's edit of the stack file, `pulumi preview` with the request naming that file, and what will change, said. */
async function previewChange({ change, g, dir, pulumi, plan, runsNow, policy }: Run, edit: StackFileEdit): Promise<Previewed> {
  let previewed: Omit<Previewed, "lines">;
  try {
    await edit.write((config) => pulumi.setConfig(change.stack, config));
    // The file's content is part of what is previewed: its hash goes with the request, and the
    // update carries the same one, so the program refuses a file edited in between.
    const file = stackFile(change.stack, dir);
    const request = plan.onDeployed ? plan.request : previewedRequest(plan.request, file);
    pulumi.setProgramEnv(OPERATIONS_ENV, JSON.stringify(request));
    const preview = await withInterrupts(change.stack, () => pulumi.preview(change.stack, policy), () => ({ runs: runsNow, previewOnly: true }));
    previewed = { steps: preview.steps, file, request };
    for (const w of preview.warnings) warn(`policy (advisory): ${w}`);
  } catch (err) {
    edit.undo(warn);
    // A preview that failed still says what the change would have done (a protected resource
    // replaced, say): show it with the refusal, so the person sees what their edit recreates.
    const would = describePlan((err as { steps?: PreviewStep[] }).steps ?? []);
    if (would.length) say(g, [`${heading(`${change.stack}: ${plan.intent}`)}: refused; the preview says it would`, ...would].join("\n"));
    throw err;
  }
  const lines = describePlan(previewed.steps);
  say(g, heading(`${change.stack}: ${plan.intent}`) + (lines.length ? "" : plan.records ? ": nothing to change in the cloud; recording the change in the stack's state" : ": nothing to change in the cloud"));
  for (const line of lines) say(g, line);
  return { ...previewed, lines };
}

/** Confirm: deletions and replacements need a yes; the refusal to throw (manage's edit undone first), or null to go ahead. */
async function confirmChange({ change, g, runsNow }: Run, steps: PreviewStep[]): Promise<Error | null> {
  const confirm = confirmationNeeded(steps, g.yes);
  if (!confirm) return null;
  if (!(process.stdin.isTTY && process.stdout.isTTY)) return new UsageError(confirm.refusal);
  try {
    const { default: ask } = await import("@inquirer/confirm");
    if (await ask({ message: confirm.question, default: false })) return null;
  } catch (err) {
    // Ctrl-C at the prompt (@inquirer's ExitPromptError): nothing was changed, and what runs is said.
    if ((err as Error | null)?.name !== "ExitPromptError") throw err;
    return new InterruptedError(interruptOutcome({ stack: change.stack, phase: "prompt", runs: runsNow }));
  }
  return new OperationError("canceled at the prompt; nothing was changed");
}

/** Apply: `pulumi up` with the previewed request, the gateway's name freed around it, and "done" only once the state records it. */
async function applyChange({ change, g, dir, pulumi, plan, runsNow, policy }: Run, previewed: Previewed): Promise<{ changes: Record<string, number>; outputs: Record<string, unknown> }> {
  if (!previewed.lines.length && !plan.records) return { changes: {}, outputs: await pulumi.outputs(change.stack) };
  const { settings, operation } = plan;
  // Said here before pulumi runs; the program checks the same hash as it reads the file.
  const changed = plan.onDeployed ? null : fileChangedSincePreview(previewed.file, stackFile(change.stack, dir));
  if (changed) throw new OperationError(changed);
  // Going ahead: only now what it brings up and costs is said (a refused change said nothing of it).
  const notice = change.notice?.(settings);
  if (notice) say(g, notice);
  // The gateway is soft-deleted under its name when deleted: free it around the change (cli/azure/gateway-purge.ts).
  const gateway = gatewayLifecycle(previewed.steps);
  if (gateway.creates) await freeGatewayName(settings.location, settings.names.gateway, "before", (l) => say(g, l), g.verbose);
  const { changes, outputs } = await withInterrupts(change.stack, () => pulumi.up(change.stack, showProgress, policy), () => ({ runs: runsNow, wanted: running(settings, operation.expiresAt) }));
  if (gateway.deletes) await freeGatewayName(settings.location, settings.names.gateway, "after", (l) => say(g, l), g.verbose);
  const missing = notRecorded(change.stack, outputs.operations, previewed.request, operation, plan.windows);
  if (missing) throw new OperationError(missing);
  return { changes, outputs };
}

/**
 * Verify: a change that brings up a pool is not done until code runs through it (skipped with
 * --no-wait): the new deployment probed until code runs, showing what it waits for.
 */
async function verifyChange({ change, g, plan: { settings, operation } }: Run, outputs: Record<string, unknown>): Promise<ChangeResult["readiness"]> {
  if (!(change.verify && g.wait !== false && settings.profile.pool)) return undefined;
  const endpoint = String(outputs.backendUrl ?? "");
  const timeoutMs = g.waitTimeout ?? DEFAULT_WAIT_MINUTES * 60_000;
  return interruptible(
    () => ({ stack: change.stack, phase: "waiting", runs: running(settings, operation.expiresAt) }),
    async () => {
      const credential = stackCredential(endpoint, resolveCredential({}, process.env, settings.access.mode === "token" ? outputs : undefined), warn);
      const { waitUntilExecutes } = await import("./execution/readiness.js");
      say(g, waitingLine(endpoint, timeoutMs, credential));
      const r = await waitUntilExecutes(endpoint, {
        timeoutMs,
        stack: change.stack,
        headers: credentialHeaders(credential),
        onWaiting: (attempt, probe, elapsed) =>
          process.stderr.write(`  not yet (attempt ${attempt}, ${formatDuration(elapsed / 1000)}): ${probe.diagnosis?.cause ?? "no answer"}\n`),
      });
      return r.ok
        ? { ok: true, attempts: r.attempts, secondsToFirstExecution: r.elapsedMs / 1000 }
        : { ok: false, attempts: r.attempts, secondsToFirstExecution: null, cause: r.last.diagnosis?.cause, fix: r.last.diagnosis?.fix };
    },
  );
}

/** Report: the result (one JSON document with --json), an administrator's commands, and "Done" or why no code runs (exit 1). */
function reportChange({ change, g, plan: { intent, settings, operation } }: Run, { changes, outputs, readiness, durationSeconds }: Pick<ChangeResult, "changes" | "outputs" | "readiness" | "durationSeconds">, report: boolean): ChangeResult {
  const perDay = costPerDay(settings);
  // Shown with --json: the gateway's key stays out (manage pulumi -- stack output gatewayKey --show-secrets).
  const result: ChangeResult = { stack: change.stack, intent, profile: settings.profile.name, expiresAt: operation.expiresAt, changes, durationSeconds, perDay, outputs: redactOutputs(outputs), ...(readiness ? { readiness } : {}) };
  const notRunning =
    readiness && !readiness.ok
      ? new OperationError(
          `${change.stack} is deployed as ${settings.profile.name}, but no code ran within ${readiness.attempts} probe(s): ` +
            `${readiness.cause}\n  Fix: ${readiness.fix}\n  Then check again with \`${suggest("doctor", { stack: change.stack })}\`.`,
        )
      : undefined;
  if (report && g.json) printJson(result);
  else if (report) {
    const admin = Array.isArray(outputs.adminCommands) ? (outputs.adminCommands as string[]) : [];
    if (admin.length) console.log("roleAssignmentMode is external: an administrator must run these (once per scope) before code can run:\n" + admin.map((c) => `  ${c}`).join("\n"));
    if (!notRunning)
      console.log(
        `Done: ${change.stack} ${intent} in ${formatDuration(durationSeconds)}: ${describeChanges(changes)}; ` +
          `profile ${settings.profile.name}, now ${perDay === null ? "an unknown cost" : `${money(perDay)}/day`}` +
          (readiness ? `; code runs (first execution after ${formatDuration(readiness.secondsToFirstExecution!)}).` : "."),
      );
  }
  if (notRunning) throw notRunning;
  return result;
}
