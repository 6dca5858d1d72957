// The Pulumi program: Pulumi.yaml's `main` points at the compiled copy of this file
// (dist/infra/index.js). Its exports are the stack outputs.

import { declareDeployment, settingsFromStackConfig } from "./program.js";

export const {
  profile,
  profileExpiresAt,
  location,
  resourceGroupName,
  accessMode,
  backendUrl,
  backendAppUrl,
  backendAppName,
  gatewayUrl,
  gatewayKey,
  sessionPoolName,
  sessionPoolDeployed,
  poolManagementEndpoint,
  environmentName,
  registryName,
  registryLoginServer,
  identityId,
  identityClientId,
  identityPrincipalId,
  roleAssignmentMode,
  adminCommands,
} = declareDeployment(settingsFromStackConfig());
