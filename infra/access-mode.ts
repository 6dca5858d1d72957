// Who may call the backend: the stack's access mode, defined once. Pure data and pure functions (no
// Pulumi import): the program (infra/backend.ts, infra/gateway.ts), the config validation, the cost
// model and the CLI (plan, status, the warning on every change) all read it from here.
//
//   open   the backend's external ingress takes calls from anyone on the internet. Only for a
//          stack nobody outside the team knows about, chosen explicitly, listed in the policy
//          config (backend-caller-restricted refuses it otherwise), warned about on every change.
//   venue  the backend's ingress allows only the venue's IP ranges (allowedIpRanges).
//   token  an API Management gateway in front: callers present a subscription key (header
//          Ocp-Apim-Subscription-Key) or, with gatewayJwtIssuer, a JWT; each caller is held to a
//          rate limit (429 with Retry-After); the backend's ingress allows only the gateway's IPs.
//          The gateway exists only while a pool does (gatewayFor): idle, the backend's ingress is
//          internal and nothing outside the environment reaches it.
//          The default: docs/security.md and docs/costs.md say why, and why this tier.

export const ACCESS_MODES = ["open", "venue", "token"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/**
 * The API Management tiers the program offers: the cheapest ones with a public IP of their own
 * (publicIPAddresses), which is what lets the backend's ingress allow the gateway and no one else.
 * Consumption and the v2 tiers run on shared infrastructure without one (docs/costs.md).
 */
export const GATEWAY_SKUS = ["Developer", "Basic"] as const;
export type GatewaySku = (typeof GATEWAY_SKUS)[number];

/**
 * Minutes a classic-tier gateway (Developer, Basic) is allowed to take to create: Microsoft says
 * 30-45 minutes or more, and 60-90 are reported (shared/azure-facts.md, "API Management"). A window
 * on a token stack warms up at least this long before its start (cli/schedule.ts refuses less), and
 * the cost model bills the gateway, and the pool created with it, from then (infra/costing/model.ts).
 */
export const GATEWAY_CREATE_MINUTES = 90;

/**
 * The gate lives with the pool: the gateway the stack runs in a profile is its gateway settings
 * when the profile has a session pool, and none otherwise (idle). Nothing needs a gate while no pool
 * exists (an idle backend has nothing to reach), and an API Management unit bills every hour it
 * exists. The program declares it by this rule, the cost model prices it by this rule. Pure.
 */
export function gatewayFor<T>(gateway: T | null | undefined, pool: object | null | undefined): T | null {
  return pool ? (gateway ?? null) : null;
}

/** The gateway a stack's settings run now (its tier), or null: gatewayFor on the profile in effect. */
export function gatewayRunning(s: { access: AccessSettings; profile: { pool: object | null } }): { sku: GatewaySku } | null {
  const g = gatewayFor(s.access.gateway, s.profile.pool);
  return g && { sku: g.sku };
}

/** A caller's name (`manage keys`, infra/callers.ts): a participant or a team, its subscription `caller-<name>`. */
export const CALLER_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** A caller's subscription key: 32 hex digits, the form API Management generates (infra/callers.ts). */
export const CALLER_KEY = /^[0-9a-f]{32}$/;

/** The header API Management reads a subscription key from (its default name). */
export const SUBSCRIPTION_KEY_HEADER = "Ocp-Apim-Subscription-Key";

/** The gateway's rate-limit window: APIM's renewal-period, in seconds. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

export interface GatewaySettings {
  sku: GatewaySku;
  publisherEmail: string;
  /** Calls each caller (subscription, or JWT subject) may make per RATE_LIMIT_PERIOD_SECONDS. */
  callsPerMinute: number;
  /** With a JWT issuer, callers authenticate with a token instead of a subscription key. */
  jwt: { issuer: string; audience: string } | null;
}

export interface AccessSettings {
  mode: AccessMode;
  /** venue: the ranges the backend allows; empty otherwise. */
  allowedIpRanges: string[];
  /** token: the gateway; null otherwise. */
  gateway: GatewaySettings | null;
}

/**
 * One line for plan, status and doctor: who can call the backend. `poolRuns` false (a profile
 * without a pool): in token mode there is no gateway then (gatewayFor), and the backend's ingress is
 * internal (infra/backend.ts), so the gateway's sentence would be untrue.
 */
export function describeAccess(access: AccessSettings, poolRuns = true): string {
  switch (access.mode) {
    case "open":
      return "open: anyone on the internet who finds the backend's URL can run code";
    case "venue":
      return `venue: only ${access.allowedIpRanges.join(", ")} can call the backend`;
    case "token": {
      const g = access.gateway!;
      // What a caller needs, in words: "a subscription key (Ocp-Apim-Subscription-Key)".
      const credential = g.jwt ? `a JWT from ${g.jwt.issuer} for audience ${g.jwt.audience} (Authorization: Bearer)` : `a subscription key (${SUBSCRIPTION_KEY_HEADER})`;
      const gate = `API Management (${g.sku}), ${credential} required, ${g.callsPerMinute} calls a minute per caller`;
      if (!poolRuns)
        return `token: no gateway while no pool runs (it comes up with the pool: ${gate}); until then the backend's ingress is internal: nothing outside its environment reaches it`;
      return `token: ${gate.replace(/^API Management \(([^)]+)\)/, "API Management ($1) in front")}; the backend accepts only the gateway's IPs`;
    }
  }
}

/** Said on every change to a stack that has a pool in open mode. */
export function openAccessWarning(stack: string): string {
  return (
    `stack ${stack} is in accessMode open: anyone on the internet who finds its backend's URL can run code on its ` +
    `session pool, hold sessions until contestants get 404 and run up the bill. Use accessMode token (or venue with ` +
    `allowedIpRanges) for anything but a private test stack (docs/security.md).`
  );
}

/**
 * How the policy text is sent (ApiPolicy `format`): "xml", "The contents are inline and Content type
 * is an XML document" (Azure/azure-rest-api-specs, specification/apimanagement/resource-manager/
 * Microsoft.ApiManagement/stable/2024-05-01/definitions.json, PolicyContentFormat), the API version
 * azure-native 3.28 sends. API Management parses the text as XML, so a C#-style policy expression
 * inside an attribute arrives exactly as the XML parser decodes it: `&quot;` becomes `"`, `&amp;&amp;`
 * becomes `&&`, `&lt;` becomes `<`. Not "rawxml" ("a non XML encoded policy document"): API
 * Management escapes raw text itself, so an expression escaped by hand for XML breaks there
 * (shared/azure-facts.md, "API Management"), and one left unescaped is not well-formed for any
 * XML tool that reads the same text (the policy pack, the tests). One text, valid XML, read the
 * same by API Management, the pack and the tests.
 */
export const GATEWAY_POLICY_FORMAT = "xml";

/** Text for an XML attribute value or element content: what an XML parser decodes back to `s`. */
export const xmlEscape = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/**
 * The gateway's API policy (API Management policy XML). Authentication: the subscription key is
 * checked by API Management itself (subscriptionRequired on the API); a JWT by validate-jwt
 * (issuer, audience and signature from the issuer's OpenID configuration). Then
 * rate-limit-by-key, counted per subscription or per token subject: over the limit API Management
 * answers 429 with a Retry-After header and the backend never sees the call. Pure, so the policy
 * pack's checks and the tests read exactly what is deployed.
 */
export function gatewayPolicyXml(gateway: GatewaySettings, budget?: { concurrency: number; header: string; opsSubscription: string }): string {
  const jwt = gateway.jwt;
  const counter = jwt
    ? `@(context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Subject ?? "anonymous")`
    : "@(context.Subscription.Id)";
  // The per-caller budget (infra/caller-budget.ts): the caller's identity to the backend, which keys
  // sessions by it, and at most `concurrency` of its calls in flight (limit-concurrency: 429 beyond).
  const lines = [
    "<policies>",
    "  <inbound>",
    "    <base />",
    ...(jwt
      ? [
          `    <validate-jwt header-name="Authorization" failed-validation-httpcode="401" require-scheme="Bearer" require-signed-tokens="true">`,
          `      <openid-config url="${xmlEscape(jwt.issuer.replace(/\/+$/, ""))}/.well-known/openid-configuration" />`,
          `      <audiences><audience>${xmlEscape(jwt.audience)}</audience></audiences>`,
          `      <issuers><issuer>${xmlEscape(jwt.issuer)}</issuer></issuers>`,
          "    </validate-jwt>",
        ]
      : []),
    `    <rate-limit-by-key calls="${gateway.callsPerMinute}" renewal-period="${RATE_LIMIT_PERIOD_SECONDS}" counter-key="${xmlEscape(counter)}" />`,
    ...(budget ? [`    <set-header name="${xmlEscape(budget.header)}" exists-action="override"><value>${xmlEscape(counter)}</value></set-header>`] : []),
    "  </inbound>",
    ...(budget
      ? [
          "  <backend>",
          // manage's own subscription (OPS_SUBSCRIPTION_ID, infra/gateway.ts: smoke, the readiness
          // gate, doctor) is not a participant: with the contest's budget of 1, the window's smoke
          // (several cases at once) would be refused by the very gate it proves. It stays under the
          // rate limit above. JWT mode has no such subscription.
          ...(jwt
            ? [`    <limit-concurrency key="${xmlEscape(counter)}" max-count="${budget.concurrency}">`, "      <forward-request />", "    </limit-concurrency>"]
            : [
                "    <choose>",
                `      <when condition="${xmlEscape(`@(context.Subscription != null && context.Subscription.Id == "${budget.opsSubscription}")`)}">`,
                "        <forward-request />",
                "      </when>",
                "      <otherwise>",
                `        <limit-concurrency key="${xmlEscape(counter)}" max-count="${budget.concurrency}">`,
                "          <forward-request />",
                "        </limit-concurrency>",
                "      </otherwise>",
                "    </choose>",
              ]),
          "  </backend>",
        ]
      : ["  <backend><base /></backend>"]),
    "  <outbound><base /></outbound>",
    "  <on-error><base /></on-error>",
    "</policies>",
  ];
  return lines.join("\n");
}
