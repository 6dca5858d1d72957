// The gateway's policy text as API Management reads it: sent with format "xml" (infra/access-mode.ts,
// GATEWAY_POLICY_FORMAT), so the text must be a well-formed XML document whose attributes decode to
// the C#-style policy expressions exactly. Parsed here with a real XML parser (@xmldom/xmldom), the
// way API Management parses an "xml" policy (PolicyContentFormat, Azure/azure-rest-api-specs
// specification/apimanagement/.../2024-05-01/definitions.json).
import { DOMParser } from "@xmldom/xmldom";
import { describe, expect, test } from "vitest";
import { GATEWAY_POLICY_FORMAT, gatewayPolicyXml, xmlEscape, type GatewaySettings } from "../../infra/access-mode.js";
import { resource, simulateStack } from "../helpers/program.js";
import { CALLER_HEADER, callerBudget } from "../../infra/caller-budget.js";

const KEYS: GatewaySettings = { sku: "Basic", publisherEmail: "ops@example.com", callsPerMinute: 60, jwt: null };
const JWT: GatewaySettings = { ...KEYS, jwt: { issuer: "https://login.example.com/contest/", audience: "api://coding-engine" } };

/** Parses as API Management does with format "xml": any well-formedness error throws. */
function parse(text: string) {
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => void (level !== "warning" && errors.push(message)) }).parseFromString(text, "text/xml");
  if (errors.length) throw new Error(`not well-formed XML: ${errors.join("; ")}`);
  return doc;
}
const attribute = (text: string, element: string, name: string) => {
  const found = parse(text).getElementsByTagName(element);
  expect(found.length).toBe(1);
  return found[0]!.getAttribute(name);
};

describe("the gateway policy sent as format xml", () => {
  test("the program sends it as xml, not rawxml (API Management would escape raw text a second time)", async () => {
    expect(GATEWAY_POLICY_FORMAT).toBe("xml");
    const sim = await simulateStack("contest", { profile: "contest", gatewayJwtIssuer: JWT.jwt!.issuer, gatewayJwtAudience: JWT.jwt!.audience });
    const policy = resource(sim, "gateway-policy");
    expect(policy.inputs.format).toBe("xml");
    // What is deployed is what the tests below parse (with the contest pool's per-caller budget).
    const maxSessions = (resource(sim, "session-pool").inputs.scaleConfiguration as { maxConcurrentSessions: number }).maxConcurrentSessions;
    expect(policy.inputs.value).toBe(gatewayPolicyXml(JWT, { concurrency: callerBudget(maxSessions, 200).concurrency, header: CALLER_HEADER, opsSubscription: "ops" }));
  });

  test("the JWT mode's policy round-trips through an XML parser with its expressions intact", () => {
    const text = gatewayPolicyXml(JWT, { concurrency: 2, header: CALLER_HEADER, opsSubscription: "ops" });
    const subject = '@(context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Subject ?? "anonymous")';
    expect(attribute(text, "rate-limit-by-key", "counter-key")).toBe(subject);
    expect(attribute(text, "limit-concurrency", "key")).toBe(subject);
    expect(parse(text).getElementsByTagName("set-header")[0]!.getElementsByTagName("value")[0]!.textContent).toBe(subject);
    expect(attribute(text, "openid-config", "url")).toBe("https://login.example.com/contest/.well-known/openid-configuration");
    expect(parse(text).getElementsByTagName("audience")[0]!.textContent).toBe("api://coding-engine");
  });

  test("the key mode's policy parses too, counted per subscription", () => {
    expect(attribute(gatewayPolicyXml(KEYS), "rate-limit-by-key", "counter-key")).toBe("@(context.Subscription.Id)");
  });

  test("key mode: every participant held to the budget's calls in flight, manage's own subscription not (its smoke runs cases side by side), and still rate-limited", () => {
    const text = gatewayPolicyXml(KEYS, { concurrency: 1, header: CALLER_HEADER, opsSubscription: "ops" });
    const doc = parse(text);
    const when = doc.getElementsByTagName("when")[0]!;
    expect(when.getAttribute("condition")).toBe('@(context.Subscription != null && context.Subscription.Id == "ops")');
    // The ops branch forwards without a limit; everyone else goes through limit-concurrency at the budget.
    expect(when.getElementsByTagName("limit-concurrency").length).toBe(0);
    expect(when.getElementsByTagName("forward-request").length).toBe(1);
    const otherwise = doc.getElementsByTagName("otherwise")[0]!;
    expect(otherwise.getElementsByTagName("limit-concurrency")[0]!.getAttribute("max-count")).toBe("1");
    // The rate limit in <inbound> counts every subscription, ops included.
    expect(doc.getElementsByTagName("inbound")[0]!.getElementsByTagName("rate-limit-by-key").length).toBe(1);
  });

  test("an expression with quotes, && and < survives the escaping unchanged", () => {
    const expression = '@(context.Request.Headers.GetValueOrDefault("X","") != "" && context.Request.Body.As<string>().Length < 65536)';
    const text = `<policies><inbound><set-variable name="ok" value="${xmlEscape(expression)}" /></inbound></policies>`;
    expect(attribute(text, "set-variable", "value")).toBe(expression);
    // Unescaped, the same expression is not XML at all: why the text is escaped once, by us, and sent as xml.
    expect(() => parse(`<policies><inbound><set-variable name="ok" value="${expression}" /></inbound></policies>`)).toThrow();
  });
});

describe("the per-caller budget (infra/caller-budget.ts)", () => {
  test("each participant's share of the pool's cap, at least one session; one call in flight per session", () => {
    expect(callerBudget(200, 200)).toEqual({ concurrency: 1 });
    expect(callerBudget(900, 250)).toEqual({ concurrency: 3 });
    expect(callerBudget(5, 200)).toEqual({ concurrency: 1 });
  });

  test("the deployed policy carries it: the caller's identity to the backend (overriding the caller's own), limit-concurrency at the share", async () => {
    // 300 sessions can cost more than the default $500/day ceiling at 24 sessions a node (the worst end the ceiling judges): a ceiling above it.
    const sim = await simulateStack("contest", { profile: "contest", participants: "100", profileOverrides: '{"contest":{"maxSessions":300}}', costCeilingPerDay: "1000" });
    const doc = parse(String(resource(sim, "gateway-policy").inputs.value));
    const header = doc.getElementsByTagName("set-header")[0]!;
    expect(header.getAttribute("name")).toBe(CALLER_HEADER);
    expect(header.getAttribute("exists-action")).toBe("override");
    expect(header.getElementsByTagName("value")[0]!.textContent).toBe("@(context.Subscription.Id)");
    const limit = doc.getElementsByTagName("limit-concurrency")[0]!;
    expect(limit.getAttribute("max-count")).toBe("3");
    expect(limit.getAttribute("key")).toBe("@(context.Subscription.Id)");
    // In the backend section, around the forward: it counts calls in flight to the backend, for
    // every subscription but manage's own.
    expect(limit.parentNode!.nodeName).toBe("otherwise");
    expect(limit.parentNode!.parentNode!.nodeName).toBe("choose");
    expect(limit.parentNode!.parentNode!.parentNode!.nodeName).toBe("backend");
  });
});
