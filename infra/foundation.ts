// What exists in every profile, idle included: resource group, Log Analytics workspace, registry,
// identity and the Container Apps environment. A `manage stop` never touches any of these.

import * as pulumi from "@pulumi/pulumi";
import * as app from "@pulumi/azure-native/app/index.js";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as containerregistry from "@pulumi/azure-native/containerregistry/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import type { DeploymentSettings } from "./config.js";
import { tagsFor } from "./tags.js";

export type Foundation = ReturnType<typeof declareFoundation>;

/** Custom-container session pools need a workload-profiles environment; Consumption-only is refused. */
export const CONSUMPTION_WORKLOAD_PROFILE = { name: "Consumption", workloadProfileType: "Consumption" } as const;

export function declareFoundation(settings: DeploymentSettings) {
  const { names, location } = settings;
  const tags = tagsFor(settings, "always-on");

  // Many organisations hand out a resource group instead of letting a deployer create one.
  // Protected like the registry and the identity it holds: deleting the group deletes them, so
  // neither a profile change nor a config flip (createResourceGroup, a rename) may ever do it.
  const group = settings.createResourceGroup
    ? new resources.ResourceGroup("resource-group", { resourceGroupName: names.resourceGroup, location, tags }, { protect: true })
    : resources.getResourceGroupOutput({ resourceGroupName: names.resourceGroup });
  const resourceGroupName = group.name;
  const resourceGroupId = group.id;

  const workspace = new operationalinsights.Workspace("logs", {
    workspaceName: names.workspace,
    resourceGroupName,
    location,
    sku: { name: "PerGB2018" },
    retentionInDays: settings.logRetentionDays,
    // A print loop in one session must not run up the bill: ingestion stops for the day at the cap.
    workspaceCapping: { dailyQuotaGb: settings.logDailyCapGb },
    tags,
  });
  const sharedKey = operationalinsights.getSharedKeysOutput({
    resourceGroupName,
    workspaceName: workspace.name,
  }).primarySharedKey;

  // Protected: deleting the registry loses every image. Admin user off: pulls use the identity.
  const registry = new containerregistry.Registry(
    "registry",
    {
      registryName: names.registry,
      resourceGroupName,
      location,
      sku: { name: settings.registrySku },
      adminUserEnabled: false,
      tags,
    },
    { protect: true },
  );

  // Protected: role assignments (possibly made by an administrator) hang off its principal ID.
  const identity = new managedidentity.UserAssignedIdentity(
    "identity",
    { resourceName: names.identity, resourceGroupName, location, tags },
    { protect: true },
  );

  const environment = new app.ManagedEnvironment("environment", {
    environmentName: names.environment,
    resourceGroupName,
    location,
    workloadProfiles: [CONSUMPTION_WORKLOAD_PROFILE],
    appLogsConfiguration: {
      destination: "log-analytics",
      logAnalyticsConfiguration: { customerId: workspace.customerId, sharedKey: pulumi.secret(sharedKey) },
    },
    tags,
  });

  const subscriptionId = authorization.getClientConfigOutput().subscriptionId;
  return { resourceGroupName, resourceGroupId, subscriptionId, registry, identity, environment };
}
