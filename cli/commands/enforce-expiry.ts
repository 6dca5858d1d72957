// `manage enforce-expiry`: returns every stack whose recorded expiry has passed to idle, and says
// what it did. Idempotent (an idle or unexpired stack is left alone), --dry-run changes nothing,
// --json prints the action log. Run on a schedule by .github/workflows/expiry.yml; a failed stop
// is reported and makes the exit code non-zero, the other stacks are still handled.

import { listStackFiles } from "../stack-files.js";
import type { GlobalOptions } from "../change.js";
import { OperationError } from "../errors.js";
import { printJson } from "../output.js";
import { projectDir } from "../project.js";
import { stackSettings } from "../settings.js";
import { describeExpiry } from "./scale.js";

export interface EnforceOptions extends GlobalOptions {
  dryRun?: boolean;
}

export type Decision = "stop" | "not-expired" | "no-expiry" | "already-idle" | "unreadable";

export interface Action {
  stack: string;
  profile: string;
  expiresAt: string | null;
  decision: Decision;
  outcome?: "stopped" | "would-stop" | "failed";
  error?: string;
}

/** What to do with one stack. Pure. */
export function decide(profile: string, expiresAt: Date | null, now: Date): Decision {
  if (profile === "idle") return "already-idle";
  if (!expiresAt) return "no-expiry";
  return expiresAt.getTime() <= now.getTime() ? "stop" : "not-expired";
}

export async function run(o: EnforceOptions): Promise<void> {
  const now = new Date();
  const stacks = o.stack ? [o.stack] : listStackFiles(projectDir());
  const actions: Action[] = [];
  for (const stack of stacks) {
    // One stack's broken file is that stack's failure, reported with the others; it never stops
    // the job from returning the other stacks to idle.
    let settings;
    try {
      settings = stackSettings(stack);
    } catch (err) {
      // A stack named with --stack that cannot be read is bad input, as in every command.
      if (o.stack) throw err;
      actions.push({ stack, profile: "unknown", expiresAt: null, decision: "unreadable", outcome: "failed", error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const action: Action = {
      stack,
      profile: settings.profile.name,
      expiresAt: settings.profileExpiresAt?.toISOString() ?? null,
      decision: decide(settings.profile.name, settings.profileExpiresAt, now),
    };
    actions.push(action);
    if (action.decision !== "stop") continue;
    if (o.dryRun) {
      action.outcome = "would-stop";
      continue;
    }
    try {
      const { applyStackChange } = await import("../change.js");
      const { stopChange } = await import("./stop.js");
      // Progress goes to stderr (json: true); this command prints the one log of what it did.
      await applyStackChange(stopChange(stack), { ...o, json: true, stack }, false);
      action.outcome = "stopped";
    } catch (err) {
      action.outcome = "failed";
      action.error = err instanceof Error ? err.message : String(err);
    }
  }
  if (o.json) printJson({ now: now.toISOString(), dryRun: Boolean(o.dryRun), actions });
  else
    for (const a of actions) {
      const expiry = a.expiresAt ? ` (expiry ${describeExpiry(new Date(a.expiresAt))})` : "";
      const what: Record<string, string> = {
        stopped: "expired: returned to idle",
        "would-stop": "expired: would return to idle (dry run, nothing changed)",
        failed: `expired, but the stop FAILED: ${a.error}`,
      };
      const words: Record<Decision, string> = {
        stop: what[a.outcome!]!,
        "not-expired": "not expired yet: left as it is",
        "no-expiry": `${a.profile} with no expiry: left as it is`,
        "already-idle": "idle: nothing to do",
        unreadable: `its stack file cannot be read, so its expiry is unknown: ${a.error}`,
      };
      console.log(`${a.stack}: ${words[a.decision]}${expiry}`);
    }
  const failed = actions.filter((a) => a.outcome === "failed" && a.decision === "stop").map((a) => a.stack);
  const unreadable = actions.filter((a) => a.decision === "unreadable").map((a) => a.stack);
  const problems = [
    ...(failed.length ? [`expired stack(s) not returned to idle: ${failed.join(", ")}`] : []),
    ...(unreadable.length ? [`stack file(s) that cannot be read: ${unreadable.join(", ")}`] : []),
  ];
  if (problems.length) throw new OperationError(`${problems.join("; ")} (see above)`);
}
