// The private dynamic session pool of custom containers: one Hyper-V sandbox per session.
// Every property here is one Azure requires or one the earlier hand-run deployment got wrong
// (shared/azure-facts.md).

import type * as pulumi from "@pulumi/pulumi";
import * as app from "@pulumi/azure-native/app/index.js";
import type { PoolSizing } from "./profiles.js";
import type { DeploymentSettings } from "./config.js";
import type { Foundation } from "./foundation.js";
import { tagsFor } from "./tags.js";

/**
 * Properties the service refuses to change in place, which Pulumi would otherwise try to update:
 * declaring them makes a change a replacement. (environmentId already forces one in the provider.)
 */
export const POOL_REPLACE_ON_CHANGES = ["containerType", "poolManagementType"];

export function declareSessionPool(
  settings: DeploymentSettings,
  sizing: PoolSizing,
  foundation: Foundation,
  pullAccess: pulumi.Resource | undefined,
): app.ContainerAppsSessionPool {
  const { identity, registry } = foundation;
  return new app.ContainerAppsSessionPool(
    "session-pool",
    {
      sessionPoolName: settings.names.sessionPool,
      resourceGroupName: foundation.resourceGroupName,
      location: settings.location,
      environmentId: foundation.environment.id,
      containerType: "CustomContainer",
      poolManagementType: "Dynamic",
      dynamicPoolConfiguration: {
        // Timed: a session stays allocated (and counts against maxConcurrentSessions) for the
        // cooldown after its last request; that is what makes per-user sessions reusable.
        lifecycleConfiguration: { lifecycleType: "Timed", cooldownPeriodInSeconds: sizing.cooldownSeconds },
      },
      scaleConfiguration: {
        maxConcurrentSessions: sizing.maxSessions,
        readySessionInstances: sizing.readySessions,
      },
      customContainerTemplate: {
        containers: [
          {
            name: "session",
            image: registry.loginServer.apply((server) => `${server}/${settings.session.image}`),
            resources: { cpu: settings.session.cpu, memory: settings.session.memory },
          },
        ],
        ingress: { targetPort: settings.session.targetPort },
        // Pull with the identity, never a password (the registry's admin user is off).
        registryCredentials: { server: registry.loginServer, identity: identity.id },
      },
      sessionNetworkConfiguration: { status: settings.session.allowEgress ? "EgressEnabled" : "EgressDisabled" },
      identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
      // lifecycle None: the pool pulls images with the identity without exposing it inside sessions.
      managedIdentitySettings: [{ identity: identity.id, lifecycle: "None" }],
      tags: tagsFor(settings, "profile"),
    },
    {
      dependsOn: pullAccess ? [pullAccess] : [],
      replaceOnChanges: POOL_REPLACE_ON_CHANGES,
    },
  );
}
