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
// step 3 or 4 undoes manage's own edit of the stack file, unless the file was edited since (then it
// is left and the person told): nothing in the cloud is touched, and no one's edit is lost.
//
// What to do is decided by the pure plan (./change-plan.ts: settings, request, refusals, what needs
// a yes); this module is the executor: it reads, asks, runs pulumi and reports.

import { readFileSync, writeFileSync } from "node:fs";
import { chooseBackend, embeddedBackendEmpty, loggedInBackend } from "./pulumi/backend.js";
import { openAccessWarning } from "../infra/access-mode.js";
import type { DeploymentSettings } from "../infra/config.js";
import { OPERATIONS_ENV } from "../infra/operations.js";
import { credentialHeaders, redactOutputs, resolveCredential, stackCredential, type Credential } from "./execution/credentials.js";
import { describeChanges, progressLine, urnName, type Progress } from "./pulumi/events.js";
import type { Pulumi, PreviewStep } from "./pulumi/runner.js";
import { stackFilePath } from "./stack-files.js";
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
import { estimateFor, DEFAULT_WINDOW_HOURS } from "./costing/estimate.js";
import {
  REPLACE_OPS,
  confirmationNeeded,
  fileChangedSincePreview,
  keptEdit,
  notRecorded,
  planChange,
  planOffline,
  previewedRequest,
  settingsBefore,
  undoOnRefusal,
  type StackChange,
} from "./change-plan.js";
import { actor, isoSeconds, now, rehearsalClock } from "./clock.js";
import { DEFAULT_WAIT_MINUTES } from "./options.js";

export { applyConfig, destructiveSteps, type OperationFields, type StackChange } from "./change-plan.js";
import { freeGatewayName, gatewayLifecycle } from "./azure/gateway-purge.js";

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
export const DEFAULT_WAIT_TIMEOUT_MS = DEFAULT_WAIT_MINUTES * 60_000;

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

/** Probes the new deployment until code runs, showing what it waits for. */
async function readinessGate(endpoint: string, stack: string, timeoutMs: number, g: GlobalOptions, credential?: Credential): Promise<NonNullable<ChangeResult["readiness"]>> {
  const { waitUntilExecutes } = await import("./execution/readiness.js");
  say(g, waitingLine(endpoint, timeoutMs, credential));
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

/** `report: false` when the caller reports the result itself (reconcile's action log). */
export async function applyStackChange(change: StackChange, g: GlobalOptions & GateOptions, report = true): Promise<ChangeResult> {
  const started = performance.now();
  const dir = projectDir();
  // A rehearsal clock changes the cloud only when asked for explicitly, and never in a workflow run.
  const realClock = new Date();
  const rehearsal = rehearsalClock(process.env, realClock);
  if (rehearsal) warn(rehearsal.warning);
  const at = isoSeconds(now());
  // Offline first: bad input is refused before pulumi is looked for.
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
  // backend lacks is created only after every refusal below: a refused change touches nothing.
  const exists = await pulumi.hasStack(change.stack);
  const state = exists ? await pulumi.state(change.stack) : { types: [], outputs: {} };
  const plan = planChange(change, file, offline, { exists, types: state.types, operations: state.outputs.operations }, g, { by: actor(), at, realAt: realClock.toISOString() });
  if (plan.kind === "nothing-deployed") {
    const result: ChangeResult = { stack: change.stack, intent: change.intent, profile: "idle", expiresAt: null, changes: {}, durationSeconds: (performance.now() - started) / 1000, perDay: 0, outputs: {} };
    if (report) g.json ? printJson(result) : console.log(`Nothing to do: ${change.stack} is not deployed (${pulumi.backend.description}).`);
    return result;
  }
  const { intent, settings, operation, windows } = plan;
  for (const line of plan.notes) say(g, line);
  for (const w of plan.warnings.slice(offline.warnings.length)) warn(w);
  // What runs before this change, for an interruption to say (the file's own when nothing is deployed).
  const beforeSettings = settingsBefore(change.stack, offline, plan.previous);
  const runsNow = beforeSettings && state.types.length ? running(beforeSettings, (plan.previous ?? offline.fileOperation).expiresAt) : null;
  // Open is allowed only where chosen explicitly (and listed in the policy config); never quietly.
  if (settings.access.mode === "open" && settings.profile.pool) warn(openAccessWarning(change.stack));
  if (settings.profile.pool && !settings.profileExpiresAt) {
    const perDay = costPerDay(settings);
    warn(`${change.stack} will run a session pool with no expiry${perDay === null ? "" : ` (${money(perDay)}/day)`} until someone stops it: \`${suggest("scale", { stack: change.stack, profile: settings.profile.name, for: "3h" })}\` sets when it returns to idle`);
  }
  if (!exists && (await pulumi.ensureStack(change.stack))) say(g, `Created stack ${change.stack} in the state backend from ${stackFilePath(dir, change.stack)}.`);
  // A stop needs no new image: it runs on what is deployed.
  if (plan.checkImages) await ensureImages(pulumi, settings, g, state.types);

  // The stack file before manage writes into it (baseline edits), and what manage wrote: a refusal
  // undoes manage's write only while the file still holds it.
  const path = stackFilePath(dir, change.stack);
  const before = readFileSync(path);
  const edits = Object.keys(change.config);
  let wrote: Buffer | null = null;
  const undo = () => {
    const what = undoOnRefusal(wrote, readFileSync(path));
    if (what === "restore") writeFileSync(path, before);
    if (what === "edited-since") warn(keptEdit(file.name, edits));
  };

  const policy = policyOptions(dir);
  let steps: PreviewStep[];
  let request = plan.request;
  let previewed = file;
  try {
    if (edits.length) {
      try {
        await pulumi.setConfig(change.stack, change.config);
      } catch (err) {
        // Part of the edits may be written: put the file back as it was a moment ago.
        writeFileSync(path, before);
        throw err;
      }
      wrote = readFileSync(path);
    }
    // The file's content is part of what is previewed: its hash goes with the request, and the
    // update carries the same one, so the program refuses a file edited in between.
    previewed = stackFile(change.stack, dir);
    if (!plan.onDeployed) request = previewedRequest(request, previewed);
    pulumi.setProgramEnv(OPERATIONS_ENV, JSON.stringify(request));
    const preview = await withInterrupts(change.stack, () => pulumi.preview(change.stack, policy), () => ({ runs: runsNow, previewOnly: true }));
    steps = preview.steps;
    for (const w of preview.warnings) warn(`policy (advisory): ${w}`);
  } catch (err) {
    undo();
    // A preview that failed still says what the change would have done (a protected resource
    // replaced, say): show it with the refusal, so the person sees what their edit recreates.
    const would = describePlan((err as { steps?: PreviewStep[] }).steps ?? []);
    if (would.length) say(g, [`${heading(`${change.stack}: ${intent}`)}: refused; the preview says it would`, ...would].join("\n"));
    throw err;
  }

  const lines = describePlan(steps);
  say(g, heading(`${change.stack}: ${intent}`) + (lines.length ? "" : plan.records ? ": nothing to change in the cloud; recording the operation in the stack's state" : ": nothing to change in the cloud"));
  for (const line of lines) say(g, line);

  const confirm = confirmationNeeded(steps, g.yes);
  if (confirm) {
    if (!interactive()) {
      undo();
      throw new UsageError(confirm.refusal);
    }
    let confirmed: boolean;
    try {
      confirmed = await confirmAtTerminal(confirm.question);
    } catch (err) {
      // Ctrl-C at the prompt (@inquirer's ExitPromptError): nothing was changed, and what runs is said.
      if ((err as Error | null)?.name !== "ExitPromptError") throw err;
      undo();
      throw new InterruptedError(interruptOutcome({ stack: change.stack, phase: "prompt", runs: runsNow }));
    }
    if (!confirmed) {
      undo();
      throw new OperationError("canceled at the prompt; nothing was changed");
    }
  }

  let changes: Record<string, number> = {};
  let outputs: Record<string, unknown>;
  if (lines.length > 0 || plan.records) {
    // Said here before pulumi runs; the program checks the same hash as it reads the file.
    const changed = plan.onDeployed ? null : fileChangedSincePreview(previewed, stackFile(change.stack, dir));
    if (changed) throw new OperationError(changed);
    // Going ahead: only now what it brings up and costs is said (a refused change said nothing of it).
    const notice = change.notice?.(settings);
    if (notice) say(g, notice);
    // The gateway is soft-deleted under its name when deleted: free it around the change (cli/azure/gateway-purge.ts).
    const gateway = gatewayLifecycle(steps);
    if (gateway.creates) await freeGatewayName(settings.location, settings.names.gateway, "before", (l) => say(g, l), g.verbose);
    ({ changes, outputs } = await withInterrupts(change.stack, () => pulumi.up(change.stack, showProgress, policy), () => ({ runs: runsNow, wanted: running(settings, operation.expiresAt) })));
    if (gateway.deletes) await freeGatewayName(settings.location, settings.names.gateway, "after", (l) => say(g, l), g.verbose);
    const missing = notRecorded(change.stack, outputs.operations, request, operation, windows);
    if (missing) throw new OperationError(missing);
  } else outputs = await pulumi.outputs(change.stack);
  const readiness =
    change.verify && g.wait !== false && settings.profile.pool
      ? await interruptible(
          () => ({ stack: change.stack, phase: "waiting", runs: running(settings, operation.expiresAt) }),
          () =>
            readinessGate(
              String(outputs.backendUrl ?? ""),
              change.stack,
              g.waitTimeout ?? DEFAULT_WAIT_TIMEOUT_MS,
              g,
              stackCredential(String(outputs.backendUrl ?? ""), resolveCredential({}, process.env, settings.access.mode === "token" ? outputs : undefined), warn),
            ),
        )
      : undefined;
  const perDay = costPerDay(settings);
  const durationSeconds = (performance.now() - started) / 1000;
  const result: ChangeResult = {
    stack: change.stack,
    intent,
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
            `${readiness.cause}\n  Fix: ${readiness.fix}\n  Then check again with \`${suggest("doctor", { stack: change.stack })}\`.`,
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
        `Done: ${change.stack} ${intent} in ${formatDuration(durationSeconds)}: ${describeChanges(changes)}; ` +
          `profile ${settings.profile.name}, now ${perDay === null ? "an unknown cost" : `${money(perDay)}/day`}` +
          (readiness ? `; code runs (first execution after ${formatDuration(readiness.secondsToFirstExecution!)}).` : "."),
      );
  }
  if (notRunning) throw notRunning;
  return result;
}
