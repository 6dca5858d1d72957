// Guard rails as policy: what must never ship (mandatory) and what costs money for nothing
// (advisory). Each policy is a plain object whose validate function tests call directly; the
// pack (./index.cts) only bundles them. CommonJS (.cts) because Pulumi's policy runner loads a
// pack with require().
//
// Conventions every policy here follows:
// - Every message says what is wrong and then, after "Fix:", what to change (see violation()).
// - Every number goes through numberIn(): a finite number in range, so NaN, Infinity, a string or
//   an unset value is refused instead of slipping through a comparison that is false for NaN.
// - ARM IDs (scopes, role definitions, identities) are compared case-insensitively, as ARM does.
// - A value unknown during a preview (an ID of a resource not created yet) skips only the check
//   that needs it (known()); the rest of the policy still runs, and `pulumi up` checks it again
//   once it is known.
//
// Overriding one deliberately: see docs/ci.md (policy config, or an enforcement level of "advisory"
// or "disabled" in a --policy-pack-config file, reviewed like any other change). The threat model
// behind each policy: docs/security.md.

import {
  UnknownValueError,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { ROLES, roleGuidOf, roleKeyOf } from "../roles.cjs";
import { COOLDOWN_SECONDS, MAX_SESSIONS_CEILING, READY_SESSIONS_CEILING, SESSION_CPU, SESSION_MEMORY_GI, SESSIONS_PER_E16_NODE } from "../ceilings.cjs";
import { GATEWAY_CALLS_PER_MINUTE, RATE_LIMIT_RENEWAL_SECONDS } from "../ceilings.cjs";
import { admitted, describeAdmitted, LIMIT_WORDS, withinAddressLimit } from "../ip-ranges.cjs";
import { canonicalType, DECLARED_TYPES, isDeclaredType, isType, TYPES } from "./types.cjs";
import { bypassBefore, inheritProblem, jwtAbsence, rateLimitProblem, readPolicyDocument, validatesJwt } from "./gateway-xml.cjs";

const { POOL, APP, REGISTRY, ROLE_ASSIGNMENT, IDENTITY, FEDERATED_CREDENTIAL, RESOURCE_GROUP, GATEWAY_API, GATEWAY_API_POLICY } = TYPES;
const { GATEWAY_OPERATION_POLICY, GATEWAY_SERVICE_POLICY, GATEWAY_PRODUCT_POLICY } = TYPES;
export { TYPES, canonicalType, DECLARED_TYPES };

// ---------------------------------------------------------------------------------------------
// Helpers (exported for the tests)

/** "<problem>. Fix: <remedy>": every violation names the change that clears it. */
export const violation = (problem: string, remedy: string) => `${problem}. Fix: ${remedy}`;

/** The stack name in a URN: urn:pulumi:<stack>::<project>::... */
export const stackOf = (urn: string) => urn.split("::")[0]!.replace(/^urn:pulumi:/, "");

/**
 * The one numeric check: a finite number within [min, max] (and whole, when asked). NaN,
 * Infinity, numeric strings and unset values all fail, so no comparison can be fooled by NaN.
 */
export function numberIn(value: unknown, min: number, max: number, opts: { integer?: boolean } = {}): value is number {
  return (
    typeof value === "number" &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!opts.integer || Number.isInteger(value))
  );
}

/** How a value reads in a message: NaN, "0.5" (a string), unset. */
export function show(value: unknown): string {
  if (value === undefined || value === null) return "unset";
  if (typeof value === "number") return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** Memory like "1Gi" in GiB; NaN for anything else (then numberIn refuses it). */
export const gib = (memory: unknown) => (typeof memory === "string" && /^\d+(\.\d+)?Gi$/.test(memory) ? parseFloat(memory) : NaN);

export const UNKNOWN: unique symbol = Symbol("unknown during preview");
/** Reads a value that may be unknown during a preview; UNKNOWN instead of aborting the whole policy. */
export function known<T>(read: () => T): T | typeof UNKNOWN {
  try {
    return read();
  } catch (err) {
    if (err instanceof UnknownValueError) return UNKNOWN;
    throw err;
  }
}

/** The items of a list that may be unknown in a preview, each read on its own (UNKNOWN in its place); [] if the list is not one. */
export function knownItems(read: () => unknown): unknown[] {
  const list = known(read);
  if (!Array.isArray(list)) return [];
  return Array.from({ length: list.length }, (_, i) => known(() => list[i]));
}

/** Where a role assignment applies, resolved from its scope. */
export type ScopeLevel =
  | { level: "resource-group" | "resource"; subscription: string; resourceGroup: string }
  | { level: "tenant" | "management-group" | "subscription" | "malformed" };

/**
 * Resolves an ARM scope: tenant root, management group, subscription, resource group, or a
 * resource in a group. Lower-cased (ARM IDs are case-insensitive). "." and ".." segments, empty
 * segments and anything else that is not one of these shapes is "malformed".
 */
export function resolveScope(scope: unknown): ScopeLevel {
  if (typeof scope !== "string") return { level: "malformed" };
  const s = scope.toLowerCase();
  if (s === "/" || s === "") return { level: "tenant" };
  if (s.split("/").slice(1).some((seg) => seg === "" || seg === "." || seg === "..")) return { level: "malformed" };
  if (/^\/providers\/microsoft\.management\/managementgroups\/[^/]+$/.test(s)) return { level: "management-group" };
  if (/^\/subscriptions\/[^/]+$/.test(s)) return { level: "subscription" };
  const m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)((?:\/providers\/[^/]+(?:\/[^/]+\/[^/]+)+)*)$/.exec(s);
  if (!m) return { level: "malformed" };
  return { level: m[3] ? "resource" : "resource-group", subscription: m[1]!, resourceGroup: m[2]! };
}

/** Built-in roles named in messages (the GUID alone tells a reviewer little). */
const ROLE_NAMES: Record<string, string> = {
  [ROLES.acrPull.guid]: ROLES.acrPull.name,
  [ROLES.sessionExecutor.guid]: ROLES.sessionExecutor.name,
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "f7669afb-68b2-44b4-9c5f-6d2a47fddda0": "Container Apps SessionPools Contributor",
  "af61e8fc-2633-4b95-bed3-421ad6826515": "Container Apps SessionPools Reader",
};
/**
 * The role GUID a role definition ID ends with, whatever comes before ".../roleDefinitions/": the
 * tenant-level form, the subscription form, or a resource group's. Only for naming the role in a
 * message; what is allowed is decided by roleKeyOf (../roles.cts), which reads the two forms ARM
 * documents and refuses anything else.
 */
const roleGuidAnywhere = (id: string) => /\/providers\/microsoft\.authorization\/roledefinitions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(id)?.[1]?.toLowerCase();
const roleLabel = (roleDefinitionId: unknown) => {
  if (roleDefinitionId === UNKNOWN) return "a role not known yet";
  const guid = typeof roleDefinitionId === "string" ? (roleGuidOf(roleDefinitionId) ?? roleGuidAnywhere(roleDefinitionId)) : undefined;
  return guid ? `${ROLE_NAMES[guid] ?? "role"} (${guid})` : `role ${show(roleDefinitionId)}`;
};

// ---------------------------------------------------------------------------------------------
// Mandatory: what must never ship

export const onlyDeclaredTypes: ResourceValidationPolicy = {
  name: "only-declared-types",
  description:
    "Only the resource types the program declares (DECLARED_TYPES in infra/policy-pack/types.cts, under any API-version token), and Pulumi's own (the stack, " +
    "stack references, providers): a generic resource (resources:Resource), an ARM template deployment (resources:Deployment, DeploymentAtScope...), a role " +
    "definition, a PIM schedule or any other type could create what the other policies guard without their recognising it.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (isDeclaredType(args.type)) return;
    report(
      violation(
        `resource ${args.name} has type ${show(args.type)}, which this program never declares: a generic resource, an ARM deployment or any type the policies do not know could create a pool with egress, a wide grant or an open registry unseen`,
        "declare it with the program's own resource types (infra/*.ts); a type the program really needs is added to DECLARED_TYPES in infra/policy-pack/types.cts, reviewed with that change",
      ),
    );
  },
};

export const sessionEgressDisabled: ResourceValidationPolicy = {
  name: "session-pool-egress-disabled",
  description: "Session pools keep egress disabled: contestants' code must not reach the internet (unless the stack is explicitly allowed).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { allowedStacks: { type: "array", items: { type: "string" }, default: [] } } },
  validateResource: (args, report) => {
    if (!isType(args.type, POOL)) return;
    const { allowedStacks } = args.getConfig<{ allowedStacks: string[] }>();
    const status = args.props.sessionNetworkConfiguration?.status;
    if (status !== "EgressDisabled" && !allowedStacks.includes(stackOf(args.urn)))
      report(
        violation(
          `session pool ${args.name} allows egress (${status ?? "unset"})`,
          "set allowSessionEgress false (sessionNetworkConfiguration.status EgressDisabled), or list the stack in this policy's allowedStacks",
        ),
      );
  },
};

export const registryAdminDisabled: ResourceValidationPolicy = {
  name: "registry-admin-user-disabled",
  description: "The registry's admin user stays disabled: images are pulled with the managed identity.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (isType(args.type, REGISTRY) && args.props.adminUserEnabled !== false)
      report(violation(`registry ${args.name} has the admin user enabled (or unset)`, "set adminUserEnabled: false; pull with the identity's AcrPull role"));
  },
};

export const registryAnonymousPullDisabled: ResourceValidationPolicy = {
  name: "registry-anonymous-pull-disabled",
  description:
    "The registry refuses anonymous pulls: the session and backend images (and whatever is baked into them) are readable only with AcrPull.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isType(args.type, REGISTRY)) return;
    const anonymous = args.props.anonymousPullEnabled;
    // Unset is Azure's default (off); anything but unset or false is refused, a string "true" included.
    if (anonymous !== undefined && anonymous !== false)
      report(violation(`registry ${args.name} allows anonymous pull (anonymousPullEnabled ${show(anonymous)})`, "remove anonymousPullEnabled or set it to false"));
  },
};

function checkCredentials(kind: string, credentials: Array<Record<string, unknown>>, report: ReportViolation) {
  for (const c of credentials)
    if (!c.identity || c.passwordSecretRef || c.username)
      report(
        violation(
          `${kind} pulls images without the managed identity (username/password or no identity)`,
          "use registry credentials with the managed identity (identity: <identity resource ID>) and no username or password",
        ),
      );
}

export const imagePullByIdentity: ResourceValidationPolicy = {
  name: "image-pull-by-identity",
  description: "The pool and the backend pull images with the managed identity, never a username and password.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (isType(args.type, POOL)) {
      const creds = args.props.customContainerTemplate?.registryCredentials;
      if (!creds)
        report(violation(`session pool ${args.name} declares no registry credentials`, "set customContainerTemplate.registryCredentials { server, identity: <identity resource ID> }"));
      else checkCredentials(`session pool ${args.name}`, [creds], report);
    }
    if (isType(args.type, APP)) checkCredentials(`container app ${args.name}`, args.props.configuration?.registries ?? [], report);
  },
};

/** Identities attached to a pool: user-assigned IDs (inputs: an array; state: a map) and "system". */
function attachedIdentities(identity: Record<string, any> | undefined): string[] {
  if (!identity) return [];
  const user = identity.userAssignedIdentities;
  const ids: string[] = Array.isArray(user) ? [...user] : user && typeof user === "object" ? Object.keys(user) : [];
  if (/systemassigned/i.test(String(identity.type ?? ""))) ids.push("system");
  return ids.map((id) => String(id).toLowerCase());
}

export const poolIdentityNotInSessions: ResourceValidationPolicy = {
  name: "pool-identity-not-in-sessions",
  description:
    "The pool's identity pulls images only (managedIdentitySettings lifecycle None): with Main or All, code in every session could get tokens for it and act with its roles.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isType(args.type, POOL)) return;
    const settings: Array<Record<string, any>> = args.props.managedIdentitySettings ?? [];
    const covered = new Set<string>();
    let coverageKnown = true;
    for (const s of settings) {
      // A new identity's ID is unknown in a preview; the lifecycle is known and checked regardless.
      const identity = known(() => s.identity);
      const lifecycle = s.lifecycle;
      // Unset is the API's default, None; compare case-insensitively as ARM enums do.
      if (lifecycle !== undefined && String(lifecycle).toLowerCase() !== "none")
        report(
          violation(
            `session pool ${args.name} exposes identity ${identity === UNKNOWN ? "(not known yet)" : show(identity)} inside sessions (managedIdentitySettings lifecycle ${show(lifecycle)})`,
            'set lifecycle: "None" for every managedIdentitySettings entry',
          ),
        );
      if (identity === UNKNOWN) coverageKnown = false;
      else covered.add(String(identity).toLowerCase());
    }
    // An attached identity without an entry: its lifecycle is the service's choice, not ours.
    const attached = known(() => attachedIdentities(args.props.identity));
    if (attached === UNKNOWN || !coverageKnown) return; // checked at `pulumi up`, once the IDs are known
    for (const id of attached)
      if (!covered.has(id))
        report(violation(`session pool ${args.name} attaches identity ${id} with no managedIdentitySettings entry`, `add managedIdentitySettings { identity: "${id}", lifecycle: "None" }`));
  },
};

export const backendHttpsOnly: ResourceValidationPolicy = {
  name: "backend-https-only",
  description: "The backend's ingress refuses plain HTTP.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (isType(args.type, APP) && args.props.configuration?.ingress && args.props.configuration.ingress.allowInsecure !== false)
      report(violation(`container app ${args.name} allows plain HTTP (allowInsecure is not false)`, "set configuration.ingress.allowInsecure: false"));
  },
};

export const sessionResourcesInRange: ResourceValidationPolicy = {
  name: "session-resources-in-range",
  description: `Every session container sets CPU (${SESSION_CPU.min}-${SESSION_CPU.max} vCPU) and memory (${SESSION_MEMORY_GI.min}-${SESSION_MEMORY_GI.max} Gi) as finite numbers in Azure's range.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isType(args.type, POOL)) return;
    const containers = containersOf(args.type, args.props);
    if (containers.length === 0)
      report(violation(`session pool ${args.name} declares no container`, "declare one session container in customContainerTemplate.containers"));
    for (const c of containers) {
      const name = c.name ?? "?";
      if (!numberIn(c.resources?.cpu, SESSION_CPU.min, SESSION_CPU.max))
        report(violation(`session container ${name} CPU ${show(c.resources?.cpu)} is not a number within ${SESSION_CPU.min}-${SESSION_CPU.max} vCPU`, `set sessionCpu to a value from ${SESSION_CPU.min} to ${SESSION_CPU.max} (e.g. "0.5")`));
      if (!numberIn(gib(c.resources?.memory), SESSION_MEMORY_GI.min, SESSION_MEMORY_GI.max))
        report(violation(`session container ${name} memory ${show(c.resources?.memory)} is not within ${SESSION_MEMORY_GI.min}Gi-${SESSION_MEMORY_GI.max}Gi`, `set sessionMemory to a value from ${SESSION_MEMORY_GI.min}Gi to ${SESSION_MEMORY_GI.max}Gi (e.g. "1Gi")`));
    }
  },
};

export const poolCooldownInRange: ResourceValidationPolicy = {
  name: "pool-cooldown-in-range",
  description: `The pool uses the Timed lifecycle with a cooldown of ${COOLDOWN_SECONDS.min}-${COOLDOWN_SECONDS.max} s.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isType(args.type, POOL)) return;
    const l = args.props.dynamicPoolConfiguration?.lifecycleConfiguration;
    if (l?.lifecycleType !== "Timed" || !numberIn(l.cooldownPeriodInSeconds, COOLDOWN_SECONDS.min, COOLDOWN_SECONDS.max, { integer: true }))
      report(
        violation(
          `session pool ${args.name} has lifecycle ${show(l?.lifecycleType)} with cooldown ${show(l?.cooldownPeriodInSeconds)} s`,
          `use lifecycleType "Timed" with a whole cooldownPeriodInSeconds from ${COOLDOWN_SECONDS.min} to ${COOLDOWN_SECONDS.max} (manage scale --cooldown)`,
        ),
      );
  },
};

/**
 * maxConcurrentSessions: 600 is documented for code-interpreter pools; the ceiling for custom
 * containers is UNCONFIRMED (shared/azure-facts.md), so it is a policy config value, the same
 * number as the stack key maxSessionsLimit's default. Ready sessions: each one is billed node
 * capacity around the clock (28-32 keep an E16 node, ~$1.55/h), so a typo like 500 is refused, not
 * merely flagged; the ceiling is what the capacity planner plans for the largest contest the
 * session ceiling admits, so no contest profile the planner sizes is refused (../ceilings.cts).
 */
export const POOL_SCALE_DEFAULTS = { maxConcurrentSessionsCeiling: MAX_SESSIONS_CEILING, readySessionsCeiling: READY_SESSIONS_CEILING } as const;

export const poolScaleInRange: ResourceValidationPolicy = {
  name: "pool-scale-in-range",
  description:
    `maxConcurrentSessions is a whole number from 1 to maxConcurrentSessionsCeiling (default ${POOL_SCALE_DEFAULTS.maxConcurrentSessionsCeiling}: ` +
    "documented for code-interpreter pools; the custom-container ceiling is unconfirmed) and readySessionInstances a whole number from 0 to " +
    `readySessionsCeiling (default ${POOL_SCALE_DEFAULTS.readySessionsCeiling}: what the capacity planner plans for ${POOL_SCALE_DEFAULTS.maxConcurrentSessionsCeiling} participants; ` +
    "ready sessions bill node capacity even when nobody runs code).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxConcurrentSessionsCeiling: { type: "integer", minimum: 1, default: POOL_SCALE_DEFAULTS.maxConcurrentSessionsCeiling },
      readySessionsCeiling: { type: "integer", minimum: 0, default: POOL_SCALE_DEFAULTS.readySessionsCeiling },
    },
  },
  validateResource: (args, report) => {
    if (!isType(args.type, POOL)) return;
    const { maxConcurrentSessionsCeiling: maxCeiling, readySessionsCeiling: readyCeiling } =
      args.getConfig<{ maxConcurrentSessionsCeiling: number; readySessionsCeiling: number }>();
    const scale = args.props.scaleConfiguration;
    if (!numberIn(scale?.maxConcurrentSessions, 1, maxCeiling, { integer: true }))
      report(
        violation(
          `session pool ${args.name} maxConcurrentSessions ${show(scale?.maxConcurrentSessions)} is not a whole number from 1 to ${maxCeiling}`,
          `lower the profile's maxSessions (manage scale --max-sessions) to at most ${maxCeiling}, or raise this policy's maxConcurrentSessionsCeiling after checking Azure's limit`,
        ),
      );
    if (!numberIn(scale?.readySessionInstances, 0, readyCeiling, { integer: true }))
      report(
        violation(
          `session pool ${args.name} readySessionInstances ${show(scale?.readySessionInstances)} is not a whole number from 0 to ${readyCeiling}`,
          `set the profile's readySessions (manage scale --ready-sessions) to at most ${readyCeiling}, or raise this policy's readySessionsCeiling`,
        ),
      );
  },
};

/**
 * Container Apps allows up to 1000 replicas, but a contest of 200+ people needs about 10 (the
 * contest profile): a ceiling of 30 leaves room for a surge while bounding what an abuser (or a
 * typo) can make the subscription pay for.
 */
export const BACKEND_REPLICAS_DEFAULT_CEILING = 30;

export const backendReplicasInRange: ResourceValidationPolicy = {
  name: "backend-replicas-in-range",
  description:
    `The backend's maxReplicas is a whole number from 1 to maxReplicasCeiling (default ${BACKEND_REPLICAS_DEFAULT_CEILING}: a contest needs about 10; ` +
    "Container Apps would allow 1000, each billed) and minReplicas a whole number from 0 to maxReplicas.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxReplicasCeiling: { type: "integer", minimum: 1, default: BACKEND_REPLICAS_DEFAULT_CEILING } } },
  validateResource: (args, report) => {
    if (!isType(args.type, APP)) return;
    const { maxReplicasCeiling } = args.getConfig<{ maxReplicasCeiling: number }>();
    const scale = args.props.template?.scale;
    const max = scale?.maxReplicas;
    if (!numberIn(max, 1, maxReplicasCeiling, { integer: true }))
      report(
        violation(
          `container app ${args.name} maxReplicas ${show(max)} is not a whole number from 1 to ${maxReplicasCeiling}`,
          `set the profile's backend maximum (manage scale --backend-max) to at most ${maxReplicasCeiling}, or raise this policy's maxReplicasCeiling`,
        ),
      );
    const min = scale?.minReplicas ?? 0;
    if (!numberIn(min, 0, numberIn(max, 1, Infinity) ? max : maxReplicasCeiling, { integer: true }))
      report(
        violation(
          `container app ${args.name} minReplicas ${show(min)} is not a whole number from 0 to maxReplicas`,
          "set the profile's backend minimum (manage scale --backend-min) to at most its maximum",
        ),
      );
  },
};

/** A role assignment on its own: only the deployment's two roles, never above a resource group. */
export const roleAssignmentAllowed: ResourceValidationPolicy = {
  name: "role-assignment-allowed",
  description:
    "A role assignment grants only AcrPull or Azure ContainerApps Session Executor (GUIDs compared case-insensitively), at a resource group or narrower: " +
    "never Owner, Contributor or any other role, never at a subscription, management group or the tenant root.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isType(args.type, ROLE_ASSIGNMENT)) return;
    const roleId = known(() => args.props.roleDefinitionId);
    if (roleId !== UNKNOWN && (typeof roleId !== "string" || !roleKeyOf(roleId)))
      report(
        violation(
          `role assignment ${args.name} grants ${roleLabel(roleId)}, which this deployment never needs`,
          `grant only AcrPull (${ROLES.acrPull.guid}) or Session Executor (${ROLES.sessionExecutor.guid}); remove this assignment`,
        ),
      );
    const scope = known(() => args.props.scope);
    if (scope === UNKNOWN) return; // e.g. a new registry's ID in a preview: checked at `pulumi up`
    const resolved = resolveScope(scope);
    if (resolved.level !== "resource-group" && resolved.level !== "resource")
      report(
        violation(
          `role assignment ${args.name} (${roleLabel(roleId)}) is at ${show(scope)}, a ${resolved.level} scope: wider than a resource group`,
          "scope it to the stack's resource group or a resource in it (sessionExecutorScope pool or resourceGroup)",
        ),
      );
  },
};

interface StackHome {
  /** Lower-cased names of the stack's own resource group(s); empty when not yet known. */
  resourceGroups: Set<string>;
  /** Lower-cased subscription IDs seen in the stack's own ARM IDs in those groups. */
  subscriptions: Set<string>;
  /** Resource groups the stack's resources name when none is created and they disagree. */
  ambiguous?: string[];
}

/**
 * The stack's own resource group: the ResourceGroup it creates or, with createResourceGroup false
 * (no ResourceGroup resource), the group its other resources name in resourceGroupName or in the
 * ARM IDs they reference (environmentId, managedEnvironmentId). Role assignments never count:
 * they are what is being judged.
 */
function homeOf(resources: PolicyResource[]): StackHome {
  const lower = (v: unknown) => (typeof v === "string" && v !== "" ? v.toLowerCase() : undefined);
  const declared = new Set<string>();
  for (const r of resources.filter((r) => isType(r.type, RESOURCE_GROUP))) {
    const name = lower(known(() => r.props.resourceGroupName)) ?? lower(known(() => r.props.name));
    if (name) declared.add(name);
  }
  const ownIds: ScopeLevel[] = [];
  const named = new Set<string>();
  for (const r of resources) {
    if (isType(r.type, ROLE_ASSIGNMENT) || isType(r.type, RESOURCE_GROUP)) continue;
    const rg = lower(known(() => r.props.resourceGroupName));
    if (rg) named.add(rg);
    for (const id of [known(() => r.props.environmentId), known(() => r.props.managedEnvironmentId)])
      if (typeof id === "string") ownIds.push(resolveScope(id));
  }
  for (const id of ownIds) if ("resourceGroup" in id) named.add(id.resourceGroup);
  const home: StackHome = { resourceGroups: declared.size > 0 ? declared : named, subscriptions: new Set() };
  if (declared.size === 0 && named.size > 1) home.ambiguous = [...named].sort();
  for (const id of ownIds) if ("resourceGroup" in id && home.resourceGroups.has(id.resourceGroup)) home.subscriptions.add(id.subscription);
  return home;
}

export const roleAssignmentsWithinStack: StackValidationPolicy = {
  name: "role-assignments-within-stack",
  description:
    "Every role assignment in the stack is for the stack's own identity and scoped inside the stack's own resource group (and subscription): " +
    "never another team's group, never wider. Scopes and IDs are compared case-insensitively.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const assignments = args.resources.filter((r) => isType(r.type, ROLE_ASSIGNMENT));
    if (assignments.length === 0) return;
    const home = homeOf(args.resources);
    const identities = args.resources.filter((r) => isType(r.type, IDENTITY)).map((r) => known(() => r.props.principalId));
    const principalsKnown = !identities.includes(UNKNOWN);
    const principals = new Set(identities.filter((p): p is string => typeof p === "string").map((p) => p.toLowerCase()));
    const groups = [...home.resourceGroups].join(", ");

    for (const r of assignments) {
      const role = roleLabel(known(() => r.props.roleDefinitionId));
      const scope = known(() => r.props.scope);
      if (home.ambiguous)
        report(
          violation(
            `role assignment ${r.name} (${role}): the stack's resources name several resource groups (${home.ambiguous.join(", ")}), so its own cannot be told`,
            "keep every resource of the stack in one resource group (resourceGroupName)",
          ),
          r.urn,
        );
      else if (scope !== UNKNOWN && home.resourceGroups.size > 0) {
        const resolved = resolveScope(scope);
        const inside =
          "resourceGroup" in resolved &&
          home.resourceGroups.has(resolved.resourceGroup) &&
          (home.subscriptions.size === 0 || home.subscriptions.has(resolved.subscription));
        if (!inside)
          report(
            violation(
              `role assignment ${r.name} (${role}) is scoped to ${show(scope)}, outside this stack's resource group ${groups}`,
              `scope it to /subscriptions/<subscription>/resourceGroups/${groups} or a resource in it; never another group or a wider scope`,
            ),
            r.urn,
          );
      }
      const principal = known(() => r.props.principalId);
      // A new identity's principal ID is unknown in a preview: checked once it is known.
      if (principal !== UNKNOWN && principalsKnown && !(typeof principal === "string" && principals.has(principal.toLowerCase())))
        report(
          violation(
            `role assignment ${r.name} (${role}) is granted to ${show(principal)}, which is not this stack's identity`,
            "grant roles only to the stack's user-assigned identity (principalId: identity.principalId)",
          ),
          r.urn,
        );
    }
  },
};

export const backendCallerRestricted: StackValidationPolicy = {
  name: "backend-caller-restricted",
  description:
    "A stack with a session pool does not serve it through an open backend (the `open` access mode: external ingress that anyone on the internet may call). " +
    "The backend must either keep its ingress internal (external: false) or allow only callers whose Allow rules admit, all together, " +
    `at most ${LIMIT_WORDS} (the \`token\` mode's gateway IPs, the \`venue\` mode's ranges): the sum of the ranges' sizes counts, so 256 /8s are refused like 0.0.0.0/0. ` +
    "A stack listed in openAccessStacks (default none) is exempt: a reviewed, deliberate choice.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { openAccessStacks: { type: "array", items: { type: "string" }, default: [] } } },
  validateStack: (args, report) => {
    if (!args.resources.some((r) => isType(r.type, POOL))) return;
    const { openAccessStacks } = args.getConfig<{ openAccessStacks: string[] }>();
    const fix =
      "set accessMode token (a gateway in front; the backend allows only the gateway's IPs) or accessMode venue with the venue's allowedIpRanges; " +
      "or, deliberately and reviewed, list stack \"STACK\" in this policy's openAccessStacks (infra/policy-pack/config.json)";
    for (const r of args.resources.filter((r) => isType(r.type, APP))) {
      if (openAccessStacks.includes(stackOf(r.urn))) continue;
      const refuse = (why: string) => report(violation(`container app ${r.name} fronts this stack's session pool with ${why}`, fix.replace("STACK", stackOf(r.urn))), r.urn);
      // Every read goes through known(): a value unknown in a preview leaves this check "cannot judge
      // yet" (judged again at `pulumi up`), never throws, so the rest of the policy still runs.
      const ingress = known(() => r.props.configuration?.ingress);
      if (ingress === UNKNOWN || !ingress) continue; // no ingress: nobody outside the environment can call it
      // An extra port open outside the environment (additionalPortMappings external): the IP rules
      // are documented for the app's HTTP ingress, so nothing here can say who reaches that port.
      const ports = known(() => ingress.additionalPortMappings);
      const portCount = ports !== UNKNOWN && Array.isArray(ports) ? ports.length : 0;
      for (let i = 0; i < portCount; i++) {
        const external = known(() => (ports as Array<Record<string, unknown>>)[i]?.external);
        if (external !== UNKNOWN && external !== false)
          refuse(`an extra port open outside its environment (additionalPortMappings[${i}] external ${show(external)}, target port ${show(known(() => (ports as Array<Record<string, unknown>>)[i]?.targetPort))}), which no IP rule is known to cover`);
      }
      const external = known(() => ingress.external);
      // Unset is Azure's (and the SDK's) default: internal.
      if (external === UNKNOWN || external === false || external === undefined) continue;
      const rules = known(() => ingress.ipSecurityRestrictions ?? []);
      if (rules === UNKNOWN) continue;
      const count = Array.isArray(rules) ? rules.length : 0;
      // A rule admits callers unless it says Deny (any case, any spacing): "Allow ", "allow" or an
      // action this policy cannot read is counted as admitting, never skipped.
      const admitting: unknown[] = [];
      let unknownRanges = 0;
      for (let i = 0; i < count; i++) {
        const action = known(() => (rules as Array<Record<string, unknown>>)[i]?.action);
        if (action !== UNKNOWN && typeof action === "string" && action.trim().toLowerCase() === "deny") continue;
        const range = known(() => (rules as Array<Record<string, unknown>>)[i]?.ipAddressRange);
        if (range === UNKNOWN) unknownRanges++;
        else admitting.push(range);
      }
      const wide = admitted(admitting);
      if (admitting.length + unknownRanges === 0) refuse("external ingress that has no Allow rule (anyone on the internet can call it)");
      else if (!withinAddressLimit(wide))
        refuse(
          wide.unreadable.length > 0
            ? `external ingress that allows ${wide.unreadable.map(show).join(", ")}, which this policy cannot read as an address or CIDR range`
            : `external ingress that allows ${admitting.map(show).join(", ")}: ${describeAdmitted(wide)} in all, more than ${LIMIT_WORDS} (the whole internet, or a good part of it)`,
        );
      // else: within the limit, or within it so far with ranges unknown in a preview (judged at `pulumi up`).
    }
  },
};

export const gatewayAuthenticatesCallers: StackValidationPolicy = {
  name: "gateway-authenticates-callers",
  description:
    "Every API on the stack's gateway (accessMode token) authenticates its callers, with a subscription key (subscriptionRequired, API Management's default) " +
    "or a JWT (a validate-jwt of the Authorization header with a signature check, an audience and an issuer listed in jwtIssuers, in <inbound>, with nothing before it that answers or calls out), and holds each to a rate limit in <inbound>, before the backend: " +
    `rate-limit-by-key counted per subscription or per validated token subject (never a key the caller chooses), or rate-limit (per subscription); ` +
    `${GATEWAY_CALLS_PER_MINUTE.min}-${GATEWAY_CALLS_PER_MINUTE.max} calls a minute, renewal-period ${RATE_LIMIT_RENEWAL_SECONDS.min}-${RATE_LIMIT_RENEWAL_SECONDS.max} s, every call counted. ` +
    "The policy is read as XML: a statement in a comment, in <outbound>/<on-error> or inside <choose> does not count. A gateway that lets anyone through is an open backend with extra steps.",
  // The issuers a JWT may come from: pinned here, in the pack's committed config, because
  // gatewayJwtIssuer sits in the stack file the change under review edits (docs/security.md).
  configSchema: { properties: { jwtIssuers: { type: "array", items: { type: "string" }, default: [] } } },
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    // An API's policy is the ApiPolicy on the same service, in the same resource group, for the same
    // apiId (ARM names compare case-insensitively): an apiId alone would let a good policy on a
    // decoy service stand for an API that has none.
    const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);
    const where = (r: PolicyResource) => [known(() => r.props.apiId), known(() => r.props.serviceName), known(() => r.props.resourceGroupName)];
    const policies = args.resources.filter((r) => isType(r.type, GATEWAY_API_POLICY)).map((p) => ({ where: where(p), xml: known(() => p.props.value) }));
    const { jwtIssuers } = args.getConfig<{ jwtIssuers: string[] }>();
    for (const api of args.resources.filter((r) => isType(r.type, GATEWAY_API))) {
      const place = where(api);
      const [apiId] = place;
      const subscriptionRequired = known(() => api.props.subscriptionRequired);
      // Unknown in a preview (an id, the service's name, a policy computed from an output): checked at `pulumi up`.
      if (place.includes(UNKNOWN) || subscriptionRequired === UNKNOWN) continue;
      if (typeof apiId !== "string" || apiId === "") {
        report(
          violation(
            `gateway API ${api.name} declares no apiId, so no policy can be matched to it (azure-native would name it itself) and its callers' checks cannot be told`,
            "set apiId on the API and the same apiId on its ApiPolicy (infra/gateway.ts)",
          ),
          api.urn,
        );
        continue;
      }
      const mine = policies.filter((p) => p.where.every((v, i) => v === UNKNOWN || lower(v) === lower(place[i])));
      if (mine.some((p) => p.where.includes(UNKNOWN) || p.xml === UNKNOWN)) continue;
      // Unset is API Management's default: a subscription key is required.
      const keyRequired = subscriptionRequired !== false;
      const docs = mine.map((p) => readPolicyDocument(p.xml));
      const unauthenticated = docs.find((doc) => validatesJwt(doc, jwtIssuers) < 0);
      if (!keyRequired && (docs.length === 0 || unauthenticated))
        report(
          violation(
            `gateway API ${show(apiId)} lets anonymous callers through: subscriptionRequired is false and ${unauthenticated ? jwtAbsence(unauthenticated, jwtIssuers) : "it has no policy"}`,
            "require a subscription key (subscriptionRequired true: accessMode token's default) or validate a JWT (gatewayJwtIssuer and gatewayJwtAudience) " +
              "from an issuer listed in this policy's jwtIssuers (infra/policy-pack/config.json, reviewed apart from the stack file)",
          ),
          api.urn,
        );
      const problems = docs.length === 0 ? ["it has no policy"] : docs.map((doc) => rateLimitProblem(doc, keyRequired, jwtIssuers)).filter((p): p is string => p !== null);
      for (const problem of problems)
        report(
          violation(
            `gateway API ${show(apiId)} holds no caller to a rate limit: ${problem}`,
            "declare the API's policy from infra/access-mode.ts (gatewayPolicyXml: rate-limit-by-key per caller in <inbound>), sized with gatewayRateLimitPerMinute " +
              `(${GATEWAY_CALLS_PER_MINUTE.min}-${GATEWAY_CALLS_PER_MINUTE.max})`,
          ),
          api.urn,
        );
    }
  },
};

export const gatewayOperationsInherit: ResourceValidationPolicy = {
  name: "gateway-operation-policies-inherit",
  description:
    "No policy at another scope of the gateway gets in before the API's own checks (validate-jwt, the rate limit): an operation's policy keeps <base/> in its <inbound> " +
    "section with nothing before it that answers or calls out (return-response, send-request, forward-request, include-fragment, also inside <choose>); the service's " +
    "global policy and a product's policy, which run before the API's, contain no such statement in <inbound> at all.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const operation = isType(args.type, GATEWAY_OPERATION_POLICY);
    const scope = operation ? undefined : isType(args.type, GATEWAY_SERVICE_POLICY) ? "global (service)" : isType(args.type, GATEWAY_PRODUCT_POLICY) ? "product" : undefined;
    if (!operation && !scope) return;
    const xml = known(() => args.props.value);
    if (xml === UNKNOWN) return;
    const doc = readPolicyDocument(xml);
    if (operation) {
      const problem = inheritProblem(doc);
      if (problem)
        report(
          violation(
            `gateway operation policy ${args.name} (operation ${show(known(() => args.props.operationId))}) ${problem}, so the API's authentication and rate limit do not run for it`,
            "put <base /> first in the operation policy's <inbound> section (or remove the operation policy)",
          ),
        );
      return;
    }
    const early = bypassBefore(doc);
    if (!doc.ok || early)
      report(
        violation(
          `gateway ${scope} policy ${args.name} ${doc.ok ? `has <${early}> in <inbound>` : `cannot be read: ${doc.why}`}: it runs before every API's own policy, so a caller can be answered (or the backend called) before any key, token or rate limit is checked`,
          `remove the ${scope} policy (the program declares none), or keep it to statements that neither answer nor call out`,
        ),
      );
  },
};

/** The containers a pool or a container app runs (an app's init containers too). */
function containersOf(type: string, props: Record<string, any>): Array<Record<string, any>> {
  return isType(type, POOL)
    ? (props.customContainerTemplate?.containers ?? [])
    : [...(props.template?.initContainers ?? []), ...(props.template?.containers ?? [])];
}

/** The registry host an image reference names ("docker.io" for a bare "python:3.12", as Docker reads it). */
export function registryHostOf(image: string): string {
  const first = image.split("/")[0]!;
  // Docker's rule: the first segment is a registry host only with a dot, a colon or "localhost".
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first.toLowerCase() : "docker.io";
}

export const imagesFromOwnRegistry: StackValidationPolicy = {
  name: "images-from-own-registry",
  description:
    "The session pool and the backend run images from the stack's own registry only (the loginServer of the registry the stack declares, or exactly <registryName>.azurecr.io while that is unknown): " +
    "never docker.io, ghcr.io or another team's registry, whose images nobody here reviewed and whose owner can replace them under the same tag.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const registries = args.resources.filter((r) => isType(r.type, REGISTRY));
    const servers = registries.map((r) => known(() => r.props.loginServer));
    // A new registry's loginServer is unknown in a preview: then its name says it, exactly
    // <name>.azurecr.io (Azure's public cloud, where the program deploys; Microsoft Learn,
    // container-registry-get-started: "the login server name ... <registry-name>.azurecr.io").
    // A prefix would admit codeengcontestacr.azurecr.evil.example, someone else's host.
    const names = registries.map((r) => known(() => r.props.registryName));
    const own = (host: string) =>
      servers.some((s) => typeof s === "string" && s.toLowerCase() === host) ||
      servers.some((s, i) => s === UNKNOWN && typeof names[i] === "string" && host === `${String(names[i]).toLowerCase()}.azurecr.io`);
    for (const r of args.resources.filter((r) => isType(r.type, POOL) || isType(r.type, APP))) {
      const kind = isType(r.type, POOL) ? "session pool" : "container app";
      for (const c of containersOf(r.type, r.props)) {
        const [container, image] = [String(c.name ?? "?"), known(() => c.image)];
        if (image === UNKNOWN) continue; // built from the registry's loginServer: checked at `pulumi up`
        const host = typeof image === "string" ? registryHostOf(image) : "";
        if (typeof image === "string" && own(host)) continue;
        report(
          violation(
            `${kind} ${r.name} container ${container} runs image ${show(image)} from ${host || "an unreadable reference"}, not from this stack's registry ` +
              `(${servers.map((s) => (s === UNKNOWN ? "not known yet" : show(s))).join(", ") || "none declared"}): an outside image is code nobody here reviewed, replaceable under the same tag`,
            "import it into the stack's registry (manage images import) and set sessionImage/backendImage to its repository:tag there",
          ),
          r.urn,
        );
      }
    }
  },
};

/**
 * Env var names that carry a secret: a word of the name (split at "_", "-", "." and camelCase) is one
 * of these, or ends with one of the longer ones (ACCOUNTKEY, APITOKEN).
 */
const SECRET_WORDS = new Set(["KEY", "KEYS", "SECRET", "SECRETS", "TOKEN", "TOKENS", "PASSWORD", "PASSWD", "PWD", "PASS", "CREDENTIAL", "CREDENTIALS", "SAS", "SIGNATURE", "CONNSTR"]);
const SECRET_ENDINGS = ["APIKEY", "ACCESSKEY", "ACCOUNTKEY", "PRIVATEKEY", "SECRET", "TOKEN", "PASSWORD", "CONNECTIONSTRING"];
/**
 * Values that are a secret whatever the variable is called: a connection string's key, a signature,
 * a private key, credentials in a URL (scheme://user:password@host), and the published shapes of
 * well-known tokens: GitHub's (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_: docs.github.com, "About
 * authentication to GitHub", token prefixes), OpenAI-style API keys (sk-...), Slack's (xox?-), AWS
 * access key IDs (AKIA...), a JWT (eyJ...eyJ...), a bearer header.
 */
const SECRET_VALUE = new RegExp(
  [
    /AccountKey=|SharedAccessKey=|SharedAccessSignature|[?&]sig=|Password=|-----BEGIN [A-Z ]*PRIVATE KEY-----/.source,
    /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/.source,
    /\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})/.source,
    /(?:^|[^A-Za-z0-9])sk-[A-Za-z0-9_-]{3,}/.source,
    /\bxox[abposr]-[A-Za-z0-9-]{8,}/.source,
    /\bAKIA[0-9A-Z]{16}\b/.source,
    /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\./.source,
    /\bBearer\s+[A-Za-z0-9._~+/-]{8,}/.source,
  ].join("|"),
  "i",
);

export function secretLooking(name: unknown): boolean {
  if (typeof name !== "string") return false;
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase().split(/[^A-Z0-9]+/).filter(Boolean);
  const joined = words.join("");
  return words.some((w) => SECRET_WORDS.has(w)) || SECRET_ENDINGS.some((e) => joined.endsWith(e) || words.some((w) => w.endsWith(e))) || /CONNECTIONSTRING/.test(joined);
}

/** Whether a value is a secret by its own shape (SECRET_VALUE), whatever it is called. */
export const secretValue = (value: unknown): boolean => typeof value === "string" && SECRET_VALUE.test(value);

/**
 * A secret spelled out in a container's command or args: a value of a secret's shape, an assignment
 * NAME=value whose name looks like a secret ("export API_KEY=sk-123"), or a flag named like one with
 * its value ("--password hunter2", "--token=..."). A reference to a variable ($API_KEY, ${TOKEN}) is
 * not the secret and passes. Returns where it was found, for the message (never the value), or null.
 */
export function secretInCommand(words: readonly unknown[]): string | null {
  const literal = (v: string) => v !== "" && !/^["']?\$/.test(v);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (typeof word !== "string") continue;
    for (const m of word.matchAll(/(?:^|[\s;&|])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g))
      if (secretLooking(m[1]) && literal(m[2]!.replace(/^["']|["']$/g, ""))) return `${m[1]}= set to a value`;
    for (const m of word.matchAll(/(?:^|\s)--?([A-Za-z][A-Za-z0-9_-]*)(?:=(\S*)|\s+(\S+))?/g)) {
      if (!secretLooking(m[1])) continue;
      const value = m[2] ?? m[3] ?? (m.index === 0 && m[0] === word ? words[i + 1] : undefined);
      if (typeof value === "string" && literal(value) && !value.startsWith("-")) return `--${m[1]} with a value`;
    }
    // Where, never what: the refusal reaches manage's output and the deploy workflow's log.
    if (secretValue(word)) return `a value shaped like a secret (word ${i + 1} of the command and args)`;
  }
  return null;
}

export const noPlainSecretsInEnv: ResourceValidationPolicy = {
  name: "no-plain-secrets-in-env",
  description:
    "No secret in a container's environment as plain text: a backend env var whose name looks like a secret (KEY, SECRET, TOKEN, PASSWORD, CONNECTION_STRING...) or whose value does " +
    "(AccountKey=, a signature, a private key, user:password@ in a URL, a GitHub/OpenAI/Slack/AWS token, a JWT) must use secretRef, never value (a value is stored in the app's definition and state in the clear); " +
    "the same shapes, NAME=value and --flag value with a secret's name are refused in a container's command and args. " +
    "The session container is stricter: contestants' code runs there and can read its whole environment, so it carries no secret at all, not even through secretRef.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const pool = isType(args.type, POOL);
    if (!pool && !isType(args.type, APP)) return;
    const containers = containersOf(args.type, args.props);
    for (const c of containers)
      for (const e of (c.env ?? []) as Array<Record<string, unknown>>) {
        const name = e.name;
        const value = known(() => e.value);
        const plain = typeof value === "string" && value !== "" && (secretLooking(name) || secretValue(value));
        if (pool && (e.secretRef !== undefined || plain))
          report(
            violation(
              `session pool ${args.name} container ${c.name ?? "?"} carries ${e.secretRef !== undefined ? `secret ${show(e.secretRef)}` : "a secret in plain text"} in env var ${show(name)}: contestants' code runs in that container and reads its environment`,
              "remove the variable from the session container; whatever needs the secret belongs in the backend (as a secretRef), never in a session",
            ),
          );
        else if (!pool && plain)
          report(
            violation(
              `container app ${args.name} container ${c.name ?? "?"} sets env var ${show(name)} to a plain-text value that looks like a secret: it is stored in the clear in the app's definition and the stack's state`,
              "declare it in configuration.secrets (from a Pulumi secret or Key Vault) and refer to it with secretRef instead of value",
            ),
          );
      }
    // The command line is part of the definition too (and a session's is readable from inside it).
    for (const c of containers) {
      const found = secretInCommand([...knownItems(() => c.command), ...knownItems(() => c.args)]);
      if (found)
        report(
          violation(
            pool
              ? `session pool ${args.name} container ${c.name ?? "?"} has ${found} in its command/args: contestants' code runs in that container and reads its command line`
              : `container app ${args.name} container ${c.name ?? "?"} has ${found} in its command/args, in plain text: it is stored in the clear in the app's definition and the stack's state`,
            pool
              ? "remove the secret from the session container's command and args; whatever needs it belongs in the backend"
              : "pass the secret through an env var with secretRef (configuration.secrets) and refer to the variable ($NAME) in the command",
          ),
        );
    }
  },
};

/** GitHub's OIDC issuer and the audience Azure's token exchange expects (docs/ci.md, shared/azure-facts.md). */
export const GITHUB_OIDC = { issuer: "https://token.actions.githubusercontent.com", audience: "api://AzureADTokenExchange" } as const;

export const federatedCredentialsThisRepository: ResourceValidationPolicy = {
  name: "federated-credentials-this-repository",
  description:
    "A federated identity credential trusts only this repository's GitHub Actions: issuer https://token.actions.githubusercontent.com, audience api://AzureADTokenExchange, " +
    "subject repo:<repository>:environment:<one of environments> (docs/ci.md: every Azure job names an environment; never a branch, a tag or pull_request). " +
    "repository (org/name) is this policy's config; unset, every federated credential is refused.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      repository: { type: "string", default: "" },
      // The environments the workflows' Azure jobs name (docs/ci.md): deploys in dev and contest, the
      // scheduled job in schedule. Not "preview": nothing here uses it, and an environment a
      // pull-request workflow can name would hand pull-request code the deploy identity.
      environments: { type: "array", items: { type: "string" }, default: ["dev", "contest", "schedule"] },
    },
  },
  validateResource: (args, report) => {
    if (!isType(args.type, FEDERATED_CREDENTIAL)) return;
    const { repository, environments } = args.getConfig<{ repository: string; environments: string[] }>();
    const subject = known(() => args.props.subject);
    const issuer = known(() => args.props.issuer);
    const audiences = known(() => args.props.audiences);
    const fix = `trust only subjects repo:${repository || "<org>/<repo>"}:environment:<${environments.join("|")}>, issuer ${GITHUB_OIDC.issuer}, audience ${GITHUB_OIDC.audience}`;
    if (!repository)
      return report(
        violation(
          `federated credential ${args.name} trusts ${show(subject)}, and this policy names no repository to trust`,
          'set this policy\'s repository ("org/name") in infra/policy-pack/config.json, then ' + fix.replace("<org>/<repo>", "that repository"),
        ),
      );
    if (subject !== UNKNOWN) {
      const m = typeof subject === "string" ? /^repo:([^:]+):environment:([^:]+)$/.exec(subject) : null;
      // GitHub repository names are unique case-insensitively; environment names are compared as written.
      if (!m || m[1]!.toLowerCase() !== repository.toLowerCase() || !environments.includes(m[2]!))
        report(violation(`federated credential ${args.name} trusts subject ${show(subject)}: not one of repository ${repository}'s environments (${environments.join(", ")})`, fix));
    }
    if (issuer !== UNKNOWN && issuer !== GITHUB_OIDC.issuer)
      report(violation(`federated credential ${args.name} trusts issuer ${show(issuer)}, not GitHub Actions'`, fix));
    if (audiences !== UNKNOWN && !(Array.isArray(audiences) && audiences.length === 1 && audiences[0] === GITHUB_OIDC.audience))
      report(violation(`federated credential ${args.name} accepts audiences ${show(audiences)}, not exactly ${GITHUB_OIDC.audience}`, fix));
  },
};

// ---------------------------------------------------------------------------------------------
// Advisory: what costs money for nothing

export const readySessionsBudget: ResourceValidationPolicy = {
  name: "ready-sessions-budget",
  description: "Ready sessions cost whole E16 nodes even when nobody runs code: flag more than the threshold (pool-scale-in-range refuses far more).",
  enforcementLevel: "advisory",
  configSchema: { properties: { maxReadySessions: { type: "integer", minimum: 0, default: 10 } } },
  validateResource: (args, report) => {
    if (!isType(args.type, POOL)) return;
    const ready = args.props.scaleConfiguration?.readySessionInstances ?? 0;
    const { maxReadySessions } = args.getConfig<{ maxReadySessions: number }>();
    // A non-number is pool-scale-in-range's (mandatory) business; here only the budget.
    if (numberIn(ready, 0, Infinity) && !numberIn(ready, 0, maxReadySessions))
      report(
        violation(
          `session pool ${args.name} keeps ${ready} ready sessions (threshold ${maxReadySessions}); each ${SESSIONS_PER_E16_NODE} keep one E16 node (~$1.55/h) running`,
          `lower readySessions (manage scale --ready-sessions) to ${maxReadySessions} or fewer, or raise this policy's maxReadySessions`,
        ),
      );
  },
};

export const idleBackendAtZero: ResourceValidationPolicy = {
  name: "idle-backend-at-zero",
  description: "In the idle profile the backend scales to zero replicas.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    if (!isType(args.type, APP) || args.props.tags?.profile !== "idle") return;
    const min = args.props.template?.scale?.minReplicas ?? 0;
    if (!numberIn(min, 0, 0))
      report(violation(`container app ${args.name} keeps ${show(min)} replica(s) in the idle profile`, "remove the idle profile's backendMinReplicas override (manage scale --profile idle --backend-min 0)"));
  },
};

export const RESOURCE_POLICIES: ResourceValidationPolicy[] = [
  onlyDeclaredTypes,
  sessionEgressDisabled,
  registryAdminDisabled,
  registryAnonymousPullDisabled,
  imagePullByIdentity,
  poolIdentityNotInSessions,
  backendHttpsOnly,
  sessionResourcesInRange,
  poolCooldownInRange,
  poolScaleInRange,
  backendReplicasInRange,
  roleAssignmentAllowed,
  noPlainSecretsInEnv,
  federatedCredentialsThisRepository,
  gatewayOperationsInherit,
  readySessionsBudget,
  idleBackendAtZero,
];
export const STACK_POLICIES: StackValidationPolicy[] = [roleAssignmentsWithinStack, backendCallerRestricted, gatewayAuthenticatesCallers, imagesFromOwnRegistry];
