// Short, human descriptions of simulated resources and of what changes between two evaluations.
// Pure: used by `manage plan` and its tests.

import type { SimulatedResource, Simulation } from "./simulate.js";
import { ROLES, roleKeyOf } from "../../infra/roles.cjs";

const get = (o: unknown, path: string): any => path.split(".").reduce<any>((v, k) => (v == null ? undefined : v[k]), o);

/** The Azure type, short: "app:ContainerAppsSessionPool". */
export function shortType(type: string): string {
  return type.replace(/^azure-native:/, "");
}

/** The resource's Azure name (its *Name input), or its Pulumi name. */
export function azureName(r: SimulatedResource): string {
  return String(r.state.name ?? r.name);
}

/** The settings worth seeing at a glance, per resource type. */
export function describeResource(r: SimulatedResource): string {
  const i = r.inputs;
  const protect = r.protect ? ", protected" : "";
  switch (r.type) {
    case "azure-native:resources:ResourceGroup":
      return `${i.location}`;
    case "azure-native:operationalinsights:Workspace":
      return `${get(i, "sku.name")}, ${i.retentionInDays} days retention`;
    case "azure-native:containerregistry:Registry":
      return `${get(i, "sku.name")}, admin user ${i.adminUserEnabled ? "ON" : "off"}${protect}`;
    case "azure-native:managedidentity:UserAssignedIdentity":
      return `user-assigned${protect}`;
    case "azure-native:authorization:RoleAssignment": {
      // One of the deployment's roles by its name, short ("Session Executor"); any other by its GUID.
      const role = roleKeyOf(String(i.roleDefinitionId));
      const scope = String(i.scope).split("/").slice(-2).join("/");
      return `${role ? ROLES[role].name.replace(/^Azure ContainerApps /, "") : String(i.roleDefinitionId).split("/").pop()} on ${scope}, ${i.principalType}`;
    }
    case "azure-native:app:ManagedEnvironment":
      return `workload profiles: ${(i.workloadProfiles as Array<{ name: string }>).map((p) => p.name).join(", ")}`;
    case "azure-native:app:ContainerAppsSessionPool": {
      const c = get(i, "customContainerTemplate.containers.0");
      return (
        `max ${get(i, "scaleConfiguration.maxConcurrentSessions")}, ready ${get(i, "scaleConfiguration.readySessionInstances")}, ` +
        `cooldown ${get(i, "dynamicPoolConfiguration.lifecycleConfiguration.cooldownPeriodInSeconds")} s, ` +
        `${get(c, "resources.cpu")} vCPU/${get(c, "resources.memory")}, ${get(i, "sessionNetworkConfiguration.status")}, ${c?.image}`
      );
    }
    case "azure-native:app:ContainerApp": {
      const rules: Array<{ name?: string; ipAddressRange?: string }> = get(i, "configuration.ingress.ipSecurityRestrictions") ?? [];
      // Internal ingress (token mode without a gateway: infra/backend.ts) takes no call from outside at
      // all: "reachable only from within the same Container Apps environment" (learn.microsoft.com,
      // azure/container-apps/ingress-overview, External and internal ingress).
      const callers = get(i, "configuration.ingress.external") === false
        ? "internal: nothing outside its environment reaches it"
        : rules.length === 0
        ? "open to all IPs"
        : rules.every((r) => String(r.name).startsWith("gateway-"))
          ? `only the gateway's IP (${rules.map((r) => r.ipAddressRange).join(", ")})`
          : `${rules.length} allowed IP range(s)`;
      return (
        `replicas ${get(i, "template.scale.minReplicas")}-${get(i, "template.scale.maxReplicas")}, ` +
        `https${get(i, "configuration.ingress.allowInsecure") ? "+http" : " only"}, ${callers}, ${get(i, "template.containers.0.image")}`
      );
    }
    case "azure-native:apimanagement:ApiManagementService":
      return `${get(i, "sku.name")}, ${get(r.state, "gatewayUrl")}`;
    case "azure-native:apimanagement:Api":
      return `${i.subscriptionRequired === false ? "JWT" : "subscription key"} required, to ${i.serviceUrl}`;
    case "azure-native:apimanagement:ApiOperation":
      return `${i.method} ${i.urlTemplate}`;
    case "azure-native:apimanagement:ApiPolicy": {
      const limit = /<rate-limit-by-key calls="(\d+)" renewal-period="(\d+)"/.exec(String(i.value));
      return limit ? `${limit[1]} calls per ${limit[2]} s per caller${/<validate-jwt/.test(String(i.value)) ? ", validate-jwt" : ""}` : "";
    }
    case "azure-native:apimanagement:Subscription":
      return `${i.displayName} (${i.scope})`;
    default:
      return "";
  }
}

export interface PropertyChange {
  path: string;
  from: unknown;
  to: unknown;
}

export interface ResourceDiff {
  name: string;
  type: string;
  change: "add" | "remove" | "update";
  properties: PropertyChange[];
}

/** Leaf-level differences between two input objects, as dotted paths. */
export function diffInputs(a: unknown, b: unknown, path = ""): PropertyChange[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffInputs(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path, from: a, to: b }];
}

/** What changes from one evaluation of the program to another (e.g. profile idle -> contest). */
export function diffSimulations(from: Simulation, to: Simulation): ResourceDiff[] {
  const diffs: ResourceDiff[] = [];
  for (const r of to.resources) {
    const before = from.resources.find((f) => f.name === r.name);
    if (!before) diffs.push({ name: r.name, type: r.type, change: "add", properties: [] });
    else {
      const properties = diffInputs(before.inputs, r.inputs);
      if (properties.length) diffs.push({ name: r.name, type: r.type, change: "update", properties });
    }
  }
  for (const r of from.resources)
    if (!to.resources.some((t) => t.name === r.name)) diffs.push({ name: r.name, type: r.type, change: "remove", properties: [] });
  return diffs;
}
