// Reading an API Management policy document (rawxml) for what it does, not what it mentions. The
// document is parsed as XML (@xmldom/xmldom), so a comment is a comment, and each check counts only
// where API Management runs it before the backend: a direct child of <inbound> (its statements run
// in order, before <backend> forwards the call; <outbound> and <on-error> run after the backend has
// answered; a statement inside <choose> runs only when its condition holds). Microsoft Learn,
// api-management/api-management-howto-policies ("Policy configuration": inbound, backend,
// outbound, on-error) and rate-limit-by-key-policy (attributes, renewal-period at most 300 s).
//
// A statement that answers the caller or calls out (return-response, send-request, forward-request...)
// ends or side-steps everything after it: one placed, even inside a <choose>, before validate-jwt or
// the rate limit means they do not hold (Microsoft Learn, return-response-policy: "aborts pipeline
// execution"). A DTD is refused outright: entities would make the text say one thing and the
// document another, and no API Management policy needs one.
//
// Pure: the policies in ./policies.cts turn the findings into violations.

import { DOMParser, type Element } from "@xmldom/xmldom";
import { GATEWAY_CALLS_PER_MINUTE, RATE_LIMIT_RENEWAL_SECONDS } from "../ceilings.cjs";

/** A parsed policy document: the statements of <inbound>, in order; or why it cannot be read. */
export type PolicyDocument = { ok: true; inbound: Element[] } | { ok: false; why: string };

/** An element's child elements (xmldom's Element.children), as an array. */
const childElements = (e: Element): Element[] => Array.from(e.children);

/** Parses a policy document; anything API Management would not read as one is `ok: false`. */
export function readPolicyDocument(xml: unknown): PolicyDocument {
  if (typeof xml !== "string" || xml.trim() === "") return { ok: false, why: "it is empty" };
  // Before parsing: whatever a DTD declares (entities, defaults) changes what the text means.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { ok: false, why: "it declares a DTD (<!DOCTYPE> or <!ENTITY>), which no API Management policy needs and whose entities would change what it says" };
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
    if (doc.doctype) return { ok: false, why: "it declares a DTD (<!DOCTYPE>)" };
    root = doc.documentElement as Element | null;
  } catch (err) {
    return { ok: false, why: `it is not well-formed XML (${first ?? (err instanceof Error ? err.message : String(err)).split("\n")[0]})` };
  }
  if (!root || root.tagName !== "policies") return { ok: false, why: `its root element is <${root?.tagName ?? "none"}>, not <policies>` };
  const inbound = childElements(root).filter((e) => e.tagName === "inbound");
  if (inbound.length !== 1) return { ok: false, why: inbound.length === 0 ? "it has no <inbound> section" : "it has more than one <inbound> section" };
  return { ok: true, inbound: childElements(inbound[0]!) };
}

/**
 * Statements that answer the caller or reach a backend from <inbound>: return-response ends the
 * pipeline there, send-request/send-one-way-request/forward-request call out (the backend runs the
 * caller's code, whatever comes after), include-fragment brings in a fragment this policy cannot see.
 */
const BYPASSES = ["return-response", "send-request", "send-one-way-request", "forward-request", "include-fragment"];

/** The first answering or calling statement among `statements` or inside them (a <choose>, a <retry>...), or null. */
function bypassIn(statements: Element[]): string | null {
  for (const e of statements) {
    const found = BYPASSES.includes(e.tagName) ? e.tagName : bypassIn(childElements(e));
    if (found) return found;
  }
  return null;
}

/** The first answering or calling statement among <inbound>'s first `count` statements (all of them by default). */
export function bypassBefore(doc: PolicyDocument, count = Infinity): string | null {
  return doc.ok ? bypassIn(doc.inbound.slice(0, count)) : null;
}

/**
 * Why an operation's policy does not let the API's inbound checks run first, or null: it must keep
 * <base/> in <inbound> (the enclosing scope's statements run there) with nothing before it that
 * answers or calls out.
 */
export function inheritProblem(doc: PolicyDocument): string | null {
  if (!doc.ok) return `cannot be read: ${doc.why}`;
  const base = doc.inbound.findIndex((e) => e.tagName === "base");
  if (base < 0) return "drops <base/> from <inbound>";
  const early = bypassBefore(doc, base);
  return early ? `has <${early}> before <base/> in <inbound>` : null;
}

/** The header the program's counter key and the backend's caller identity read the token from. */
export const JWT_HEADER = "Authorization";

/**
 * The issuers a validate-jwt may trust: null to leave the issuer unjudged, else the list (the
 * policy's config, committed and reviewed apart from the stack file a change edits): an issuer
 * someone can point at their own identity provider mints any subject, a fresh rate limit each.
 */
export type TrustedIssuers = readonly string[] | null;

const OPENID_SUFFIX = "/.well-known/openid-configuration";

/** Why a validate-jwt statement does not check the caller's token for real, or null. */
function jwtProblem(e: Element, trusted: TrustedIssuers): string | null {
  const kids = childElements(e);
  const has = (tag: string, child: string) => kids.some((k) => k.tagName === tag && childElements(k).some((c) => c.tagName === child && (c.textContent ?? "").trim() !== ""));
  // A signature check (the issuer's OpenID configuration or signing keys), an audience and an issuer.
  const signature = kids.some((k) => (k.tagName === "openid-config" && (k.getAttribute("url") ?? "") !== "") || k.tagName === "issuer-signing-keys");
  if (!signature || !has("audiences", "audience") || !has("issuers", "issuer")) return "it does not check a signature, an audience and an issuer";
  // Unset is API Management's default (true); "@(false)", "False", "0" or anything else is not the literal true.
  const signed = e.getAttribute("require-signed-tokens");
  if (signed !== null && signed.trim().toLowerCase() !== "true") return `require-signed-tokens is ${JSON.stringify(signed)}, not true`;
  // The token the rate limit's key and the backend's caller identity read (the Authorization
  // header): a check of another header, a query parameter or an expression proves nothing about it.
  const header = e.getAttribute("header-name");
  if (e.hasAttribute("token-value") || e.hasAttribute("query-parameter-name") || header === null || header.trim().toLowerCase() !== JWT_HEADER.toLowerCase())
    return `it reads the token from ${e.hasAttribute("token-value") ? "token-value" : e.hasAttribute("query-parameter-name") ? "a query parameter" : `header ${JSON.stringify(header ?? "")}`}, not the ${JWT_HEADER} header the rate limit and the backend read`;
  if (trusted) {
    const issuers = kids.filter((k) => k.tagName === "issuers").flatMap(childElements).map((c) => (c.textContent ?? "").trim());
    const urls = kids.filter((k) => k.tagName === "openid-config").map((k) => k.getAttribute("url") ?? "");
    const trustedUrls = trusted.map((i) => i.replace(/\/+$/, "") + OPENID_SUFFIX);
    const stranger = [...issuers.filter((i) => !trusted.includes(i)), ...urls.filter((u) => !trustedUrls.includes(u))];
    if (kids.some((k) => k.tagName === "issuer-signing-keys")) return "it trusts signing keys written into the policy, not a trusted issuer's";
    if (stranger.length > 0) return `it trusts ${stranger.map((x) => JSON.stringify(x)).join(", ")}, not an issuer listed in this policy's jwtIssuers (${trusted.length ? trusted.map((x) => JSON.stringify(x)).join(", ") : "none"})`;
  }
  return null;
}

/** The index of the first validate-jwt in <inbound> that checks the caller's token for real, with nothing before it that answers or calls out; or -1. */
export function validatesJwt(doc: PolicyDocument, trusted: TrustedIssuers = null): number {
  if (!doc.ok) return -1;
  const index = doc.inbound.findIndex((e) => e.tagName === "validate-jwt" && jwtProblem(e, trusted) === null);
  return index >= 0 && bypassBefore(doc, index) === null ? index : -1;
}

/** Why the document does not hold callers to a validated token, in words for a violation (validatesJwt says whether it does). */
export function jwtAbsence(doc: PolicyDocument, trusted: TrustedIssuers = null): string {
  if (!doc.ok) return `its policy cannot be read: ${doc.why}`;
  const problem = doc.inbound.filter((e) => e.tagName === "validate-jwt").map((e) => jwtProblem(e, trusted)).find((p) => p !== null);
  if (problem) return `its validate-jwt does not hold: ${problem}`;
  const index = doc.inbound.findIndex((e) => e.tagName === "validate-jwt");
  const early = index >= 0 ? bypassBefore(doc, index) : null;
  if (early) return `a <${early}> in <inbound> comes before its validate-jwt, so a caller is answered (or the backend called) before any token is checked`;
  return "its policy has no validate-jwt in <inbound> that checks a signature, an audience and an issuer";
}

/** Counter keys bound to the caller API Management authenticated (whitespace removed before comparing). */
const SUBSCRIPTION_KEYS = ["@(context.Subscription.Id)", "@(context.Subscription?.Id)", "@(context.Subscription.Key)", "@(context.Subscription?.Key)"];
const JWT_SUBJECT_KEY = /^@\(context\.Request\.Headers\.GetValueOrDefault\("Authorization",""\)\.AsJwt\(\)\?\.Subject(\?\?"[^"]*")?\)$/;

/** Why a calls/renewal-period pair lets a caller make more (or fewer) calls than the bounds, or null. */
function limitProblem(what: string, limit: Element): string | null {
  const calls = limit.getAttribute("calls") ?? "";
  const period = limit.getAttribute("renewal-period") ?? "";
  if (!/^\d+$/.test(calls) || !/^\d+$/.test(period)) return `${what} has calls ${JSON.stringify(calls)} and renewal-period ${JSON.stringify(period)}, not whole numbers`;
  const renewal = Number(period);
  if (renewal < RATE_LIMIT_RENEWAL_SECONDS.min || renewal > RATE_LIMIT_RENEWAL_SECONDS.max)
    return `${what} renews every ${renewal} s, outside ${RATE_LIMIT_RENEWAL_SECONDS.min}-${RATE_LIMIT_RENEWAL_SECONDS.max} s (a short window multiplies the rate; API Management allows at most ${RATE_LIMIT_RENEWAL_SECONDS.max})`;
  const perMinute = (Number(calls) * 60) / renewal;
  if (perMinute < GATEWAY_CALLS_PER_MINUTE.min || perMinute > GATEWAY_CALLS_PER_MINUTE.max)
    return `${what} allows ${+perMinute.toFixed(2)} calls a minute per caller, outside ${GATEWAY_CALLS_PER_MINUTE.min}-${GATEWAY_CALLS_PER_MINUTE.max}`;
  return null;
}

/** Why a document's rate limit does not hold each caller, or null when it does. */
export function rateLimitProblem(doc: PolicyDocument, subscriptionRequired: boolean, trusted: TrustedIssuers = null): string | null {
  if (!doc.ok) return `its policy cannot be read: ${doc.why}`;
  const index = doc.inbound.findIndex((e) => e.tagName === "rate-limit-by-key" || e.tagName === "rate-limit");
  if (index < 0) return "its <inbound> section has no rate-limit-by-key or rate-limit statement (one in <outbound>, <on-error>, <choose> or a comment limits nobody before the backend)";
  const limit = doc.inbound[index]!;
  const tag = limit.tagName;
  const early = bypassBefore(doc, index);
  if (early) return `a <${early}> in <inbound> comes before its ${tag}, so a caller is answered (or the backend called) without being counted`;
  const own = limitProblem(`its ${tag}`, limit);
  if (own) return own;
  // rate-limit's <api>/<operation> children set limits of their own for that API or operation
  // (Microsoft Learn, rate-limit-policy): each is held to the same bounds, or it raises the limit.
  for (const child of childElements(limit)) {
    const problem = limitProblem(`its ${tag}'s <${child.tagName}${child.hasAttribute("name") ? ` name="${child.getAttribute("name")}"` : ""}>`, child);
    if (problem) return problem;
  }
  if (limit.hasAttribute("increment-condition") || (limit.hasAttribute("increment-count") && limit.getAttribute("increment-count") !== "1"))
    return `its ${tag} counts only some calls (increment-condition or an increment-count other than 1)`;
  if (tag === "rate-limit") return subscriptionRequired ? null : "its rate-limit counts per subscription, and the API requires none: every anonymous caller would share one counter";
  const key = (limit.getAttribute("counter-key") ?? "").replace(/\s+/g, "");
  if (SUBSCRIPTION_KEYS.includes(key)) return subscriptionRequired ? null : `its counter key ${JSON.stringify(key)} is the subscription, and the API requires none`;
  if (JWT_SUBJECT_KEY.test(key)) {
    const jwt = validatesJwt(doc, trusted);
    return jwt >= 0 && jwt < index ? null : "its counter key is the token's subject, read before any validate-jwt has checked the token: a caller picks a new subject for every call";
  }
  return `its counter key ${JSON.stringify(limit.getAttribute("counter-key") ?? "")} is not bound to the caller's subscription or validated token subject: a caller who chooses it (a header, a query parameter, a constant shared by everyone) gets a fresh limit at will`;
}
