// The gateway's policy text as API Management reads it: sent with format "xml" (infra/access-mode.ts,
// GATEWAY_POLICY_FORMAT), so the text must be a well-formed XML document whose attributes decode to
// the C#-style policy expressions exactly. Parsed here with a real XML parser (@xmldom/xmldom), the
// way API Management parses an "xml" policy (PolicyContentFormat, Azure/azure-rest-api-specs
// specification/apimanagement/.../2024-05-01/definitions.json).
import { DOMParser } from "@xmldom/xmldom";
import { describe, expect, test } from "vitest";
import { GATEWAY_POLICY_FORMAT, gatewayPolicyXml, xmlEscape, type GatewaySettings } from "../../infra/access-mode.js";
import { resource, simulateStack } from "../helpers/program.js";

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
    // What is deployed is what the tests below parse.
    expect(policy.inputs.value).toBe(gatewayPolicyXml(JWT));
  });

  test("the JWT mode's policy round-trips through an XML parser with its expression intact", () => {
    const text = gatewayPolicyXml(JWT);
    expect(attribute(text, "rate-limit-by-key", "counter-key")).toBe('@(context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Subject ?? "anonymous")');
    expect(attribute(text, "openid-config", "url")).toBe("https://login.example.com/contest/.well-known/openid-configuration");
    expect(parse(text).getElementsByTagName("audience")[0]!.textContent).toBe("api://coding-engine");
  });

  test("the key mode's policy parses too, counted per subscription", () => {
    expect(attribute(gatewayPolicyXml(KEYS), "rate-limit-by-key", "counter-key")).toBe("@(context.Subscription.Id)");
  });

  test("an expression with quotes, && and < survives the escaping unchanged", () => {
    const expression = '@(context.Request.Headers.GetValueOrDefault("X","") != "" && context.Request.Body.As<string>().Length < 65536)';
    const text = `<policies><inbound><set-variable name="ok" value="${xmlEscape(expression)}" /></inbound></policies>`;
    expect(attribute(text, "set-variable", "value")).toBe(expression);
    // Unescaped, the same expression is not XML at all: why the text is escaped once, by us, and sent as xml.
    expect(() => parse(`<policies><inbound><set-variable name="ok" value="${expression}" /></inbound></policies>`)).toThrow();
  });
});
