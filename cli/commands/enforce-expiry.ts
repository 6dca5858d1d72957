// `manage enforce-expiry`: returns every stack whose operation has expired to idle, and says what
// it did. It reads each stack's state in the shared backend (cli/operations.ts), not the stack
// files, so an operator's `scale --for` on a laptop is seen by the scheduled job on another machine.
// Idempotent (an idle or unexpired stack is left alone), --dry-run changes nothing, --json prints
// the action log. Run on a schedule by .github/workflows/expiry.yml; a failed stop is reported and
// makes the exit code non-zero (the job stays red until a stop succeeds), the other stacks are
// still handled.

import { listStackFiles, readStackFile } from "../stack-files.js";
import { applyStackChange, type GlobalOptions } from "../change.js";
import { now as clock } from "../clock.js";
import { OperationError } from "../errors.js";
import { printJson } from "../output.js";
import { projectDir } from "../project.js";
import { decideExpiry, describeExpiry, readStackRuntime, stopChange, type ExpiryDecision } from "../operations.js";
import { stackFile } from "../settings.js";

export interface EnforceOptions extends GlobalOptions {
  dryRun?: boolean;
}

export interface Action {
  stack: string;
  profile: string;
  expiresAt: string | null;
  /** Who asked for the operation in effect, and when. */
  by?: string;
  decision: ExpiryDecision | "unknown";
  outcome?: "stopped" | "would-stop" | "failed";
  error?: string;
  /** The stack file cannot be read: reported (exit 1), while the state still decides the stop. */
  fileError?: string;
}

const STOPS: ReadonlySet<string> = new Set(["stop", "stop-leftover"]);

export async function run(o: EnforceOptions): Promise<void> {
  const now = clock();
  const dir = projectDir();
  // A stack named with --stack whose file cannot be read is bad input, as in every command.
  if (o.stack) stackFile(o.stack, dir);
  const stacks = o.stack ? [o.stack] : listStackFiles(dir);
  const { Pulumi } = await import("../pulumi/runner.js");
  const pulumi = await Pulumi.connect(dir, o.verbose);
  const known = new Set(await pulumi.stacks());
  const actions: Action[] = [];
  for (const stack of stacks) {
    const action: Action = { stack, profile: "unknown", expiresAt: null, decision: "unknown" };
    actions.push(action);
    // One stack's broken file is reported with the others; it never stops the job from returning
    // this stack (on what runs) or the other stacks to idle.
    try {
      readStackFile(dir, stack);
    } catch (err) {
      action.fileError = err instanceof Error ? err.message : String(err);
    }
    try {
      const runtime = known.has(stack) ? await readStackRuntime(pulumi, stack) : { deployed: false, operation: null, poolDeployed: false, outputs: {} };
      action.profile = runtime.operation?.profile ?? (runtime.poolDeployed ? "unknown" : "idle");
      action.expiresAt = runtime.operation?.expiresAt ?? null;
      if (runtime.operation) action.by = `${runtime.operation.by} at ${runtime.operation.at}`;
      action.decision = decideExpiry(runtime, now);
    } catch (err) {
      action.outcome = "failed";
      action.error = `its state cannot be read: ${err instanceof Error ? err.message : String(err)}`;
      continue;
    }
    if (!STOPS.has(action.decision)) continue;
    if (o.dryRun) {
      action.outcome = "would-stop";
      continue;
    }
    try {
      // Progress goes to stderr (json: true); this command prints the one log of what it did.
      await applyStackChange({ ...stopChange(stack), intent: `stop: ${action.decision === "stop" ? "expired" : "a pool left by a failed stop"} (enforce-expiry)` }, { ...o, json: true, stack, yes: true }, false);
      action.outcome = "stopped";
    } catch (err) {
      action.outcome = "failed";
      action.error = err instanceof Error ? err.message : String(err);
    }
  }
  if (o.json) printJson({ now: now.toISOString(), dryRun: Boolean(o.dryRun), actions });
  else for (const a of actions) console.log(describeAction(a));
  const failed = actions.filter((a) => a.outcome === "failed").map((a) => a.stack);
  const unreadable = actions.filter((a) => a.fileError).map((a) => a.stack);
  const problems = [
    ...(failed.length ? [`stack(s) not returned to idle or not read: ${failed.join(", ")}`] : []),
    ...(unreadable.length ? [`stack file(s) that cannot be read: ${unreadable.join(", ")}`] : []),
  ];
  if (problems.length) throw new OperationError(`${problems.join("; ")} (see above); the next run tries again`);
}

/** One line per stack, for people (the job's log). */
export function describeAction(a: Action): string {
  const expiry = a.expiresAt ? ` (expiry ${describeExpiry(new Date(a.expiresAt))}${a.by ? `, set by ${a.by}` : ""})` : "";
  const outcome: Record<string, string> = {
    stopped: "returned to idle",
    "would-stop": "would return to idle (dry run, nothing changed)",
    failed: `but the stop FAILED: ${a.error}`,
  };
  const words: Record<Action["decision"], string> = {
    stop: `expired: ${outcome[a.outcome!]}`,
    "stop-leftover": `idle, but a session pool is still deployed (an earlier stop failed): ${outcome[a.outcome!]}`,
    "not-expired": "not expired yet: left as it is",
    "no-expiry": `${a.profile} with no expiry: left as it is`,
    "already-idle": "idle: nothing to do",
    "not-deployed": "not deployed: nothing to do",
    unknown: `FAILED: ${a.error}`,
  };
  return `${a.stack}: ${words[a.decision]}${expiry}${a.fileError ? `\n  and its stack file cannot be read: ${a.fileError}` : ""}`;
}


