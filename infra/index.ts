// The Pulumi program: Pulumi.yaml's `main` points at the compiled copy of this file
// (dist/infra/index.js). Its exports are the stack outputs. The top-level await reads the
// operational layer from the stack's own state before anything is declared (infra/operations.ts).

import { declareDeployment, settingsFromStack } from "./program.js";

const { settings, operations: layer, callers: keys } = await settingsFromStack();

export const {
  operations,
  callers,
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
} = declareDeployment(settings, layer, keys);
