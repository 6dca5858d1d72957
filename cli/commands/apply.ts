// The commands that ask the stack to run something else, each a change built by ../operations.ts
// (or the stack file as it is) and applied through the one change path (../change.ts):
// - `manage up`: apply the stack as configured in its stack file.
// - `manage scale --profile P [overrides] [--for 3h]`: asks the stack to run a profile, with any
//   overrides and an expiry. They are the operational layer, recorded in the stack's state by the
//   update that applies them (infra/operations.ts), so every machine sees them.
// - `manage stop`: down to the idle cost; registry, images, identity and settings kept (stopChange).
// - `manage start-session-pool`, `manage start`, `manage start-backend`: bring the pieces up (what the
//   old manage_resources.sh did by hand). The pool only exists inside a profile, and the backend
//   forwards to it, so starting the pool means scaling to a profile with one (testing unless told).
//   start-backend alone keeps the operation in effect and makes sure a backend replica runs: in idle
//   that is a backend answering health checks (and 503 for executions) for about $0.39/day.

import { applyStackChange } from "../change.js";
import { now } from "../clock.js";
import type { OptionsFor } from "../main.js";
import { scaleChange, startBackendChange, startPoolChange, stopChange } from "../operations.js";
import { defaultStack } from "../project.js";

export async function up(o: OptionsFor<"up">): Promise<void> {
  await applyStackChange({ stack: o.stack ?? defaultStack(), config: {}, intent: "apply the stack as configured" }, o);
}

export async function scale(o: OptionsFor<"scale">): Promise<void> {
  await applyStackChange(scaleChange(o.stack ?? defaultStack(), o, now()), o);
}

export async function stop(o: OptionsFor<"stop">): Promise<void> {
  await applyStackChange(stopChange(o.stack ?? defaultStack()), o);
}

export async function startPool(o: OptionsFor<"start">): Promise<void> {
  await applyStackChange(startPoolChange(o.stack ?? defaultStack(), o.profile, now()), o);
}

export async function startBackend(o: OptionsFor<"start-backend">): Promise<void> {
  await applyStackChange(startBackendChange(o.stack ?? defaultStack()), o);
}
