// The ceilings both the stack config (infra/config.ts) and the policy pack
// (infra/policy-pack/policies.cts) hold a pool to, defined once. CommonJS (.cts) because Pulumi's
// policy runner require()s the pack; the ESM program imports it as ./ceilings.cjs.

/**
 * `maxConcurrentSessions`: documented up to 600 for code-interpreter pools; for custom containers
 * it is UNCONFIRMED (shared/azure-facts.md). The default of the `maxSessionsLimit` stack key and of
 * the policy's `maxConcurrentSessionsCeiling`.
 */
export const MAX_SESSIONS_CEILING = 600;

/**
 * A session container's size: CPU 0.25-2.0 vCPU, memory 0.5Gi-4Gi (shared/azure-facts.md). The range
 * of the sessionCpu and sessionMemory keys (infra/config.ts) and of the policy
 * session-resources-in-range.
 */
export const SESSION_CPU = { min: 0.25, max: 2 } as const;
export const SESSION_MEMORY_GI = { min: 0.5, max: 4 } as const;

/**
 * The Timed lifecycle's cooldownPeriodInSeconds: Azure accepts 300 to 3600 (shared/azure-facts.md).
 * The range of the profiles' cooldown (infra/profiles.ts), of `manage scale --cooldown`, and of the
 * policy pool-cooldown-in-range.
 */
export const COOLDOWN_SECONDS = { min: 300, max: 3600 } as const;

/**
 * `readySessionInstances`: the ready nodes the capacity planner (infra/capacity.ts) plans for the
 * largest contest the session ceiling admits, full: MAX_SESSIONS_CEILING participants with per-user
 * identifiers and the default participant model (one run a minute, everyone's first run within
 * 60 s, a 10 s cold start) need 125 ready for 95% of contests, which take 5 E16 nodes of 28
 * sessions: 140. The planner rounds a contest's ready sessions up to fill the nodes it pays for, so
 * a smaller contest can plan a few more than a larger one, but never more than those 5 nodes hold
 * (a 200-person contest 52, 250 people 58), so a contest profile sized by the planner is never
 * refused, while a typo like 500 still is. test/unit/policies.test.ts holds this number to the
 * planner. The default of the policy's `readySessionsCeiling`.
 */
export const READY_SESSIONS_CEILING = 140;

/**
 * Sessions one E16 node holds at the default session size (0.5 vCPU, 1 GiB) net of the runtime's
 * reserved share: what infra/capacity.ts sessionsPerNode gives for the stack defaults (the policy
 * pack, which cannot import the ESM planner, says it in its advisory). test/unit/suggestions.test.ts
 * holds this number to the planner.
 */
export const SESSIONS_PER_E16_NODE = 28;

/**
 * `gatewayRateLimitPerMinute`, the calls one credential may make a minute through the gateway,
 * bounded on both sides. At least 1: a limit of 0 refuses everyone. At most 6000: one credential
 * may stand for a whole contest (the contest platform's own key calls for everyone), and the
 * largest contest the session ceiling admits is MAX_SESSIONS_CEILING participants; ten calls a
 * minute each is 6000, ten times the default model's one run a minute. Above that a credential is
 * a flood, not a caller: 100000 a minute would let one stolen key fill the pool and the bill, and
 * `manage doctor`'s rate-limit probe (limit + 1 calls) would send as many. The config key
 * (infra/config.ts) and the gateway policy (gateway-authenticates-callers) hold the same bounds.
 */
export const GATEWAY_CALLS_PER_MINUTE = { min: 1, max: MAX_SESSIONS_CEILING * 10 } as const;

/**
 * The rate limit's window (APIM's renewal-period, seconds). At least 60: every limit here is read as
 * "calls a minute" (the config key, doctor's probe, the docs), and a shorter window with the same
 * calls multiplies the rate (calls="60" renewal-period="1" is 3600 a minute). At most 300:
 * API Management's own maximum for rate-limit and rate-limit-by-key (Microsoft Learn,
 * api-management/rate-limit-by-key-policy, "renewal-period ... Maximum allowed value: 300 seconds").
 */
export const RATE_LIMIT_RENEWAL_SECONDS = { min: 60, max: 300 } as const;

/**
 * The most addresses a venue's ranges (accessMode venue, allowedIpRanges) may admit together: a
 * /16's worth, 65536 IPv4 addresses (a large campus). The sum of the ranges' sizes is what counts,
 * so 256 /8s (all of IPv4) or two /1s are as wide as 0.0.0.0/0 and refused alike. IPv6 is counted
 * in /64 subnets (one site's LAN each) with the same limit: a /48, a whole site, is the most.
 */
export const MAX_ALLOWED_ADDRESSES = { ipv4: 2 ** 16, ipv6Subnets64: 2 ** 16 } as const;
