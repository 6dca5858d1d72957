// `manage scale --profile P [overrides] [--for 3h]`: records the profile, any overrides and an
// expiry in the stack config, then applies. Also the engine of stop and start*.

import { overrideConfigKey, PROFILES, type OverrideField, type ProfileName } from "../../infra/profiles.js";
import { applyStackChange, type GateOptions, type GlobalOptions, type StackChange } from "../change.js";
import { UsageError } from "../errors.js";
import { defaultStack } from "../project.js";

export interface ScaleOptions extends GlobalOptions, GateOptions {
  profile: ProfileName;
  maxSessions?: number;
  readySessions?: number;
  cooldown?: number;
  backendMin?: number;
  backendMax?: number;
  /** --for, in milliseconds (a duration with a unit, at most 7 days: ../options.ts). */
  for?: number;
}

const OPTION_FIELDS: Array<[keyof ScaleOptions, OverrideField, string]> = [
  ["maxSessions", "maxSessions", "--max-sessions"],
  ["readySessions", "readySessions", "--ready-sessions"],
  ["cooldown", "cooldownSeconds", "--cooldown"],
  ["backendMin", "backendMinReplicas", "--backend-min"],
  ["backendMax", "backendMaxReplicas", "--backend-max"],
];

/** "2026-11-22 18:00 UTC (19:00 local)". */
export function describeExpiry(at: Date): string {
  const utc = at.toISOString().slice(0, 16).replace("T", " ");
  const local = at.toLocaleString(undefined, { hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short" });
  return `${utc} UTC (${local} local)`;
}

/** The config a scale records. Pure: `now` is passed in. */
export function scaleChange(stack: string, o: ScaleOptions, now: Date): StackChange {
  const profile = PROFILES[o.profile];
  const config: StackChange["config"] = { profile: o.profile };
  const sources: Record<string, string> = {};
  const words: string[] = [];
  for (const [option, field, flag] of OPTION_FIELDS) {
    const value = o[option] as number | undefined;
    if (value === undefined) continue;
    if (!profile.pool && ["maxSessions", "readySessions", "cooldownSeconds"].includes(field))
      throw new UsageError(`${flag} sizes the session pool, and the ${o.profile} profile has none; scale to testing or contest`);
    config[overrideConfigKey(o.profile, field)] = String(value);
    sources[overrideConfigKey(o.profile, field)] = `${flag} ${value}`;
    words.push(`${flag.slice(2)} ${value}`);
  }
  let intent = `scale to ${o.profile}${words.length ? ` (${words.join(", ")})` : ""}`;
  if (o.for !== undefined) {
    if (!profile.pool) throw new UsageError("--for sets when to return to idle; it makes no sense when scaling to idle");
    const at = new Date(now.getTime() + o.for);
    config.profileExpiresAt = at.toISOString().replace(/\.\d{3}Z$/, "Z");
    intent += ` until ${describeExpiry(at)}`;
  } else config.profileExpiresAt = "";
  return { stack, config, intent, verify: profile.pool !== null, sources };
}

export async function run(o: ScaleOptions): Promise<void> {
  const stack = o.stack ?? defaultStack();
  await applyStackChange(scaleChange(stack, o, new Date()), o);
}
