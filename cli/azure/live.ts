// Reading Azure: the live state of the pool and the backend, with the real
// @azure/arm-appcontainers client, and the credential every Azure read uses (authorization.ts
// shares it). Loaded only by `manage status` and `manage doctor` (the SDK and @azure/identity take
// a while to import).
//
// Credentials: MANAGE_ARM_TOKEN / MANAGE_SESSIONS_TOKEN (tokens obtained elsewhere, e.g. by CI), else the environment's
// service principal (AZURE_CLIENT_ID/SECRET/TENANT_ID or a federated token file), else the Azure
// CLI's login. Deliberately no managed-identity probe: it would call the instance metadata address
// on every laptop that is not logged in.

import type { TokenCredential } from "@azure/core-auth";

export interface LiveTarget {
  subscriptionId: string;
  resourceGroup: string;
  poolName: string;
  appName: string;
}

export interface LivePool {
  exists: boolean;
  provisioningState?: string;
  nodeCount?: number;
  maxSessions?: number;
  readySessions?: number;
  cooldownSeconds?: number;
  egress?: string;
  /** When the pool was created (ARM systemData), ISO 8601: where a contest window's spending starts (`manage watch`). */
  createdAt?: string;
}

export interface LiveBackend {
  exists: boolean;
  provisioningState?: string;
  minReplicas?: number;
  maxReplicas?: number;
  /** Replicas running in the latest revision, when the revision could be read. */
  runningReplicas?: number;
  latestRevision?: string;
}

export type LiveState = { available: true; pool: LivePool; backend: LiveBackend } | { available: false; reason: string };

/**
 * What every ARM client of manage's gets: the endpoint (MANAGE_ARM_ENDPOINT: tests, sovereign clouds;
 * else public Azure), and one retry. A read must answer quickly (a status, a refresh of watch, a
 * doctor check); the SDKs' default retries would wait minutes on a dead endpoint.
 */
export const armOptions = (env: NodeJS.ProcessEnv, maxRetries = 1) => ({ endpoint: env.MANAGE_ARM_ENDPOINT || "https://management.azure.com", retryOptions: { maxRetries } });

/** Token scopes manage asks for: ARM, and the session pools' data plane (doctor's direct probe). */
export const SCOPES = { arm: "https://management.azure.com/.default", sessions: "https://dynamicsessions.io/.default" } as const;

export async function azureCredential(env: NodeJS.ProcessEnv = process.env): Promise<TokenCredential> {
  if (env.MANAGE_ARM_TOKEN || env.MANAGE_SESSIONS_TOKEN) {
    return {
      getToken: async (scopes) => {
        const scope = [scopes].flat()[0]!;
        // Tokens obtained elsewhere (CI, `az account get-access-token --resource ...`): one for the
        // session pools' data plane, one for everything else (the SDKs ask for `<ARM endpoint>/.default`,
        // which differs per cloud and in tests).
        const name = scope === SCOPES.sessions ? "MANAGE_SESSIONS_TOKEN" : "MANAGE_ARM_TOKEN";
        const token = env[name];
        if (!token) throw Object.assign(new Error(`no token for ${scope}: set ${name}`), { name: "CredentialUnavailableError" });
        return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
  }
  const identity = await import("@azure/identity");
  const chain: TokenCredential[] = [new identity.EnvironmentCredential()];
  if (env.AZURE_FEDERATED_TOKEN_FILE) chain.push(new identity.WorkloadIdentityCredential());
  chain.push(new identity.AzureCliCredential());
  return new identity.ChainedTokenCredential(...chain);
}

/** Why a read failed, in the words a person needs (ARM status codes, credential errors). */
export function explainAzureError(err: unknown, what: string): string {
  const e = err as { name?: string; statusCode?: number; code?: string; message?: string };
  if (e.name === "CredentialUnavailableError" || e.name === "AggregateAuthenticationError" || e.name === "AuthenticationError")
    return "not logged in to Azure: run `az login` (or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET), then run again";
  if (e.statusCode === 401) return `Azure refused the token (401 ${e.code ?? ""}): log in again with \`az login\``.replace(" )", ")");
  if (e.statusCode === 403)
    return `your Azure identity may not read ${what} (403 ${e.code ?? "AuthorizationFailed"}): ask for Reader on the resource group`;
  return `could not read ${what}: ${e.message ?? String(err)}`;
}

const isNotFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;

export async function readLive(target: LiveTarget, env: NodeJS.ProcessEnv = process.env): Promise<LiveState> {
  const { ContainerAppsAPIClient } = await import("@azure/arm-appcontainers");
  const client = new ContainerAppsAPIClient(await azureCredential(env), target.subscriptionId, armOptions(env));
  let pool: LivePool;
  try {
    const p = await client.containerAppsSessionPools.get(target.resourceGroup, target.poolName);
    pool = {
      exists: true,
      provisioningState: p.provisioningState,
      nodeCount: p.nodeCount,
      maxSessions: p.scaleConfiguration?.maxConcurrentSessions,
      readySessions: p.scaleConfiguration?.readySessionInstances,
      cooldownSeconds: p.dynamicPoolConfiguration?.lifecycleConfiguration?.cooldownPeriodInSeconds,
      egress: p.sessionNetworkConfiguration?.status,
      createdAt: p.systemData?.createdAt ? new Date(p.systemData.createdAt).toISOString() : undefined,
    };
  } catch (err) {
    if (!isNotFound(err)) return { available: false, reason: explainAzureError(err, `session pool ${target.poolName}`) };
    pool = { exists: false };
  }
  let backend: LiveBackend;
  try {
    const app = await client.containerApps.get(target.resourceGroup, target.appName);
    backend = {
      exists: true,
      provisioningState: app.provisioningState,
      minReplicas: app.template?.scale?.minReplicas,
      maxReplicas: app.template?.scale?.maxReplicas,
      latestRevision: app.latestRevisionName,
    };
    if (app.latestRevisionName) {
      try {
        const rev = await client.containerAppsRevisions.getRevision(target.resourceGroup, target.appName, app.latestRevisionName);
        backend.runningReplicas = rev.replicas;
      } catch {
        // Replica counts are a nicety; the scale settings above are what drift is judged on.
      }
    }
  } catch (err) {
    if (!isNotFound(err)) return { available: false, reason: explainAzureError(err, `container app ${target.appName}`) };
    backend = { exists: false };
  }
  return { available: true, pool, backend };
}

/** "/subscriptions/<id>/..." -> "<id>" (the stack's outputs carry full resource IDs). */
export function subscriptionOf(resourceId: string): string | null {
  return /^\/subscriptions\/([^/]+)\//i.exec(resourceId)?.[1] ?? null;
}

/**
 * The deployed resources, from the stack's outputs (names, and the identity's full ID for the
 * subscription; the IDs follow ARM's pattern): what status, watch and doctor read. null when the
 * outputs carry no resource IDs.
 */
export function liveTargetOf(out: Record<string, unknown>): (LiveTarget & { groupId: string; registryId: string; poolId: string; appId: string }) | null {
  const subscriptionId = subscriptionOf(String(out.identityId ?? ""));
  if (!subscriptionId) return null;
  const resourceGroup = String(out.resourceGroupName);
  const groupId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
  const [poolName, appName] = [String(out.sessionPoolName), String(out.backendAppName)];
  return {
    subscriptionId,
    resourceGroup,
    poolName,
    appName,
    groupId,
    registryId: `${groupId}/providers/Microsoft.ContainerRegistry/registries/${out.registryName}`,
    poolId: `${groupId}/providers/Microsoft.App/sessionPools/${poolName}`,
    appId: `${groupId}/providers/Microsoft.App/containerApps/${appName}`,
  };
}
