// What Azure would answer, for evaluating the real program offline (`manage plan`, the tests and the
// test stand-in for `pulumi`). Each resource type gets the ARM ID Azure would give it and the
// read-only outputs the program uses (login server, principal ID, pool endpoint, FQDN...), derived
// deterministically from its inputs so two runs give identical results.
//
// Strict: a resource type or function this table does not know is an error, not a silent stub, so
// adding a resource to the program without teaching the simulation about it fails loudly.

import { createHash } from "node:crypto";
import type { MockCallArgs, MockResourceArgs, MockResourceResult, Mocks } from "@pulumi/pulumi/runtime/mocks.js";
import { canonicalType } from "../../infra/policy-pack/types.cjs";

/** Clearly not a real subscription: simulated IDs must never be mistaken for live ones. */
export const SIMULATED_SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000000";
export const SIMULATED_TENANT_ID = "00000000-0000-4000-8000-00000000000a";

/** A stable UUID-shaped value derived from a seed. */
export function stableUuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const rgId = (rg: string) => `/subscriptions/${SIMULATED_SUBSCRIPTION_ID}/resourceGroups/${rg}`;
const armId = (rg: string, provider: string, name: string) => `${rgId(rg)}/providers/${provider}/${name}`;

type Inputs = Record<string, any>;
type Simulated = { id: string; outputs: Inputs };

/** A documentation address (TEST-NET-1, RFC 5737) standing in for a gateway's public IP. */
const documentationIp = (seed: string) => `192.0.2.${1 + (parseInt(stableUuid(seed).slice(0, 4), 16) % 254)}`;
/** An API Management subscription key's shape: 32 hex digits. */
const apimKey = (seed: string) => stableUuid(seed).replaceAll("-", "").slice(0, 32);
const apimId = (i: Inputs, child = "") => armId(i.resourceGroupName, "Microsoft.ApiManagement/service", `${i.serviceName}${child}`);

/** A resource in a resource group: the ARM ID Azure gives it, its name (input `key`) and the read-only outputs `more` derives. */
const inGroup = (provider: string, key: string, more: (i: Inputs) => Inputs = () => ({})) => (i: Inputs): Simulated => ({
  id: armId(i.resourceGroupName, provider, i[key]),
  outputs: { name: i[key], ...more(i) },
});

const RESOURCES: Record<string, (inputs: Inputs) => Simulated> = {
  "azure-native:resources:ResourceGroup": (i) => ({
    id: rgId(i.resourceGroupName),
    outputs: { name: i.resourceGroupName, provisioningState: "Succeeded" },
  }),
  "azure-native:operationalinsights:Workspace": inGroup("Microsoft.OperationalInsights/workspaces", "workspaceName", (i) => ({ customerId: stableUuid(`workspace:${i.workspaceName}`) })),
  "azure-native:containerregistry:Registry": inGroup("Microsoft.ContainerRegistry/registries", "registryName", (i) => ({ loginServer: `${String(i.registryName).toLowerCase()}.azurecr.io` })),
  "azure-native:managedidentity:UserAssignedIdentity": inGroup("Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName", (i) => ({
    clientId: stableUuid(`client:${i.resourceName}`),
    principalId: stableUuid(`principal:${i.resourceName}`),
    tenantId: SIMULATED_TENANT_ID,
  })),
  "azure-native:authorization:RoleAssignment": (i) => {
    const name = stableUuid(`assignment:${i.scope}:${i.roleDefinitionId}:${i.principalId}`);
    return { id: `${i.scope}/providers/Microsoft.Authorization/roleAssignments/${name}`, outputs: { name } };
  },
  "azure-native:app:ManagedEnvironment": inGroup("Microsoft.App/managedEnvironments", "environmentName", (i) => ({
    defaultDomain: `${stableUuid(i.environmentName).slice(0, 12)}.${i.location}.azurecontainerapps.io`,
    provisioningState: "Succeeded",
  })),
  "azure-native:app:ContainerAppsSessionPool": inGroup("Microsoft.App/sessionPools", "sessionPoolName", (i) => ({
    poolManagementEndpoint: `https://${i.location}.dynamicsessions.io/subscriptions/${SIMULATED_SUBSCRIPTION_ID}/resourceGroups/${i.resourceGroupName}/sessionPools/${i.sessionPoolName}`,
    nodeCount: 0,
    provisioningState: "Succeeded",
  })),
  "azure-native:app:ContainerApp": inGroup("Microsoft.App/containerApps", "containerAppName", (i) => {
    const domain = `${stableUuid(String(i.managedEnvironmentId)).slice(0, 12)}.${i.location}.azurecontainerapps.io`;
    return {
      configuration: { ...i.configuration, ingress: { ...i.configuration?.ingress, fqdn: `${i.containerAppName}.${domain}` } },
      latestRevisionFqdn: `${i.containerAppName}--0000001.${domain}`,
      provisioningState: "Succeeded",
    };
  }),
  "azure-native:apimanagement:ApiManagementService": inGroup("Microsoft.ApiManagement/service", "serviceName", (i) => ({
    gatewayUrl: `https://${i.serviceName}.azure-api.net`,
    publicIPAddresses: [documentationIp(`apim:${i.serviceName}`)],
    provisioningState: "Succeeded",
  })),
  "azure-native:apimanagement:Api": (i) => ({ id: apimId(i, `/apis/${i.apiId}`), outputs: { name: i.apiId } }),
  "azure-native:apimanagement:ApiOperation": (i) => ({ id: apimId(i, `/apis/${i.apiId}/operations/${i.operationId}`), outputs: { name: i.operationId } }),
  "azure-native:apimanagement:ApiPolicy": (i) => ({ id: apimId(i, `/apis/${i.apiId}/policies/${i.policyId}`), outputs: { name: i.policyId } }),
  "azure-native:apimanagement:Subscription": (i) => ({ id: apimId(i, `/subscriptions/${i.sid}`), outputs: { name: i.sid } }),
  "azure-native:monitor:ActionGroup": inGroup("Microsoft.Insights/actionGroups", "actionGroupName"),
  "azure-native:monitor:MetricAlert": inGroup("Microsoft.Insights/metricAlerts", "ruleName", () => ({ isMigrated: false, lastUpdatedTime: "2026-11-01T00:00:00Z" })),
  // An extension resource: its ID hangs off the scope it watches (here the resource group).
  "azure-native:consumption:Budget": (i) => ({
    id: `${i.scope}/providers/Microsoft.Consumption/budgets/${i.budgetName}`,
    outputs: { name: i.budgetName, currentSpend: { amount: 0, unit: "USD" } },
  }),
};

const FUNCTIONS: Record<string, (inputs: Inputs) => Inputs> = {
  "azure-native:apimanagement:listSubscriptionSecrets": (i) => ({
    primaryKey: apimKey(`apim-primary:${i.serviceName}:${i.sid}`),
    secondaryKey: apimKey(`apim-secondary:${i.serviceName}:${i.sid}`),
  }),
  "azure-native:authorization:getClientConfig": () => ({
    subscriptionId: SIMULATED_SUBSCRIPTION_ID,
    tenantId: SIMULATED_TENANT_ID,
    clientId: stableUuid("deployer-client"),
    objectId: stableUuid("deployer-object"),
  }),
  "azure-native:operationalinsights:getSharedKeys": (i) => ({
    primarySharedKey: `simulated-primary-key-${stableUuid(String(i.workspaceName)).slice(0, 8)}`,
    secondarySharedKey: `simulated-secondary-key-${stableUuid(String(i.workspaceName)).slice(0, 8)}`,
  }),
  "azure-native:resources:getResourceGroup": (i) => ({
    id: rgId(i.resourceGroupName),
    name: i.resourceGroupName,
    location: "eastus",
  }),
};

export const azureMocks: Mocks = {
  newResource(args: MockResourceArgs): MockResourceResult {
    // Component resources (the stack itself) exist only in Pulumi's state, not in Azure.
    if (args.custom === false) return { id: undefined, state: args.inputs };
    // The program reads its own previous outputs (infra/program.ts). Offline there is no state: a
    // stack reference answers as the engine does for a stack never updated, with no outputs.
    if (args.type === "pulumi:pulumi:StackReference") return { id: args.inputs.name, state: { name: args.inputs.name, outputs: {}, secretOutputNames: [] } };
    // azure-native registers each resource under its API-versioned tokens too, as aliases of the same
    // resource (infra/policy-pack/types.cts): Azure answers them alike.
    const simulate = RESOURCES[canonicalType(args.type)];
    if (!simulate) throw new Error(`the offline simulation does not know resource type ${args.type} (cli/offline/azure-mocks.ts)`);
    const { id, outputs } = simulate(args.inputs);
    return { id, state: { ...args.inputs, ...outputs } };
  },
  call(args: MockCallArgs): Record<string, any> {
    const simulate = FUNCTIONS[args.token];
    if (!simulate) throw new Error(`the offline simulation does not know function ${args.token} (cli/offline/azure-mocks.ts)`);
    return simulate(args.inputs);
  },
};
