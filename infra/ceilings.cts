// The ceilings both the stack config (infra/limits.ts, infra/config.ts) and the policy pack
// (infra/policy-pack/policies.cts) hold a pool to, defined once. CommonJS (.cts) because Pulumi's
// policy runner require()s the pack; the ESM program imports it as ./ceilings.cjs.

/**
 * `maxConcurrentSessions`: documented up to 600 for code-interpreter pools; for custom containers
 * it is UNCONFIRMED (shared/azure-facts.md). The default of the `maxSessionsLimit` stack key and of
 * the policy's `maxConcurrentSessionsCeiling`.
 */
export const MAX_SESSIONS_CEILING = 600;

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
