// The identity's two roles: AcrPull on the registry (the pool and the app pull images with it) and
// Session Executor (the backend calls the pool with it).
//
// managed mode: the program creates both. external mode: the deployer may not assign roles (the
// earlier hand-run deployment failed exactly there), so the program creates none and exports the
// commands an administrator runs, with the real principal ID and scopes.

import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import type { DeploymentSettings } from "./config.js";
import type { Foundation } from "./foundation.js";
import { adminCommand, roleDefinitionId, type RoleKey } from "./roles.cjs";

function grant(
  resourceName: string,
  role: RoleKey,
  foundation: Foundation,
  scope: pulumi.Input<string>,
): authorization.RoleAssignment {
  return new authorization.RoleAssignment(resourceName, {
    principalId: foundation.identity.principalId,
    // The identity is new: without principalType, ARM may answer PrincipalNotFound while Entra replicates.
    principalType: "ServicePrincipal",
    roleDefinitionId: foundation.subscriptionId.apply((sub) => roleDefinitionId(sub, role)),
    scope,
  });
}

/** AcrPull on the registry; the pool and the backend depend on it (a pull before it fails). */
export function declareAcrPull(settings: DeploymentSettings, foundation: Foundation): authorization.RoleAssignment | undefined {
  if (settings.roles.mode !== "managed") return undefined;
  return grant("acr-pull", "acrPull", foundation, foundation.registry.id);
}

/** Where Session Executor is granted: the pool itself, or the resource group (survives stop/start). */
export function sessionExecutorScope(
  settings: DeploymentSettings,
  foundation: Foundation,
  poolId: pulumi.Output<string> | undefined,
): pulumi.Output<string> | undefined {
  return settings.roles.sessionExecutorScope === "resourceGroup" ? foundation.resourceGroupId : poolId;
}

export function declareSessionExecutor(
  settings: DeploymentSettings,
  foundation: Foundation,
  scope: pulumi.Output<string> | undefined,
): authorization.RoleAssignment | undefined {
  if (settings.roles.mode !== "managed" || !scope) return undefined;
  return grant("session-executor", "sessionExecutor", foundation, scope);
}

/** external mode: the `az role assignment create` commands an administrator must run, in order. */
export function adminCommands(
  settings: DeploymentSettings,
  foundation: Foundation,
  executorScope: pulumi.Output<string> | undefined,
): pulumi.Output<string[]> {
  if (settings.roles.mode !== "external") return pulumi.output([]);
  return pulumi
    .all([foundation.identity.principalId, foundation.registry.id, executorScope ?? pulumi.output(undefined)])
    .apply(([principalId, registryId, scope]) => [
      adminCommand({ role: "acrPull", principalId, scope: registryId }),
      ...(scope ? [adminCommand({ role: "sessionExecutor", principalId, scope })] : []),
    ]);
}
