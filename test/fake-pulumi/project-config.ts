// How the real pulumi CLI reads Pulumi.yaml's `config:` declarations and a stack's config, held to
// pulumi/pulumi v3.230.0. Pure, so tests can run the committed files through it directly.
//
// - Project validation: sdk/go/common/workspace/project.go (Project.Validate): an array needs
//   `items`; a default must be of the declared type; types are string, integer, boolean, array,
//   object (sdk/go/common/workspace/project.json, simpleConfigType).
// - Merge and validation: sdk/go/common/workspace/config.go (mergeConfig,
//   validateStackConfigValues): a declared project-namespaced key with neither `default` nor
//   `value` that the stack does not set is *required* ("Stack 'dev' is missing configuration value
//   'x'", every missing key in one error, sorted); a stack value must be of the declared type
//   (ValidateConfigValue in project.go: integers may be strings that parse with strconv.Atoi,
//   booleans the strings "true"/"false", objects maps, arrays lists of the item type).
// - What the program receives: every value as a string; objects and lists as JSON
//   (sdk/go/common/resource/config/value.go), defaults applied for keys the stack omits.

export interface ConfigDeclaration {
  type?: string;
  description?: string;
  items?: { type: string };
  default?: unknown;
  value?: unknown;
  secret?: boolean;
}

export class ConfigValidationError extends Error {}

const TYPES = new Set(["string", "integer", "boolean", "array", "object"]);

/** ValidateConfigValue (project.go): does a value (as decoded from YAML) fit the declared type? */
export function fitsType(type: string, items: { type: string } | undefined, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      if (typeof value === "number") return Number.isInteger(value);
      // strconv.Atoi: optional sign, decimal digits only.
      return typeof value === "string" && /^[+-]?\d+$/.test(value);
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value) && items !== undefined && value.every((v) => fitsType(items.type, undefined, v));
    default:
      return false;
  }
}

/** Project.Validate for the `config:` block. Throws the CLI's own text. */
export function validateProjectConfig(project: string, config: Record<string, ConfigDeclaration>): void {
  for (const [key, decl] of Object.entries(config)) {
    if (decl.default !== undefined && decl.value !== undefined)
      throw new ConfigValidationError(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
    const namespaced = !key.includes(":") || key.startsWith(`${project}:`);
    if (!namespaced) continue;
    if (decl.type !== undefined && !TYPES.has(decl.type))
      throw new ConfigValidationError(`project config '${key}' has an unknown type '${decl.type}'`);
    if (decl.type === "array" && !decl.items)
      throw new ConfigValidationError(
        `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
      );
    if (decl.type && decl.default !== undefined && !fitsType(decl.type, decl.items, decl.default))
      throw new ConfigValidationError(
        `The default value specified for configuration key '${key}' is not of the expected type '${decl.type === "array" ? `List<${decl.items?.type}>` : decl.type}'`,
      );
  }
}

/** formatMissingKeys + missingStackConfigurationKeysError (config.go). */
function missingKeysError(stack: string, keys: string[]): ConfigValidationError {
  const sorted = [...keys].sort();
  const list =
    sorted.length === 1
      ? `'${sorted[0]}'`
      : sorted.map((k, i) => (i === sorted.length - 1 ? `and '${k}'` : i === sorted.length - 2 ? `'${k}' ` : `'${k}', `)).join("");
  return new ConfigValidationError(`Stack '${stack}' is missing configuration ${sorted.length === 1 ? "value" : "values"} ${list}`);
}

/** The program's string form of a config value (objects and lists as JSON). */
const asString = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/**
 * mergeConfig with validation: the config the program gets, keyed "<project>:<key>", or the CLI's
 * error. `stackConfig` is the stack file's `config:` map as YAML decoded it.
 */
export function mergeStackConfig(
  stack: string,
  project: string,
  declared: Record<string, ConfigDeclaration>,
  stackConfig: Record<string, unknown>,
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(stackConfig)) merged[key.includes(":") ? key : `${project}:${key}`] = asString(value);
  const missing: string[] = [];
  for (const key of Object.keys(declared).sort()) {
    const decl = declared[key]!;
    const full = key.includes(":") ? key : `${project}:${key}`;
    const found = Object.prototype.hasOwnProperty.call(stackConfig, full) || Object.prototype.hasOwnProperty.call(stackConfig, key);
    const hasDefault = decl.default !== undefined;
    const hasValue = decl.value !== undefined;
    if (!found && !hasDefault && !hasValue && full.startsWith(`${project}:`)) {
      missing.push(key);
      continue;
    }
    if (!found && (hasDefault || hasValue)) merged[full] = asString(hasDefault ? decl.default : decl.value);
  }
  if (missing.length) throw missingKeysError(stack, missing);
  // validateStackConfigValues: only explicitly typed keys; a stack value is checked as the CLI
  // decodes it (a string, or the parsed object for object/array values).
  for (const key of Object.keys(declared).sort()) {
    const decl = declared[key]!;
    if (!decl.type) continue;
    const full = key.includes(":") ? key : `${project}:${key}`;
    const raw = full in stackConfig ? stackConfig[full] : stackConfig[key];
    if (raw === undefined) continue;
    const value = typeof raw === "object" && raw !== null ? raw : String(raw);
    if (!fitsType(decl.type, decl.items, value))
      throw new ConfigValidationError(
        `Stack '${stack}' with configuration key '${key}' must be of type '${decl.type === "array" ? `List<${decl.items?.type}>` : decl.type}'`,
      );
  }
  return merged;
}
