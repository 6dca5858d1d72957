// The sizing profiles, defined once. The Pulumi program, the CLI (scale, status) and the cost model
// all import this table, so "contest" means the same numbers everywhere.
//
// Pure data and pure functions: no Pulumi import, so the CLI can load it in milliseconds.
//
// The contest profile's pool is not a fixed pair of numbers: it follows from the people taking part
// (the stack's `participants` and the participant model's other inputs), through the same planner
// `manage capacity` uses (infra/capacity.ts). A stack may still override any number.

import { DEFAULT_PARTICIPANTS, plannedPool, type ParticipantModel } from "./capacity.js";
import { COOLDOWN_SECONDS } from "./ceilings.cjs";

export const PROFILE_NAMES = ["idle", "testing", "contest"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface PoolSizing {
  /** scaleConfiguration.maxConcurrentSessions: a request beyond it gets HTTP 404. */
  maxSessions: number;
  /** scaleConfiguration.readySessionInstances: warm sessions; each one keeps node capacity billed. */
  readySessions: number;
  /** Timed lifecycle: a session stays allocated this long after its last request. */
  cooldownSeconds: number;
}

export interface BackendSizing {
  minReplicas: number;
  maxReplicas: number;
}

export interface Profile {
  name: ProfileName;
  /** null: no session pool exists in this profile (it is deleted, and nothing in it is billed). */
  pool: PoolSizing | null;
  backend: BackendSizing;
  /** The pool's maxSessions and readySessions follow from the participant model (see resolveProfile). */
  planned?: true;
}

const CONTEST_COOLDOWN_SECONDS = 300;

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  idle: {
    name: "idle",
    pool: null,
    // Container Apps needs maxReplicas >= 1; with minReplicas 0 nothing runs (or bills) until a request.
    backend: { minReplicas: 0, maxReplicas: 1 },
  },
  testing: {
    name: "testing",
    pool: { maxSessions: 5, readySessions: 1, cooldownSeconds: 300 },
    backend: { minReplicas: 1, maxReplicas: 5 },
  },
  contest: {
    name: "contest",
    // The numbers for the default participant model; a stack's own participants give its own.
    // Computed on first use, not at import: `manage --help` loads this table too.
    get pool(): PoolSizing {
      return { ...plannedPool(DEFAULT_PARTICIPANTS, CONTEST_COOLDOWN_SECONDS), cooldownSeconds: CONTEST_COOLDOWN_SECONDS };
    },
    backend: { minReplicas: 1, maxReplicas: 10 },
    planned: true,
  },
};

/** Every number a stack may override per profile (recorded by `manage scale`). */
export const OVERRIDE_FIELDS = [
  "maxSessions",
  "readySessions",
  "cooldownSeconds",
  "backendMinReplicas",
  "backendMaxReplicas",
] as const;
export type OverrideField = (typeof OVERRIDE_FIELDS)[number];
export type ProfileOverrides = Partial<Record<OverrideField, number>>;

const POOL_FIELDS: ReadonlySet<OverrideField> = new Set(["maxSessions", "readySessions", "cooldownSeconds"]);

/** Whether a profile has the thing an override field changes (idle has no pool to size). */
export function profileAcceptsOverride(profile: ProfileName, field: OverrideField): boolean {
  return PROFILES[profile].pool !== null || !POOL_FIELDS.has(field);
}

/**
 * The stack config key holding every override: one object, e.g.
 *   coding-engine:profileOverrides:
 *     contest:
 *       maxSessions: 80
 * One key with a default (`{}`) rather than a key per number: the real pulumi CLI treats a declared
 * key without a default as required (sdk/go/common/workspace/config.go, mergeConfig), and an absent
 * override must mean "the profile's own value".
 */
export const OVERRIDES_KEY = "profileOverrides";

/**
 * The config path of one override, as `pulumi config set --path` takes it:
 * ("contest", "maxSessions") -> "profileOverrides.contest.maxSessions".
 */
export function overrideConfigKey(profile: ProfileName, field: OverrideField): string {
  return `${OVERRIDES_KEY}.${profile}.${field}`;
}

/** Every override that exists, in a stable order. */
export function allOverrideKeys(): Array<{ key: string; profile: ProfileName; field: OverrideField }> {
  return PROFILE_NAMES.flatMap((profile) =>
    OVERRIDE_FIELDS.filter((field) => profileAcceptsOverride(profile, field)).map((field) => ({
      key: overrideConfigKey(profile, field),
      profile,
      field,
    })),
  );
}

export function isProfileName(value: string): value is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(value);
}

// Limits Azure enforces (shared/azure-facts.md) and the ones we choose to enforce.
export const LIMITS = {
  cooldownSeconds: COOLDOWN_SECONDS,
  maxSessions: { min: 1 },
  // readySessionInstances 0 for custom containers is UNCONFIRMED (the az CLI silently drops 0 on
  // update). We accept it but warn; raise READY_SESSIONS_MIN to 1 if Azure turns out to reject it.
  readySessions: { min: 0 },
  // Container Apps: minReplicas may be 0; maxReplicas must be at least 1. 1000 is the service ceiling.
  backendMinReplicas: { min: 0 },
  backendMaxReplicas: { min: 1, max: 1000 },
} as const;

/** A profile with a stack's overrides applied (resolveProfile): the table's fields, its numbers now the stack's. */
export type ResolvedProfile = ReturnType<typeof resolveProfile>;

export interface ProfileIssue {
  field: OverrideField;
  message: string;
}

/**
 * Applies a stack's overrides to a profile. A planned profile (contest) first sizes its pool for
 * the participant model, with the cooldown in effect; overrides then win number by number. Pure;
 * validation is separate (validateProfile).
 */
export function resolveProfile(
  name: ProfileName,
  overrides: ProfileOverrides = {},
  model: ParticipantModel = DEFAULT_PARTICIPANTS,
) {
  const base = PROFILES[name];
  const overridden = OVERRIDE_FIELDS.filter(
    (field) => overrides[field] !== undefined && profileAcceptsOverride(name, field),
  );
  const pick = (field: OverrideField, fallback: number) => overrides[field] ?? fallback;
  let pool: PoolSizing | null = null;
  if (base.pool) {
    const cooldownSeconds = pick("cooldownSeconds", base.pool.cooldownSeconds);
    const planned = base.planned ? plannedPool(model, cooldownSeconds) : base.pool;
    const maxSessions = pick("maxSessions", planned.maxSessions);
    // A planned ready count never exceeds an overridden max (the override is the person's word).
    const readySessions = pick("readySessions", base.planned ? Math.min(planned.readySessions, maxSessions) : planned.readySessions);
    pool = { maxSessions, readySessions, cooldownSeconds };
  }
  return {
    name,
    pool,
    backend: {
      minReplicas: pick("backendMinReplicas", base.backend.minReplicas),
      maxReplicas: pick("backendMaxReplicas", base.backend.maxReplicas),
    },
    /** Which numbers differ from the profile table because the stack overrides them. */
    overridden,
    /** For a planned profile: the participants its pool is sized for (null for fixed profiles). */
    sizedFor: base.planned ? model : null,
  };
}

/** Every rule a resolved profile breaks, one entry per broken rule. Empty means valid. */
export function validateProfile(profile: ResolvedProfile): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const integer = (field: OverrideField, value: number) => {
    if (!Number.isInteger(value)) issues.push({ field, message: `must be a whole number (got ${value})` });
    return Number.isInteger(value);
  };
  const { pool, backend } = profile;
  if (pool) {
    if (integer("cooldownSeconds", pool.cooldownSeconds)) {
      const { min, max } = LIMITS.cooldownSeconds;
      if (pool.cooldownSeconds < min || pool.cooldownSeconds > max)
        issues.push({
          field: "cooldownSeconds",
          message: `must be between ${min} and ${max} seconds (Azure's Timed lifecycle range); got ${pool.cooldownSeconds}`,
        });
    }
    let maxValid = integer("maxSessions", pool.maxSessions);
    if (maxValid && pool.maxSessions < LIMITS.maxSessions.min) {
      maxValid = false;
      issues.push({ field: "maxSessions", message: `must be at least ${LIMITS.maxSessions.min}; got ${pool.maxSessions}` });
    }
    if (integer("readySessions", pool.readySessions)) {
      if (pool.readySessions < LIMITS.readySessions.min)
        issues.push({ field: "readySessions", message: `must not be negative; got ${pool.readySessions}` });
      // Compared only against a valid max: "ready exceeds 0" would just repeat the max's problem.
      else if (maxValid && pool.readySessions > pool.maxSessions)
        issues.push({
          field: "readySessions",
          message: `must not exceed maxSessions (${pool.maxSessions}); got ${pool.readySessions}`,
        });
    }
  }
  if (integer("backendMinReplicas", backend.minReplicas) && backend.minReplicas < LIMITS.backendMinReplicas.min)
    issues.push({ field: "backendMinReplicas", message: `must not be negative; got ${backend.minReplicas}` });
  if (integer("backendMaxReplicas", backend.maxReplicas)) {
    const { min, max } = LIMITS.backendMaxReplicas;
    if (backend.maxReplicas < min || backend.maxReplicas > max)
      issues.push({ field: "backendMaxReplicas", message: `must be between ${min} and ${max}; got ${backend.maxReplicas}` });
    else if (backend.minReplicas > backend.maxReplicas)
      issues.push({
        field: "backendMinReplicas",
        message: `must not exceed backendMaxReplicas (${backend.maxReplicas}); got ${backend.minReplicas}`,
      });
  }
  return issues;
}

/** Warnings: valid, but worth saying out loud before anything is deployed. */
export function profileWarnings(profile: ResolvedProfile): string[] {
  const warnings: string[] = [];
  if (profile.pool && profile.pool.readySessions === 0)
    warnings.push(
      "readySessions 0: whether Azure accepts 0 ready sessions for custom-container pools is unconfirmed " +
        "(the az CLI drops 0 on update); the first execution will also wait for a cold start.",
    );
  return warnings;
}
