// Which changed inputs make the azure-native provider replace a resource instead of updating it.
// The provider's rule (pulumi-azure-native, provider/pkg/resources: a property that is a path
// parameter of the resource's ARM URL is "forceNew", and so is `location`): the resource group, the
// resource's own name, the location, plus whatever the program declares with replaceOnChanges.
// Role assignments are immutable in ARM (PUT on an existing one with different properties fails
// with RoleAssignmentUpdateNotPermitted), so azure-native replaces them on any of these changes.

const URL_PARAMETERS: Record<string, string[]> = {
  "azure-native:resources:ResourceGroup": ["resourceGroupName"],
  "azure-native:containerregistry:Registry": ["resourceGroupName", "registryName"],
  "azure-native:managedidentity:UserAssignedIdentity": ["resourceGroupName", "resourceName"],
  "azure-native:operationalinsights:Workspace": ["resourceGroupName", "workspaceName"],
  "azure-native:app:ManagedEnvironment": ["resourceGroupName", "environmentName"],
  "azure-native:app:ContainerAppsSessionPool": ["resourceGroupName", "sessionPoolName", "environmentId"],
  "azure-native:app:ContainerApp": ["resourceGroupName", "containerAppName"],
  "azure-native:authorization:RoleAssignment": ["scope", "roleAssignmentName", "principalId", "roleDefinitionId"],
  "azure-native:apimanagement:ApiManagementService": ["resourceGroupName", "serviceName"],
  "azure-native:apimanagement:Api": ["resourceGroupName", "serviceName", "apiId"],
  "azure-native:apimanagement:ApiOperation": ["resourceGroupName", "serviceName", "apiId", "operationId"],
  "azure-native:apimanagement:ApiPolicy": ["resourceGroupName", "serviceName", "apiId", "policyId"],
  "azure-native:apimanagement:Subscription": ["resourceGroupName", "serviceName", "sid"],
  "azure-native:monitor:ActionGroup": ["resourceGroupName", "actionGroupName"],
  "azure-native:monitor:MetricAlert": ["resourceGroupName", "ruleName"],
  "azure-native:consumption:Budget": ["scope", "budgetName"],
};

export function replaceKeys(type: string, replaceOnChanges: string[] = []): string[] {
  return [...(URL_PARAMETERS[type] ?? []), "location", ...replaceOnChanges];
}
