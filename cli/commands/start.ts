// `manage start-session-pool`, `manage start`, `manage start-backend`: bring the pieces up (what the
// old manage_resources.sh did by hand). The pool only exists inside a profile, and the backend
// forwards to it, so starting the pool means scaling to a profile with one (testing unless told).
// start-backend alone keeps the operation in effect and makes sure a backend replica runs: in idle
// that is a backend answering health checks (and 503 for executions) for about $0.39/day.

import { applyStackChange } from "../change.js";
import type { OptionsFor } from "../main.js";
import { now } from "../clock.js";
import { startBackendChange, startPoolChange } from "../operations.js";
import { defaultStack } from "../project.js";

export async function runPool(o: OptionsFor<"start">): Promise<void> {
  await applyStackChange(startPoolChange(o.stack ?? defaultStack(), o.profile, now()), o);
}

export async function runBackend(o: OptionsFor<"start-backend">): Promise<void> {
  await applyStackChange(startBackendChange(o.stack ?? defaultStack()), o);
}
