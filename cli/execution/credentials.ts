// The credential a call through the gateway (accessMode token) carries, and where it comes from:
// --gateway-key / --gateway-token, else MANAGE_GATEWAY_KEY / MANAGE_GATEWAY_TOKEN, else (for the
// stack's own backend) the stack's own `gatewayKey` output, the subscription the program declares
// for manage. Never echoed: no report, message or JSON document carries it (redactOutputs).
// Pure: the environment and the outputs are passed in.

import { CALLERS_OUTPUT } from "../../infra/callers.js";
import { SUBSCRIPTION_KEY_HEADER } from "../../infra/access-mode.js";
import { UsageError } from "../errors.js";
import { PASSPHRASE_FIX } from "../pulumi/failures.js";
import { suggestPulumi } from "../suggest.js";
import type { CredentialOptions } from "../main.js";

export const ENV_KEY = "MANAGE_GATEWAY_KEY";
export const ENV_TOKEN = "MANAGE_GATEWAY_TOKEN";

export interface Credential {
  kind: "key" | "token";
  value: string;
  /** Where it came from, for messages (never the value): "--gateway-key", "MANAGE_GATEWAY_KEY"... */
  source: string;
}

/** Stack outputs that are secrets: kept in memory, never printed. */
export const SECRET_OUTPUTS = ["gatewayKey", CALLERS_OUTPUT] as const;

/** Outputs as they may be shown: each secret one replaced by "[secret]" (as `pulumi stack output` does). */
export function redactOutputs(outputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, (SECRET_OUTPUTS as readonly string[]).includes(k) && v ? "[secret]" : v]));
}

/**
 * The credential to send, or undefined for none. A key and a token at once is bad input (exit 2):
 * the gateway takes one or the other, so a second one means a mistake.
 */
export function resolveCredential(
  o: CredentialOptions,
  env: Record<string, string | undefined>,
  outputs?: Record<string, unknown>,
): Credential | undefined {
  const given: Credential[] = [];
  if (o.gatewayKey !== undefined) given.push({ kind: "key", value: o.gatewayKey, source: "--gateway-key" });
  if (o.gatewayToken !== undefined) given.push({ kind: "token", value: o.gatewayToken, source: "--gateway-token" });
  if (given.length > 1) throw new UsageError("give either --gateway-key or --gateway-token, not both: the gateway takes one credential");
  for (const c of given)
    if (c.value.trim() === "") throw new UsageError(`${c.source} is empty: pass the gateway's subscription key (or a JWT with --gateway-token)`);
  if (given[0]) return given[0];
  const fromEnv: Credential[] = [];
  if (env.MANAGE_GATEWAY_KEY) fromEnv.push({ kind: "key", value: env.MANAGE_GATEWAY_KEY, source: ENV_KEY });
  if (env.MANAGE_GATEWAY_TOKEN) fromEnv.push({ kind: "token", value: env.MANAGE_GATEWAY_TOKEN, source: ENV_TOKEN });
  if (fromEnv.length > 1) throw new UsageError(`both ${ENV_KEY} and ${ENV_TOKEN} are set: unset one (the gateway takes one credential)`);
  if (fromEnv[0]) return fromEnv[0];
  const own = outputs?.gatewayKey;
  // The program exports "" when there is no gateway, never null. A null is pulumi failing to open the
  // secret and saying nothing: before v3.239 a wrong passphrase answers every secret output as null
  // with exit 0 (pkg/resource/stack/secrets.go v3.230.0: BatchDecrypt joins the batch's error into a
  // variable its deferred function sets after the return; pulumi/pulumi#23149 named the return).
  // Calling the gateway without a key would only be refused, and blamed on the gateway.
  if (outputs && own === null)
    throw new UsageError(`pulumi gave the stack's gatewayKey output as null: it could not open the stack's secrets (a wrong passphrase; pulumi before v3.239 says nothing of it)\n  Fix: ${PASSPHRASE_FIX}`);
  if (typeof own === "string" && own !== "" && own !== "[secret]") return { kind: "key", value: own, source: "the stack's gatewayKey output" };
  return undefined;
}

/** What the person gave on this command line (as opposed to the environment or the stack's outputs). */
const fromOption = (c: Credential) => c.source.startsWith("--");

/**
 * Where a credential may go: only over HTTPS (a key sent over plain http is readable on the way),
 * and, unless it was given on this very command line, only to the stack's own backend (its
 * gatewayUrl, as its outputs name it): a MANAGE_GATEWAY_KEY meant for the stack's gateway never
 * reaches an --endpoint elsewhere. Pure. Returns the credential to send (or none) and, when one is
 * held back, the line that says so; a credential given as an option that cannot be sent is bad
 * input (exit 2), naming the options.
 */
export function credentialFor(url: string, credential: Credential | undefined, own: boolean): { credential?: Credential; withheld?: string } {
  if (!credential) return {};
  const https = /^https:\/\//i.test(url);
  const what = credential.kind === "key" ? "the gateway key" : "the gateway token";
  if (!https) {
    if (fromOption(credential))
      throw new UsageError(
        `${credential.source} is sent only over HTTPS, and ${own ? "the stack's backend URL" : "--endpoint"} ${url} is not: nothing was sent\n` +
          `  Fix: use the https:// address${own ? "" : " with --endpoint"}, or leave out ${credential.source}`,
      );
    return { withheld: `${what} (${credential.source}) is not sent to ${url}: credentials go only over HTTPS` };
  }
  if (!own && !fromOption(credential))
    return { withheld: `${what} (${credential.source}) is not sent to --endpoint ${url}: it goes only to the stack's own gateway (--stack); pass ${credential.kind === "key" ? "--gateway-key" : "--gateway-token"} to send one there` };
  return { credential };
}

/** The stack's own credential for its own backend URL (change path, doctor): withheld with a warning unless HTTPS. */
export function stackCredential(url: string, credential: Credential | undefined, onWithheld: (line: string) => void): Credential | undefined {
  const r = credentialFor(url, credential, true);
  if (r.withheld) onWithheld(r.withheld);
  return r.credential;
}

/** The header that carries it. */
export function credentialHeaders(c: Credential | undefined): Record<string, string> {
  if (!c) return {};
  return c.kind === "key" ? { [SUBSCRIPTION_KEY_HEADER]: c.value } : { authorization: `Bearer ${c.value}` };
}

/** How to get a credential, for the fix of a 401 from the gateway. */
export function credentialHint(stack = "<stack>"): string {
  return (
    `set ${ENV_KEY} (or pass --gateway-key) to a subscription key of the stack's gateway: its own is ` +
    `\`${suggestPulumi(`stack output gatewayKey --show-secrets --stack ${stack}`)}\`; with gatewayJwtIssuer, a JWT in ${ENV_TOKEN} (--gateway-token)`
  );
}
