// The whole deployment for one stack: foundation, access, pool (unless idle), backend, outputs.
// A function of already-validated settings, so tests and `manage plan` can evaluate it repeatedly.

import * as pulumi from "@pulumi/pulumi";
import { ConfigError, notASecret, parseSettings, type DeploymentSettings } from "./config.js";
import { capitalized, ceilingDecision, judgedWhere } from "./costing/ceiling.js";
import { declareFoundation } from "./foundation.js";
import { adminCommands, declareAcrPull, declareSessionExecutor, sessionExecutorScope } from "./access.js";
import { declareSessionPool } from "./session-pool.js";
import { backendUrl, declareBackend } from "./backend.js";
import { declareGatewayApi, declareGatewayService, gatewayAllowRules } from "./gateway.js";
import {
  OPERATIONS_ENV,
  OPERATIONS_OUTPUT,
  OperationsError,
  parseOperationsRequest,
  parseOperationsState,
  resolveOperations,
  settingsOn,
  type OperationsState,
} from "./operations.js";
import { budgetAmount, declareAlerts } from "./alerts.js";
import { CALLERS_OUTPUT, parseCallers, type Caller } from "./callers.js";

export function declareDeployment(settings: DeploymentSettings, operations?: OperationsState, callers: Caller[] = []) {
  // Decided before anything is declared (settingsFromStack has already checked it can be).
  const budget = budgetAmount(settings);
  const foundation = declareFoundation(settings);
  const acrPull = declareAcrPull(settings, foundation);
  const sizing = settings.profile.pool;
  const pool = sizing ? declareSessionPool(settings, sizing, foundation, acrPull) : undefined;
  const executorScope = sessionExecutorScope(settings, foundation, pool?.id);
  declareSessionExecutor(settings, foundation, executorScope);
  const gatewayService = declareGatewayService(settings, foundation);
  const backend = declareBackend(settings, foundation, pool?.poolManagementEndpoint, acrPull, gatewayService && gatewayAllowRules(gatewayService));
  const gateway = gatewayService && declareGatewayApi(settings, foundation, gatewayService, backend, callers);
  const appUrl = backendUrl(backend);
  declareAlerts(settings, foundation, { pool: pool?.id, backend: backend.id }, budget);

  return {
    // The operational layer (infra/operations.ts): read back by the next update, manage and the scheduled job.
    ...(operations ? { [OPERATIONS_OUTPUT]: operations } : {}),
    // The participants' keys (infra/callers.ts): a secret, kept across every update, gateway or not.
    [CALLERS_OUTPUT]: pulumi.secret(callers),
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

/** The stack's config in the project namespace, as the engine hands it to the program. */
function stackConfig(): Record<string, string> {
  const prefix = `${pulumi.getProject()}:`;
  return Object.fromEntries(
    Object.entries(pulumi.runtime.allConfig())
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

/**
 * The project's keys the engine handed over as secrets: the language host lists them in
 * PULUMI_CONFIG_SECRET_KEYS as "<project>:<key>" (sdk/nodejs/cmd/pulumi-language-nodejs/main.go
 * constructConfigSecretKeys, config.Key.String()), which the SDK reads into its store; its
 * `runtime.isConfigSecret` is marked internal, so the variable is the fallback.
 */
function secretConfigKeys(config: Record<string, string>): string[] {
  const internal = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  const isSecret = internal ?? ((key: string) => (JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS || "[]") as string[]).includes(key));
  return Object.keys(config).filter((key) => isSecret(`${pulumi.getProject()}:${key}`));
}

/**
 * The previous `operations` output, read from the backend through a StackReference to this very
 * stack: the engine's builtin provider answers it from the last checkpoint
 * (pkg/resource/deploy/builtins.go, readStackReference -> GetStackOutputs), so every machine that
 * runs the program sees what the last update recorded. Named assumption (docs/architecture.md):
 * a stack may reference itself; nothing in the engine refuses it.
 */
async function previousOutputs(): Promise<{ operations: OperationsState | null; callers: Caller[] }> {
  const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
  const details = await self.getOutputDetails(OPERATIONS_OUTPUT);
  // A secret output comes back as secretValue (sdk/nodejs/stackReference.ts, getOutputDetails).
  const callers = await self.getOutputDetails(CALLERS_OUTPUT);
  return { operations: parseOperationsState(details.value), callers: parseCallers(callers.secretValue ?? callers.value) };
}

/**
 * What this run deploys: the stack file's config with the operational layer on top (the previous
 * operation, or the one manage requests through MANAGE_OPERATIONS), validated. A refusal (bad
 * config, a race: infra/operations.ts) becomes a RunError before anything is declared: Pulumi prints
 * the message without a stack trace, and nothing is changed.
 */
export async function settingsFromStack(
  now = new Date(),
  opts: { enforceCeiling?: boolean } = {},
): Promise<{ settings: DeploymentSettings; operations: OperationsState; callers: Caller[] }> {
  try {
    const previous = await previousOutputs();
    const request = parseOperationsRequest(process.env[OPERATIONS_ENV]);
    // A secret setting would be recorded in plain text (config.ts notASecret).
    const file = stackConfig();
    const secrets = secretConfigKeys(file);
    if (secrets.length) throw new ConfigError(secrets.map(notASecret), pulumi.getStack());
    const resolved = resolveOperations(file, previous.operations, request, now.toISOString());
    const settings = parseSettings(resolved.config, pulumi.getStack(), pulumi.getProject());
    // Every run that can change something checks it; only manage plan, which changes nothing, shows what is over.
    if (opts.enforceCeiling !== false) enforceCostCeiling(settings, previous.operations, request?.allowOverCeiling === true);
    // The budget needs the cost model: a stack whose budget cannot be computed is refused here too,
    // before the stack resource exists, like any other refused key.
    budgetAmount(settings);
    for (const warning of settings.warnings) void pulumi.log.warn(warning);
    if (settings.profile.pool && !settings.profileExpiresAt)
      void pulumi.log.warn(`the ${settings.profile.name} profile runs a session pool with no expiry: it costs until someone stops it (manage scale --for 3h sets one)`);
    // The race check above covers them too: a request is refused unless based on the state's revision.
    return { settings, operations: resolved.state, callers: request?.callers ?? previous.callers };
  } catch (err) {
    if (err instanceof ConfigError || err instanceof OperationsError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

/**
 * The stack's cost ceiling, enforced by the program itself: whatever runs it (manage, the deploy
 * workflow's plain `pulumi up`, a person), a configuration whose worst-case day costs more than
 * costCeilingPerDay is refused before anything is declared, with manage's formula and manage's
 * rules (infra/costing/ceiling.ts ceilingDecision): a change that lowers the most the stack can cost
 * from what the state says runs now, or neither raises it nor lowers the ceiling, is let through (a
 * stop is never refused; keys on a stack taken over on purpose are not, unless they keep it running
 * longer), and the person's --allow-over-ceiling arrives with manage's request (MANAGE_OPERATIONS).
 * That variable is the only thing that lifts it: whoever can set it for a plain `pulumi up` can run
 * manage with the flag, so it lifts the ceiling for no one who could not already.
 */
export function enforceCostCeiling(settings: DeploymentSettings, previous: OperationsState | null, allowOverCeiling: boolean): void {
  // What runs now; when it cannot be read, nothing counts as lowered.
  const d = ceilingDecision(settings, previous && settingsOn(previous.baseline, previous, settings.stack));
  if (d.kind === "within" || d.kind === "stays-above") return;
  if (d.kind === "unjudged-idle" || d.kind === "unjudged-no-more") return void pulumi.log.warn(`cannot check stack ${settings.stack}'s cost ceiling: ${d.reason}`);
  if (allowOverCeiling) {
    void pulumi.log.warn(
      d.kind === "unjudged"
        ? `cannot check stack ${settings.stack}'s cost ceiling: ${d.reason}; going ahead unjudged (--allow-over-ceiling)`
        : `this update can cost ${d.verdict.message}; going ahead (--allow-over-ceiling)`,
    );
    return;
  }
  const why =
    d.kind === "unjudged"
      ? `cannot be checked: ${d.reason}, and this configuration runs a session pool. ${capitalized(judgedWhere(settings))}, `
      : `is exceeded: this configuration can cost ${d.verdict.message}. Lower the sizes, raise costCeilingPerDay in Pulumi.${settings.stack}.yaml, `;
  throw new ConfigError([{ key: "costCeilingPerDay", message: why + "or run the change through manage with --allow-over-ceiling. Nothing was changed." }], settings.stack);
}
