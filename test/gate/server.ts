// A local stand-in for the API Management gateway of accessMode token (infra/gateway.ts), in front
// of test/exec-server: what the program declares, done the way API Management does it.
//   - Credentials: a subscription key in the Ocp-Apim-Subscription-Key header (or the
//     subscription-key query parameter), checked against the gateway's subscriptions; or, with a JWT
//     issuer configured (validate-jwt), an `Authorization: Bearer` RS256 token whose signature,
//     issuer, audience and expiry are checked. A call without a valid one gets 401 with API
//     Management's own message, and never reaches the backend.
//   - Routes: only the API's operations (POST /api/v2/execute, GET <health path>); anything else 404.
//   - rate-limit-by-key: each caller (the subscription, or the token's subject) may make `calls`
//     calls per `periodSeconds`, counted from its first call in the window; beyond it 429 with a
//     Retry-After header (seconds until the window renews) and API Management's message.
//   - The subscription key is not forwarded to the backend.

import type { IncomingMessage, ServerResponse } from "node:http";
import { createSign, createVerify, generateKeyPairSync, type KeyObject } from "node:crypto";
import type { LocalCertificate } from "../helpers/tls.js";
import { serveLocally } from "../helpers/local-server.js";

export const KEY_HEADER = "ocp-apim-subscription-key";

export interface GateOptions {
  /** The backend it forwards to (test/exec-server's URL). */
  upstream: string;
  tls?: boolean | LocalCertificate;
  /** Valid subscription keys (key mode). */
  keys?: string[];
  /** validate-jwt (token mode): issuer, audience and the issuer's signing key. */
  jwt?: { issuer: string; audience: string; publicKey: KeyObject };
  callsPerMinute?: number;
  periodSeconds?: number;
  healthPath?: string;
  /**
   * The gateway as deployed, read on every call: whether the instance exists (a deleted one answers
   * nothing: its host is gone) and the subscriptions' keys it holds (the ops subscription and each
   * participant's, infra/gateway.ts). Absent: always there, with `keys`.
   */
  deployment?: () => { exists: boolean; keys: string[]; opsKey?: string };
  /**
   * The key of manage's own subscription (infra/gateway.ts OPS_SUBSCRIPTION_ID), which the policy
   * lets past limit-concurrency (infra/access-mode.ts gatewayPolicyXml); a deployment() may say it too.
   */
  opsKey?: string;
  /**
   * The per-caller budget (infra/caller-budget.ts): limit-concurrency, at most this many calls of one
   * caller in flight, beyond it 429 (Microsoft Learn, api-management limit-concurrency policy); and
   * set-header, the caller's identity in `callerHeader` (overriding what the caller sent).
   */
  concurrency?: number;
  callerHeader?: string;
}

export interface Gate {
  url: string;
  caFile?: string;
  keys: string[];
  /** Calls per period per caller; Infinity turns the rate limit off (a gateway without one). */
  callsPerMinute: number;
  /** false: let calls without a credential through (a gateway whose API requires none). */
  requireCredential: boolean;
  /** Every call: method, path, status answered, the caller it was counted for. */
  requests: Array<{ method: string; path: string; status: number; caller: string | null }>;
  /** Forget every caller's count (a new window for everyone). */
  resetLimits(): void;
  close(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

/** A signing key pair for an issuer of test tokens. */
export function issuerKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync("rsa", { modulusLength: 2048 });
}

/** An RS256 JWT with these claims (iat/exp default to now and an hour from now). */
export function signJwt(claims: Record<string, unknown>, privateKey: KeyObject): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  const payload = b64url(JSON.stringify({ iat: now, exp: now + 3600, ...claims }));
  const signature = createSign("RSA-SHA256").update(`${header}.${payload}`).sign(privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

/** validate-jwt: the subject of a valid token, or null. */
function validToken(token: string, jwt: NonNullable<GateOptions["jwt"]>): string | null {
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || !signature) return null;
  try {
    const h = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: string };
    if (h.alg !== "RS256") return null;
    if (!createVerify("RSA-SHA256").update(`${header}.${payload}`).verify(jwt.publicKey, Buffer.from(signature, "base64url"))) return null;
    const c = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: string; aud?: string | string[]; exp?: number; nbf?: number; sub?: string };
    const now = Date.now() / 1000;
    if (c.iss !== jwt.issuer) return null;
    if (!(Array.isArray(c.aud) ? c.aud : [c.aud]).includes(jwt.audience)) return null;
    if (typeof c.exp !== "number" || c.exp <= now || (typeof c.nbf === "number" && c.nbf > now)) return null;
    return c.sub ?? "anonymous";
  } catch {
    return null;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startGate(opts: GateOptions): Promise<Gate> {
  const periodMs = (opts.periodSeconds ?? 60) * 1000;
  const healthPath = opts.healthPath ?? "/";
  const windows = new Map<string, { start: number; count: number }>();
  const concurrent = new Map<string, number>();
  const state = {
    keys: [...(opts.keys ?? [])],
    callsPerMinute: opts.callsPerMinute ?? 60,
    requireCredential: true,
    requests: [] as Gate["requests"],
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url!, "http://localhost");
    const deployed = opts.deployment?.();
    // A deleted instance: nothing answers at its host (the connection is dropped, not answered).
    if (deployed && !deployed.exists) return void req.socket.destroy();
    const keys = deployed ? deployed.keys : state.keys;
    let caller: string | null = null;
    let ops = false;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      state.requests.push({ method: req.method!, path: url.pathname, status, caller });
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };

    // Authentication, as API Management answers it.
    if (opts.jwt) {
      const auth = String(req.headers.authorization ?? "");
      caller = auth.startsWith("Bearer ") ? validToken(auth.slice(7), opts.jwt) : null;
      if (!caller && state.requireCredential) return send(401, { statusCode: 401, message: "Unauthorized. Access token is missing or invalid." });
    } else {
      const key = (req.headers[KEY_HEADER] as string | undefined) ?? url.searchParams.get("subscription-key") ?? undefined;
      if (key !== undefined && keys.includes(key)) {
        caller = `subscription:${keys.indexOf(key)}`;
        ops = key === (deployed?.opsKey ?? opts.opsKey);
      }
      else if (state.requireCredential)
        return send(401, {
          statusCode: 401,
          message:
            key === undefined
              ? "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."
              : "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.",
        });
    }

    // The API's operations only.
    const execute = req.method === "POST" && url.pathname === "/api/v2/execute";
    const health = req.method === "GET" && url.pathname === healthPath;
    if (!execute && !health) return send(404, { statusCode: 404, message: "Resource not found" });

    // rate-limit-by-key, counted per caller.
    const counter = caller ?? "anonymous";
    const now = Date.now();
    let w = windows.get(counter);
    if (!w || now - w.start >= periodMs) windows.set(counter, (w = { start: now, count: 0 }));
    if (++w.count > state.callsPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((w.start + periodMs - now) / 1000));
      return send(429, { statusCode: 429, message: `Rate limit is exceeded. Try again in ${retryAfter} seconds.` }, { "retry-after": String(retryAfter) });
    }

    // limit-concurrency, per caller.
    const inFlight = concurrent.get(counter) ?? 0;
    if (opts.concurrency !== undefined && !ops && inFlight >= opts.concurrency) return send(429, { statusCode: 429, message: "Too many requests. Concurrency limit exceeded." });
    concurrent.set(counter, inFlight + 1);
    try {
      // Forward, without the subscription key; set-header overrides any caller identity the caller sent.
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === "string" && !["host", "connection", KEY_HEADER, "content-length", opts.callerHeader?.toLowerCase()].includes(k)) headers[k] = v;
      if (opts.callerHeader) headers[opts.callerHeader] = counter;
      const body = execute ? await readBody(req) : undefined;
      const upstream = await fetch(opts.upstream.replace(/\/+$/, "") + url.pathname, { method: req.method, headers, body });
      return send(upstream.status, await upstream.text());
    } finally {
      concurrent.set(counter, (concurrent.get(counter) ?? 1) - 1);
    }
  }

  const local = await serveLocally(handle, { tls: opts.tls, errorBody: (err) => ({ statusCode: 500, message: String(err) }) });
  return Object.assign(state, { ...local, resetLimits: () => windows.clear() });
}
