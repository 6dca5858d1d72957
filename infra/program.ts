// The whole deployment for one stack: foundation, access, pool (unless idle), backend, outputs.
// A function of already-validated settings, so tests and `manage plan` can evaluate it repeatedly.

import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseSettings, type DeploymentSettings } from "./config.js";
import { declareFoundation } from "./foundation.js";
import { adminCommands, declareAcrPull, declareSessionExecutor, sessionExecutorScope } from "./access.js";
import { declareSessionPool } from "./session-pool.js";
import { backendUrl, declareBackend } from "./backend.js";
import { declareGatewayApi, declareGatewayService, gatewayAllowRules } from "./gateway.js";
import { budgetAmount, declareAlerts } from "./alerts.js";

export function declareDeployment(settings: DeploymentSettings) {
  // Decided before anything is declared (settingsFromStackConfig has already checked it can be).
  const budget = budgetAmount(settings);
  const foundation = declareFoundation(settings);
  const acrPull = declareAcrPull(settings, foundation);
  const sizing = settings.profile.pool;
  const pool = sizing ? declareSessionPool(settings, sizing, foundation, acrPull) : undefined;
  const executorScope = sessionExecutorScope(settings, foundation, pool?.id);
  declareSessionExecutor(settings, foundation, executorScope);
  const gatewayService = declareGatewayService(settings, foundation);
  const backend = declareBackend(settings, foundation, pool?.poolManagementEndpoint, acrPull, gatewayService && gatewayAllowRules(gatewayService));
  const gateway = gatewayService && declareGatewayApi(settings, foundation, gatewayService, backend);
  const appUrl = backendUrl(backend);
  declareAlerts(settings, foundation, { pool: pool?.id, backend: backend.id }, budget);

  return {
    profile: settings.profile.name,
    profileExpiresAt: settings.profileExpiresAt?.toISOString() ?? "",
    location: settings.location,
    resourceGroupName: foundation.resourceGroupName,
    accessMode: settings.access.mode,
    // What callers use: the gateway in token mode, the backend itself otherwise.
    backendUrl: gateway?.url ?? appUrl,
    backendAppUrl: appUrl,
    backendAppName: backend.name,
    gatewayUrl: gateway?.url ?? pulumi.output(""),
    // manage's own subscription key (smoke, load-test, doctor, the readiness gate); a secret.
    gatewayKey: gateway?.opsKey ?? pulumi.output(""),
    sessionPoolName: settings.names.sessionPool,
    sessionPoolDeployed: pool !== undefined,
    poolManagementEndpoint: pool?.poolManagementEndpoint ?? pulumi.output(""),
    environmentName: foundation.environment.name,
    registryName: foundation.registry.name,
    registryLoginServer: foundation.registry.loginServer,
    identityId: foundation.identity.id,
    identityClientId: foundation.identity.clientId,
    identityPrincipalId: foundation.identity.principalId,
    roleAssignmentMode: settings.roles.mode,
    adminCommands: adminCommands(settings, foundation, executorScope),
  };
}

export type DeploymentOutputs = ReturnType<typeof declareDeployment>;

/**
 * Settings from the running stack's config. A ConfigError becomes a RunError: Pulumi then prints
 * the message (every broken key) without a stack trace, and nothing is created.
 */
export function settingsFromStackConfig(): DeploymentSettings {
  const project = pulumi.getProject();
  const prefix = `${project}:`;
  const raw = Object.fromEntries(
    Object.entries(pulumi.runtime.allConfig())
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
  try {
    const settings = parseSettings(raw, pulumi.getStack(), project);
    // The budget needs the cost model: a stack whose budget cannot be computed is refused here too,
    // before the stack resource exists, like any other refused key.
    budgetAmount(settings);
    for (const warning of settings.warnings) void pulumi.log.warn(warning);
    return settings;
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}
