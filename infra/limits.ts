// Limits Azure sets but does not (yet) document for custom-container session pools, kept as named,
// overridable numbers and checked when a stack's config is validated: a pool that Azure will
// refuse fails in milliseconds, naming the key to change, not minutes into `pulumi up`.
// Pure data.

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

/**
 * Ranges shared by a stack config key and the option that means the same (`participants` and
 * `--users`...), and the bounds manage puts on its own checks. One place, so the key and the option
 * accept the same values.
 */
export const OPTION_RANGES = {
  participants: { min: 1, max: 100_000 },
  runsPerParticipantPerMinute: { min: 0.01, max: 60 },
  openingBurstSeconds: { min: 1, max: 3600 },
  /** A run's time: capacity --avg-exec-seconds, the stack's runSeconds, and a measured one (cli/costing/calibration.ts). */
  runSeconds: { min: 0.01, max: 600, why: "a contest run longer than 10 minutes is not one" },
  /** A session's cold start: capacity --cold-start-seconds, the stack's coldStartSeconds, and a measured one. */
  coldStartSeconds: { min: 0.1, max: 600, why: "a session taking over 10 minutes to start is a broken pool, not a cold start" },
  maxSessionsLimit: { min: 1, max: 1_000_000, why: "the most maxSessionsLimit allows" },
  /** scale --for: an expiry is a reminder to stop, not a schedule. */
  expiryHours: { max: 7 * 24, why: "an expiry is a reminder to stop, not a schedule" },
  /** A load test is a test, not an attack: these bound it whatever the options say. */
  loadTestMinutes: { max: 30, why: "a load test is a test, not an attack" },
  loadRequests: { min: 1, max: 100_000, why: "memory and the backend's bill grow with each request" },
  loadRatePerSecond: { max: 1000, why: "at most 1000 executions a second" },
  /** Concurrent requests (sockets) smoke and load-test keep open at once. */
  sockets: { max: 256, why: "manage keeps at most 256 requests open at once" },
} as const;
