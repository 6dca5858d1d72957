// The gateway's credential (accessMode token): where it comes from, the header it travels in, and
// that it is never shown. And the load test's view of a rate limit.
import { describe, expect, test } from "vitest";
import { credentialHeaders, redactOutputs, resolveCredential } from "../../cli/execution/credentials.js";
import { peakInWindow } from "../../cli/execution/load.js";
import { UsageError } from "../../cli/errors.js";

describe("the gateway credential", () => {
  test("an option wins over the environment, the environment over the stack's own key", () => {
    const outputs = { accessMode: "token", gatewayKey: "own-key" };
    expect(resolveCredential({ gatewayKey: "opt" }, { MANAGE_GATEWAY_KEY: "env" }, outputs)).toEqual({ kind: "key", value: "opt", source: "--gateway-key" });
    expect(resolveCredential({}, { MANAGE_GATEWAY_KEY: "env" }, outputs)).toEqual({ kind: "key", value: "env", source: "MANAGE_GATEWAY_KEY" });
    expect(resolveCredential({}, { MANAGE_GATEWAY_TOKEN: "a.b.c" }, outputs)).toMatchObject({ kind: "token", source: "MANAGE_GATEWAY_TOKEN" });
    expect(resolveCredential({}, {}, outputs)).toEqual({ kind: "key", value: "own-key", source: "the stack's gatewayKey output" });
    expect(resolveCredential({}, {}, { gatewayKey: "[secret]" })).toBeUndefined();
    expect(resolveCredential({}, {})).toBeUndefined();
  });

  test("a gatewayKey pulumi answered as null (a secret it could not open, pulumi before v3.239) names the passphrase, not a missing key", () => {
    expect(() => resolveCredential({}, {}, { accessMode: "token", gatewayKey: null })).toThrow(/could not open the stack's secrets[\s\S]*Fix: set PULUMI_CONFIG_PASSPHRASE/);
    // No gateway: the program exports "", which is no credential and no error.
    expect(resolveCredential({}, {}, { accessMode: "token", gatewayKey: "" })).toBeUndefined();
    // A credential given explicitly does not need the stack's own.
    expect(resolveCredential({}, { MANAGE_GATEWAY_KEY: "env" }, { gatewayKey: null })).toMatchObject({ source: "MANAGE_GATEWAY_KEY" });
  });

  test("two credentials, or an empty one, are bad input", () => {
    expect(() => resolveCredential({ gatewayKey: "k", gatewayToken: "t" }, {})).toThrow(UsageError);
    expect(() => resolveCredential({}, { MANAGE_GATEWAY_KEY: "k", MANAGE_GATEWAY_TOKEN: "t" })).toThrow(/both MANAGE_GATEWAY_KEY and MANAGE_GATEWAY_TOKEN are set/);
    expect(() => resolveCredential({ gatewayToken: " " }, {})).toThrow(/--gateway-token is empty/);
  });

  test("a key travels in API Management's header, a token as a bearer; outputs are shown with the key redacted", () => {
    expect(credentialHeaders({ kind: "key", value: "k", source: "" })).toEqual({ "Ocp-Apim-Subscription-Key": "k" });
    expect(credentialHeaders({ kind: "token", value: "t", source: "" })).toEqual({ authorization: "Bearer t" });
    expect(credentialHeaders(undefined)).toEqual({});
    expect(redactOutputs({ gatewayKey: "k", backendUrl: "https://x" })).toEqual({ gatewayKey: "[secret]", backendUrl: "https://x" });
    expect(redactOutputs({ gatewayKey: "" })).toEqual({ gatewayKey: "" });
    // The participants' keys (infra/callers.ts) are never shown either.
    expect(redactOutputs({ callers: [{ name: "team-a", key: "0123456789abcdef0123456789abcdef" }] })).toEqual({ callers: "[secret]" });
  });
});

test("the most arrivals in any minute: what a per-minute rate limit sees", () => {
  const at = (...ms: number[]) => ms.map((atMs) => ({ atMs, language: "python" as const }));
  expect(peakInWindow(at(), 60_000)).toBe(0);
  expect(peakInWindow(at(0, 10, 59_999, 60_000, 60_001), 60_000)).toBe(4);
  expect(peakInWindow(at(0, 30_000, 61_000, 62_000), 60_000)).toBe(3);
});
