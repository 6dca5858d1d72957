// Tags group the bill by stack and profile. Only the resources a profile actually sizes (pool and
// backend) carry the profile tag: tagging the foundation with it would rewrite the registry,
// identity, workspace and environment on every `manage scale`, for nothing.

import type { DeploymentSettings } from "./config.js";

export const MANAGED_BY = "pulumi:coding-engine";

/** "always-on": billed in every profile (registry, workspace...). "profile": sized by the profile. */
export type CostScope = "always-on" | "profile";

export function tagsFor(settings: DeploymentSettings, scope: CostScope): Record<string, string> {
  const tags: Record<string, string> = {
    stack: settings.stack,
    "managed-by": MANAGED_BY,
    "cost-scope": scope,
  };
  if (scope === "profile") tags.profile = settings.profile.name;
  return tags;
}
