// What a failed execution means and what to do about it. The earlier hand-run deployment "worked"
// while every execution returned 403, 404, 400 or 502 in turn and nobody knew which for days; each
// status here maps to its causes (shared/azure-facts.md, "Calling a pool") and the exact fix.
// Pure: smoke, doctor, the readiness gate and the load test all explain failures with it.

import type { Answer } from "./api.js";
import { credentialHint } from "./credentials.js";
import { suggest, suggestPulumi } from "../suggest.js";

export interface Diagnosis {
  /** Short name of the cause, e.g. "role missing or still propagating". */
  cause: string;
  /** What to do, with the command where there is one. */
  fix: string;
  /** Worth waiting for: the same request may succeed later without anyone doing anything. */
  transient: boolean;
}

export function diagnose(answer: Pick<Answer<unknown>, "status" | "text" | "error" | "retryAfter">, stack = "<stack>"): Diagnosis {
  const text = answer.text.toLowerCase();
  switch (answer.status) {
    case 429:
      // The gateway answers 429 for two of its policies (infra/access-mode.ts gatewayPolicyXml), and
      // Retry-After tells them apart. rate-limit-by-key sends it (its retry-after-header-name defaults
      // to Retry-After; Microsoft Learn, api-management/rate-limit-by-key-policy); limit-concurrency,
      // the per-caller budget, fails a call beyond max-count "immediately with the 429 Too Many
      // Requests status code" and has no such header (api-management/limit-concurrency-policy).
      return answer.retryAfter !== undefined
        ? {
            cause: "429: the gateway's rate limit for this caller (subscription key or token subject) is exceeded",
            fix:
              `wait ${answer.retryAfter} s (Retry-After) and retry; each caller may make gatewayRateLimitPerMinute calls a minute: ` +
              `raise it in Pulumi.${stack}.yaml if a real caller needs more`,
            transient: true,
          }
        : {
            cause:
              "429 without Retry-After: the gateway's concurrency limit for this caller (limit-concurrency: at most its share of the pool's sessions in flight at once), not its rate limit, which says when to retry",
            fix:
              "fewer calls in flight on one credential: each may have maxSessions ÷ participants at once (the per-caller budget); " +
              `a load test through one key meets it at that many users: spread the load over participants' keys (\`${suggest("keys issue", { stack, name: "<name>" })}\`), or size the pool for more (\`${suggest("capacity", { stack, users: "<n>" })}\`)`,
            transient: true,
          };
    case 0:
      return {
        cause: `no answer from the backend (${answer.error ?? "network error"})`,
        fix: `check the URL and that the backend has a running replica: \`${suggest("status", { stack })}\`; \`${suggest("start-backend", { stack })}\` starts one`,
        transient: true,
      };
    case 401:
      if (/subscription key|access token|jwt|unauthorized\. /.test(text))
        return {
          cause: /subscription key/.test(text)
            ? "401: the gateway refused the call: no subscription key, or not a valid one (accessMode token)"
            : "401: the gateway refused the call: no token, or not a valid one (issuer, audience, signature or expiry; accessMode token)",
          fix: credentialHint(stack),
          transient: false,
        };
      return {
        cause: "401: the pool refused the backend's token (wrong audience)",
        fix: "the backend must request its token for https://dynamicsessions.io/.default with the identity in AZURE_CLIENT_ID; redeploy a backend image that does",
        transient: false,
      };
    case 403:
      return {
        cause: "403: the backend's identity lacks Azure ContainerApps Session Executor on the pool, or the assignment has not propagated yet (up to 30 minutes)",
        fix: `wait for propagation; if it persists, \`${suggest("doctor", { stack })}\` shows whether the assignment exists (external mode: an administrator runs the commands \`${suggestPulumi(`stack output adminCommands --stack ${stack}`)}\` prints)`,
        transient: true,
      };
    case 404:
      return /session limit|maxconcurrentsessions|concurrent sessions/.test(text)
        ? {
            cause: "404: the pool's session limit (maxConcurrentSessions) is reached",
            fix: `raise it in the profile in effect: \`${suggest("scale", { stack, profile: "<profile>", "max-sessions": "<n>" })}\` (\`${suggest("capacity", { stack, users: "<n>" })}\` says how many)`,
            transient: true,
          }
        : {
            cause: "404: the session limit is reached, or the session container has no such route (wrong image or tag)",
            fix: `check the session image tag in Pulumi.${stack}.yaml exists in the registry and serves the path the backend calls; \`${suggest("status", { stack })}\` shows the pool's limit`,
            transient: false,
          };
    case 400:
      return /api-version/.test(text)
        ? {
            cause: "400: the pool rejected the api-version the backend sent (custom-container pools take none)",
            fix: "deploy a backend image that calls the pool without an api-version query parameter",
            transient: false,
          }
        : {
            cause: "400: the request was refused (wrong path, unknown language or malformed body)",
            fix: `read the message: ${answer.text.slice(0, 200) || "(empty)"}`,
            transient: false,
          };
    case 502:
    case 503:
    case 504:
      return {
        cause: `${answer.status}: the session container is not listening yet (cold start), or the backend has no pool to forward to`,
        fix: `usually passes within a few minutes of a start; if not, check the session image's target port matches sessionTargetPort and that the profile has a pool (\`${suggest("status", { stack })}\`)`,
        transient: true,
      };
    default:
      return answer.status >= 500
        ? { cause: `${answer.status}: the backend failed`, fix: "see the backend's logs in the Log Analytics workspace", transient: true }
        : { cause: `unexpected HTTP ${answer.status}`, fix: `read the message: ${answer.text.slice(0, 200) || "(empty)"}`, transient: false };
  }
}
