// The backend Container App: Piston-style `POST /api/v2/execute`, forwarding to the pool with the
// identity. HTTPS only. Who may call it is the stack's access mode (infra/access-mode.ts): anyone
// (open), the venue's IP ranges (venue), or the gateway's IPs alone (token: infra/gateway.ts). A
// public code-execution endpoint is an abuse target.

import * as pulumi from "@pulumi/pulumi";
import * as app from "@pulumi/azure-native/app/index.js";
import type { DeploymentSettings } from "./config.js";
import { CONSUMPTION_WORKLOAD_PROFILE, type Foundation } from "./foundation.js";
import { tagsFor } from "./tags.js";

/** Environment variables the backend image reads. */
export const BACKEND_ENV = {
  poolEndpoint: "POOL_MANAGEMENT_ENDPOINT",
  clientId: "AZURE_CLIENT_ID",
} as const;

export function declareBackend(
  settings: DeploymentSettings,
  foundation: Foundation,
  poolManagementEndpoint: pulumi.Output<string> | undefined,
  pullAccess: pulumi.Resource | undefined,
  gatewayRules?: pulumi.Output<IpRule[]>,
): app.ContainerApp {
  const { backend, profile } = settings;
  const { identity, registry } = foundation;
  const probe = (type: "Startup" | "Liveness" | "Readiness") => ({
    type,
    httpGet: { path: backend.healthPath, port: backend.targetPort, scheme: "HTTP" },
    periodSeconds: 10,
    failureThreshold: type === "Startup" ? 30 : 3,
  });
  return new app.ContainerApp(
    "backend",
    {
      containerAppName: settings.names.backendApp,
      resourceGroupName: foundation.resourceGroupName,
      location: settings.location,
      managedEnvironmentId: foundation.environment.id,
      workloadProfileName: CONSUMPTION_WORKLOAD_PROFILE.name,
      identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
      configuration: {
        activeRevisionsMode: "Single",
        ingress: {
          // Token mode with no gateway (idle: the gate lives with the pool): internal, so nothing
          // outside the environment reaches the backend until the next window brings both up.
          external: !(settings.access.mode === "token" && !gatewayRules),
          targetPort: backend.targetPort,
          transport: "auto",
          allowInsecure: false,
          ipSecurityRestrictions: callerRules(settings, gatewayRules),
        },
        registries: [{ server: registry.loginServer, identity: identity.id }],
      },
      template: {
        containers: [
          {
            name: "backend",
            image: registry.loginServer.apply((server) => `${server}/${backend.image}`),
            resources: { cpu: backend.cpu, memory: backend.memory },
            env: [
              // Empty in the idle profile (no pool): the backend answers 503 instead of forwarding.
              { name: BACKEND_ENV.poolEndpoint, value: poolManagementEndpoint ?? "" },
              // Which identity DefaultAzureCredential uses for the https://dynamicsessions.io token.
              { name: BACKEND_ENV.clientId, value: identity.clientId },
            ],
            probes: [probe("Startup"), probe("Liveness"), probe("Readiness")],
          },
        ],
        scale: {
          minReplicas: profile.backend.minReplicas,
          maxReplicas: profile.backend.maxReplicas,
          rules: [
            { name: "http-concurrency", http: { metadata: { concurrentRequests: String(backend.concurrentRequests) } } },
          ],
        },
      },
      tags: tagsFor(settings, "profile"),
    },
    { dependsOn: pullAccess ? [pullAccess] : [] },
  );
}

export type IpRule = ReturnType<typeof allowRules>[number];

/** One Allow rule per range, named `<name>-1`, `<name>-2`... (the venue's ranges, the gateway's IPs). */
export const allowRules = (name: string, description: string, ranges: readonly string[]) =>
  ranges.map((ipAddressRange, i) => ({ name: `${name}-${i + 1}`, description, ipAddressRange, action: "Allow" }));

/** The ingress's Allow rules for the access mode; undefined (no rule: anyone) only in open mode. */
export function callerRules(settings: DeploymentSettings, gatewayRules?: pulumi.Output<IpRule[]>): pulumi.Input<IpRule[]> | undefined {
  const { access } = settings;
  switch (access.mode) {
    case "open":
      return undefined;
    case "venue":
      return allowRules("allow", "the venue's range (accessMode venue, allowedIpRanges)", access.allowedIpRanges);
    case "token":
      // The gateway's IPs. No gateway (idle): the ingress is internal (declareBackend), no rule needed.
      // A profile with a pool always has one: token mode's settings carry a gateway, and gatewayFor
      // gives it wherever there is a pool (program.ts passes its rules then).
      return gatewayRules;
  }
}

/** The backend's own URL from its ingress FQDN (in token mode only the gateway can call it). */
export function backendUrl(backendApp: app.ContainerApp): pulumi.Output<string> {
  return backendApp.configuration.apply((c) => `https://${c?.ingress?.fqdn ?? ""}`);
}
