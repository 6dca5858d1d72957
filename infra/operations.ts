// The operational layer: what a stack runs right now (profile, the overrides in effect, until when),
// kept where every machine that acts on the stack looks: the stack's own state in the shared
// backend, as the `operations` stack output. Git's stack file is the baseline (names, images,
// sizes, the resting profile); this layer sits on top of it. docs/architecture.md, "One truth for
// what a stack runs", explains who writes it and what happens when two writers race.
//
// Pure: the program (infra/program.ts) and the CLI (cli/change.ts, cli/operations/) both resolve the
// effective config here, so there is one formula for "what runs".

import { createHash } from "node:crypto";
import * as v from "valibot";
import { OVERRIDE_FIELDS, OVERRIDES_KEY, PROFILE_NAMES, type ProfileName, type ProfileOverrides } from "./profiles.js";
import { CONFIG_KEYS, ISO_TIMESTAMP as ISO, parseSettings, type DeploymentSettings, type RawConfig } from "./config.js";
import { CALLERS } from "./callers.js";

/**
 * The environment variable that carries manage's request into the program (`pulumi preview` and
 * `pulumi up` run by manage). A plain `pulumi up` (CI, a person) carries none, so it re-applies
 * the operation already in the state: it can never undo a contest scale-up or extend an expiry.
 */
export const OPERATIONS_ENV = "MANAGE_OPERATIONS";

/** The stack output that holds the layer. */
export const OPERATIONS_OUTPUT = "operations";

/** The overrides with `fields` joined to `profile`'s own (the other profiles' kept as they are). */
export const withOverrides = (overrides: OperationOverrides, profile: ProfileName, fields: ProfileOverrides): OperationOverrides => ({
  ...overrides,
  [profile]: { ...(overrides[profile] ?? {}), ...fields },
});

// The shapes below are the schemas the program reads them back with (a previous output, manage's
// request); each type is its schema's output, so a field has one home.

/**
 * Overrides of the profiles' numbers, per profile, over the stack file's: kept across operations
 * (a stop keeps the contest sizing for the next start), as settings are.
 */
const OVERRIDES = v.record(v.picklist(PROFILE_NAMES), v.record(v.picklist(OVERRIDE_FIELDS), v.pipe(v.number(), v.integer(), v.minValue(0))));

/**
 * A contest window (`manage schedule`): the profile to run from `start - warmupMinutes` until
 * `end`, when the scheduled job (`manage reconcile`) starts and stops it. Kept in the state with
 * the operation, so every machine sees the same schedule.
 */
const WINDOW = v.object({
  /** Short and stable, for --cancel and report --window: "w-20261205-0900". */
  id: v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,40}$/)),
  profile: v.picklist(PROFILE_NAMES),
  /** ISO 8601 UTC. */
  start: ISO,
  end: ISO,
  warmupMinutes: v.pipe(v.number(), v.integer(), v.minValue(0)),
  /** Participants the window is sized for (the planner's maxSessions/readySessions), null: the profile's own. */
  users: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1))),
  by: v.string(),
  at: ISO,
  /** When the scheduled job started it and returned it to idle (what spend and report measure). */
  startedAt: v.optional(ISO),
  stoppedAt: v.optional(ISO),
});
export type Window = v.InferOutput<typeof WINDOW>;

/** The operation in effect: what a person (or the scheduled job) last asked the stack to run. */
const OPERATION = {
  /** The scheduled window this operation runs (`manage reconcile` started it); absent otherwise. */
  window: v.optional(v.string()),
  profile: v.picklist(PROFILE_NAMES),
  overrides: OVERRIDES,
  /** When the scheduled job returns the stack to idle (ISO 8601 UTC); null for "until stopped". */
  expiresAt: v.nullable(ISO),
  /** In words: "scale to contest (max-sessions 900) until 2026-12-05 12:00 UTC". */
  intent: v.string(),
  /** Who asked: "alice@laptop", "github-actions (reconcile stacks with their schedule)". */
  by: v.string(),
  /** When it was asked (ISO 8601 UTC). */
  at: ISO,
};
export type Operation = v.InferOutput<v.ObjectSchema<typeof OPERATION, undefined>>;
export type OperationOverrides = Operation["overrides"];

/** The `operations` output: the operation, the baseline it ran on, and the update that applied it. */
const STATE = v.object({
  ...OPERATION,
  /** Updates of this stack through this program so far; each one adds 1 (the race check below). */
  revision: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** The stack file's config at the last update: what a stop applies (so it changes only what idle needs). */
  baseline: v.record(v.string(), v.string()),
  /** Scheduled windows, in start order; ended ones stay 60 days (spend and report --window read them). Absent in the state of an update before windows existed. */
  windows: v.optional(v.array(WINDOW), []),
});
export type OperationsState = v.InferOutput<typeof STATE>;

/** What manage sends with a change (OPERATIONS_ENV, JSON). */
const REQUEST = v.object({
  /** The revision manage read before its preview: the update refuses if the state moved since. */
  basedOn: v.pipe(v.number(), v.integer(), v.minValue(0)),
  /**
   * Which baseline to run on: the stack file ("file"; manage checks it did not change between its
   * preview and its update: the file is on manage's own machine), or "deployed": the baseline of
   * the last update (stops).
   */
  baseline: v.picklist(["file", "deployed"]),
  operation: v.object(OPERATION),
  /** The new schedule; absent: keep the one in the state. */
  windows: v.optional(v.array(WINDOW)),
  /**
   * With baseline "file": the stack file manage previewed, by name and the hash of its config
   * (configFingerprint). The program refuses when the config it is given differs, so an edit saved
   * after the preview (even between manage's own check and pulumi reading the file) is never applied.
   */
  stackFile: v.optional(v.object({ name: v.string(), hash: v.string() })),
  /** The participants' credentials (infra/callers.ts), kept apart from this plain output; absent: keep them. */
  callers: v.optional(CALLERS),
  /**
   * The person passed --allow-over-ceiling: the program lets this change cost more per day than
   * costCeilingPerDay (infra/program.ts). A plain `pulumi up` sends no request, so never this.
   */
  allowOverCeiling: v.optional(v.boolean()),
});
export type OperationsRequest = v.InferOutput<typeof REQUEST>;

/** A previous `operations` output, or null when the stack has none (never updated by this program). */
export function parseOperationsState(value: unknown): OperationsState | null {
  if (value === undefined || value === null) return null;
  const r = v.safeParse(STATE, value);
  if (!r.success) throw new OperationsError(`the stack's ${OPERATIONS_OUTPUT} output is not what this program writes: ${v.summarize(r.issues).split("\n")[0]}`);
  return r.output;
}

export function parseOperationsRequest(text: string | undefined): OperationsRequest | null {
  if (!text) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new OperationsError(`${OPERATIONS_ENV} is not JSON`);
  }
  const r = v.safeParse(REQUEST, json);
  if (!r.success) throw new OperationsError(`${OPERATIONS_ENV} is not a request manage writes: ${v.summarize(r.issues).split("\n")[0]}`);
  return r.output as OperationsRequest;
}

/** Refused: the program stops before declaring anything, so nothing changes. */
export class OperationsError extends Error {
  override name = "OperationsError";
}

/** The words that mark a race refusal in the update's error, matched by cli/pulumi/failures.ts. */
export const CHANGED_MARK = "the stack changed after manage read it";

/** A stable hash of a config map (sorted keys): has the stack file changed since it was read? */
export function configHash(raw: RawConfig): string {
  return createHash("sha256").update(canonical(raw)).digest("hex").slice(0, 16);
}

/**
 * The hash of a stack file's config as both sides see it: manage reads the file, the program gets
 * every declared key from the engine (defaults included), so both drop the keys at their default.
 */
export function configFingerprint(raw: RawConfig): string {
  return configHash(Object.fromEntries(Object.entries(withoutDefaults(raw)).map(([key, value]) => [key, canonicalValue(value)])));
}

/**
 * A config value as it means: an object value is JSON whose key order depends on who wrote it (the
 * YAML file, Go's sorted json.Marshal in the engine), so it is compared in one order.
 */
function canonicalValue(value: string): string {
  if (!/^[[{]/.test(value)) return value;
  try {
    return canonical(JSON.parse(value));
  } catch {
    return value;
  }
}

/**
 * A config without the keys that hold their declared default (Pulumi.yaml): the engine hands the
 * program every declared key, the stack file holds only what it sets; compared after this, the two
 * agree on what was chosen.
 */
function withoutDefaults(raw: RawConfig): Record<string, string> {
  const asString = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));
  return Object.fromEntries(Object.entries(raw).filter(([key, value]) => !Object.hasOwn(CONFIG_KEYS, key) || asString(CONFIG_KEYS[key]!.default) !== value));
}

/**
 * The keys of two baselines that differ in what they choose, the operational ones aside: object
 * values by meaning (canonicalValue). (No secret is among them: config.ts NOT_A_SECRET.)
 */
export function baselineDifferences(deployed: RawConfig, file: RawConfig): string[] {
  const a = withoutDefaults(deployed);
  const b = withoutDefaults(file);
  const same = (k: string) => a[k] !== undefined && b[k] !== undefined && canonicalValue(a[k]!) === canonicalValue(b[k]!);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !OPERATIONAL_KEYS.includes(k) && a[k] !== b[k] && !same(k)).sort();
}

/** The config keys the operational layer decides (the file's values are the first deployment's). */
const OPERATIONAL_KEYS = ["profile", "profileExpiresAt"];

/** The stack file's own operation: what a first deployment (no state yet) runs. */
export function operationOfFile(raw: RawConfig, at: string): Operation {
  // An unknown profile is kept as written: config validation refuses it, naming the file's line.
  const profile = (raw.profile || "idle") as ProfileName;
  return { profile, overrides: {}, expiresAt: raw.profileExpiresAt || null, intent: "first deployment, as the stack file says", by: "the stack file", at };
}

/**
 * The config the program runs on: the baseline with the operation on top. The operation's profile
 * replaces the file's; its overrides go over the file's overrides of that profile; its expiry
 * replaces the file's.
 */
export function effectiveConfig(baseline: RawConfig, op: Pick<Operation, "profile" | "overrides" | "expiresAt">): Record<string, string> {
  const next: Record<string, string> = { ...baseline, profile: op.profile, profileExpiresAt: op.expiresAt ?? "" };
  if (Object.keys(op.overrides).length === 0) return next;
  let overrides: Record<string, Record<string, unknown>>;
  try {
    overrides = baseline[OVERRIDES_KEY] ? (JSON.parse(baseline[OVERRIDES_KEY]!) as typeof overrides) : {};
  } catch {
    return next; // left to config validation, which names the file's line
  }
  for (const [profile, fields] of Object.entries(op.overrides)) overrides[profile] = { ...(overrides[profile] ?? {}), ...fields };
  next[OVERRIDES_KEY] = JSON.stringify(overrides);
  return next;
}

/**
 * The settings an operation runs with on a baseline (effectiveConfig, validated); null when they do
 * not validate (an old state, a broken file): then there is nothing to compare against.
 */
export function settingsOn(baseline: RawConfig, op: Pick<Operation, "profile" | "overrides" | "expiresAt">, stack: string): DeploymentSettings | null {
  try {
    return parseSettings(effectiveConfig(baseline, op), stack);
  } catch {
    return null;
  }
}

/**
 * Resolves one run of the program. With a request: refuses (OperationsError, CHANGED_MARK) if the
 * state moved since manage read it; then applies the
 * requested operation. Without one (a plain `pulumi up`): keeps the operation in the state, on
 * the stack file's baseline. The first update of a stack takes the operation from the file.
 */
export function resolveOperations(file: RawConfig, previous: OperationsState | null, request: OperationsRequest | null, now: string) {
  const revision = previous?.revision ?? 0;
  if (request) {
    if (request.basedOn !== revision)
      throw new OperationsError(
        `${CHANGED_MARK} (revision ${request.basedOn}); it is now at revision ${revision}` +
          (previous ? `: "${previous.intent}" by ${previous.by} at ${previous.at}` : "") +
          `. This update changed nothing; run the command again to see the new plan.`,
      );
    if (request.baseline === "file" && request.stackFile && configFingerprint(file) !== request.stackFile.hash)
      throw new OperationsError(
        `${CHANGED_MARK}: ${request.stackFile.name} was edited after it was previewed, so what was confirmed is not what it holds now. ` +
          `This update changed nothing; run the command again to see the new plan.`,
      );
  }
  const baseline = request?.baseline === "deployed" && previous ? previous.baseline : withoutDefaults(file);
  const operation = request?.operation ?? (previous ? pick(previous) : operationOfFile(file, now));
  const windows = request?.windows ?? previous?.windows ?? [];
  return { config: effectiveConfig(baseline, operation), state: { ...operation, revision: revision + 1, baseline, windows } };
}

function pick(s: OperationsState): Operation {
  return { profile: s.profile, overrides: s.overrides, expiresAt: s.expiresAt, intent: s.intent, by: s.by, at: s.at, ...(s.window ? { window: s.window } : {}) };
}

/** Whether two operations ask for the same thing (who and when aside): an unchanged stop is a no-op. */
export function sameOperation(a: Pick<Operation, "profile" | "overrides" | "expiresAt" | "window">, b: Pick<Operation, "profile" | "overrides" | "expiresAt" | "window">): boolean {
  return a.profile === b.profile && a.expiresAt === b.expiresAt && (a.window ?? null) === (b.window ?? null) && canonical(a.overrides) === canonical(b.overrides);
}

/** Whether two schedules hold the same windows. */
export function sameWindows(a: Window[], b: Window[]): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with sorted keys at every level, without empty maps. */
function canonical(value: unknown): string {
  if (!value || typeof value !== "object") return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => !(v && typeof v === "object" && Object.keys(v).length === 0))
    .sort(([x], [y]) => (x < y ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}
