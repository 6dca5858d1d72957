// `manage doctor [--stack S]`: every precondition for code to run, each with a verdict and the exact
// fix: tools, logins, the stack, the permission to assign roles, the two role assignments, the
// images, the pool, the backend's health, a probe execution through the backend and, where the
// caller's own identity may, one directly against the pool. A check that cannot run because an
// earlier one failed says so ("skip") instead of failing twice. Exit 1 when any check failed.

import { randomUUID } from "node:crypto";
import type { DeploymentSettings } from "../../infra/config.js";
import { adminCommand } from "../../infra/roles.cjs";
import type { OptionsFor } from "../main.js";
import semver from "semver";
import { exitCodeOf, OperationError, UsageError } from "../errors.js";
import { heading, printJson, table, warn } from "../output.js";
import { defaultStack, projectDir } from "../project.js";
import { stackSettings } from "../settings.js";
import { packageJson } from "../package.js";
import { imageCommandLines, imagesNeeded } from "../images-guard.js";
import { call, health, isHealthy, urlFor, type Headers } from "../execution/api.js";
import { credentialHeaders, resolveCredential, stackCredential } from "../execution/credentials.js";
import { describeAccess, GATEWAY_CREATE_MINUTES } from "../../infra/access-mode.js";
import { diagnose } from "../execution/diagnose.js";
import { probeExecution } from "../execution/readiness.js";
import { formatMs } from "../execution/stats.js";
import { inWorkflowRun, workflowRefusal, WORKFLOW_VARIABLES } from "../workflow.js";
import { loggedInBackend } from "../pulumi/backend.js";
import { suggest } from "../suggest.js";
import { leftBehind, partsDeployed } from "../operations.js";
import { OPERATIONS_OUTPUT, parseOperationsState } from "../../infra/operations.js";

export interface Check {
  name: string;
  verdict: "ok" | "warn" | "fail" | "skip";
  detail: string;
  fix?: string;
  /** 2 when the failure is a missing tool or bad input (exit 2, as every command says for the same cause). */
  exitCode?: 2;
}

type DoctorOptions = OptionsFor<"doctor">;

/** Node lines past their end of life that still install: a warning, not a failure. */
const END_OF_LIFE: Record<number, string> = { 20: "April 2026" };

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Node as package.json's engines accepts it (the one statement of the releases manage supports). */
export function nodeCheck(version = process.versions.node, engines = packageJson()!.engines.node): Check {
  if (!semver.satisfies(version, engines))
    return { name: "node", verdict: "fail", detail: `Node ${version} is not one manage supports (${engines})`, fix: "install Node 22 or 24 (the LTS lines)", exitCode: 2 };
  const eol = END_OF_LIFE[semver.major(version)];
  return eol
    ? { name: "node", verdict: "warn", detail: `Node ${version} works, but Node ${semver.major(version)} reached its end of life in ${eol}`, fix: "move to Node 22 or 24 (the LTS lines)" }
    : { name: "node", verdict: "ok", detail: `Node ${version}` };
}

async function toolChecks(checks: Check[], o: DoctorOptions) {
  checks.push(nodeCheck());
  checks.push(await policyPackCheck());
  const { azVersion, AZ_INSTALL_HINT, RECOMMENDED_AZ_VERSION } = await import("../azure/az.js");
  const { versionAtLeast } = await import("../pulumi/argv.js");
  try {
    const version = await azVersion(o.verbose);
    checks.push(
      version === null
        ? { name: "az", verdict: "fail", detail: "the Azure CLI is not installed (images and logins need it)", fix: AZ_INSTALL_HINT, exitCode: 2 }
        : versionAtLeast(version, RECOMMENDED_AZ_VERSION)
          ? { name: "az", verdict: "ok", detail: `Azure CLI ${version}` }
          : { name: "az", verdict: "warn", detail: `Azure CLI ${version} is older than ${RECOMMENDED_AZ_VERSION}`, fix: "az upgrade" },
    );
  } catch (err) {
    checks.push({ name: "az", verdict: "fail", detail: errorText(err), fix: AZ_INSTALL_HINT });
  }
}

/** The policy pack every change runs: what Pulumi's own loader needs to start it (cli/pulumi/policy-pack.ts). */
async function policyPackCheck(): Promise<Check> {
  const { policyPackDir, policyPackProblem } = await import("../pulumi/policy-pack.js");
  const problem = policyPackProblem(projectDir());
  return problem
    ? { name: "policy pack", verdict: "fail", detail: `${problem}: every preview and update would fail before anything runs`, fix: "npm ci (installs the dependencies and builds the pack)", exitCode: 2 }
    : { name: "policy pack", verdict: "ok", detail: `${policyPackDir(".")} loads the way pulumi loads it (package.json main built, @pulumi/policy resolves)` };
}

/**
 * The azure-native provider plugin of the version the program was built against. The first preview
 * downloads a missing one from get.pulumi.com, which fails offline or in a locked-down CI.
 */
async function pluginCheck(pulumi: { plugins(): Promise<Array<{ name: string; kind: string; version?: string }>> }): Promise<Check> {
  const { AZURE_NATIVE_PLUGIN: wanted, pluginInstallCommand } = await import("../pulumi/argv.js");
  const fix = pluginInstallCommand();
  try {
    const found = (await pulumi.plugins()).filter((p) => p.kind === wanted.kind && p.name === wanted.name);
    if (found.some((p) => p.version?.replace(/^v/, "") === wanted.version))
      return { name: "azure-native plugin", verdict: "ok", detail: `${wanted.name} v${wanted.version} installed` };
    const other = found.map((p) => `v${p.version?.replace(/^v/, "")}`).join(", ");
    return {
      name: "azure-native plugin",
      verdict: "warn",
      detail: `${wanted.name} v${wanted.version} is not installed${other ? ` (only ${other})` : ""}: the first preview downloads it, which needs get.pulumi.com`,
      fix,
    };
  } catch (err) {
    return { name: "azure-native plugin", verdict: "warn", detail: `cannot list pulumi's plugins: ${errorText(err)}`, fix };
  }
}

/** pulumi, the state backend, the stack and its outputs; null when the stack cannot be read. */
async function stackChecks(checks: Check[], stack: string, o: DoctorOptions): Promise<{ outputs: Record<string, unknown>; left: string[] } | null> {
  const { PulumiReader } = await import("../pulumi/reader.js");
  const { PulumiError } = await import("../pulumi/runner.js");
  const { MIN_PULUMI_VERSION, PINNED_PULUMI_VERSION } = await import("../pulumi/argv.js");
  const { unreadableState } = await import("../pulumi/failures.js");
  let pulumi;
  try {
    pulumi = await PulumiReader.connect(projectDir(), o.verbose);
    checks.push({ name: "pulumi", verdict: "ok", detail: `pulumi ${pulumi.version} (manage needs ${MIN_PULUMI_VERSION} or newer; CI pins ${PINNED_PULUMI_VERSION})` });
  } catch (err) {
    checks.push({ name: "pulumi", verdict: "fail", detail: errorText(err).split(":")[0]!, fix: errorText(err), ...(exitCodeOf(err) === 2 ? { exitCode: 2 as const } : {}) });
    return null;
  }
  checks.push(await pluginCheck(pulumi));
  let stacks: string[];
  try {
    // One stack whose checkpoint cannot be loaded fails `stack ls` for all: each is then read on its own.
    stacks = await pulumi.stacks();
    checks.push({ name: "state backend", verdict: "ok", detail: pulumi.backend.description });
  } catch (err) {
    // The listing's own fix ("`manage doctor` checks both") is no fix inside doctor: its cause alone,
    // and the two fixes for it (a checkpoint pulumi cannot load fails the listing as a whole).
    checks.push({
      name: "state backend",
      verdict: "fail",
      detail: err instanceof PulumiError ? err.failure.message : errorText(err),
      fix: `\`pulumi login\` to your backend, or set PULUMI_BACKEND_URL; a stack's checkpoint that cannot be loaded: \`${suggest("status", { stack })}\` gives its recovery`,
    });
    return null;
  }
  if (!stacks.includes(stack)) {
    checks.push({ name: "stack", verdict: "fail", detail: `stack ${stack} is not in the backend`, fix: suggest("up", { stack }) });
    return null;
  }
  let outputs: Record<string, unknown>;
  try {
    outputs = await pulumi.outputs(stack);
  } catch (err) {
    // Unknown is said as unknown: a state that cannot be read may hide a contest pool.
    // The cause decides the fix: a passphrase pulumi refuses leaves the state intact (../pulumi/failures.ts).
    const unreadable = unreadableState(stack, errorText(err), err instanceof PulumiError ? err.failure : undefined);
    checks.push({
      name: "stack",
      verdict: "fail",
      detail: `the state of ${stack} cannot be read, so what runs is unknown: ${unreadable.reason}`,
      fix: unreadable.fix,
      ...(unreadable.exitCode === 2 ? { exitCode: 2 as const } : {}),
    });
    return null;
  }
  if (!outputs.identityId) {
    checks.push({ name: "stack", verdict: "fail", detail: `stack ${stack} has no deployment yet`, fix: suggest("up", { stack }) });
    return null;
  }
  checks.push({ name: "stack", verdict: "ok", detail: `${stack} deployed, profile ${outputs.profile}` });
  // The outputs say what the last update meant to run; the state's resources say what it left: a
  // stop whose delete failed records idle over a pool or gateway still there (../operations.ts).
  const left = leftBehind({ operation: parseOperationsState(outputs[OPERATIONS_OUTPUT]), ...partsDeployed((await pulumi.state(stack)).types) });
  if (left.length)
    checks.push({
      name: "idle",
      verdict: "fail",
      detail: `the stack is idle, but ${left.join(" and ")} ${left.length > 1 ? "are" : "is"} still deployed, and billing: a stop failed part-way (or a change was interrupted before the state recorded it)`,
      fix: `manage stop --stack ${stack} removes ${left.length > 1 ? "them" : "it"} (the scheduled job also retries a stop that failed); \`manage status --stack ${stack}\` shows what runs`,
    });
  return { outputs, left };
}

async function azureChecks(checks: Check[], settings: DeploymentSettings, outputs: Record<string, unknown>) {
  const { azureCredential, readLive, explainAzureError, liveTargetOf, SCOPES } = await import("../azure/live.js");
  // stackChecks went on only for outputs with the identity's ID, which names the subscription; one
  // that is not an ARM resource ID (an output edited by hand) names none, and is said, not crashed on.
  const target = liveTargetOf(outputs);
  if (!target) {
    checks.push({ name: "azure", verdict: "fail", detail: `the stack's identityId output (${JSON.stringify(outputs.identityId)}) is not an Azure resource ID, so its subscription is unknown`, fix: suggest("up", { stack: settings.stack }) });
    return;
  }
  try {
    await (await azureCredential()).getToken(SCOPES.arm);
    checks.push({ name: "azure login", verdict: "ok", detail: "a token for Azure Resource Manager" });
  } catch (err) {
    checks.push({ name: "azure login", verdict: "fail", detail: explainAzureError(err, "Azure"), fix: "az login" });
    for (const name of ["role permission", "AcrPull", "Session Executor", "session pool"])
      checks.push({ name, verdict: "skip", detail: "needs an Azure login" });
    return;
  }
  const { allows, assignmentsAt, grantFor, permissionsOn, ASSIGN_ROLES } = await import("../azure/authorization.js");
  const sub = target.subscriptionId;
  const principalId = String(outputs.identityPrincipalId);

  if (settings.roles.mode === "external")
    checks.push({ name: "role permission", verdict: "skip", detail: "roleAssignmentMode external: an administrator makes the assignments (checked below)" });
  else
    try {
      const permitted = allows(await permissionsOn(sub, String(outputs.resourceGroupName)), ASSIGN_ROLES);
      checks.push(
        permitted
          ? { name: "role permission", verdict: "ok", detail: `you may create role assignments in ${outputs.resourceGroupName}` }
          : {
              name: "role permission",
              verdict: "fail",
              detail: `you may not create role assignments (${ASSIGN_ROLES}) in ${outputs.resourceGroupName}: a managed-mode deployment that creates or recreates one will fail`,
              fix: `ask an Owner for "Role Based Access Control Administrator" on the group, or \`pulumi config set roleAssignmentMode external --stack ${settings.stack}\` and have an administrator run the commands from \`pulumi stack output adminCommands --stack ${settings.stack}\``,
            },
      );
    } catch (err) {
      checks.push({ name: "role permission", verdict: "warn", detail: explainAzureError(err, "your permissions") });
    }

  const roleCheck = async (role: "acrPull" | "sessionExecutor", name: string, scope: string, scopeName: string) => {
    try {
      const grant = grantFor(await assignmentsAt(sub, scope, principalId), role, scope);
      checks.push(
        grant
          ? { name, verdict: "ok", detail: `granted to the identity on ${scopeName}${grant.scope.toLowerCase() === scope.toLowerCase() ? "" : ` (inherited from ${grant.scope})`}` }
          : { name, verdict: "fail", detail: `the identity has no ${name} on ${scopeName}`, fix: adminCommand({ role, principalId, scope }) },
      );
    } catch (err) {
      checks.push({ name, verdict: "warn", detail: explainAzureError(err, "role assignments") });
    }
  };
  await roleCheck("acrPull", "AcrPull", target.registryId, `registry ${outputs.registryName}`);
  if (settings.roles.sessionExecutorScope === "resourceGroup") await roleCheck("sessionExecutor", "Session Executor", target.groupId, `resource group ${outputs.resourceGroupName}`);
  else if (outputs.sessionPoolDeployed === true) await roleCheck("sessionExecutor", "Session Executor", target.poolId, `pool ${outputs.sessionPoolName}`);
  else checks.push({ name: "Session Executor", verdict: "skip", detail: "scoped to the pool, and there is no pool (idle): it is assigned when the pool is created" });

  const live = await readLive(target);
  if (!live.available) checks.push({ name: "session pool", verdict: "warn", detail: live.reason });
  else if (!live.pool.exists)
    checks.push(
      settings.profile.pool
        ? { name: "session pool", verdict: "fail", detail: `profile ${settings.profile.name} has a pool, but Azure has none`, fix: suggest("up", { stack: settings.stack }) }
        : { name: "session pool", verdict: "skip", detail: "idle: no pool" },
    );
  else
    checks.push(
      live.pool.provisioningState === "Succeeded"
        ? { name: "session pool", verdict: "ok", detail: `Succeeded, ${live.pool.nodeCount ?? "?"} node(s), max ${live.pool.maxSessions}, ready ${live.pool.readySessions}` }
        : {
            name: "session pool",
            verdict: "fail",
            detail: `provisioning state ${live.pool.provisioningState}`,
            fix: `a pool that failed to provision usually lacks its image or AcrPull: see those checks, then \`${suggest("up", { stack: settings.stack })}\``,
          },
    );
}

async function imageChecks(checks: Check[], settings: DeploymentSettings, o: DoctorOptions) {
  const { missingImages } = await import("../azure/az.js");
  const needed = imagesNeeded(settings);
  let missing: string[];
  try {
    missing = await missingImages(settings.names.registry, needed, o.verbose);
  } catch (err) {
    checks.push({ name: "images", verdict: "warn", detail: `cannot list ${settings.names.registry}: ${errorText(err)}` });
    return;
  }
  checks.push(
    missing.length
      ? { name: "images", verdict: "fail", detail: `missing from ${settings.names.registry}: ${missing.join(", ")}`, fix: imageCommandLines(settings, missing).join("\n").trim() }
      : { name: "images", verdict: "ok", detail: `${needed.join(", ")} in ${settings.names.registry}` },
  );
}

/**
 * Who may call the backend, as deployed: open is a warning; the gateway's first check is that it
 * refuses anonymous calls. `gatewayDeployed`: whether the outputs have a gateway, which decides the
 * token sentence (infra/access-mode.ts describeAccess). Not the stack file's profile, as plan says
 * it: a scale changes the state, not the file, so a window runs while the file still rests idle.
 */
async function accessChecks(checks: Check[], settings: DeploymentSettings, backend: string, gatewayDeployed: boolean): Promise<void> {
  const { stack } = settings;
  const access = settings.access;
  const describe = () => describeAccess(access, gatewayDeployed);
  if (access.mode === "open") {
    checks.push({
      name: "access",
      verdict: "warn",
      detail: describe(),
      fix: `set accessMode token in Pulumi.${stack}.yaml (or venue with allowedIpRanges), then \`${suggest("up", { stack })}\` (docs/security.md)`,
    });
    return;
  }
  checks.push({ name: "access", verdict: "ok", detail: describe() });
  if (access.mode !== "token") return;
  const anonymous = await health(backend, settings.backend.healthPath);
  checks.push(
    anonymous.status === 401
      ? { name: "gateway: anonymous call", verdict: "ok", detail: `refused with 401 (GET ${settings.backend.healthPath} without a credential)` }
      : anonymous.status >= 200 && anonymous.status < 300
        ? {
            name: "gateway: anonymous call",
            verdict: "fail",
            detail: `answered ${anonymous.status} to a call without a credential: anyone can reach the backend through the gateway`,
            fix: `${suggest("up", { stack })} restores the API's subscriptionRequired and policy; the policy pack's gateway-authenticates-callers refuses a change that drops them`,
          }
        : { name: "gateway: anonymous call", verdict: "fail", detail: `expected 401, got ${diagnose(anonymous, stack).cause}`, fix: diagnose(anonymous, stack).fix },
  );
}

/**
 * The gateway holds each caller to gatewayRateLimitPerMinute: calls (the health route, which runs no
 * code) with this credential until it answers 429 with Retry-After, at most the limit plus one. Last
 * of all checks: afterwards this credential is throttled until the window renews.
 */
async function rateLimitCheck(settings: DeploymentSettings, backend: string, headers: Headers): Promise<Check> {
  const name = "gateway: rate limit";
  const limit = settings.access.gateway!.callsPerMinute;
  const BATCH = 10;
  let sent = 0;
  while (sent <= limit) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(BATCH, limit + 1 - sent) }, () => health(backend, settings.backend.healthPath, 10_000, headers)),
    );
    sent += answers.length;
    const limited = answers.find((a) => a.status === 429);
    if (limited)
      return limited.retryAfter === undefined
        ? { name, verdict: "fail", detail: `429 after ${sent} calls, but without Retry-After: callers cannot tell when to come back`, fix: suggest("up", { stack: settings.stack }) }
        : {
            name,
            verdict: "ok",
            detail: `429 with Retry-After ${limited.retryAfter} s within ${sent} calls (limit ${limit} a minute per caller); this credential is throttled until then`,
          };
    const refused = answers.find((a) => a.status !== 200);
    if (refused) {
      const d = diagnose(refused, settings.stack);
      return { name, verdict: refused.status === 401 ? "skip" : "fail", detail: `cannot exceed the limit: ${d.cause}`, fix: d.fix };
    }
  }
  return {
    name,
    verdict: "fail",
    detail: `no 429 after ${sent} calls within a minute: the gateway does not hold this caller to ${limit} a minute (gatewayRateLimitPerMinute)`,
    fix: `${suggest("up", { stack: settings.stack })} restores the API's rate-limit-by-key policy`,
  };
}

async function executionChecks(checks: Check[], settings: DeploymentSettings, outputs: Record<string, unknown>, o: DoctorOptions, left: string[] = []) {
  const backend = String(outputs.backendUrl ?? "");
  // The gate lives with the pool (infra/access-mode.ts): idle, a token stack has no gateway and its
  // backend's ingress is internal, so there is nothing to call; with a pool, a gateway must be in front.
  if (settings.access.mode === "token") {
    const pool = outputs.sessionPoolDeployed === true;
    const gateway = String(outputs.gatewayUrl ?? "") !== "";
    if (!pool && !gateway) {
      // Idle by its outputs, with the gateway still in the state: failed above ("idle"), not "none".
      if (left.length) return;
      checks.push({
        name: "gateway",
        verdict: "ok",
        detail: `none while idle (the gate lives with the pool; its backend is internal): the next window creates it, which may take up to ${GATEWAY_CREATE_MINUTES} minutes`,
      });
      return;
    }
    if (pool && !gateway) {
      checks.push({
        name: "gateway",
        verdict: "fail",
        detail: "a session pool runs with no gateway in front (accessMode token)",
        fix: `manage up --stack ${settings.stack} declares it again with the pool (or manage stop --stack ${settings.stack} removes both)`,
      });
      return;
    }
    checks.push({ name: "gateway", verdict: "ok", detail: `${String(outputs.gatewayUrl)}, with the pool` });
  }
  // A token stack gets here only with its gateway in the outputs (returned above otherwise).
  await accessChecks(checks, settings, backend, String(outputs.gatewayUrl ?? "") !== "");
  const token = settings.access.mode === "token";
  const credential = stackCredential(backend, resolveCredential(o, process.env, token ? outputs : undefined), warn);
  const headers = credentialHeaders(credential);
  const through = token ? ` through the gateway${credential ? ` with ${credential.source}` : " without a credential"}` : "";
  const h = await health(backend, settings.backend.healthPath, undefined, headers);
  checks.push(
    isHealthy(h)
      ? { name: "backend health", verdict: "ok", detail: `GET ${settings.backend.healthPath} healthy in ${formatMs(h.ms)}${through}` }
      : { name: "backend health", verdict: "fail", detail: diagnose(h, settings.stack).cause + through, fix: diagnose(h, settings.stack).fix },
  );
  if (!isHealthy(h)) {
    // An unhealthy backend runs no code: the probes would only wait out their timeouts.
    checks.push({ name: "execution (backend)", verdict: "skip", detail: "the backend's health check failed (above): no probe was sent" });
    checks.push({ name: "execution (pool)", verdict: "skip", detail: "the backend's health check failed (above)" });
    if (token) checks.push({ name: "gateway: rate limit", verdict: "skip", detail: "the backend's health check failed (above)" });
    return;
  }
  if (outputs.sessionPoolDeployed !== true) {
    checks.push({ name: "execution (backend)", verdict: "skip", detail: "idle: no pool to run code in" });
    checks.push({ name: "execution (pool)", verdict: "skip", detail: "idle: no pool" });
  } else {
    const probe = await probeExecution(backend, settings.stack, undefined, headers);
    checks.push(
      probe.ok
        ? { name: "execution (backend)", verdict: "ok", detail: `a Python run through the backend in ${formatMs(probe.answer.ms)}${through}` }
        : { name: "execution (backend)", verdict: "fail", detail: probe.diagnosis!.cause, fix: probe.diagnosis!.fix },
    );
    checks.push(await directPoolProbe(String(outputs.poolManagementEndpoint ?? ""), o.poolPath, settings.stack));
  }
  if (token) checks.push(await rateLimitCheck(settings, backend, headers));
}

/**
 * One run straight against the pool with the caller's own identity, which tells a broken pool from
 * a broken backend. Only the backend's identity needs Session Executor, so a 403 here is no failure.
 */
async function directPoolProbe(endpoint: string, path: string, stack: string): Promise<Check> {
  const name = "execution (pool)";
  const { azureCredential, SCOPES } = await import("../azure/live.js");
  let token: string;
  try {
    token = (await (await azureCredential()).getToken(SCOPES.sessions))!.token;
  } catch (err) {
    return { name, verdict: "skip", detail: `no token for https://dynamicsessions.io (${errorText(err).split("\n")[0]})` };
  }
  const nonce = `manage-doctor-${randomUUID().slice(0, 8)}`;
  const url = `${urlFor(endpoint, path)}?identifier=${nonce}`;
  const answer = await call(url, { method: "POST", body: { properties: { code: `print("${nonce}")`, stdin: "" } }, headers: { authorization: `Bearer ${token}` }, timeoutMs: 60_000 });
  if (answer.status === 200 && answer.text.includes(nonce)) return { name, verdict: "ok", detail: `a Python run straight against the pool (POST ${path}) in ${formatMs(answer.ms)}` };
  if (answer.status === 403)
    return { name, verdict: "skip", detail: "your own identity has no Session Executor on the pool (only the backend's identity needs it)" };
  const d = diagnose(answer, stack);
  return { name, verdict: "fail", detail: `${d.cause} (POST ${path})`, fix: d.fix };
}

/**
 * In a GitHub Actions run, the variables the workflow hands manage (../workflow.ts): every command
 * that runs pulumi refuses without them, so doctor names the missing one first. Elsewhere the check
 * does not exist (null), and the report is as before.
 */
export function workflowCheck(env: NodeJS.ProcessEnv, login: string | null): Check | null {
  const name = "workflow variables";
  if (!inWorkflowRun(env)) return null;
  const refusal = workflowRefusal(env, login);
  if (refusal) return { name, verdict: "fail", detail: refusal.message, fix: refusal.fix, exitCode: 2 };
  const set = WORKFLOW_VARIABLES.filter((v) => env[v.env]).map((v) => v.env);
  return { name, verdict: "ok", detail: `a GitHub Actions run with ${set.join(", ") || "a pulumi login"}` };
}

/** Each check on stderr as it is made: the network ones can take seconds. */
function progressive(checks: Check[]): Check[] {
  const push = checks.push.bind(checks);
  checks.push = (...items: Check[]) => {
    for (const c of items) process.stderr.write(`  ${c.verdict === "fail" ? "FAIL" : c.verdict} ${c.name}: ${c.detail}\n`);
    return push(...items);
  };
  return checks;
}

export async function runDoctor(stack: string, o: DoctorOptions, onCheck = false): Promise<Check[]> {
  const settings = stackSettings(stack);
  // Bad credential options are refused (exit 2) before anything is checked.
  resolveCredential(o, process.env);
  const checks: Check[] = onCheck ? progressive([]) : [];
  await toolChecks(checks, o);
  const workflow = workflowCheck(process.env, loggedInBackend(process.env));
  if (workflow) checks.push(workflow);
  if (workflow?.verdict === "fail") {
    checks.push({ name: "pulumi", verdict: "skip", detail: "the workflow's variables are missing (above): manage runs no pulumi on a guess" });
    return checks;
  }
  const read = await stackChecks(checks, stack, o);
  if (!read) return checks;
  const { outputs, left } = read;
  await azureChecks(checks, settings, outputs);
  await imageChecks(checks, settings, o);
  await executionChecks(checks, settings, outputs, o, left);
  return checks;
}

export async function run(o: DoctorOptions): Promise<void> {
  const stack = o.stack ?? defaultStack();
  if (!o.json) process.stderr.write(`Checking stack ${stack}...\n`);
  const checks = await runDoctor(stack, o, true);
  const failed = checks.filter((c) => c.verdict === "fail");
  if (o.json) printJson({ stack, ok: failed.length === 0, checks: checks.map(({ exitCode: _, ...c }) => c) });
  else {
    console.log(heading(`Doctor: stack ${stack}`));
    console.log(table(["check", "verdict", "detail"], checks.map((c) => [c.name, c.verdict === "fail" ? "FAIL" : c.verdict, c.detail])));
    for (const c of checks.filter((x) => x.fix && x.verdict !== "ok")) console.log(`${c.name}: ${c.fix}`);
  }
  const missing = failed.filter((c) => c.exitCode === 2);
  // A missing tool is exit 2 here as in every command that needs it.
  if (missing.length) throw new UsageError(`doctor: ${failed.length} check(s) failed: ${failed.map((c) => c.name).join(", ")}; ${missing.map((c) => c.fix ?? c.detail).join("; ")}`);
  if (failed.length) throw new OperationError(`doctor: ${failed.length} check(s) failed: ${failed.map((c) => c.name).join(", ")}`);
  if (!o.json) console.log(`All ${checks.length} checks passed or do not apply: code runs on stack ${stack}.`);
}
