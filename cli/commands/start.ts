// `manage start-session-pool`, `manage start`, `manage start-backend`: bring the pieces up (what the
// old manage_resources.sh did by hand). The pool only exists inside a profile, and the backend
// forwards to it, so starting the pool means scaling to a profile with one (testing unless told).
// start-backend alone keeps the current profile and makes sure a backend replica runs: in idle that
// is a backend answering health checks (and 503 for executions) for about $0.39/day.

import { overrideConfigKey, PROFILES, type ProfileName } from "../../infra/profiles.js";
import { applyStackChange, type GateOptions, type GlobalOptions, type StackChange } from "../change.js";
import { UsageError } from "../errors.js";
import { defaultStack } from "../project.js";
import { stackSettings } from "../settings.js";
import { scaleChange } from "./scale.js";

export interface StartOptions extends GlobalOptions, GateOptions {
  profile?: ProfileName;
}

export function startPoolChange(stack: string, profile: ProfileName = "testing", now = new Date()): StackChange {
  if (!PROFILES[profile].pool) throw new UsageError(`the ${profile} profile has no session pool; start it with --profile testing or contest`);
  return scaleChange(stack, { profile }, now);
}

export function startBackendChange(stack: string, current: ProfileName, currentMin: number): StackChange {
  if (currentMin > 0)
    return { stack, config: {}, intent: `start the backend (already running in ${current}: ${currentMin}+ replicas)` };
  return {
    stack,
    config: { [overrideConfigKey(current, "backendMinReplicas")]: "1" },
    intent: `start the backend (${current}${PROFILES[current].pool ? "" : ": no pool, executions answer 503 until start-session-pool"})`,
  };
}

export async function runPool(o: StartOptions): Promise<void> {
  await applyStackChange(startPoolChange(o.stack ?? defaultStack(), o.profile), o);
}

export async function runBackend(o: StartOptions): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const settings = stackSettings(stack);
  await applyStackChange(startBackendChange(stack, settings.profile.name, settings.profile.backend.minReplicas), o);
}

export const run = runPool;
