// A policy pack config file (`pulumi preview|up --policy-pack P --policy-pack-config FILE`), read
// the way the engine reads it: policy pack config file format per pulumi docs (pulumi/pulumi
// pkg/engine/policy config semantics). The file is a JSON object keyed by policy name; each value is
// either an enforcement level ("advisory", "mandatory", "disabled") or an object with an optional
// "enforcementLevel" and the policy's config properties. The key "all" sets the level of every
// policy. Each policy's properties are merged over its configSchema's defaults; a property its
// schema does not declare, a value of the wrong type, or a policy the pack does not have is refused.
// Pure: the stand-in pulumi (./main.ts) and the policy table test (test/unit/policies.test.ts) both
// resolve the committed infra/policy-pack/config.json with it.

export type EnforcementLevel = "advisory" | "mandatory" | "disabled";
const LEVELS: readonly string[] = ["advisory", "mandatory", "disabled"];

export interface PolicyLike {
  name: string;
  enforcementLevel?: string;
  /** A JSON schema: its properties' `type` and `default` are what is read. */
  configSchema?: { properties?: Record<string, unknown> };
}
type Property = { type?: string; default?: unknown };

export interface ResolvedPolicy {
  enforcementLevel: EnforcementLevel;
  config: Record<string, unknown>;
}

export class PolicyConfigError extends Error {}

/** The file's JSON: an object, or a PolicyConfigError naming the file. */
export function parsePolicyPackConfig(text: string, file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PolicyConfigError(`parsing policy config file ${file}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new PolicyConfigError(`policy config file ${file} must hold a JSON object keyed by policy name`);
  return parsed as Record<string, unknown>;
}

const typeOk = (type: string | undefined, value: unknown) =>
  type === undefined ||
  (type === "array" && Array.isArray(value)) ||
  (type === "integer" && Number.isInteger(value)) ||
  (type === "number" && typeof value === "number") ||
  (type === "string" && typeof value === "string") ||
  (type === "boolean" && typeof value === "boolean") ||
  (type === "object" && typeof value === "object" && value !== null && !Array.isArray(value));

function level(value: unknown, where: string): EnforcementLevel {
  if (typeof value !== "string" || !LEVELS.includes(value))
    throw new PolicyConfigError(`${where}: enforcementLevel must be one of ${LEVELS.join(", ")} (got ${JSON.stringify(value)})`);
  return value as EnforcementLevel;
}

/** Every policy's enforcement level and config: the pack's own, with the file's on top. */
export function resolvePolicies(packName: string, policies: PolicyLike[], file: Record<string, unknown> = {}): Map<string, ResolvedPolicy> {
  const names = new Set(policies.map((p) => p.name));
  for (const key of Object.keys(file))
    if (key !== "all" && !names.has(key)) throw new PolicyConfigError(`policy pack ${packName} has no policy named "${key}" (its config file names it)`);
  const all = file.all;
  const allLevel =
    all === undefined ? undefined : typeof all === "string" ? level(all, '"all"') : level((all as Record<string, unknown>).enforcementLevel, '"all"');
  const resolved = new Map<string, ResolvedPolicy>();
  for (const policy of policies) {
    const properties = (policy.configSchema?.properties ?? {}) as Record<string, Property>;
    const defaults = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, v.default]));
    const entry = file[policy.name];
    let enforcementLevel = allLevel ?? level(policy.enforcementLevel ?? "advisory", policy.name);
    const config = { ...defaults };
    if (typeof entry === "string") enforcementLevel = level(entry, policy.name);
    else if (entry && typeof entry === "object" && !Array.isArray(entry)) {
      for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
        if (key === "enforcementLevel") {
          enforcementLevel = level(value, policy.name);
          continue;
        }
        if (!(key in properties)) throw new PolicyConfigError(`policy ${policy.name} has no config property "${key}" (its schema declares: ${Object.keys(properties).join(", ") || "none"})`);
        if (!typeOk(properties[key]!.type, value))
          throw new PolicyConfigError(`policy ${policy.name}: config property "${key}" must be of type ${properties[key]!.type} (got ${JSON.stringify(value)})`);
        config[key] = value;
      }
    } else if (entry !== undefined) throw new PolicyConfigError(`policy ${policy.name}: its config must be an enforcement level or an object (got ${JSON.stringify(entry)})`);
    resolved.set(policy.name, { enforcementLevel, config });
  }
  return resolved;
}
