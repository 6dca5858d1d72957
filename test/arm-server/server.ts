// A local HTTPS server that answers like Azure Resource Manager for the Microsoft.App reads manage
// makes, so the real @azure/arm-appcontainers client can be tested end to end: it insists on an
// api-version and a bearer token, answers resources in ARM's envelope ({id, name, type, location,
// properties}) and errors in ARM's ({error: {code, message}}). TLS with a throwaway certificate,
// because the SDK refuses to send a bearer token over plain HTTP; children trust it through
// NODE_EXTRA_CA_CERTS.

import { createServer, type Server } from "node:https";
import { localCertificate, type LocalCertificate } from "../helpers/tls.js";
import type { StateResource } from "../helpers/cli.js";
import { isMetricsRequest, monitorMetrics, serveMetrics, type MonitorMetrics } from "./monitor.js";
import { costManagementStandIn, type CostManagementStandIn } from "./cost-management.js";

export const ARM_TOKEN = "test-arm-token";

type Json = Record<string, any>;

export interface ArmServer {
  url: string;
  /** PEM file to pass as NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** Resources by ARM ID (lower-case), each in ARM's envelope. */
  resources: Map<string, Json>;
  /** Make reads of IDs containing `fragment` fail with this status and ARM error code. */
  fail(fragment: string, status: number, code: string): void;
  /** Requests seen, for asserting what the client asked. */
  requests: string[];
  /** The caller's permissions on any resource group (default: Owner's). */
  permissions: Array<{ actions: string[]; notActions: string[] }>;
  /** Role assignments: the scope they were made at, the role definition ID, the principal. */
  assignments: Array<{ scope: string; roleDefinitionId: string; principalId: string }>;
  /** Microsoft.CostManagement/query (./cost-management.ts): tests script its rows. */
  costs: CostManagementStandIn;
  close(): Promise<void>;
  /** Azure Monitor metrics: scripted timelines per resource and metric (./monitor.ts). */
  metrics: MonitorMetrics;
}

function armError(code: string, message: string) {
  return JSON.stringify({ error: { code, message } });
}

/** Contributor's permissions: everything but Microsoft.Authorization writes (so no role assignments). */
export const CONTRIBUTOR = [
  { actions: ["*"], notActions: ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action"] },
];

export async function startArmServer(certificate?: LocalCertificate): Promise<ArmServer> {
  const { key, cert, caFile } = certificate ?? (await localCertificate());
  const permissions: ArmServer["permissions"] = [{ actions: ["*"], notActions: [] }];
  const assignments: ArmServer["assignments"] = [];

  const resources = new Map<string, Json>();
  const failures: Array<{ fragment: string; status: number; code: string }> = [];
  const requests: string[] = [];
  const metrics = monitorMetrics();
  const costs = costManagementStandIn();

  // The object handed back; tests replace permissions and assignments on it while it runs.
  const server_ = {} as ArmServer;
  const server: Server = createServer({ key, cert }, (req, res) => {
    const url = new URL(req.url!, "https://127.0.0.1");
    requests.push(`${req.method} ${url.pathname}?${url.searchParams.toString()}`);
    res.setHeader("content-type", "application/json");
    res.setHeader("x-ms-request-id", "00000000-0000-0000-0000-000000000001");
    const send = (status: number, body: string) => {
      res.statusCode = status;
      res.end(body);
    };
    if (req.headers.authorization !== `Bearer ${ARM_TOKEN}`)
      return send(401, armError("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid."));
    if (!url.searchParams.get("api-version"))
      return send(400, armError("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."));
    // Cost Management's query, a POST (./cost-management.ts).
    if (costs.handles(req.method, url.pathname)) return costs.answer(req, url, send);
    if (req.method !== "GET") return send(405, armError("MethodNotAllowed", `${req.method} is not served by this test server`));
    const id = url.pathname.toLowerCase();
    const failure = failures.find((f) => id.includes(f.fragment.toLowerCase()));
    if (failure)
      return send(
        failure.status,
        armError(failure.code, `The client does not have authorization to perform action 'read' over scope '${url.pathname}'.`),
      );
    // Azure Monitor (./monitor.ts): its own validation and error bodies (after fail(), which can refuse it too).
    if (isMetricsRequest(url.pathname)) return send(...serveMetrics(metrics, url.pathname, url.searchParams));
    // Microsoft.Authorization reads: the caller's permissions, and assignments that apply at a scope
    // (made there or above it), filtered by principal as the SDK asks.
    if (id.endsWith("/providers/microsoft.authorization/permissions"))
      return send(200, JSON.stringify({ value: server_.permissions }));
    if (id.endsWith("/providers/microsoft.authorization/roleassignments")) {
      const scope = id.slice(0, -"/providers/microsoft.authorization/roleassignments".length);
      const principal = /principalId eq '([^']+)'/.exec(url.searchParams.get("$filter") ?? "")?.[1];
      const value = server_.assignments
        .filter((a) => scope === a.scope.toLowerCase() || scope.startsWith(`${a.scope.toLowerCase()}/`))
        .filter((a) => !principal || a.principalId === principal)
        .map((a, i) => ({
          id: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${i}`,
          name: String(i),
          type: "Microsoft.Authorization/roleAssignments",
          properties: { scope: a.scope, roleDefinitionId: a.roleDefinitionId, principalId: a.principalId, principalType: "ServicePrincipal" },
        }));
      return send(200, JSON.stringify({ value }));
    }
    const found = resources.get(id);
    if (!found) {
      const [, type, name] = /providers\/(.+)\/([^/]+)$/.exec(url.pathname) ?? [];
      return send(404, armError("ResourceNotFound", `The Resource '${type}/${name}' under resource group was not found.`));
    }
    return send(200, JSON.stringify(found));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  Object.assign(server_, {
    url: `https://127.0.0.1:${port}`,
    caFile,
    resources,
    requests,
    permissions,
    assignments,
    metrics,
    costs,
    fail: (fragment: string, status: number, code: string) => void failures.push({ fragment, status, code }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
  return server_;
}

/**
 * Seeds the server with what a deployment produced: the pool and backend the stand-in pulumi
 * recorded, as ARM would return them (nodeCount and running replicas are Azure's to report).
 */
export function seedFromState(arm: ArmServer, state: StateResource[], live: { nodeCount?: number; runningReplicas?: number } = {}) {
  for (const r of state) {
    const id = r.id ?? "";
    if (r.type === "azure-native:authorization:RoleAssignment")
      arm.assignments.push({ scope: r.inputs.scope, roleDefinitionId: r.inputs.roleDefinitionId, principalId: r.inputs.principalId });
    if (r.type === "azure-native:app:ContainerAppsSessionPool") {
      const i = r.inputs;
      arm.resources.set(id.toLowerCase(), {
        id,
        name: i.sessionPoolName,
        type: "Microsoft.App/sessionPools",
        location: i.location,
        properties: {
          provisioningState: "Succeeded",
          nodeCount: live.nodeCount ?? 1,
          containerType: i.containerType,
          poolManagementType: i.poolManagementType,
          scaleConfiguration: i.scaleConfiguration,
          dynamicPoolConfiguration: i.dynamicPoolConfiguration,
          sessionNetworkConfiguration: i.sessionNetworkConfiguration,
          poolManagementEndpoint: r.outputs.poolManagementEndpoint,
        },
      });
    }
    if (r.type === "azure-native:app:ContainerApp") {
      const i = r.inputs;
      const revision = `${i.containerAppName}--0000001`;
      arm.resources.set(id.toLowerCase(), {
        id,
        name: i.containerAppName,
        type: "Microsoft.App/containerApps",
        location: i.location,
        properties: { provisioningState: "Succeeded", latestRevisionName: revision, template: i.template, configuration: i.configuration },
      });
      arm.resources.set(`${id}/revisions/${revision}`.toLowerCase(), {
        id: `${id}/revisions/${revision}`,
        name: revision,
        type: "Microsoft.App/containerApps/revisions",
        properties: { active: true, replicas: live.runningReplicas ?? i.template.scale.minReplicas, provisioningState: "Provisioned" },
      });
    }
  }
}
