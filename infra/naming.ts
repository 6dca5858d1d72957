// Resource names: derived from the stack's prefix and name, checked against Azure's naming rules
// before anything is declared, so a bad name fails in milliseconds with the rule it broke instead of
// minutes into `pulumi up`. Rules: Azure's "Naming rules and restrictions for Azure resources"
// (learn.microsoft.com, azure-resource-manager/management/resource-name-rules) and, for session
// pools, the Microsoft.App REST spec (shared/azure-facts.md).
//
// Names are explicit rather than Pulumi auto-names so `manage` and a person in the portal find the
// same resource by name, and a stop/start recreates the pool under the same name.

export interface ResourceNames {
  resourceGroup: string;
  workspace: string;
  registry: string;
  identity: string;
  environment: string;
  sessionPool: string;
  backendApp: string;
  /** The API Management gateway (accessMode token); globally unique: <name>.azure-api.net. */
  gateway: string;
}

export type ResourceKind = keyof ResourceNames;

interface NamingRule {
  /** What the resource is called in messages. */
  what: string;
  pattern: RegExp;
  min: number;
  max: number;
  /** The rule in words, shown when a name breaks it. */
  rule: string;
}

export const NAMING_RULES: Readonly<Record<ResourceKind, NamingRule>> = {
  resourceGroup: {
    what: "resource group",
    pattern: /^[-\w.()]*[-\w()]$/,
    min: 1,
    max: 90,
    rule: "letters, digits, '-', '_', '.', '(' and ')', not ending in '.'",
  },
  workspace: {
    what: "Log Analytics workspace",
    pattern: /^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$/,
    min: 4,
    max: 63,
    rule: "letters, digits and '-', starting and ending with a letter or digit",
  },
  registry: {
    what: "container registry",
    pattern: /^[a-z0-9]+$/,
    min: 5,
    max: 50,
    rule: "lowercase letters and digits only, globally unique across Azure",
  },
  identity: {
    what: "managed identity",
    pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*$/,
    min: 3,
    max: 128,
    rule: "letters, digits, '-' and '_', starting with a letter or digit",
  },
  environment: {
    what: "Container Apps environment",
    pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/,
    min: 2,
    max: 60,
    rule: "lowercase letters, digits and '-', starting with a letter and ending with a letter or digit",
  },
  sessionPool: {
    what: "session pool",
    pattern: /^[a-z][a-z0-9]*$/,
    min: 3,
    max: 63,
    rule: "lowercase letters and digits only (no hyphens), starting with a letter",
  },
  backendApp: {
    what: "container app",
    pattern: /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/,
    min: 2,
    max: 32,
    rule: "lowercase letters, digits and single '-', starting with a letter and ending with a letter or digit",
  },
  gateway: {
    what: "API Management service",
    pattern: /^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
    min: 1,
    max: 50,
    rule: "letters, digits and '-', starting with a letter and ending with a letter or digit, globally unique across Azure",
  },
};

/** The prefix every name starts with: short enough that every derived name fits its limit. */
export const NAME_PREFIX_RULE = { pattern: /^[a-z][a-z0-9]{1,11}$/, rule: "2-12 lowercase letters and digits, starting with a letter" };

/** A stack name reduced to what every resource type accepts (lowercase letters and digits). */
export function compactStackName(stack: string): string {
  return stack.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Derives every resource name from prefix and stack; explicit names (config) win. */
export function deriveNames(prefix: string, stack: string, explicit: Partial<Pick<ResourceNames, "resourceGroup" | "registry">> = {}): ResourceNames {
  const s = compactStackName(stack);
  const dashed = `${prefix}-${s}`;
  return {
    resourceGroup: explicit.resourceGroup || `${dashed}-rg`,
    workspace: `${dashed}-logs`,
    registry: explicit.registry || `${prefix}${s}acr`,
    identity: `${dashed}-id`,
    environment: `${dashed}-env`,
    sessionPool: `${prefix}${s}pool`,
    backendApp: `${dashed}-backend`,
    gateway: `${dashed}-gw`,
  };
}

/** Why a name breaks its resource type's rule, or null when it is valid. */
export function nameViolation(kind: ResourceKind, name: string): string | null {
  const { what, pattern, min, max, rule } = NAMING_RULES[kind];
  if (name.length < min || name.length > max)
    return `${what} name "${name}" is ${name.length} characters; Azure allows ${min}-${max}`;
  if (!pattern.test(name)) return `${what} name "${name}" is invalid: ${rule}`;
  return null;
}

export function nameViolations(names: ResourceNames): Array<{ kind: ResourceKind; message: string }> {
  return (Object.keys(NAMING_RULES) as ResourceKind[]).flatMap((kind) => {
    const message = nameViolation(kind, names[kind]);
    return message ? [{ kind, message }] : [];
  });
}
