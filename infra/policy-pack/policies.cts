// Guard rails as policy: what must never ship (mandatory) and what costs money for nothing
// (advisory). Each policy is a plain object whose validate function tests call directly; the
// pack (./index.cts) only bundles them. CommonJS (.cts) because Pulumi's policy runner loads a
// pack with require().
//
// Overriding one deliberately: see docs/ci.md (policy config, or an enforcement level of "advisory"
// or "disabled" in a --policy-pack-config file, reviewed like any other change).

import type { ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ROLES } from "../roles.cjs";

const POOL = "azure-native:app:ContainerAppsSessionPool";
const APP = "azure-native:app:ContainerApp";
const REGISTRY = "azure-native:containerregistry:Registry";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";

/** The stack name in a URN: urn:pulumi:<stack>::<project>::... */
const stackOf = (urn: string) => urn.split("::")[0]!.replace(/^urn:pulumi:/, "");
const gib = (memory: unknown) => (typeof memory === "string" && /^\d+(\.\d+)?Gi$/.test(memory) ? parseFloat(memory) : NaN);

export const sessionEgressDisabled: ResourceValidationPolicy = {
  name: "session-pool-egress-disabled",
  description: "Session pools keep egress disabled: contestants' code must not reach the internet (unless the stack is explicitly allowed).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { allowedStacks: { type: "array", items: { type: "string" }, default: [] } } },
  validateResource: (args, report) => {
    if (args.type !== POOL) return;
    const { allowedStacks } = args.getConfig<{ allowedStacks: string[] }>();
    if (args.props.sessionNetworkConfiguration?.status !== "EgressDisabled" && !allowedStacks.includes(stackOf(args.urn)))
      report(`session pool ${args.name} allows egress (${args.props.sessionNetworkConfiguration?.status ?? "unset"}); set allowSessionEgress false, or list the stack in this policy's allowedStacks`);
  },
};

export const registryAdminDisabled: ResourceValidationPolicy = {
  name: "registry-admin-user-disabled",
  description: "The registry's admin user stays disabled: images are pulled with the managed identity.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === REGISTRY && args.props.adminUserEnabled !== false)
      report(`registry ${args.name} has the admin user enabled (or unset); set adminUserEnabled: false`);
  },
};

function checkCredentials(kind: string, credentials: Array<Record<string, unknown>> | undefined, report: ReportViolation) {
  for (const c of credentials ?? [])
    if (!c.identity || c.passwordSecretRef || c.username)
      report(`${kind} pulls images with a password; use registry credentials with the managed identity (identity: <identity resource ID>)`);
}

export const imagePullByIdentity: ResourceValidationPolicy = {
  name: "image-pull-by-identity",
  description: "The pool and the backend pull images with the managed identity, never a username and password.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === POOL) {
      const creds = args.props.customContainerTemplate?.registryCredentials;
      checkCredentials(`session pool ${args.name}`, creds ? [creds] : [{}], report);
    }
    if (args.type === APP) checkCredentials(`container app ${args.name}`, args.props.configuration?.registries, report);
  },
};

export const sessionExecutorNarrow: StackValidationPolicy = {
  name: "session-executor-scoped-to-stack",
  description: "Session Executor is granted only to the stack's own identity, at the resource group or narrower.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const identities = new Set(args.resources.filter((r) => r.type === IDENTITY).map((r) => r.props.principalId).filter(Boolean));
    for (const r of args.resources.filter((r) => r.type === ROLE_ASSIGNMENT)) {
      if (!String(r.props.roleDefinitionId ?? "").endsWith(ROLES.sessionExecutor.guid)) continue;
      const scope = String(r.props.scope ?? "");
      if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+(\/.*)?$/i.test(scope))
        report(`Session Executor (${r.name}) is granted at ${scope || "an unknown scope"}: wider than a resource group`, r.urn);
      // Unknown in a preview of a new identity; checked once it is known.
      if (r.props.principalId && identities.size > 0 && !identities.has(r.props.principalId))
        report(`Session Executor (${r.name}) is granted to ${r.props.principalId}, which is not this stack's identity`, r.urn);
    }
  },
};

export const backendHttpsOnly: ResourceValidationPolicy = {
  name: "backend-https-only",
  description: "The backend's ingress refuses plain HTTP.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === APP && args.props.configuration?.ingress && args.props.configuration.ingress.allowInsecure !== false)
      report(`container app ${args.name} allows plain HTTP (allowInsecure is not false)`);
  },
};

export const sessionResourcesInRange: ResourceValidationPolicy = {
  name: "session-resources-in-range",
  description: "Every session container sets CPU (0.25-2 vCPU) and memory (0.5-4 Gi).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== POOL) return;
    const containers: Array<Record<string, any>> = args.props.customContainerTemplate?.containers ?? [];
    if (containers.length === 0) report(`session pool ${args.name} declares no container`);
    for (const c of containers) {
      const cpu = c.resources?.cpu;
      const memory = gib(c.resources?.memory);
      if (typeof cpu !== "number" || cpu < 0.25 || cpu > 2) report(`session container ${c.name ?? "?"} CPU ${cpu ?? "unset"} is outside 0.25-2 vCPU`);
      if (!(memory >= 0.5 && memory <= 4)) report(`session container ${c.name ?? "?"} memory ${c.resources?.memory ?? "unset"} is outside 0.5Gi-4Gi`);
    }
  },
};

export const poolCooldownInRange: ResourceValidationPolicy = {
  name: "pool-cooldown-in-range",
  description: "The pool uses the Timed lifecycle with a cooldown of 300-3600 s.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== POOL) return;
    const l = args.props.dynamicPoolConfiguration?.lifecycleConfiguration;
    if (l?.lifecycleType !== "Timed" || !(l.cooldownPeriodInSeconds >= 300 && l.cooldownPeriodInSeconds <= 3600))
      report(`session pool ${args.name} must use the Timed lifecycle with a cooldown of 300-3600 s (has ${l?.lifecycleType ?? "none"}, ${l?.cooldownPeriodInSeconds ?? "no"} s)`);
  },
};

export const readySessionsBudget: ResourceValidationPolicy = {
  name: "ready-sessions-budget",
  description: "Ready sessions cost whole E16 nodes even when nobody runs code: flag more than the threshold.",
  enforcementLevel: "advisory",
  configSchema: { properties: { maxReadySessions: { type: "integer", default: 10 } } },
  validateResource: (args, report) => {
    if (args.type !== POOL) return;
    const ready = args.props.scaleConfiguration?.readySessionInstances ?? 0;
    const { maxReadySessions } = args.getConfig<{ maxReadySessions: number }>();
    if (ready > maxReadySessions)
      report(`session pool ${args.name} keeps ${ready} ready sessions (threshold ${maxReadySessions}); each 32 keep one E16 node (~$1.55/h) running`);
  },
};

export const idleBackendAtZero: ResourceValidationPolicy = {
  name: "idle-backend-at-zero",
  description: "In the idle profile the backend scales to zero replicas.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    if (args.type === APP && args.props.tags?.profile === "idle" && (args.props.template?.scale?.minReplicas ?? 0) > 0)
      report(`container app ${args.name} keeps ${args.props.template.scale.minReplicas} replica(s) in the idle profile`);
  },
};

export const RESOURCE_POLICIES: ResourceValidationPolicy[] = [
  sessionEgressDisabled,
  registryAdminDisabled,
  imagePullByIdentity,
  backendHttpsOnly,
  sessionResourcesInRange,
  poolCooldownInRange,
  readySessionsBudget,
  idleBackendAtZero,
];
export const STACK_POLICIES: StackValidationPolicy[] = [sessionExecutorNarrow];
