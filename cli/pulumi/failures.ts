// What a failed pulumi run means for the person at the terminal: one sentence with the real cause
// and a fix that works when pasted into a fresh shell. Pure.
//
// Held to the real CLI (pulumi/pulumi v3.230.0), not to our idea of it:
// - A failed update or preview exits 1 (pkg/cmd/pulumi/cmd/exit_codes.go ExitCodeFor: engine
//   failures are BailErrors; 4, 5 and 9 are declared but never produced), so the exit code alone
//   says nothing: the cause is in the error diagnostics of the event stream (an Azure error's text),
//   whose "error: " lives in `prefix`, not in `message` (sdk/go/common/apitype/events.go).
// - The texts matched below are the CLI's own: the DIY lock (pkg/backend/diy/lock.go), the
//   passphrase secrets manager (pkg/secrets/passphrase), config validation
//   (sdk/go/common/workspace/config.go), backenderr.NoConfirmationInNonInteractiveError.

import { suggest, suggestPulumi } from "../suggest.js";
import { PROJECT } from "../../infra/config.js";

export interface PulumiFailure {
  kind: "protected" | "config" | "passphrase" | "needs-yes" | "no-stack" | "locked" | "pending" | "policy" | "policy-after-update" | "policy-pack" | "canceled" | "changed" | "failed";
  /** One line: what happened, with the real cause. */
  message: string;
  /** What to run, pasteable into a fresh shell; absent when the message says it all. */
  fix?: string;
  /** 2: bad input or environment, nothing was touched; 1: the operation failed. */
  exitCode: 1 | 2;
  /** A locked stack: when its newest lock was taken (ms since the epoch), when pulumi says. */
  lockedSince?: number;
}

export interface FailureInput {
  /** The pulumi command that failed: "preview", "up", "config", "stack"... */
  command: string;
  stack: string;
  exitCode: number;
  stderr: string;
  /** Error diagnostics from the event stream, in order (message only, prefix dropped). */
  errors: string[];
  /** Mandatory policy violations from the event stream. */
  policyViolations: string[];
  /** Resources the failed update had already changed (0 for a preview, or an update refused before its steps). */
  applied?: number;
  /** True when the named error class of the Automation API says so. */
  concurrent?: boolean;
  stackNotFound?: boolean;
}

const LOCKED = /the stack is currently locked by|\[409\] Conflict: Another update is currently in progress/;
const PENDING = /pending operations?|interrupted while creating|the current deployment has \d+ resource\(s\) with pending operations/i;
const PASSPHRASE = /passphrase must be set with PULUMI_CONFIG_PASSPHRASE|PULUMI_CONFIG_PASSPHRASE_FILE|incorrect passphrase/i;
const MISSING_CONFIG = /Stack '[^']+' is missing configuration values? .*|Stack '[^']+' with configuration key '[^']+' must be [^\n]*/;
// Our program's own refusal when the stack moved between manage's preview and its update
// (infra/operations.ts, CHANGED_MARK): a race lost, not a failure of Azure.
const CHANGED = /the stack changed after manage read it[^\n]*/;
// pkg/resource/deploy/step_generator.go: the whole plan stops on a protected resource.
const PROTECTED = /unable to (replace|delete) resource "([^"]+)"\s+as it is currently marked for protection/g;
// The engine could not start a policy pack (sdk/go/common/resource/plugin/analyzer_plugin.go
// NewPolicyAnalyzer): its folder does not load (no package.json main, code not built) or its
// dependencies do not resolve from it.
const POLICY_PACK = /policy pack "?[^\n"]*"? failed to start[^\n]*|it looks like the policy pack's dependencies are not installed[^\n]*|failed to load Pulumi policy project[^\n]*/;
const NEEDS_YES = /--yes or --skip-preview.* must be passed in to proceed when running in non-interactive mode/;

/** Drops ANSI colour and pulumi's own "error: " prefix; keeps the first meaningful line of each. */
export function cleanDiagnostic(message: string): string {
  return message
    .replace(/\u001b\[[0-9;]*m/g, "")
    .replace(/<\{%reset%\}>|<\{%[a-z]+%\}>/g, "")
    .split("\n")
    .map((l) => l.trim().replace(/^error:\s*/i, ""))
    .filter(Boolean)
    .join(" ");
}

/** The last "error: ..." line pulumi printed on stderr, without the prefix. */
function stderrError(stderr: string): string {
  const lines = stderr
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const errorLines = lines.filter((l) => /^error:/i.test(l)).map((l) => l.replace(/^error:\s*/i, ""));
  return errorLines.at(-1) ?? lines.at(-1) ?? "";
}

/** The cancel that removes a stack's locks (on a DIY backend it deletes its lock files: pkg/backend/diy/backend.go CancelCurrentUpdate). */
export const cancelCommand = (stack: string) => suggestPulumi(`cancel --stack ${stack} --yes`);

/** What to do when pulumi cannot open a stack's secrets: the passphrase, which the state does not hold. */
export const PASSPHRASE_FIX = "set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE to the stack's passphrase (the embedded backend keeps it in .pulumi-state/passphrase), and run again";

/** What to do when a stack's state itself is damaged (status, doctor): see its updates, put a good state back. */
const unreadableStateFix = (stack: string) =>
  `\`${suggestPulumi(`stack history --stack ${stack}`)}\` lists its updates; put the last good state back with ` +
  `\`${suggestPulumi(`stack import --stack ${stack} --file <state.json>`)}\` (an earlier \`${suggestPulumi(`stack export --stack ${stack}`)}\`, or the deployment in the file backend's previous checkpoint, ` +
  `.pulumi/stacks/${PROJECT}/${stack}.json.bak); then \`manage status --stack ${stack}\` again`;

/** Why a stack's state could not be read, and the fix for that cause (status, doctor). */
export interface UnreadableState {
  /** One line: the cause, as pulumi's failure says it. */
  reason: string;
  fix: string;
  /** 2: the environment is wrong (the passphrase), the state is fine; 1: the state itself cannot be read. */
  exitCode: 1 | 2;
}

/**
 * The fix for a state that cannot be read, chosen by the cause. A passphrase pulumi cannot open the
 * secrets with (another project's, a wrong secret in CI) leaves the state intact: the fix is the
 * passphrase, and putting an older state back would only overwrite good state with an older one.
 * Anything else (a truncated or corrupt checkpoint) is the state itself: its history and an import.
 * `failure` is the explained pulumi failure when there is one (PulumiError.failure). Pure.
 */
export function unreadableState(stack: string, cause: string, failure?: Pick<PulumiFailure, "kind" | "message">): UnreadableState {
  if (failure?.kind === "passphrase")
    return {
      reason: `${failure.message} (the state itself is intact: do not import an older one over it)`,
      fix: PASSPHRASE_FIX,
      exitCode: 2,
    };
  return { reason: cause.split("\n")[0]!, fix: unreadableStateFix(stack), exitCode: 1 };
}

/**
 * The refresh that settles an interrupted update without a terminal. Pulumi v3.230 asks about each
 * pending CREATE only interactively; non-interactively a plain `refresh --yes` keeps them
 * (pkg/cmd/pulumi/operations/refresh.go; pkg/engine/lifecycletest
 * TestRefreshPreservesPendingCreateOperations), and every later update warns about them again.
 * --clear-pending-creates drops them: the next update creates the resource again (a create Azure
 * did finish is then refused as existing, and `--import-pending-creates URN ID` adopts it instead).
 */
export const settleCommand = (stack: string) => suggestPulumi(`refresh --stack ${stack} --yes --clear-pending-creates`);

export function explainFailure(f: FailureInput): PulumiFailure {
  const all = [f.stderr, ...f.errors].join("\n");
  const s = f.stack;
  if (f.concurrent || LOCKED.test(all)) {
    // The DIY backend names each lock "...: created by USER@HOST (pid N) at TIME", TIME in RFC 3339
    // (pkg/backend/diy/lock.go checkForLock): the newest says whether an update may still be running.
    const times = [...all.matchAll(/: created by \S+ \(pid \d+\) at (\S+)/g)].map((m) => Date.parse(m[1]!)).filter((t) => !Number.isNaN(t));
    return {
      ...(times.length ? { lockedSince: Math.max(...times) } : {}),
      kind: "locked",
      exitCode: 1,
      message: `stack ${s} is locked: another update of it is running (or one was killed and left its lock)`,
      fix: `wait for it; if nothing else is running, \`${cancelCommand(s)}\`, then \`${settleCommand(s)}\`, and run the command again`,
    };
  }
  const changed = CHANGED.exec(all);
  if (changed)
    return {
      kind: "changed",
      exitCode: 1,
      message: `not applied: ${changed[0].replace(/ This update changed nothing;.*$/, "").replace(/\.$/, "")}. Nothing was changed, so what you confirmed did not run`,
      fix: `\`${suggest("status", { stack: s })}\` shows what runs now; run the command again to see the new plan`,
    };
  if (PASSPHRASE.test(all))
    return {
      kind: "passphrase",
      exitCode: 2,
      // Preview and up wrap the cause in their own context; the cause alone says what to set.
      message: `pulumi cannot read the secrets of stack ${s}: ${stderrError(f.stderr).replace(/^getting stack configuration: get stack secrets manager: /, "") || "no passphrase"}`,
      fix: PASSPHRASE_FIX,
    };
  const protectedHits = [...all.matchAll(PROTECTED)];
  if (protectedHits.length) {
    const what = [...new Set(protectedHits.map((m) => `${m[1]} ${m[2]!.split("::").pop()}`))].join(", ");
    return {
      kind: "protected",
      exitCode: 2,
      message: `this change would ${what}, which is protected: it holds the images, the identity or the resource group, and its loss loses data. Nothing was changed`,
      fix: `undo the change in Pulumi.${s}.yaml (a name, location or createResourceGroup); recreating it is a deliberate, separate step (docs/runbook.md, "Renaming or moving a stack")`,
    };
  }
  const config = MISSING_CONFIG.exec(all);
  if (config)
    return {
      kind: "config",
      exitCode: 2,
      message: `pulumi refused the configuration: ${config[0]}`,
      fix: `set the value in Pulumi.${s}.yaml (or give the key a default in Pulumi.yaml), and run again`,
    };
  const pack = POLICY_PACK.exec(all);
  if (pack)
    return {
      kind: "policy-pack",
      exitCode: 2,
      message: `the policy pack did not load, so pulumi ran nothing: ${pack[0]}`,
      fix: "`npm ci` in the project (it installs the pack's dependencies and builds the pack into dist/; `manage doctor` checks it), then run again",
    };
  if (NEEDS_YES.test(all))
    return { kind: "needs-yes", exitCode: 2, message: `pulumi ${f.command} needs --yes when no terminal is attached` };
  if (f.stackNotFound || /no stack named '[^']*' found/.test(all))
    return {
      kind: "no-stack",
      exitCode: 1,
      message: `stack ${s} does not exist in the state backend`,
      fix: `\`${suggest("up", { stack: s })}\` creates it from Pulumi.${s}.yaml`,
    };
  // A stack policy judges after every step of an update (pulumi v3.230 deployment_executor.go:
  // AnalyzeStack once the steps completed), and manage's update skips pulumi's own preview (the
  // Automation API's `up --skip-preview`). A violation that its preview could not see (a value
  // unknown until the change, like the new gateway's address) comes after the change is made:
  // that is no refusal, and what runs is the change.
  if (f.policyViolations.length && f.command === "up" && (f.applied ?? 0) > 0)
    return {
      kind: "policy-after-update",
      exitCode: 1,
      message: `the update was applied (${f.applied} resource(s) changed), then a mandatory policy failed it: ${f.policyViolations.join("; ")}. What the update made runs now`,
      fix: `\`${suggest("status", { stack: s })}\` shows what runs; \`${suggest("stop", { stack: s })}\` returns it to idle, or change the stack's config so the policy passes and \`${suggest("up", { stack: s })}\``,
    };
  if (f.policyViolations.length)
    return {
      kind: "policy",
      exitCode: 2,
      message: `a mandatory policy refused the change: ${f.policyViolations.join("; ")}`,
      fix: "change the stack's config so the policy passes (docs/security.md lists each policy), or, deliberately, the policy config (docs/ci.md)",
    };
  if (PENDING.test(all))
    return {
      kind: "pending",
      exitCode: 1,
      message: `an earlier update of ${s} was interrupted and left pending operations`,
      fix: `\`${settleCommand(s)}\` (it settles each pending operation against Azure and drops interrupted creates, which the next update makes again), then run the command again`,
    };
  const cause = f.errors.map(cleanDiagnostic).find((m) => m && !/^update failed$|^preview failed$/i.test(m)) ?? stderrError(f.stderr);
  // A call for no one stack ("*": `stack ls`, `plugin ls`) has no stack to look at.
  const every = s === "*";
  return {
    kind: "failed",
    exitCode: 1,
    message: `pulumi ${f.command}${every ? "" : ` of ${s}`} failed: ${cause || `exit ${f.exitCode}, no error text`}`,
    fix: every
      ? `fix the cause (the state backend, or a stack's checkpoint: \`${suggest("doctor")}\` checks both) and run the command again`
      : `\`${suggest("status", { stack: s })}\` shows what runs now; fix the cause and run the command again`,
  };
}
