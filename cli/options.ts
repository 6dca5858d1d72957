// The types of option values, declared once and used by every command that takes the option: each
// parses the text a person typed or refuses it with one sentence naming the option, the value, the
// form it accepts and an example (a UsageError, so exit 2 before anything runs). Ranges are the ones
// Azure or the model gives a meaning to (infra/limits.ts, infra/profiles.ts), not invented here.
//
// Commander (the argument library) calls these as its argParser; the error is ours, not
// commander's "argument is invalid", so every refusal reads the same. Loaded by `manage --help`:
// no heavy imports.

import { closeSync, existsSync, lstatSync, openSync, readlinkSync, statSync, unlinkSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Option } from "@commander-js/extra-typings";
import parseDuration from "parse-duration";
import { CONFIDENCE_RANGE, E16_NODE, parseIdentifierStrategy, type IdentifierStrategy } from "../infra/capacity.js";
import { LIMITS as PROFILE_LIMITS, PROFILE_NAMES } from "../infra/profiles.js";
import { OPTION_RANGES } from "../infra/limits.js";
import { MAX_SESSIONS_CEILING, SESSION_CPU } from "../infra/ceilings.cjs";
import { UsageError } from "./errors.js";
import { now as clockNow } from "./clock.js";
import { CALLER_NAME } from "../infra/access-mode.js";

/** A value type: how to read one, the form it takes in words, and an example value. */
export interface ValueType<T> {
  /** The accepted form, e.g. "a whole number from 1 to 64". */
  form: string;
  example: string;
  /** Returns the value, or throws Refused with why the text is not one. */
  read(text: string): T;
  /** Fixed choices, for help and shell completion. */
  choices?: readonly string[];
}

/** Why a text is not a value of its type ("is not a whole number"); the option adds its name. */
export class Refused extends Error {}

/** Reads an option's text with its type, or a UsageError in one sentence: option, value, why, the accepted form, an example. */
export function readOption<T>(flag: string, type: ValueType<T>, text: string): T {
  try {
    return type.read(text);
  } catch (err) {
    if (err instanceof Refused) throw new UsageError(`${flag} ${JSON.stringify(text)} ${err.message}: it takes ${type.form}, e.g. ${flag} ${type.example}`);
    throw err;
  }
}

/** Each typed option's example value: what a suggestion's placeholder ("<n>") stands for in the test that parses suggestions. */
export const OPTION_EXAMPLES = new WeakMap<object, string>();

/**
 * A commander option whose value is read by its type (and whose choices help and completion show).
 * Typed by its flags and its type's value (`Option<"--for <duration>", ..., number>`), so a command
 * declared with it hands its module that type (main.ts OptionsFor).
 */
export function typedOption<const Flags extends string, T>(flags: Flags, description: string, type: ValueType<T>) {
  const option = new Option(flags, description);
  OPTION_EXAMPLES.set(option, type.example);
  if (type.choices) option.choices(type.choices);
  // After choices(): the parser is ours, the choices stay for help and completion.
  return option.argParser((text: string) => readOption(option.long ?? flags, type, text));
}

// ---- numbers ----------------------------------------------------------------------------------

const WHOLE = /^\d+$/;
// Decimal notation only: "1e9", "0x10", "Infinity" and "" are not numbers a person means.
const DECIMAL = /^(\d+(\.\d+)?|\.\d+)$/;

// 100000 -> "100,000". Not toLocaleString: Intl's first use costs ~15 ms, and `manage --help` builds every type.
const fmt = (n: number) => String(n).replace(/^(\d+)/, (whole) => whole.replace(/\B(?=(\d{3})+$)/g, ","));

export interface Range {
  min: number;
  max: number;
  /** What the bounds mean, said when a value is outside them ("an E16 node has 16 vCPU..."). */
  why?: string;
  /** min itself is not allowed (a share above 0). */
  minExclusive?: boolean;
}

/** n within the range, or refused naming the bound it passes, written by `show` as the option is written. */
function inRange(n: number, r: Range, show = fmt, after = ""): number {
  const low = r.minExclusive ? n <= r.min : n < r.min;
  if (low || n > r.max) throw new Refused(`is ${low ? "below" : "above"} ${low && r.minExclusive ? "or at " : ""}${show(low ? r.min : r.max)}${r.why ? ` (${r.why})` : ""}${after}`);
  return n;
}

export function wholeNumber(r: Range, unit = "", upTo = fmt(r.max)): ValueType<number> {
  return {
    form: `a whole number${unit ? ` of ${unit}` : ""} from ${fmt(r.min)} to ${upTo}`,
    example: String(Math.min(r.max, Math.max(r.min, 10))),
    read(text) {
      if (!WHOLE.test(text)) throw new Refused(DECIMAL.test(text) ? "is not a whole number" : "is not a number written in digits");
      return inRange(Number(text), r);
    },
  };
}

export function decimal(r: Range, unit = "", example?: string): ValueType<number> {
  return {
    // "decimal": 0.5 is as good as 2 (the examples given are the type's own, in range).
    form: `a decimal number${unit ? ` of ${unit}` : ""} from ${r.minExclusive ? "above " : ""}${fmt(r.min)} to ${fmt(r.max)}`,
    example: example ?? String(Math.min(r.max, Math.max(r.min, 2))),
    read(text) {
      if (!DECIMAL.test(text)) throw new Refused("is not a number written in decimal digits");
      return inRange(Number(text), r);
    },
  };
}

/** A share written as a percentage ("95%") or as a fraction ("0.95"); read as the fraction. */
export function percentage(r: Range, example: string): ValueType<number> {
  return {
    form: `a percentage from ${r.minExclusive ? "above " : ""}${fmt(r.min * 100)}% to ${fmt(r.max * 100)}% (like ${example}, or the fraction ${Number(example.replace("%", "")) / 100})`,
    example,
    read(text) {
      const m = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(text.trim());
      if (!m) throw new Refused("is not a percentage written in decimal digits");
      const n = m[2] ? Number(m[1]) / 100 : Number(m[1]);
      // "95" meant as a percentage reads as 9500%: say how to write it.
      const meant = !m[2] && n > 1 && n / 100 >= r.min && n / 100 <= r.max ? `; a number without % is a fraction: for ${m[1]}%, write ${m[1]}%` : "";
      // Said in percent, as the option is written.
      return inRange(n, r, (bound) => `${fmt(+(bound * 100).toFixed(3))}%`, meant);
    },
  };
}

// ---- durations --------------------------------------------------------------------------------

const UNIT = "(ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)";
const DURATION = new RegExp(`^(\\d+(\\.\\d+)?\\s*${UNIT}\\s*)+$`, "i");

const describeMs = (ms: number) =>
  ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;

/** A duration with a unit ("90s", "10m", "1h30m", "3 hours"), in milliseconds. A bare number is refused: 3 what? */
export function duration(r: { min: number; max: number; why?: string }, example: string): ValueType<number> {
  return {
    form: `a duration with a unit (s, m, h, d) from ${describeMs(r.min)} to ${describeMs(r.max)}`,
    example,
    read(text) {
      const t = text.trim();
      if (DECIMAL.test(t)) throw new Refused(`has no unit (${t} seconds? minutes? hours?)`);
      const ms = DURATION.test(t) ? parseDuration(t) : null;
      if (ms === null || ms === undefined || !Number.isFinite(ms)) throw new Refused("is not a duration");
      if (ms < r.min || ms > r.max) throw new Refused(`is ${ms < r.min ? "shorter" : "longer"} than ${describeMs(ms < r.min ? r.min : r.max)}${r.why ? ` (${r.why})` : ""}`);
      return ms;
    },
  };
}

/**
 * How far back a period reaches from now (`spend --since 7d`): a duration with a unit, as above.
 * A leading minus is refused in words: the period always ends now, so a negative length means nothing.
 */
export function lookBack(r: { min: number; max: number; why?: string }, example: string): ValueType<number> {
  const inner = duration(r, example);
  return {
    ...inner,
    read(text) {
      if (/^\s*-/.test(text)) throw new Refused("is negative (a period reaches back from now)");
      return inner.read(text);
    },
  };
}

// ---- instants ---------------------------------------------------------------------------------

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(T(\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A moment in ISO 8601: a date (midnight UTC) or a date and time with Z or an offset. */
export const INSTANT: ValueType<Date> = {
  form: "an ISO 8601 date or UTC time (2026-11-20, or 2026-11-20T18:00:00Z)",
  example: "2026-11-20",
  read(text) {
    const m = ISO_INSTANT.exec(text.trim());
    if (!m) throw new Refused(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text.trim()) ? "has no time zone (add Z for UTC)" : "is not an ISO 8601 date or time");
    // Date accepts 2027-02-30 (and 2027-02-30T09:00Z) by rolling over to March: the day must exist
    // in its month, with or without a time. Checked on the digits, before any offset moves the day.
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const calendar = new Date(0);
    calendar.setUTCFullYear(year, month - 1, day);
    if (month < 1 || month > 12 || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) throw new Refused("is not a calendar date");
    if (m[5] !== undefined && (Number(m[5]) > 23 || Number(m[6]) > 59 || Number(m[8] ?? 0) > 59)) throw new Refused("is not a time of day");
    // Date takes any offset up to ±23:59 and reads one past it as no date at all: the offsets in
    // use run from -12:00 to +14:00 (the IANA zones' extremes), minutes below 60.
    const offset = /^([+-])(\d{2}):(\d{2})$/.exec(m[10] ?? "");
    if (offset && (Number(offset[3]) > 59 || Number(offset[2]) * 60 + Number(offset[3]) > (offset[1] === "+" ? 14 : 12) * 60))
      throw new Refused(`has a UTC offset (${m[10]}) that no zone has (offsets run from -12:00 to +14:00)`);
    const date = new Date(m[4] ? text.trim() : `${text.trim()}T00:00:00Z`);
    if (Number.isNaN(date.getTime())) throw new Refused("is not a calendar date");
    return date;
  },
};

/**
 * When a window starts (schedule --at): an instant, with an example a week from now (a window in
 * the past is refused, so a past example would be a hint that fails as pasted), in the form with an
 * offset a person in any zone adapts.
 */
export const STARTS_AT: ValueType<Date> = {
  ...INSTANT,
  form: "an ISO 8601 time with Z or a UTC offset",
  get example() {
    let from: Date;
    try {
      from = clockNow();
    } catch {
      from = new Date(); // MANAGE_NOW refused: the command says so itself; an example still needs a date
    }
    return `${new Date(from.getTime() + 7 * 86_400_000).toISOString().slice(0, 10)}T09:00+01:00`;
  },
};

// ---- names and choices ------------------------------------------------------------------------

const CALLER = shaped("a participant's or team's name: lower-case letters, digits and -, up to 40 (its gateway subscription is caller-<name>)", "team-a", CALLER_NAME, "is not a caller name");

/** A window's ID, as `manage schedule` makes them: w-20261205-0800. */
const WINDOW_ID = shaped("a window ID as `manage schedule --list` shows it (w-YYYYMMDD-HHMM)", "w-20261205-0800", /^w-\d{8}-\d{4}(-\d+)?$/, "is not a window ID");

export function choice<T extends string>(values: readonly T[], example = values[0]!): ValueType<T> {
  return {
    form: `one of ${values.join(", ")}`,
    example,
    choices: values,
    read(text) {
      if (!(values as readonly string[]).includes(text)) throw new Refused("is not among the choices");
      return text as T;
    },
  };
}

/**
 * The pulumi CLI's own rule for stack names (sdk/go/common/tokens/stack_name.go, ParseStackName),
 * with its words: null when `name` is one.
 */
export function stackNameProblem(name: string): string | null {
  if (name === "") return "a stack name may not be empty";
  if (name.length > 100) return "a stack name cannot exceed 100 characters";
  const bad = /[^A-Za-z0-9_.-]/.exec(name);
  if (bad)
    return `a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character ${JSON.stringify(bad[0]).replace(/^"|"$/g, "'")} at position ${bad.index}`;
  return null;
}

export const STACK_NAME: ValueType<string> = {
  form: "a stack name (letters, digits, -, _ and .; the name in Pulumi.<stack>.yaml)",
  example: "contest",
  read(text) {
    const problem = stackNameProblem(text);
    if (problem) throw new Refused(`is not a stack name (${problem})`);
    return text;
  },
};

/** An Azure region's programmatic name, e.g. eastus (not "East US"). */
export const REGION: ValueType<string> = {
  form: "an Azure region name in lowercase letters and digits",
  example: "eastus",
  read(text) {
    if (!/^[a-z][a-z0-9]+$/.test(text)) throw new Refused(/[A-Z ]/.test(text) ? `is a display name, not a region name (write ${text.toLowerCase().replace(/\s+/g, "")})` : "is not an Azure region name");
    return text;
  },
};

export const IDENTIFIER_STRATEGY: ValueType<IdentifierStrategy> = {
  form: "per-user, per-execution or shared:K (K sessions shared by everyone, K from 1)",
  example: "shared:20",
  read(text) {
    const strategy = parseIdentifierStrategy(text);
    if (strategy) return strategy;
    if (/^shared:0+$/.test(text)) throw new Refused("shares no session (K must be at least 1)");
    if (/^shared:/.test(text)) throw new Refused("has no whole number of sessions after shared:");
    throw new Refused("is not an identifier strategy");
  },
};

/** An http(s) URL with a host: a backend to send executions to. */
export const URL_TYPE: ValueType<string> = {
  form: "an http or https URL",
  example: "https://backend.example.com",
  read(text) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Refused("is not a URL");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Refused(`is a ${url.protocol.replace(":", "")} URL`);
    return url.href.replace(/\/+$/, "");
  },
};

/** A text of a fixed shape: refused with `why` when it does not match. */
function shaped(form: string, example: string, pattern: RegExp, why: string, extra?: (text: string) => void): ValueType<string> {
  return {
    form,
    example,
    read(text) {
      if (!pattern.test(text)) throw new Refused(why);
      extra?.(text);
      return text;
    },
  };
}

export const URL_PATH = shaped("an absolute URL path", "/python/execute", /^\/[^\s?#]*$/, "is not an absolute path");
/**
 * A file manage can write: in a folder that exists and that it may write in, not a folder itself,
 * not a file it may not overwrite. Checked when the option is read, and for a default path by the
 * command before its work starts (`readOption(flag, TYPES.chart, path)`), so a long run (a
 * simulation, a report's queries) is not thrown away at the end for a path it cannot write.
 */
function writableFile(text: string, links = 0): void {
  const target = resolve(text);
  const folder = dirname(target);
  if (!existsSync(folder)) throw new Refused(`is in a folder that does not exist (${folder}): create it first, or give a path in an existing folder`);
  if (!statSync(folder).isDirectory()) throw new Refused(`is under ${folder}, which is not a folder`);
  const exists = existsSync(target);
  // A symlink to a file not there yet: the write follows it and creates that file, so the place it
  // points to is what is checked (its folder, whether it may be written). Opening the link itself
  // with 'wx' would refuse it (O_EXCL never follows a link). A loop is refused as the write would.
  if (!exists && lstatOrNull(target)?.isSymbolicLink()) {
    if (links >= MAX_SYMLINKS) throw new Refused("cannot be written (ELOOP: too many symbolic links): give a path you may write");
    return writableFile(resolve(folder, readlinkSync(target)), links + 1);
  }
  if (exists && statSync(target).isDirectory()) throw new Refused(`is a folder (${target}): give a file name, in it or elsewhere`);
  // Opened for writing as the write will open it (an existing file is not truncated; a new one is
  // removed again): the permission bits alone would pass root where the write still fails (a
  // read-only mount, /proc, /sys).
  try {
    closeSync(openSync(target, exists ? "r+" : "wx"));
    if (!exists) unlinkSync(target);
  } catch (err) {
    throw new Refused(`cannot be written (${(err as NodeJS.ErrnoException).code ?? "no access"}${exists ? "" : ` in ${folder}`}): give a path you may write`);
  }
}

/** Links followed before a path counts as a loop (Linux's own limit for a path lookup, MAXSYMLINKS, is 40). */
const MAX_SYMLINKS = 40;

const lstatOrNull = (path: string) => {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
};

export const HTML_FILE = shaped("a file name ending in .html", "contest.html", /^.*[^/]\.html?$/i, "is not an .html file name", writableFile);
export const SVG_FILE = shaped("a file name ending in .svg", "contest.svg", /^.*[^/]\.svg$/i, "is not an .svg file name", writableFile);
/** capacity --simulate's chart when --chart is not given. */
export const DEFAULT_CHART_FILE = "capacity-simulation.svg";

// Images in the stack's registry (Docker's reference grammar, lowercase repositories).
export const REPOSITORY_PATTERN = /^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/;
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** registry/repository:tag -> its three parts. */
export const SOURCE_IMAGE_PATTERN = /^([^/]+\.[^/]+|localhost(?::\d+)?)\/(.+):([^:/]+)$/;

export const REPOSITORY = shaped("a repository name (lowercase letters, digits, and . _ - / between them)", "coding-engine/session", REPOSITORY_PATTERN, "is not a repository name");
export const IMAGE_TAG = shaped("an image tag other than latest (letters, digits, _ . -, up to 128)", "2026-11-22", TAG_PATTERN, "is not an image tag", (text) => {
  if (text === "latest") throw new Refused("is refused: the pool caches images by tag, so a re-pushed latest is never pulled again");
});
export const SOURCE_IMAGE = shaped("a full image reference with a registry and a tag", "myregistry.azurecr.io/coding-engine/session:2026-11-22", SOURCE_IMAGE_PATTERN, "is not a full image reference");

// ---- the project's option types ---------------------------------------------------------------

const HOUR = 3_600_000;
const SESSIONS_UP_TO = `the stack's maxSessionsLimit (${fmt(MAX_SESSIONS_CEILING)} unless its stack file sets it)`;

/** The largest seed (the generators take 32 bits). */
export const MAX_SEED = 4_294_967_295;

/** The warm-up a window gets when --warmup is not given, where no gateway needs longer (cli/schedule.ts). */
export const DEFAULT_WARMUP_MINUTES = 30;

/** How long a change that brings up a pool waits until code runs, unless --wait-timeout says: role propagation can take up to 30 minutes (shared/azure-facts.md). */
export const DEFAULT_WAIT_MINUTES = 30;

/** --seed of load-test's arrival schedule and capacity --simulate's contests, when not given. */
export const DEFAULT_SEED = 1;

// Defaults a help text states (main.ts) and a command applies, one number each, here because a
// command module is a leaf main.ts does not import.
/** watch --interval: Azure Monitor reports once a minute, and ARM counts every read. */
export const DEFAULT_WATCH_INTERVAL_MS = 10_000;
/** spend --since: a week back from now. */
export const DEFAULT_SPEND_SINCE_MS = 7 * 24 * HOUR;
/** smoke --concurrency: parallel runs in the concurrency case. */
export const DEFAULT_SMOKE_CONCURRENCY = 8;
/** load-test --max-requests: a load larger than this is refused unless raised (up to OPTION_RANGES.loadRequests.max). */
export const DEFAULT_LOAD_MAX_REQUESTS = 10_000;

/** Every typed option, by what it means; main.ts attaches them to commands. */
export const TYPES = {
  stack: STACK_NAME,
  profile: choice(PROFILE_NAMES, "contest"),
  region: REGION,
  identifier: IDENTIFIER_STRATEGY,
  endpoint: URL_TYPE,
  poolPath: URL_PATH,
  chart: SVG_FILE,
  htmlFile: HTML_FILE,
  windowId: WINDOW_ID,
  caller: CALLER,
  repository: REPOSITORY,
  tag: IMAGE_TAG,
  sourceImage: SOURCE_IMAGE,
  /** scale --for: an expiry is a reminder to stop, not a schedule. */
  expiry: duration({ min: 60_000, max: OPTION_RANGES.expiryHours.max * HOUR, why: OPTION_RANGES.expiryHours.why }, "3h"),
  /** schedule --warmup: the readiness gate takes up to 30 minutes after a pool appears. */
  warmup: duration({ min: 60_000, max: 6 * HOUR, why: "a warm-up longer than 6 hours is a second contest" }, "30m"),
  /** Role propagation takes up to 30 minutes; the default waits that long. */
  waitTimeout: duration({ min: 1_000, max: 24 * HOUR }, "30m"),
  /** watch --interval: Azure Monitor reports once a minute, so faster than a second shows nothing new. */
  watchInterval: duration({ min: 1_000, max: 600_000, why: "Azure Monitor reports once a minute" }, "5s"),
  loadDuration: duration({ min: 1_000, max: OPTION_RANGES.loadTestMinutes.max * 60_000, why: OPTION_RANGES.loadTestMinutes.why }, "2m"),
  users: wholeNumber(OPTION_RANGES.participants, "participants"),
  runsPerUserPerMinute: decimal(OPTION_RANGES.runsPerParticipantPerMinute, "runs per minute", "1"),
  // The stack's maxSessionsLimit is the real limit (checked with the stack file); the parser knows only its own bound.
  maxSessions: wholeNumber({ min: 1, max: OPTION_RANGES.maxSessionsLimit.max, why: OPTION_RANGES.maxSessionsLimit.why }, "sessions", SESSIONS_UP_TO),
  readySessions: wholeNumber({ min: 0, max: OPTION_RANGES.maxSessionsLimit.max, why: OPTION_RANGES.maxSessionsLimit.why }, "sessions", SESSIONS_UP_TO),
  cooldown: wholeNumber({ ...PROFILE_LIMITS.cooldownSeconds, why: "Azure's range for a Timed session cooldown" }, "seconds"),
  backendMin: wholeNumber({ min: PROFILE_LIMITS.backendMinReplicas.min, max: PROFILE_LIMITS.backendMaxReplicas.max, why: "Container Apps' replica ceiling" }, "replicas"),
  backendMax: wholeNumber({ ...PROFILE_LIMITS.backendMaxReplicas, why: "Container Apps' replica ceiling" }, "replicas"),
  sessionsPerNode: wholeNumber(
    {
      min: 1,
      max: E16_NODE.vcpu / SESSION_CPU.min,
      why: `an E16 node has ${E16_NODE.vcpu} vCPU and a session takes at least ${SESSION_CPU.min}`,
    },
    "sessions",
  ),
  share: decimal({ min: 0, max: 0.9, why: "a node keeps at least a tenth for sessions" }, "", "0.125"),
  max404Rate: decimal({ min: 0, max: 0.5, minExclusive: true, why: "a share of requests; 0 would need an unbounded pool" }, "", "0.001"),
  logGbPer1000Runs: decimal({ min: 0, max: 100 }, "GB", "0.01"),
  logGbPerReplicaHour: decimal({ min: 0, max: 100 }, "GB", "0.001"),
  registryGb: decimal({ min: 0, max: 40_960, why: "a registry holds at most 40 TiB" }, "GB", "8"),
  marginHours: decimal({ min: 0, max: 24 }, "hours", "0.5"),
  hours: decimal({ min: 0.01, max: 24, why: "for longer windows, use --days" }, "hours", "2"),
  days: decimal({ min: 0.01, max: 365 }, "days", "7"),
  executions: wholeNumber({ min: 0, max: 100_000_000 }, "executions"),
  execSeconds: decimal(OPTION_RANGES.runSeconds, "seconds", "2"),
  waitSeconds: decimal({ min: 0.01, max: 3600 }, "seconds", "2"),
  burstSeconds: decimal({ min: 0.1, max: OPTION_RANGES.openingBurstSeconds.max }, "seconds", "60"),
  coldStartSeconds: decimal(OPTION_RANGES.coldStartSeconds, "seconds", "10"),
  /** capacity --confidence: the share of contests that must meet the targets; 100% would need an unbounded pool. */
  confidence: percentage(CONFIDENCE_RANGE, "95%"),
  seed: wholeNumber({ min: 0, max: MAX_SEED }),
  concurrency: wholeNumber({ min: 1, max: OPTION_RANGES.sockets.max, why: OPTION_RANGES.sockets.why }, "parallel runs"),
  rate: decimal({ min: 0, max: OPTION_RANGES.loadRatePerSecond.max, why: OPTION_RANGES.loadRatePerSecond.why }, "executions per second", "3"),
  maxRequests: wholeNumber(OPTION_RANGES.loadRequests, "executions"),
  /** spend --since: Cost Management answers a custom period of up to a year. */
  since: lookBack({ min: 3_600_000, max: 365 * 24 * HOUR, why: "Cost Management answers at most a year at a time" }, "7d"),
  instant: INSTANT,
  startsAt: STARTS_AT,
} as const;
