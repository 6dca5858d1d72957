// A local HTTPS server that answers like Azure Resource Manager for the Microsoft.App reads manage
// makes, so the real @azure/arm-appcontainers client can be tested end to end: it insists on an
// api-version and a bearer token, answers resources in ARM's envelope ({id, name, type, location,
// properties}) and errors in ARM's ({error: {code, message}}). TLS with a throwaway certificate,
// because the SDK refuses to send a bearer token over plain HTTP; children trust it through
// NODE_EXTRA_CA_CERTS.

import { createServer, type Server } from "node:https";
import { localCertificate } from "../helpers/tls.js";
import type { StateResource } from "../helpers/cli.js";

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
  close(): Promise<void>;
}

function armError(code: string, message: string) {
  return JSON.stringify({ error: { code, message } });
}

export async function startArmServer(): Promise<ArmServer> {
  const { key, cert, caFile } = await localCertificate();

  const resources = new Map<string, Json>();
  const failures: Array<{ fragment: string; status: number; code: string }> = [];
  const requests: string[] = [];

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
    if (req.method !== "GET") return send(405, armError("MethodNotAllowed", `${req.method} is not served by this test server`));
    const id = url.pathname.toLowerCase();
    const failure = failures.find((f) => id.includes(f.fragment.toLowerCase()));
    if (failure)
      return send(
        failure.status,
        armError(failure.code, `The client does not have authorization to perform action 'read' over scope '${url.pathname}'.`),
      );
    const found = resources.get(id);
    if (!found) {
      const [, type, name] = /providers\/(.+)\/([^/]+)$/.exec(url.pathname) ?? [];
      return send(404, armError("ResourceNotFound", `The Resource '${type}/${name}' under resource group was not found.`));
    }
    return send(200, JSON.stringify(found));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile,
    resources,
    requests,
    fail: (fragment, status, code) => failures.push({ fragment, status, code }),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * Seeds the server with what a deployment produced: the pool and backend the stand-in pulumi
 * recorded, as ARM would return them (nodeCount and running replicas are Azure's to report).
 */
export function seedFromState(arm: ArmServer, state: StateResource[], live: { nodeCount?: number; runningReplicas?: number } = {}) {
  for (const r of state) {
    const id = r.id ?? "";
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
