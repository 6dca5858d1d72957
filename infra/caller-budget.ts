// What one credential may hold of the pool: a per-caller budget that follows from the capacity
// plan. The pool's cap (maxSessions, sized by the planner in infra/capacity.ts for the stack's
// participants) shared among the participants: no single key may take more than its share.
//
// The backend contract that makes the share hold (docs/architecture.md, "The backend contract"):
// the gateway sets CALLER_HEADER to the caller's identity (its subscription, or its token's subject),
// overriding anything the caller sent, and the backend keys sessions by it (the session identifier
// is derived from the caller), so one key holds its own sessions however many calls it makes, and at
// most `concurrency` of its calls are in flight at once (API Management limit-concurrency; beyond it
// 429). The per-minute rate limit (gatewayRateLimitPerMinute) still bounds what its calls cost.
//
// Pure, and a module of its own so the planner (infra/capacity.ts) stays the one place sessions are sized.

/** The header the gateway sets to the caller's identity and the backend keys sessions by. */
export const CALLER_HEADER = "X-Caller-Id";

/**
 * The share of `maxSessions` one of `participants` may hold (at least 1): the sessions one caller may
 * hold, and so the calls it may have in flight (limit-concurrency max-count), one per session.
 */
export function callerBudget(maxSessions: number, participants: number): { concurrency: number } {
  return { concurrency: Math.max(1, Math.floor(maxSessions / Math.max(1, participants))) };
}
