// `manage stop`: down to the idle cost. The pool is deleted; the registry, images, identity,
// environment, workspace, settings and every profile's overrides stay, so the next start is the same
// deployment. The one setting stop clears is the one that keeps an idle backend running.

import { overrideConfigKey } from "../../infra/profiles.js";
import { applyStackChange, type GlobalOptions, type StackChange } from "../change.js";
import { defaultStack } from "../project.js";

export function stopChange(stack: string): StackChange {
  return {
    stack,
    intent: "stop (idle: registry, images, identity and settings kept)",
    config: { profile: "idle", profileExpiresAt: "", [overrideConfigKey("idle", "backendMinReplicas")]: null },
  };
}

export async function run(o: GlobalOptions): Promise<void> {
  await applyStackChange(stopChange(o.stack ?? defaultStack()), o);
}
