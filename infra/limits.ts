// Limits Azure sets but does not (yet) document for custom-container session pools, kept as named,
// overridable numbers and checked when a stack's config is validated: a pool that Azure will
// refuse fails in milliseconds, naming the key to change, not minutes into `pulumi up`.
// Pure data and pure functions.

import { MAX_SESSIONS_CEILING } from "./ceilings.cjs";

/**
 * `maxConcurrentSessions` is documented up to 600 for code-interpreter pools; the ceiling for
 * custom containers is UNCONFIRMED. Default of the `maxSessionsLimit` config key; the policy pack's
 * ceiling is the same number (./ceilings.cts).
 */
export const DEFAULT_MAX_SESSIONS_LIMIT = MAX_SESSIONS_CEILING;

/**
 * Regions where custom-container session pools can be created (ARM names), from Microsoft's docs
 * (azure-docs `articles/container-apps/sessions.md`, "Supported regions"). koreacentral is left out:
 * the docs snapshot recorded in shared/azure-facts.md lists none there (a later revision adds it,
 * unconfirmed). Regional availability changes: a stack adds a region with `extraCustomContainerRegions`.
 */
export const CUSTOM_CONTAINER_REGIONS: readonly string[] = [
  // Americas
  "brazilsouth", "canadacentral", "canadaeast", "centralus", "eastus", "eastus2", "northcentralus",
  "westcentralus", "westus", "westus2", "westus3",
  // Europe
  "francecentral", "francesouth", "germanywestcentral", "italynorth", "northeurope", "norwayeast",
  "polandcentral", "spaincentral", "swedencentral", "switzerlandnorth", "switzerlandwest", "uksouth",
  "ukwest", "westeurope",
  // Asia Pacific
  "australiaeast", "australiasoutheast", "centralindia", "eastasia", "japaneast", "japanwest",
  "southindia", "southeastasia",
  // Middle East and Africa
  "southafricanorth", "uaenorth",
];

/** Whether a stack in `location` can have a custom-container pool, counting the stack's own additions. */
export function customContainersAvailable(location: string, extraRegions: readonly string[] = []): boolean {
  return CUSTOM_CONTAINER_REGIONS.includes(location) || extraRegions.includes(location);
}
