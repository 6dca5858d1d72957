// How many sessions a contest needs, how many must be ready, how many E16 nodes that takes, and
// how long executions wait. The one planner: `manage capacity`, `cost-estimate`, `plan`, `status`
// and the Pulumi program (the contest profile) all import it. Pure, no Pulumi.
//
// With the Timed lifecycle a session stays allocated until the cooldown has passed since its last
// request, so the backend's identifier strategy, not the number of people typing, decides the
// sessions held. A session is held for its run plus the cooldown ("hold time"):
//   per-user       one session per user who ran something within the last hold time:
//                  Binomial(users, 1 - e^(-rate x hold)), and all of them right after the opening burst;
//   per-execution  a fresh session per execution: Poisson(arrivals/s x hold) (M/G/inf);
//   shared:K       K sessions shared by everyone; executions queue for them (Erlang C).
// Held sessions are random, so a cap set at their mean is exceeded about half the time; caps are
// sized to a tail instead (see fullPoolRate). Ready sessions are kept in addition to held ones, so
// the nodes billed follow held + ready.

import { binomial, poisson, shifted, smallestWithTailAtMost, type Discrete } from "./distributions.js";

export type IdentifierStrategy = { kind: "per-user" } | { kind: "per-execution" } | { kind: "shared"; sessions: number };

export function parseIdentifierStrategy(text: string): IdentifierStrategy | null {
  if (text === "per-user" || text === "per-execution") return { kind: text };
  const shared = /^shared:([1-9]\d*)$/.exec(text);
  return shared ? { kind: "shared", sessions: Number(shared[1]) } : null;
}

export function strategyLabel(s: IdentifierStrategy): string {
  return s.kind === "shared" ? `shared:${s.sessions}` : s.kind;
}

/**
 * Named assumptions, each overridable (flags of `manage capacity`; the participant model's inputs
 * are also stack config keys). docs/costs.md says why each value and how to check it.
 */
export const CAPACITY_DEFAULTS = {
  participants: 200,
  runsPerUserPerMinute: 1,
  /** Run time of one execution. Measure with `manage smoke` / `manage load-test`. */
  avgExecSeconds: 2,
  p95WaitSeconds: 2,
  hours: 2,
  /** The opening burst: everybody's first run lands within this many seconds of the start. */
  openingBurstSeconds: 60,
  /** Time for the pool to bring up a session that was not ready. UNCONFIRMED; time it after a scale-up. */
  coldStartSeconds: 10,
  /**
   * The most requests that may find the pool full: a cap c is chosen so that P(held >= c) <= this,
   * where "held" is what the others hold when a request arrives (by PASTA, the time-average
   * distribution). That is the chance the load reaches the cap, an upper bound on the 404 rate (with
   * the cap in force the loss is Erlang B, smaller still).
   */
  max404Rate: 0.001,
  identifier: "per-user",
} as const;

/** Who takes part and how they behave: what the contest profile is sized for. */
export interface ParticipantModel {
  users: number;
  runsPerUserPerMinute: number;
  avgExecSeconds: number;
  strategy: IdentifierStrategy;
  openingBurstSeconds: number;
  coldStartSeconds: number;
  max404Rate: number;
  p95WaitSeconds: number;
}

export const DEFAULT_PARTICIPANTS: ParticipantModel = {
  users: CAPACITY_DEFAULTS.participants,
  runsPerUserPerMinute: CAPACITY_DEFAULTS.runsPerUserPerMinute,
  avgExecSeconds: CAPACITY_DEFAULTS.avgExecSeconds,
  strategy: { kind: "per-user" },
  openingBurstSeconds: CAPACITY_DEFAULTS.openingBurstSeconds,
  coldStartSeconds: CAPACITY_DEFAULTS.coldStartSeconds,
  max404Rate: CAPACITY_DEFAULTS.max404Rate,
  p95WaitSeconds: CAPACITY_DEFAULTS.p95WaitSeconds,
};

export interface CapacityQuery extends ParticipantModel {
  cooldownSeconds: number;
}

// ---- Nodes ------------------------------------------------------------------------------------

/** The node size custom-container pools run on (shared/azure-facts.md). */
export const E16_NODE = { vcpu: 16, memoryGi: 128 } as const;

/**
 * Share of each node the runtime keeps for itself (the node's own services and each Hyper-V
 * sandbox's overhead). UNCONFIRMED: an eighth, just above what AKS reserves on a 16-vCPU, 128-GiB
 * node (~8% of memory), because every session is its own sandbox. Check it with `nodeCount`.
 */
export const NODE_RESERVED_SHARE = 0.125;

/** Sessions that fit on one E16 node net of the reserved share: the tighter of CPU and memory. */
export function sessionsPerNode(session: { cpu: number; memoryGi: number }, reservedShare = NODE_RESERVED_SHARE): number {
  const usable = 1 - reservedShare;
  return Math.max(1, Math.floor(Math.min((E16_NODE.vcpu * usable) / session.cpu, (E16_NODE.memoryGi * usable) / session.memoryGi) + 1e-9));
}

/** Nodes for a number of sessions held plus ready: whole nodes, none for none. */
export function nodesFor(sessions: number, perNode: number): number {
  return sessions <= 0 ? 0 : Math.ceil(sessions / perNode - 1e-9);
}

// ---- Queueing (shared identifiers) ------------------------------------------------------------

/**
 * Erlang C: the probability that an arrival waits, with `servers` parallel servers and offered
 * load `a` = arrival rate x service time (in Erlangs). Computed through the Erlang B recurrence,
 * which stays numerically stable for hundreds of servers. 1 when the queue is unstable (a >= servers).
 */
export function erlangC(servers: number, a: number): number {
  if (a <= 0) return 0;
  if (a >= servers) return 1;
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (a * b) / (k + a * b);
  return (servers * b) / (servers - a * (1 - b));
}

/** The wait that `quantile` of arrivals stay under, in an M/M/c queue (0 when most never wait). */
export function waitQuantile(servers: number, arrivalPerSecond: number, serviceSeconds: number, quantile = 0.95): number {
  const a = arrivalPerSecond * serviceSeconds;
  if (a >= servers) return Infinity;
  const pWait = erlangC(servers, a);
  const tail = 1 - quantile;
  if (pWait <= tail) return 0;
  // P(W > t) = C * exp(-(c*mu - lambda) * t)
  return Math.log(pWait / tail) / (servers / serviceSeconds - arrivalPerSecond);
}

/** The fewest servers whose p95 wait meets the target. */
export function serversForWait(arrivalPerSecond: number, serviceSeconds: number, targetSeconds: number, quantile = 0.95): number {
  let servers = Math.max(1, Math.floor(arrivalPerSecond * serviceSeconds) + 1);
  while (waitQuantile(servers, arrivalPerSecond, serviceSeconds, quantile) > targetSeconds) servers++;
  return servers;
}

// ---- Sessions held ----------------------------------------------------------------------------

/** The share of waits that may exceed the p95 target: 5%. */
const WAIT_TAIL = 0.05;

const arrivalRate = (q: ParticipantModel) => (q.users * q.runsPerUserPerMinute) / 60;
const holdSeconds = (q: CapacityQuery) => q.avgExecSeconds + q.cooldownSeconds;
/** With per-user identifiers: the chance a user ran something within the last hold time. */
const activeShare = (q: CapacityQuery) => 1 - Math.exp(-(q.runsPerUserPerMinute / 60) * holdSeconds(q));

/**
 * The sessions others hold when a request needing a new session arrives, in each phase of the
 * contest: steady state, and right after the opening burst (when every participant's first
 * session is still held). Sizing takes the worse of the two.
 */
export function heldDistributions(q: CapacityQuery): { steady: Discrete; opening: Discrete } {
  const hold = holdSeconds(q);
  switch (q.strategy.kind) {
    case "per-execution": {
      const lambda = arrivalRate(q);
      // Steady: M/G/inf. Opening: the burst's sessions plus the steady arrivals since it ended.
      return { steady: poisson(lambda * hold), opening: shifted(poisson(lambda * Math.max(0, hold - q.openingBurstSeconds)), q.users) };
    }
    case "per-user":
      // Steady: each of the others active independently. Opening: all of them.
      return { steady: binomial(Math.max(0, q.users - 1), activeShare(q)), opening: shifted(poisson(0), Math.max(0, q.users - 1)) };
    case "shared":
      return { steady: shifted(poisson(0), q.strategy.sessions - 1), opening: shifted(poisson(0), q.strategy.sessions - 1) };
  }
}

/** Average sessions held in steady state. */
export function meanHeld(q: CapacityQuery): number {
  switch (q.strategy.kind) {
    case "per-execution":
      return arrivalRate(q) * holdSeconds(q);
    case "per-user":
      return q.users * activeShare(q);
    case "shared":
      return q.strategy.sessions;
  }
}

/**
 * The share of requests that can find a pool of `cap` sessions full, in the worse phase: the
 * chance the others already hold `cap` when a request needing a new session arrives. With
 * per-user identifiers a returning user keeps their session, and in the opening every participant
 * holds one, so any cap below the number of users turns someone away (1).
 */
export function fullPoolRate(q: CapacityQuery, cap: number): number {
  if (q.strategy.kind === "shared") return cap >= q.strategy.sessions ? 0 : 1;
  if (q.strategy.kind === "per-user" && cap < q.users) return 1;
  const { steady, opening } = heldDistributions(q);
  return Math.max(steady.tail(cap), opening.tail(cap));
}

/** The smallest cap meeting the 404 target (per-user: one per participant, never fewer). */
export function capFor(q: CapacityQuery): number {
  if (q.strategy.kind === "shared") return q.strategy.sessions;
  if (q.strategy.kind === "per-user") return q.users;
  const { steady, opening } = heldDistributions(q);
  return Math.max(1, smallestWithTailAtMost(steady, q.max404Rate), smallestWithTailAtMost(opening, q.max404Rate));
}

// ---- Ready sessions ---------------------------------------------------------------------------

/**
 * The share of new-session requests that find no ready session and wait for a cold start, in the
 * worse phase. The pool keeps `ready` sessions and starts a replacement for each one taken, ready
 * a cold start later; so a request waits exactly when `ready` or more other new sessions were
 * requested within the last cold start.
 *   Opening burst: the others' first runs fall uniformly in the burst, so a run at time t sees
 *   Binomial(users - 1, min(t, coldStart) / burst) of them in its window; averaged over t.
 *   Steady state: Poisson(new-session rate x coldStart).
 */
export function coldStartShare(q: CapacityQuery, ready: number): number {
  if (q.strategy.kind === "shared") return ready >= q.strategy.sessions ? 0 : 1;
  const others = Math.max(0, q.users - 1);
  const burst = q.openingBurstSeconds;
  const cold = Math.min(q.coldStartSeconds, burst);
  const seen = (window: number) => binomial(others, window / burst).tail(ready);
  // Runs after the first cold start see a full window; the earlier ones a shorter one (midpoint rule).
  const STEPS = 16;
  let early = 0;
  for (let k = 0; k < STEPS; k++) early += seen(((k + 0.5) / STEPS) * cold);
  const opening = ((burst - cold) / burst) * seen(cold) + (cold / burst) * (early / STEPS);
  const newSessionsPerSecond =
    q.strategy.kind === "per-execution" ? arrivalRate(q) : arrivalRate(q) * (1 - activeShare(q)); // per-user: only lapsed users
  return Math.max(opening, poisson(newSessionsPerSecond * q.coldStartSeconds).tail(ready));
}

/**
 * Ready sessions so that at most 5% of new sessions wait for a cold start (so the p95 wait meets
 * its target when a cold start is longer than the target). When a cold start is within the target,
 * waiting for one is fine: one ready session (0 is unconfirmed for custom containers).
 */
export function readyFor(q: CapacityQuery, cap: number): number {
  if (q.strategy.kind === "shared") return Math.min(cap, q.strategy.sessions);
  if (q.coldStartSeconds <= q.p95WaitSeconds) return 1;
  // The share falls as ready sessions are added: the smallest count meeting the target, by bisection.
  let lo = 0;
  let hi = cap;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (coldStartShare(q, mid) <= WAIT_TAIL) hi = mid;
    else lo = mid + 1;
  }
  return Math.max(1, lo);
}

// ---- The plan ---------------------------------------------------------------------------------

export interface CapacityPlan {
  arrivalPerSecond: number;
  /** Run time + cooldown: how long one execution keeps its session. */
  holdSeconds: number;
  /** Average sessions held in steady state (what a cap at the mean would be). */
  meanHeld: number;
  /** maxConcurrentSessions: the smallest cap meeting the 404 target. */
  maxSessions: number;
  /** The share of requests that can find that cap full (<= max404Rate). */
  fullPoolRate: number;
  /** readySessionInstances: kept in addition to the held sessions. */
  readySessions: number;
  /** The share of new sessions that wait for a cold start with that many ready (<= 5%). */
  coldStartShare: number;
  /** Executions that can run at once: sessions serve one execution at a time. */
  executionSlots: number;
  probabilityOfWaiting: number;
  p95WaitSeconds: number;
  notes: string[];
}

export function planCapacity(q: CapacityQuery): CapacityPlan {
  const lambda = arrivalRate(q);
  const notes: string[] = [];
  const maxSessions = capFor(q);
  const readySessions = readyFor(q, maxSessions);
  const slots = q.strategy.kind === "shared" ? q.strategy.sessions : maxSessions;
  switch (q.strategy.kind) {
    case "per-user":
      notes.push(
        `per-user: each of ${q.users} users keeps a session for ${holdSeconds(q)} s after their last run; ` +
          "right after the opening burst every one of them holds one",
      );
      break;
    case "per-execution":
      notes.push(
        `per-execution: every run takes a fresh session and holds it ${holdSeconds(q)} s (run + cooldown); ` +
          "per-user identifiers would need far fewer",
      );
      break;
    case "shared": {
      const needed = serversForWait(lambda, q.avgExecSeconds, q.p95WaitSeconds);
      if (needed > slots) notes.push(`shared:${slots} is too few for a p95 wait of ${q.p95WaitSeconds} s: shared:${needed} meets it`);
      break;
    }
  }
  return {
    arrivalPerSecond: lambda,
    holdSeconds: holdSeconds(q),
    meanHeld: meanHeld(q),
    maxSessions,
    fullPoolRate: fullPoolRate(q, maxSessions),
    readySessions,
    coldStartShare: coldStartShare(q, readySessions),
    executionSlots: slots,
    probabilityOfWaiting: erlangC(slots, lambda * q.avgExecSeconds),
    p95WaitSeconds: waitQuantile(slots, lambda, q.avgExecSeconds),
    notes,
  };
}

const planned = new Map<string, { maxSessions: number; readySessions: number }>();

/**
 * The contest profile's pool for a participant model and cooldown: the planner's recommendation.
 * Remembered per input: config validation resolves the contest profile several times per command.
 */
export function plannedPool(participants: ParticipantModel, cooldownSeconds: number): { maxSessions: number; readySessions: number } {
  const key = JSON.stringify([participants, cooldownSeconds]);
  let pool = planned.get(key);
  if (!pool) {
    const plan = planCapacity({ ...participants, cooldownSeconds });
    pool = { maxSessions: plan.maxSessions, readySessions: plan.readySessions };
    planned.set(key, pool);
  }
  return pool;
}

// ---- Checking a configuration -----------------------------------------------------------------

export interface ProfileCheck {
  ok: boolean;
  message: string;
}

const percent = (share: number) => (share === 0 ? "0%" : share < 0.0001 ? "<0.01%" : `${(share * 100).toFixed(share < 0.01 ? 2 : 1)}%`);

/** What happens with a pool as configured: the sentences the team needs before the contest. */
export function checkPool(
  q: CapacityQuery,
  plan: CapacityPlan,
  configured: { maxSessions: number; readySessions: number } | null,
  profileName: string,
): ProfileCheck[] {
  if (!configured) return [{ ok: false, message: `the ${profileName} profile has no session pool: every execution fails` }];
  const label = strategyLabel(q.strategy);
  const checks: ProfileCheck[] = [];
  const full = fullPoolRate(q, configured.maxSessions);
  const target = `target <= ${percent(q.max404Rate)}`;
  if (q.strategy.kind === "per-user" && configured.maxSessions < q.users)
    checks.push({
      ok: false,
      message:
        `max ${configured.maxSessions} < ${q.users} participants: with per-user identifiers every participant holds a session ` +
        `after the opening burst, so ${q.users - configured.maxSessions} of them get 404`,
    });
  else
    checks.push({
      ok: full <= q.max404Rate,
      message:
        `max ${configured.maxSessions} for ${label} sessions (about ${Math.round(plan.meanHeld)} held on average): ` +
        `${percent(full)} of requests can find the pool full (${target})` +
        (full > q.max404Rate ? `; max ${plan.maxSessions} meets it` : ""),
    });
  const waits = coldStartShare(q, configured.readySessions);
  const ok = configured.readySessions >= plan.readySessions || waits <= WAIT_TAIL;
  checks.push({
    ok,
    message:
      `${configured.readySessions} ready sessions: ${percent(waits)} of new sessions wait for a ${q.coldStartSeconds} s cold start ` +
      `in the ${q.strategy.kind === "per-execution" ? "worse of the opening burst and steady state" : "opening burst"} (target <= 5%)` +
      (ok ? "" : `; ${plan.readySessions} ready meet it`),
  });
  return checks;
}
