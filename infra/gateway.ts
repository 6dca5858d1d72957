// accessMode token: an API Management gateway in front of the backend (infra/access-mode.ts says
// why this mode is the default, docs/costs.md why this tier). Callers reach the backend only
// through it: it checks each caller's subscription key (or JWT), holds each caller to a rate limit,
// and forwards only the two routes the backend serves to contestants (run code, health). The
// backend's ingress allows the gateway's own public IPs and nothing else (infra/backend.ts).
//
// The gate lives with the pool (gatewayFor, infra/access-mode.ts): declared only in a profile with a
// session pool, so `manage stop` and the scheduled return to idle delete it and the idle stack costs
// the registry floor. A classic-tier instance takes 30-45 minutes or more to create
// (GATEWAY_CREATE_MINUTES): a window's warm-up allows for it (cli/schedule.ts). A deleted instance
// is soft-deleted for 48 hours under its name; manage purges it after the delete and before the next
// create (cli/azure/gateway-purge.ts), so the next window creates it again under the same name.

import * as pulumi from "@pulumi/pulumi";
import * as apimanagement from "@pulumi/azure-native/apimanagement/index.js";
import type * as app from "@pulumi/azure-native/app/index.js";
import type { DeploymentSettings } from "./config.js";
import type { Foundation } from "./foundation.js";
import { GATEWAY_POLICY_FORMAT, gatewayFor, gatewayPolicyXml, SUBSCRIPTION_KEY_HEADER } from "./access-mode.js";
import { tagsFor } from "./tags.js";
import { callerResourceName, callerSubscriptionId, type Caller } from "./callers.js";
import { CALLER_HEADER, callerBudget } from "./caller-budget.js";
import { allowRules, backendUrl, type IpRule } from "./backend.js";

/** The API's id inside the service, and the subscription manage (smoke, doctor, the readiness gate) uses. */
export const GATEWAY_API_ID = "coding-engine";
export const OPS_SUBSCRIPTION_ID = "ops";

export type GatewayService = NonNullable<ReturnType<typeof declareGatewayService>>;

/** The service alone: the backend's ingress needs its public IPs before the API can point at the backend. */
export function declareGatewayService(settings: DeploymentSettings, foundation: Foundation) {
  const gateway = gatewayFor(settings.access.gateway, settings.profile.pool);
  if (!gateway) return undefined;
  const service = new apimanagement.ApiManagementService("gateway", {
    serviceName: settings.names.gateway,
    resourceGroupName: foundation.resourceGroupName,
    location: settings.location,
    sku: { name: gateway.sku, capacity: 1 },
    publisherEmail: gateway.publisherEmail,
    publisherName: `coding-engine ${settings.stack}`,
    tags: tagsFor(settings, "profile"),
  });
  return { service, settings: gateway };
}

/**
 * The backend's ingress rules in token mode: one Allow rule per public IP of the gateway. A gateway
 * that reports none would leave the rule list empty, and an empty list lets everyone in: the update
 * fails instead.
 */
export function gatewayAllowRules(gateway: GatewayService): pulumi.Output<IpRule[]> {
  return pulumi.all([gateway.service.name, gateway.service.publicIPAddresses]).apply(([name, ips]) => allowRulesFor(name, ips));
}

/** The Allow rules for a gateway's public IPs; throws (failing the update) when it has none. Pure. */
export function allowRulesFor(gatewayName: string, ips: readonly string[] | undefined): IpRule[] {
  if (!ips || ips.length === 0)
    throw new Error(
      `API Management service ${gatewayName} reports no public IP: the backend's ingress cannot be limited to it, and an empty ` +
        "rule list would let everyone in. Use gatewaySku Developer or Basic (tiers with an IP of their own).",
    );
  return allowRules("gateway", "the API Management gateway (accessMode token)", ips.map((ip) => (ip.includes("/") ? ip : `${ip}/32`)));
}

/** The per-caller budget of the policy: the pool's cap shared among the stack's participants (infra/caller-budget.ts). */
export function gatewayBudget(settings: DeploymentSettings): { concurrency: number; header: string; opsSubscription: string } | undefined {
  const pool = settings.profile.pool;
  return pool ? { concurrency: callerBudget(pool.maxSessions, settings.participantModel.participants).concurrency, header: CALLER_HEADER, opsSubscription: OPS_SUBSCRIPTION_ID } : undefined;
}

/** The API in front of the backend: its two routes, the policy, and manage's own subscription. */
export function declareGatewayApi(
  settings: DeploymentSettings,
  foundation: Foundation,
  gateway: GatewayService,
  backendApp: app.ContainerApp,
  callers: Caller[] = [],
): { url: pulumi.Output<string>; opsKey: pulumi.Output<string> } {
  const common = { serviceName: gateway.service.name, resourceGroupName: foundation.resourceGroupName };
  const api = new apimanagement.Api("gateway-api", {
    ...common,
    apiId: GATEWAY_API_ID,
    displayName: "coding-engine",
    path: "",
    protocols: ["https"],
    serviceUrl: backendUrl(backendApp),
    // Keys: API Management refuses a call without a valid one (401). JWTs: validate-jwt does.
    subscriptionRequired: gateway.settings.jwt === null,
    subscriptionKeyParameterNames: { header: SUBSCRIPTION_KEY_HEADER, query: "subscription-key" },
  });
  // The API's id as a plain string (not api.name): known in a preview, so the policy pack can pair
  // the API with its policy before anything exists. dependsOn keeps the order.
  const apiId = GATEWAY_API_ID;
  const child = { dependsOn: [api] };
  // Only the routes contestants need are forwarded; anything else answers 404 at the gateway.
  const operations = [
    new apimanagement.ApiOperation("gateway-execute", { ...common, apiId, operationId: "execute", displayName: "Run code", method: "POST", urlTemplate: "/api/v2/execute" }, child),
    new apimanagement.ApiOperation("gateway-health", { ...common, apiId, operationId: "health", displayName: "Health", method: "GET", urlTemplate: settings.backend.healthPath }, child),
  ];
  new apimanagement.ApiPolicy("gateway-policy", { ...common, apiId, policyId: "policy", format: GATEWAY_POLICY_FORMAT, value: gatewayPolicyXml(gateway.settings, gatewayBudget(settings)) }, child);
  const subscription = new apimanagement.Subscription(
    "gateway-ops-subscription",
    { ...common, sid: OPS_SUBSCRIPTION_ID, displayName: "operations: manage smoke, load-test, doctor", scope: `/apis/${apiId}`, state: "active" },
    { dependsOn: operations },
  );
  // The participants' subscriptions (keys mode): each with the key the stack keeps (infra/callers.ts),
  // so a gateway created again for the next window accepts the keys handed out before it.
  if (gateway.settings.jwt === null)
    for (const caller of callers)
      new apimanagement.Subscription(
        callerResourceName(caller.name),
        {
          ...common,
          sid: callerSubscriptionId(caller.name),
          displayName: `participant ${caller.name} (manage keys)`,
          scope: `/apis/${apiId}`,
          state: "active",
          primaryKey: pulumi.secret(caller.key),
        },
        { dependsOn: operations },
      );
  // Keys are not part of a subscription's state: listSecrets reads them (unknown in a preview).
  const secrets = apimanagement.listSubscriptionSecretsOutput({ ...common, sid: subscription.name });
  return { url: gateway.service.gatewayUrl, opsKey: pulumi.secret(secrets.apply((s) => s.primaryKey ?? "")) };
}
