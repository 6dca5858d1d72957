// Reading an API Management policy document (rawxml) for what it does, not what it mentions. The
// document is parsed as XML (@xmldom/xmldom), so a comment is a comment, and each check counts only
// where API Management runs it before the backend: a direct child of <inbound> (its statements run
// in order, before <backend> forwards the call; <outbound> and <on-error> run after the backend has
// answered; a statement inside <choose> runs only when its condition holds). Microsoft Learn,
// api-management/api-management-howto-policies ("Policy configuration": inbound, backend,
// outbound, on-error) and rate-limit-by-key-policy (attributes, renewal-period at most 300 s).
//
// Pure: the policies in ./policies.cts turn the findings into violations.

import { DOMParser, type Element } from "@xmldom/xmldom";
import { GATEWAY_CALLS_PER_MINUTE, RATE_LIMIT_RENEWAL_SECONDS } from "../ceilings.cjs";

/** A parsed policy document: the statements of <inbound>, in order; or why it cannot be read. */
export type PolicyDocument = { ok: true; inbound: Element[] } | { ok: false; why: string };

const childElements = (e: Element): Element[] => {
  const out: Element[] = [];
  for (let n = e.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
};

/** Parses a policy document; anything API Management would not read as one is `ok: false`. */
export function readPolicyDocument(xml: unknown): PolicyDocument {
  if (typeof xml !== "string" || xml.trim() === "") return { ok: false, why: "it is empty" };
  let root: Element | null;
  let first: string | undefined;
  try {
    const doc = new DOMParser({
      onError: (level, message) => {
        // The parser's own words for the first error; it wraps what is thrown in words of its own.
        if (level === "warning") return;
        first ??= message.split("\n")[0];
        throw new Error(first);
      },
    }).parseFromString(xml, "text/xml");
    root = doc.documentElement as Element | null;
  } catch (err) {
    return { ok: false, why: `it is not well-formed XML (${first ?? (err instanceof Error ? err.message : String(err)).split("\n")[0]})` };
  }
  if (!root || root.tagName !== "policies") return { ok: false, why: `its root element is <${root?.tagName ?? "none"}>, not <policies>` };
  const inbound = childElements(root).filter((e) => e.tagName === "inbound");
  if (inbound.length !== 1) return { ok: false, why: inbound.length === 0 ? "it has no <inbound> section" : "it has more than one <inbound> section" };
  return { ok: true, inbound: childElements(inbound[0]!) };
}

/** Whether <inbound> keeps <base/>, so the enclosing scope's (the API's) inbound checks still run. */
export const keepsBase = (doc: PolicyDocument) => doc.ok && doc.inbound.some((e) => e.tagName === "base");

/** The index of the first validate-jwt in <inbound> that checks a token for real, or -1. */
export function validatesJwt(doc: PolicyDocument): number {
  if (!doc.ok) return -1;
  return doc.inbound.findIndex((e) => {
    if (e.tagName !== "validate-jwt") return false;
    const kids = childElements(e);
    const has = (tag: string, child: string) => kids.some((k) => k.tagName === tag && childElements(k).some((c) => c.tagName === child && (c.textContent ?? "").trim() !== ""));
    // A signature check (the issuer's OpenID configuration or signing keys), an audience and an
    // issuer; unsigned tokens are not accepted.
    const signature = kids.some((k) => (k.tagName === "openid-config" && (k.getAttribute("url") ?? "") !== "") || k.tagName === "issuer-signing-keys");
    return signature && has("audiences", "audience") && has("issuers", "issuer") && e.getAttribute("require-signed-tokens") !== "false";
  });
}

/** Counter keys bound to the caller API Management authenticated (whitespace removed before comparing). */
const SUBSCRIPTION_KEYS = ["@(context.Subscription.Id)", "@(context.Subscription?.Id)", "@(context.Subscription.Key)", "@(context.Subscription?.Key)"];
const JWT_SUBJECT_KEY = /^@\(context\.Request\.Headers\.GetValueOrDefault\("Authorization",""\)\.AsJwt\(\)\?\.Subject(\?\?"[^"]*")?\)$/;

/** Why a document's rate limit does not hold each caller, or null when it does. */
export function rateLimitProblem(doc: PolicyDocument, subscriptionRequired: boolean): string | null {
  if (!doc.ok) return `its policy cannot be read: ${doc.why}`;
  const index = doc.inbound.findIndex((e) => e.tagName === "rate-limit-by-key" || e.tagName === "rate-limit");
  if (index < 0) return "its <inbound> section has no rate-limit-by-key or rate-limit statement (one in <outbound>, <on-error>, <choose> or a comment limits nobody before the backend)";
  const limit = doc.inbound[index]!;
  const tag = limit.tagName;
  const calls = limit.getAttribute("calls") ?? "";
  const period = limit.getAttribute("renewal-period") ?? "";
  if (!/^\d+$/.test(calls) || !/^\d+$/.test(period)) return `its ${tag} has calls ${JSON.stringify(calls)} and renewal-period ${JSON.stringify(period)}, not whole numbers`;
  const renewal = Number(period);
  if (renewal < RATE_LIMIT_RENEWAL_SECONDS.min || renewal > RATE_LIMIT_RENEWAL_SECONDS.max)
    return `its ${tag} renews every ${renewal} s, outside ${RATE_LIMIT_RENEWAL_SECONDS.min}-${RATE_LIMIT_RENEWAL_SECONDS.max} s (a short window multiplies the rate; API Management allows at most ${RATE_LIMIT_RENEWAL_SECONDS.max})`;
  const perMinute = (Number(calls) * 60) / renewal;
  if (perMinute < GATEWAY_CALLS_PER_MINUTE.min || perMinute > GATEWAY_CALLS_PER_MINUTE.max)
    return `its ${tag} allows ${+perMinute.toFixed(2)} calls a minute per caller, outside ${GATEWAY_CALLS_PER_MINUTE.min}-${GATEWAY_CALLS_PER_MINUTE.max}`;
  if (limit.hasAttribute("increment-condition") || (limit.hasAttribute("increment-count") && limit.getAttribute("increment-count") !== "1"))
    return `its ${tag} counts only some calls (increment-condition or an increment-count other than 1)`;
  if (tag === "rate-limit") return subscriptionRequired ? null : "its rate-limit counts per subscription, and the API requires none: every anonymous caller would share one counter";
  const key = (limit.getAttribute("counter-key") ?? "").replace(/\s+/g, "");
  if (SUBSCRIPTION_KEYS.includes(key)) return subscriptionRequired ? null : `its counter key ${JSON.stringify(key)} is the subscription, and the API requires none`;
  if (JWT_SUBJECT_KEY.test(key)) {
    const jwt = validatesJwt(doc);
    return jwt >= 0 && jwt < index ? null : "its counter key is the token's subject, read before any validate-jwt has checked the token: a caller picks a new subject for every call";
  }
  return `its counter key ${JSON.stringify(limit.getAttribute("counter-key") ?? "")} is not bound to the caller's subscription or validated token subject: a caller who chooses it (a header, a query parameter, a constant shared by everyone) gets a fresh limit at will`;
}
