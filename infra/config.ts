// Stack configuration: every key the program reads, with its type, description and default, in one
// table. Pulumi.yaml's config block is generated from it (`npm run docs:costs`), the program reads them
// through pulumi.Config, and the CLI reads them from Pulumi.<stack>.yaml for offline commands; both
// go through parseSettings, so a value is accepted or refused the same way everywhere.
//
// No Pulumi import here: the CLI's offline commands load this module.

import * as v from "valibot";
import {
  allOverrideKeys,
  OVERRIDE_FIELDS,
  OVERRIDES_KEY,
  isProfileName,
  overrideConfigKey,
  profileAcceptsOverride,
  profileWarnings,
  PROFILE_NAMES,
  resolveProfile,
  validateProfile,
  type ProfileName,
  type ProfileOverrides,
  type ResolvedProfile,
} from "./profiles.js";
import { deriveNames, NAME_PREFIX_RULE, nameViolations } from "./naming.js";
import { CAPACITY_DEFAULTS, DEFAULT_PARTICIPANTS, parseIdentifierStrategy, sessionsPerNode, strategyLabel, type ParticipantModel } from "./capacity.js";
import { CUSTOM_CONTAINER_REGIONS, OPTION_RANGES } from "./limits.js";
import { ACCESS_MODES, GATEWAY_SKUS } from "./access-mode.js";
import { GATEWAY_CALLS_PER_MINUTE, MAX_SESSIONS_CEILING, SESSION_CPU, SESSION_MEMORY_GI } from "./ceilings.cjs";
import { admitted, describeAdmitted, LIMIT_WORDS, withinAddressLimit } from "./ip-ranges.cjs";

export const PROJECT = "coding-engine";

type PulumiType = "string" | "integer" | "boolean" | "array" | "object";

export interface ConfigKeySpec {
  /** Pulumi's type for the key: the one its default has (pulumiType). */
  type: PulumiType;
  description: string;
  /**
   * Every key has one: the real pulumi CLI refuses a stack that lacks a declared key without a
   * default ("Stack 'dev' is missing configuration value ...", sdk/go/common/workspace/config.go).
   */
  default: string | number | boolean | string[] | Record<string, unknown>;
  /** Validates the decoded value; the message becomes "<project>:<key> <message>". */
  schema: v.GenericSchema;
}

/** A key as the tables below declare it: its type follows from its default. */
type KeyDeclaration = Omit<ConfigKeySpec, "type">;

/** The type a default has, in Pulumi's words. Pulumi config has no decimal type, so a number is whole. */
function pulumiType(value: ConfigKeySpec["default"]): PulumiType {
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return "integer";
  return typeof value === "object" ? "object" : typeof value === "boolean" ? "boolean" : "string";
}

const ENUM = <const T extends readonly [string, ...string[]]>(values: T) =>
  v.picklist(values, `must be one of ${values.join(", ")}`);

// Backend on the Consumption workload profile: CPU in 0.25 steps up to 4 with memory = 2 x CPU.
const BACKEND_CPU = { min: 0.25, max: 4 };

const cpuString = (range: { min: number; max: number }) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+(\.\d+)?$/, "must be a number of vCPUs like 0.5"),
    v.check(
      (s) => Number(s) >= range.min && Number(s) <= range.max && (Number(s) * 100) % 25 === 0,
      `must be between ${range.min} and ${range.max} vCPU in steps of 0.25`,
    ),
  );
const memoryString = (range: { min: number; max: number }) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+(\.\d+)?Gi$/, 'must be a size in Gi like "1Gi"'),
    v.check((s) => parseFloat(s) >= range.min && parseFloat(s) <= range.max, `must be between ${range.min}Gi and ${range.max}Gi`),
  );
const wholeNumber = (min: number, max: number, rule: string) =>
  v.pipe(v.number("must be a whole number"), v.integer("must be a whole number"), v.minValue(min, rule), v.maxValue(max, rule));
const port = wholeNumber(1, 65535, "must be a TCP port (1-65535)");
// An image in the stack's own registry: repository:tag. The pool pulls it with the identity, and
// caches by tag, so a tag is required and `latest` is refused (a re-pushed tag is never re-pulled).
const imageRef = v.pipe(
  v.string(),
  v.regex(
    /^[a-z0-9]+(?:[._/-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
    'must be "repository:tag" in the stack\'s registry (e.g. "coding-engine/session:2026-11-01"); ' +
      "bring outside images in with `manage images import`",
  ),
  v.check((s) => !s.endsWith(":latest"), "must not use the tag `latest`: the pool caches images by tag, so roll out with a new tag"),
);
const cidr = v.pipe(
  v.string(),
  v.regex(/^(\d{1,3})(\.\d{1,3}){3}(\/(\d|[12]\d|3[0-2]))?$/, "must be an IPv4 address or CIDR range like 203.0.113.0/24"),
  v.check((s) => s.split("/")[0]!.split(".").every((octet) => Number(octet) <= 255), "has an octet above 255"),
);

export const ISO_TIMESTAMP = v.pipe(v.string(), v.isoTimestamp());
// Pulumi config has no decimal type: fractional numbers are strings like "0.5".
const decimalString = (min: number, max: number, rule: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+(\.\d+)?$/, `must be a number like 1 or 0.5`),
    v.check((s) => Number(s) >= min && Number(s) <= max, rule),
  );
/** A key that shares its bounds with an option (OPTION_RANGES): the bounds, and the refusal that names them. */
const between = (r: { min: number; max: number }, unit = "") => [r.min, r.max, `must be between ${r.min} and ${r.max}${unit}`] as const;
const REGION = /^[a-z][a-z0-9]+$/;
const EMAIL_PATTERN = /^[^\s@<>"&]+@[^\s@<>"&]+\.[^\s@<>"&]+$/;
const email = v.pipe(v.string(), v.regex(EMAIL_PATTERN, "must be an email address like ops@example.com"));

const BASE_KEYS = {
  profile: {
    description: `Sizing profile now in effect: ${PROFILE_NAMES.join(", ")} (see infra/profiles.ts). Set by \`manage scale\`/\`stop\`.`,
    default: "idle",
    schema: ENUM(PROFILE_NAMES),
  },
  profileExpiresAt: {
    description: "UTC time (ISO 8601) after which the stack should return to idle (`manage scale --for`); empty for none.",
    default: "",
    schema: v.pipe(
      v.string(),
      v.check((s) => s === "" || v.is(ISO_TIMESTAMP, s), "must be an ISO 8601 UTC time like 2026-11-22T18:00:00Z"),
    ),
  },
  location: {
    description: "Azure region of every resource, e.g. eastus.",
    default: "eastus",
    schema: v.pipe(v.string(), v.regex(REGION, "must be an Azure region name like eastus or westeurope")),
  },
  namePrefix: {
    description: `Prefix of every resource name (${NAME_PREFIX_RULE.rule}).`,
    default: "codeeng",
    schema: v.pipe(v.string(), v.regex(NAME_PREFIX_RULE.pattern, `must be ${NAME_PREFIX_RULE.rule}`)),
  },
  resourceGroupName: {
    description: "Resource group holding the stack; empty derives <prefix>-<stack>-rg.",
    default: "",
    schema: v.string(),
  },
  createResourceGroup: {
    description: "true: the program creates the resource group; false: it uses an existing one by name (one handed out to you).",
    default: true,
    schema: v.boolean("must be true or false"),
  },
  registryName: {
    description: "Container registry name (globally unique across Azure); empty derives <prefix><stack>acr.",
    default: "",
    schema: v.string(),
  },
  registrySku: {
    description: "Container registry SKU: Basic (10 GB included), Standard or Premium.",
    default: "Basic",
    schema: ENUM(["Basic", "Standard", "Premium"] as const),
  },
  sessionImage: {
    description: "Session container image, repository:tag in the stack's registry (a new tag per rollout).",
    default: "coding-engine/session:v1",
    schema: imageRef,
  },
  sessionCpu: {
    description: `vCPUs per session (${SESSION_CPU.min}-${SESSION_CPU.max}, steps of 0.25). A string because Pulumi config has no decimal type.`,
    default: "0.5",
    schema: cpuString(SESSION_CPU),
  },
  sessionMemory: {
    description: `Memory per session (${SESSION_MEMORY_GI.min}Gi-${SESSION_MEMORY_GI.max}Gi).`,
    default: "1Gi",
    schema: memoryString(SESSION_MEMORY_GI),
  },
  sessionTargetPort: {
    description: "Port the session container listens on; the pool forwards requests there.",
    default: 2000,
    schema: port,
  },
  allowSessionEgress: {
    description: "Let session code reach the internet. Off by default: contestants' code must not.",
    default: false,
    schema: v.boolean("must be true or false"),
  },
  backendImage: {
    description: "Backend container image, repository:tag in the stack's registry.",
    default: "coding-engine/backend:v1",
    schema: imageRef,
  },
  backendCpu: {
    description: `vCPUs per backend replica (${BACKEND_CPU.min}-${BACKEND_CPU.max}, steps of 0.25; memory must be twice this in Gi).`,
    default: "0.5",
    schema: cpuString(BACKEND_CPU),
  },
  backendMemory: {
    description: "Memory per backend replica: twice its vCPUs in Gi (Consumption profile combinations).",
    default: "1Gi",
    schema: memoryString({ min: BACKEND_CPU.min * 2, max: BACKEND_CPU.max * 2 }),
  },
  backendTargetPort: {
    description: "Port the backend container listens on (HTTPS ingress forwards to it).",
    default: 8000,
    schema: port,
  },
  backendHealthPath: {
    description: 'HTTP path of the backend\'s health endpoint, used by its probes (answers {"status":"healthy"}).',
    default: "/",
    schema: v.pipe(v.string(), v.regex(/^\/[^\s]*$/, 'must be an absolute path like "/" or "/health"')),
  },
  backendConcurrentRequests: {
    description: "Concurrent HTTP requests per backend replica before another replica is added.",
    default: 20,
    schema: wholeNumber(1, 1000, "must be between 1 and 1000"),
  },
  // Who may call the backend (infra/access-mode.ts): open, venue (allowedIpRanges) or token (a gateway).
  accessMode: {
    description:
      "Who may call the backend: token (an API Management gateway in front: a key or JWT per caller, a rate limit per caller; the backend accepts only the gateway), " +
      "venue (only allowedIpRanges) or open (anyone on the internet: a private test stack only, listed in the policy config). See docs/security.md.",
    default: "token",
    schema: ENUM(ACCESS_MODES),
  },
  allowedIpRanges: {
    description: "accessMode venue: the IPv4 addresses or CIDR ranges allowed to call the backend (the contest venue's); only with venue.",
    default: [],
    schema: v.array(cidr, "must be a list of IPv4 addresses or CIDR ranges"),
  },
  gatewaySku: {
    description: `accessMode token: the API Management tier, ${GATEWAY_SKUS.join(" or ")} (the cheapest with an IP of their own). Basic, the default, has a 99.95% SLA and runs only for a window's hours. See docs/costs.md.`,
    default: "Basic",
    schema: ENUM(GATEWAY_SKUS),
  },
  gatewayPublisherEmail: {
    description: "accessMode token: the address API Management sends its service notices to (publisherEmail).",
    default: "coding-engine-ops@example.com",
    schema: email,
  },
  gatewayRateLimitPerMinute: {
    description:
      "accessMode token: calls a minute each caller may make through the gateway (per subscription key, or per token subject with gatewayJwtIssuer); beyond it the gateway answers 429 with Retry-After.",
    default: 60,
    // Bounded on both sides, with the gateway policy's bounds (infra/ceilings.cts says why 6000).
    schema: wholeNumber(
      GATEWAY_CALLS_PER_MINUTE.min,
      GATEWAY_CALLS_PER_MINUTE.max,
      `must be between ${GATEWAY_CALLS_PER_MINUTE.min} and ${GATEWAY_CALLS_PER_MINUTE.max} calls a minute (one credential, even a contest platform's, needs no more)`,
    ),
  },
  gatewayJwtIssuer: {
    description:
      "accessMode token: callers present a JWT from this issuer (an https URL with /.well-known/openid-configuration) instead of a subscription key; empty for keys. Set with gatewayJwtAudience.",
    default: "",
    schema: v.pipe(
      v.string(),
      v.check((s) => s === "" || /^https:\/\/[^\s"<>&]+$/.test(s), "must be an https URL like https://login.example.com/ (or empty for subscription keys)"),
    ),
  },
  gatewayJwtAudience: {
    description: "accessMode token: the audience (aud) the callers' JWTs must carry; set with gatewayJwtIssuer.",
    default: "",
    schema: v.pipe(v.string(), v.regex(/^[^\s"<>&]*$/, "must not contain spaces, quotes, < > or &")),
  },
  roleAssignmentMode: {
    description:
      "managed: the program creates AcrPull and Session Executor; external: it creates none and exports the `az role assignment create` commands an administrator runs.",
    default: "managed",
    schema: ENUM(["managed", "external"] as const),
  },
  sessionExecutorScope: {
    description:
      "Scope of the identity's Session Executor role: pool (least privilege, recreated with the pool) or resourceGroup (survives stop/start: no admin or propagation wait on contest day).",
    default: "pool",
    schema: ENUM(["pool", "resourceGroup"] as const),
  },
  // The contest profile is sized for these (infra/capacity.ts): the participant model.
  participants: {
    description:
      "People the contest profile is sized for: its maxSessions and readySessions follow from this and the participant keys below (infra/capacity.ts), unless profileOverrides.contest sets maxSessions/readySessions.",
    default: CAPACITY_DEFAULTS.participants,
    schema: wholeNumber(...between(OPTION_RANGES.participants)),
  },
  runsPerParticipantPerMinute: {
    description: "How often each participant runs code during a contest, per minute (a number like 1 or 0.5).",
    default: String(CAPACITY_DEFAULTS.runsPerParticipantPerMinute),
    schema: decimalString(...between(OPTION_RANGES.runsPerParticipantPerMinute, " runs per minute")),
  },
  sessionIdentifier: {
    description:
      "How the backend picks session identifiers: per-user, per-execution or shared:K. It decides how many sessions a contest holds.",
    default: CAPACITY_DEFAULTS.identifier,
    schema: v.pipe(
      v.string(),
      v.check((s) => parseIdentifierStrategy(s) !== null, "must be per-user, per-execution or shared:K (K a whole number, e.g. shared:20)"),
    ),
  },
  openingBurstSeconds: {
    description: "Everyone's first run of a contest lands within this many seconds of its start (at most the contest cooldown).",
    default: CAPACITY_DEFAULTS.openingBurstSeconds,
    schema: wholeNumber(...between(OPTION_RANGES.openingBurstSeconds, " seconds")),
  },
  // Measured inputs (`manage capacity --apply` records them from the stack's latest smoke / load-test).
  coldStartSeconds: {
    description:
      "Seconds the pool takes to bring up a session that was not ready: the contest's ready sessions follow from it. The assumption (10) until `manage capacity --apply` records a measured one.",
    default: String(CAPACITY_DEFAULTS.coldStartSeconds),
    schema: decimalString(...between(OPTION_RANGES.coldStartSeconds, " seconds")),
  },
  runSeconds: {
    description: "Seconds one execution takes (its session is busy that long). The assumption (2) until `manage capacity --apply` records a measured one.",
    default: String(CAPACITY_DEFAULTS.runSeconds),
    schema: decimalString(...between(OPTION_RANGES.runSeconds, " seconds")),
  },
  measuredBy: {
    description: "Which run measured coldStartSeconds / runSeconds (written by `manage capacity --apply`, e.g. \"load-test 2026-12-06T09:12Z, 180 first runs\"); empty: they are the assumptions.",
    default: "",
    schema: v.string(),
  },
  // Limits Azure does not document for custom containers (infra/limits.ts), and what this stack may cost.
  maxSessionsLimit: {
    description:
      "The most maxConcurrentSessions a pool may have. 600 is documented for code-interpreter pools; for custom containers it is unconfirmed: raise it once Azure accepts more.",
    default: MAX_SESSIONS_CEILING,
    schema: wholeNumber(OPTION_RANGES.maxSessionsLimit.min, OPTION_RANGES.maxSessionsLimit.max, `must be a whole number of sessions from ${OPTION_RANGES.maxSessionsLimit.min} to ${OPTION_RANGES.maxSessionsLimit.max}`),
  },
  extraCustomContainerRegions: {
    description:
      "Regions to accept for custom-container session pools beyond the docs' list in infra/limits.ts (e.g. koreacentral, once a pool has been created there).",
    default: [],
    schema: v.array(v.pipe(v.string(), v.regex(REGION, "must be Azure region names like koreacentral")), "must be a list of Azure region names"),
  },
  logDailyCapGb: {
    description:
      "Log Analytics daily ingestion cap in GB (workspaceCapping.dailyQuotaGb): a print loop in one session cannot run up the bill past it (a number like 1 or 0.5).",
    default: "1",
    schema: decimalString(0.023, 10_000, "must be at least 0.023 GB (Azure's smallest daily cap)"),
  },
  costCeilingPerDay: {
    description:
      "USD a day this stack may cost at most (every session held, backend at its maximum, logs at their cap). manage up, scale and capacity --apply refuse more without --allow-over-ceiling.",
    default: 500,
    schema: wholeNumber(1, 10_000_000, "must be a whole number of USD per day, at least 1"),
  },
  logRetentionDays: {
    description: "Days the Log Analytics workspace keeps logs (30-730).",
    default: 30,
    schema: wholeNumber(30, 730, "must be between 30 and 730 days"),
  },
  // Alerts and the budget (infra/monitoring.ts, infra/alerts.ts): none of them exist without addresses.
  alertEmails: {
    description:
      "Addresses told when a contest is in trouble (pool short of sessions, no ready session, backend 5xx or down) and when the month's spend passes the budget; empty: no alerts and no budget. See docs/costs.md.",
    default: [],
    schema: v.pipe(v.array(email, "must be a list of email addresses"), v.maxLength(1000, "must list at most 1000 addresses (an action group's limit)")),
  },
  monthlyBudgetUsd: {
    description:
      "The resource group's monthly budget in the billing currency (mails at 80% and 100% spent, and at a 100% forecast, to alertEmails); 0 computes it from the cost model: a month idle plus plannedContestsPerMonth contests.",
    default: 0,
    schema: wholeNumber(0, 10_000_000, "must be a whole amount from 0 (computed) to 10000000"),
  },
  plannedContestsPerMonth: {
    description:
      "Contests a month the computed budget allows for (each one 2 h at the contest profile, with warm-up, tail and the participants' runs), on top of a month idle.",
    default: 2,
    schema: wholeNumber(0, 100, "must be a whole number of contests from 0 to 100"),
  },
} satisfies Record<string, KeyDeclaration>;

// Every profile's overrides in one object key (infra/profiles.ts says why), e.g.
// { "contest": { "maxSessions": 80 } }. Absent numbers mean "the profile's own value", which lives in
// infra/profiles.ts and nowhere else. Values are checked as numbers here and against the profile's
// rules in parseSettings, so each message names the exact path.
/** A map (not a list, a number or null), said as such before its keys are checked: a strict object's one message names only its keys. */
const aMap = (rule: string) => v.custom<Record<string, unknown>>((x) => typeof x === "object" && x !== null && !Array.isArray(x), rule);
const overrideNumbers = v.pipe(
  aMap(`must be a map of numbers, e.g. {maxSessions: 80}`),
  v.strictObject(
    Object.fromEntries(OVERRIDE_FIELDS.map((f) => [f, v.optional(v.number("must be a whole number"))])) as Record<
      (typeof OVERRIDE_FIELDS)[number],
      v.OptionalSchema<v.NumberSchema<string>, undefined>
    >,
    `may only set ${OVERRIDE_FIELDS.join(", ")}`,
  ),
);
const OVERRIDE_KEYS = {
  [OVERRIDES_KEY]: {
    description:
      "Numbers that differ from a profile's own (infra/profiles.ts), per profile, e.g. {contest: {maxSessions: 80}}. " +
      "Recorded by `manage scale` (pulumi config set --path profileOverrides.contest.maxSessions 80).",
    default: {},
    schema: v.pipe(
      aMap("must be a map of profiles, e.g. {contest: {maxSessions: 80}}"),
      v.strictObject(
        Object.fromEntries(PROFILE_NAMES.map((p) => [p, v.optional(overrideNumbers)])) as Record<ProfileName, v.OptionalSchema<typeof overrideNumbers, undefined>>,
        `may only name the profiles ${PROFILE_NAMES.join(", ")}`,
      ),
    ),
  },
} satisfies Record<string, KeyDeclaration>;

/** The flat keys earlier versions used (contestMaxSessions...), so a stack file still holding one is told where it went. */
const LEGACY_OVERRIDE_KEYS: ReadonlyMap<string, string> = new Map(
  allOverrideKeys().map(({ key, profile, field }) => [profile + field[0]!.toUpperCase() + field.slice(1), key]),
);

export const CONFIG_KEYS: Readonly<Record<string, ConfigKeySpec>> = Object.fromEntries(
  Object.entries({ ...BASE_KEYS, ...OVERRIDE_KEYS }).map(([key, spec]) => [key, { ...spec, type: pulumiType(spec.default) }]),
);
export type BaseKey = keyof typeof BASE_KEYS;

/** A stack's validated settings: what parseSettings returns, each field's comment where it is computed. */
export type DeploymentSettings = ReturnType<typeof parseSettings>;

/** A profile of this stack, with its overrides and its participant model (the contest's sizing). */
export function profileOf(settings: Pick<DeploymentSettings, "overrides" | "participantModel">, name: ProfileName): ResolvedProfile {
  return resolveProfile(name, settings.overrides[name], settings.participantModel);
}

export interface ConfigIssue {
  /** The config key at fault, without the project prefix. */
  key: string;
  message: string;
}

/** Refused configuration: every broken rule at once, each naming its key, so one edit fixes all. */
export class ConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly stack_: string,
  ) {
    super(
      `invalid configuration for stack "${stack_}":\n` +
        issues.map((i) => `  - ${PROJECT}:${i.key} ${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Turns a raw config string into the key's type (Pulumi hands every value over as a string). */
function decode(spec: ConfigKeySpec, raw: string): unknown {
  switch (spec.type) {
    case "string":
      return raw;
    case "integer":
      // What pulumi's type check takes (strconv.Atoi: a sign and decimal digits), and nothing else:
      // Number would read "0x40", "1e2", "60.0" or " 60", which pulumi refuses before the program runs.
      return /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : raw;
    case "array":
    case "object":
      try {
        // A list is no object to pulumi's type check (valibot's object schemas would take one): it
        // stays the text, which the key's schema refuses.
        const value: unknown = JSON.parse(raw);
        return spec.type === "object" && Array.isArray(value) ? raw : value;
      } catch {
        return raw;
      }
  }
}

/** A stack's raw configuration in the project's namespace: key (without "coding-engine:") -> string. */
export type RawConfig = Readonly<Record<string, string>>;

/**
 * Why a setting may not be a secret: the program records the config each update ran on in the
 * `operations` stack output (infra/operations.ts), in plain text, because manage and every machine
 * read it back; a value set with `pulumi config set --secret` would be stored readable there. No
 * setting of this project is confidential (sizes, regions, images, e-mail addresses, IP ranges),
 * so a secret one is refused rather than half-supported.
 */
export const NOT_A_SECRET =
  "is set as a secret (`pulumi config set --secret`), but this project's settings are not secrets: each update records the config it ran on, in plain text, in the stack's operations output";
export const notASecretFix = (key: string) => `set it again in plain text: pulumi config set --plaintext ${PROJECT}:${key} <value>`;
/** The program's refusal (manage refuses the stack file's `secure:` value itself: cli/stack-files.ts). */
export const notASecret = (key: string): ConfigIssue => ({ key, message: `${NOT_A_SECRET}. Fix: ${notASecretFix(key)}` });

/**
 * Parses and validates a stack's configuration. Pure: `raw` is the only input.
 * Throws ConfigError listing every violation, including keys nobody reads (almost always typos).
 */
export function parseSettings(raw: RawConfig, stack: string, project = PROJECT) {
  // Keys in the project's namespace that no one reads (own keys only: Object.prototype answers `in`).
  const issues: ConfigIssue[] = Object.keys(raw).filter((key) => !Object.hasOwn(CONFIG_KEYS, key)).map((key) => ({
    key,
    message: LEGACY_OVERRIDE_KEYS.has(key)
      ? `is now ${PROJECT}:${LEGACY_OVERRIDE_KEYS.get(key)}: move the value there (\`pulumi config rm ${PROJECT}:${key}\`, then \`pulumi config set --path ${PROJECT}:${LEGACY_OVERRIDE_KEYS.get(key)} ${raw[key]}\`)`
      : `is not a setting of this project (known keys: see Pulumi.yaml); remove it or fix its spelling`,
  }));
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    const value = raw[key];
    if (value === undefined) {
      values[key] = spec.default;
      continue;
    }
    const result = v.safeParse(spec.schema, decode(spec, value));
    if (result.success) values[key] = result.output;
    else {
      const first = result.issues[0];
      // A nested value (profileOverrides.contest.maxSessions) is named by its whole path.
      const path = spec.type === "object" ? v.getDotPath(first ?? ({} as never)) : null;
      const got = path ? first?.input : value;
      issues.push({ key: path ? `${key}.${path}` : key, message: `${first?.message ?? "is invalid"} (got ${JSON.stringify(got)})` });
    }
  }
  const c = values as { [K in BaseKey]: v.InferOutput<(typeof BASE_KEYS)[K]["schema"]> } & Record<string, unknown>;

  // Cross-field rules, checked only when the fields themselves parsed.
  const profileName: ProfileName = isProfileName(String(c.profile)) ? (c.profile as ProfileName) : "idle";
  const overrides = Object.fromEntries(PROFILE_NAMES.map((p) => [p, {} as ProfileOverrides])) as Record<
    ProfileName,
    ProfileOverrides
  >;
  const recorded = (values[OVERRIDES_KEY] ?? {}) as Partial<Record<ProfileName, ProfileOverrides>>;
  for (const profile of PROFILE_NAMES)
    for (const field of OVERRIDE_FIELDS) {
      const value = recorded[profile]?.[field];
      if (value !== undefined && !profileAcceptsOverride(profile, field))
        issues.push({ key: `${OVERRIDES_KEY}.${profile}.${field}`, message: `does not apply: the ${profile} profile has no session pool to size` });
      else if (typeof value === "number") overrides[profile][field] = value;
    }

  const model = participantModel(values, issues);

  // Validate every profile's overrides, not only the active one: a bad contest override must fail
  // on the day it is recorded, not on contest morning.
  for (const profile of PROFILE_NAMES) {
    for (const issue of validateProfile(resolveProfile(profile, overrides[profile], model))) {
      const key = allOverrideKeys().find((k) => k.profile === profile && k.field === issue.field)!.key;
      if (!issues.some((i) => i.key === key)) issues.push({ key, message: issue.message });
    }
  }
  const resolved = resolveProfile(profileName, overrides[profileName], model);
  issues.push(...limitIssues(values, overrides, model, issues));

  issues.push(...accessIssues(values, issues));

  const backendCpu = Number(c.backendCpu);
  if (!issues.some((i) => i.key === "backendCpu" || i.key === "backendMemory") && parseFloat(String(c.backendMemory)) !== backendCpu * 2)
    issues.push({
      key: "backendMemory",
      message: `must be twice backendCpu on the Consumption profile (${backendCpu} vCPU needs ${backendCpu * 2}Gi); got ${c.backendMemory}`,
    });

  const names = deriveNames(String(c.namePrefix), stack, {
    resourceGroup: String(c.resourceGroupName ?? ""),
    registry: String(c.registryName ?? ""),
  });
  if (!issues.some((i) => i.key === "namePrefix"))
    for (const violation of nameViolations(names)) {
      const key =
        violation.kind === "resourceGroup" && c.resourceGroupName
          ? "resourceGroupName"
          : violation.kind === "registry" && c.registryName
            ? "registryName"
            : "namePrefix";
      issues.push({ key, message: `gives an invalid name: ${violation.message}` });
    }

  if (issues.length > 0) throw new ConfigError(issues, stack);

  const warnings = [...profileWarnings(resolved)];
  if (c.roleAssignmentMode === "external" && c.sessionExecutorScope === "pool" && resolved.pool)
    warnings.push(
      "roleAssignmentMode external with sessionExecutorScope pool: every time the pool is recreated " +
        "(stop, then start) an administrator must assign Session Executor again. Consider sessionExecutorScope resourceGroup.",
    );

  return {
    project,
    stack,
    location: c.location,
    profile: resolved,
    /** Every profile's overrides, so the CLI can show and keep them across stop/start. */
    overrides,
    profileExpiresAt: c.profileExpiresAt ? new Date(c.profileExpiresAt) : null,
    names,
    createResourceGroup: c.createResourceGroup,
    registrySku: c.registrySku,
    session: {
      image: c.sessionImage,
      cpu: Number(c.sessionCpu),
      memory: c.sessionMemory,
      targetPort: c.sessionTargetPort,
      allowEgress: c.allowSessionEgress,
    },
    backend: {
      image: c.backendImage,
      cpu: backendCpu,
      memory: c.backendMemory,
      targetPort: c.backendTargetPort,
      healthPath: c.backendHealthPath,
      concurrentRequests: c.backendConcurrentRequests,
    },
    /** Who may call the backend (infra/access-mode.ts). */
    access: {
      mode: c.accessMode,
      allowedIpRanges: c.accessMode === "venue" ? c.allowedIpRanges : [],
      gateway:
        c.accessMode === "token"
          ? {
              sku: c.gatewaySku,
              publisherEmail: c.gatewayPublisherEmail,
              callsPerMinute: c.gatewayRateLimitPerMinute,
              jwt: c.gatewayJwtIssuer ? { issuer: c.gatewayJwtIssuer, audience: c.gatewayJwtAudience } : null,
            }
          : null,
    },
    roles: { mode: c.roleAssignmentMode, sessionExecutorScope: c.sessionExecutorScope },
    logRetentionDays: c.logRetentionDays,
    /** The people the contest profile is sized for (participants and the model's other inputs). */
    participantModel: model,
    /** Which run measured the participant model's coldStartSeconds / runSeconds ("": the assumptions, or a person's numbers). */
    measuredBy: String(c.measuredBy ?? ""),
    /** workspaceCapping.dailyQuotaGb. */
    logDailyCapGb: Number(c.logDailyCapGb),
    /** USD per day the stack may cost at most (cli/cost-ceiling.ts enforces it). */
    costCeilingPerDay: c.costCeilingPerDay,
    limits: { maxSessions: c.maxSessionsLimit, extraCustomContainerRegions: c.extraCustomContainerRegions },
    /** Alerts and the budget: none without alertEmails; monthlyBudgetUsd null = computed by the cost model. */
    monitoring: {
      alertEmails: c.alertEmails,
      monthlyBudgetUsd: c.monthlyBudgetUsd === 0 ? null : c.monthlyBudgetUsd,
      plannedContestsPerMonth: c.plannedContestsPerMonth,
    },
    warnings,
  };
}

/**
 * The stack keys that record the participant model, in the order `capacity --apply` writes them:
 * each number is the model's field of the same name; sessionIdentifier is its strategy as text.
 */
const PARTICIPANT_KEYS = ["participants", "runsPerParticipantPerMinute", "sessionIdentifier", "openingBurstSeconds", "coldStartSeconds", "runSeconds"] as const;
type ModelNumberKey = Exclude<(typeof PARTICIPANT_KEYS)[number], "sessionIdentifier">;
const isNumberKey = (key: (typeof PARTICIPANT_KEYS)[number]): key is ModelNumberKey => key !== "sessionIdentifier";

/** The participant model from the stack's keys; the defaults stand in for keys that failed to parse. */
function participantModel(values: Record<string, unknown>, issues: ConfigIssue[]): ParticipantModel {
  const ok = (key: string) => !issues.some((i) => i.key === key);
  return {
    ...DEFAULT_PARTICIPANTS,
    ...Object.fromEntries(PARTICIPANT_KEYS.filter(isNumberKey).map((key) => [key, ok(key) ? Number(values[key]) : DEFAULT_PARTICIPANTS[key]])),
    strategy: (ok("sessionIdentifier") && parseIdentifierStrategy(String(values.sessionIdentifier))) || DEFAULT_PARTICIPANTS.strategy,
    // Whole nodes are filled with ready sessions: how many the stack's session size fits on one.
    sessionsPerNode:
      ok("sessionCpu") && ok("sessionMemory")
        ? sessionsPerNode({ cpu: Number(values.sessionCpu), memoryGi: parseFloat(String(values.sessionMemory)) })
        : DEFAULT_PARTICIPANTS.sessionsPerNode,
  };
}

/** The stack keys' values for a participant model and the runs that measured it: what `capacity --apply` records. */
export function participantConfig(model: Omit<ParticipantModel, "sessionsPerNode">, measuredBy: string): Record<string, string> {
  const entries = PARTICIPANT_KEYS.map((key) => [key, isNumberKey(key) ? String(model[key]) : strategyLabel(model.strategy)]);
  return { ...Object.fromEntries(entries), measuredBy };
}

/**
 * The limits Azure sets that no single key shows: the pool's session ceiling (for every profile
 * with a pool, not only the one in use) and whether the region has custom-container pools at all.
 */
function limitIssues(
  values: Record<string, unknown>,
  overrides: Record<ProfileName, ProfileOverrides>,
  model: ParticipantModel,
  known: ConfigIssue[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const ok = (key: string) => !known.some((i) => i.key === key);
  if (ok("maxSessionsLimit")) {
    const limit = values.maxSessionsLimit as number;
    for (const { key, profile, field } of allOverrideKeys().filter((k) => k.field === "maxSessions")) {
      const pool = resolveProfile(profile, overrides[profile], model).pool;
      if (!pool || pool.maxSessions <= limit || !ok(key)) continue;
      const fix = `lower it, or raise maxSessionsLimit (${limit}) once Azure accepts more for custom-container pools`;
      if (overrides[profile][field] !== undefined) issues.push({ key, message: `is above maxSessionsLimit (${limit}); ${fix}` });
      else
        issues.push({
          key: "participants",
          message: `(${model.participants}, ${model.strategy.kind}) gives the ${profile} profile max ${pool.maxSessions} sessions, above maxSessionsLimit (${limit}); ${fix}, or set ${key}`,
        });
    }
  }
  const contestCooldown = resolveProfile("contest", overrides.contest, model).pool!.cooldownSeconds;
  if (ok("openingBurstSeconds") && ok(overrideConfigKey("contest", "cooldownSeconds")) && model.openingBurstSeconds > contestCooldown)
    issues.push({
      key: "openingBurstSeconds",
      message: `must not exceed the contest cooldown (${contestCooldown} s): a burst longer than a cooldown is not an opening burst; got ${model.openingBurstSeconds}`,
    });
  const location = String(values.location);
  const extra = (values.extraCustomContainerRegions as string[] | undefined) ?? [];
  if (ok("location") && ok("extraCustomContainerRegions") && ![...CUSTOM_CONTAINER_REGIONS, ...extra].includes(location))
    issues.push({
      key: "location",
      message:
        `${location} is not among the regions with custom-container session pools (${CUSTOM_CONTAINER_REGIONS.length} in infra/limits.ts, from Microsoft's docs); ` +
        `choose one of them, or add it to extraCustomContainerRegions if a pool has been created there`,
    });
  return issues;
}

/**
 * The access mode's keys together: venue needs its ranges and only venue takes them; a JWT issuer
 * and audience go together, and only with token. Each message names the key and the way out.
 */
function accessIssues(values: Record<string, unknown>, known: ConfigIssue[]): ConfigIssue[] {
  const ok = (...keys: string[]) => keys.every((key) => !known.some((i) => i.key === key));
  if (!ok("accessMode")) return [];
  const issues: ConfigIssue[] = [];
  const mode = values.accessMode as string;
  const ranges = (values.allowedIpRanges as string[] | undefined) ?? [];
  if (ok("allowedIpRanges")) {
    if (mode === "venue" && ranges.length === 0)
      issues.push({
        key: "allowedIpRanges",
        message: 'must list the venue\'s IPv4 ranges with accessMode venue, e.g. ["203.0.113.0/24"]; or choose accessMode token',
      });
    const wide = admitted(ranges);
    if (mode === "venue" && ranges.length > 0 && !withinAddressLimit(wide))
      issues.push({
        key: "allowedIpRanges",
        message: `admits ${describeAdmitted(wide)} in all, more than ${LIMIT_WORDS}: list the venue's own ranges (its public NAT addresses), or choose accessMode token`,
      });
    if (mode !== "venue" && ranges.length > 0)
      issues.push({
        key: "allowedIpRanges",
        message: `applies only to accessMode venue, and the stack is ${mode}: remove allowedIpRanges, or set accessMode venue`,
      });
  }
  const issuer = String(values.gatewayJwtIssuer ?? "");
  const audience = String(values.gatewayJwtAudience ?? "");
  if (ok("gatewayJwtIssuer", "gatewayJwtAudience")) {
    if (mode !== "token" && (issuer || audience))
      issues.push({ key: issuer ? "gatewayJwtIssuer" : "gatewayJwtAudience", message: `applies only to accessMode token, and the stack is ${mode}: remove it, or set accessMode token` });
    else if (issuer && !audience) issues.push({ key: "gatewayJwtAudience", message: "must be set with gatewayJwtIssuer: the audience (aud) callers' tokens carry" });
    else if (audience && !issuer) issues.push({ key: "gatewayJwtIssuer", message: "must be set with gatewayJwtAudience: the issuer of callers' tokens (an https URL)" });
  }
  return issues;
}
