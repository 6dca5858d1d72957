// How many sessions a contest needs, how many must be ready, how many E16 nodes that takes, and
// how long executions wait. The one planner: `manage capacity`, `cost-estimate`, `plan`, `status`
// and the Pulumi program (the contest profile) all import it. Pure, no Pulumi.
//
// With the Timed lifecycle a session stays allocated until the cooldown has passed since its last
// request, so the backend's identifier strategy, not the number of people typing, decides the
// sessions held. A session is held for its run plus the cooldown ("hold time"):
//   per-user       one session per participant who ran something within the last hold time:
//                  Binomial(participants, 1 - e^(-rate x hold)), and all of them right after the opening burst;
//   per-execution  a fresh session per execution: Poisson(arrivals/s x hold) (M/G/inf);
//   shared:K       K sessions shared by everyone; executions queue for them (Erlang C).
// Held sessions are random, so a cap set at their mean is exceeded about half the time; caps are
// sized to a tail instead (see fullPoolRate). Ready sessions are kept in addition to held ones, so
// the nodes billed follow held + ready.

import { MAX_SESSIONS_CEILING } from "./ceilings.cjs";
import { binomial, poisson, poissonGap, seededUniform, shifted, smallestMeeting, smallestWithTailAtMost, sum, type Discrete } from "./distributions.js";

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
  runsPerParticipantPerMinute: 1,
  /** Run time of one execution. Measure with `manage smoke` / `manage load-test`. */
  runSeconds: 2,
  p95WaitSeconds: 2,
  /** The contest window every cost view assumes unless told otherwise (cost-estimate/capacity --hours, the budget's planned contests). */
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
  /**
   * The share of contests that must meet the wait and 404 targets, not merely the average one: a
   * team runs one contest, one draw of the opening burst. 95% by default (`--confidence`).
   */
  confidence: 0.95,
} as const;

/** Who takes part and how they behave: what the contest profile is sized for. */
export interface ParticipantModel {
  participants: number;
  runsPerParticipantPerMinute: number;
  runSeconds: number;
  strategy: IdentifierStrategy;
  openingBurstSeconds: number;
  coldStartSeconds: number;
  max404Rate: number;
  p95WaitSeconds: number;
  /** The share of contests that must meet the targets (CAPACITY_DEFAULTS.confidence). */
  confidence: number;
  /**
   * Sessions one E16 node holds (sessionsPerNode of the stack's session size): the ready count is
   * rounded up to fill the nodes the plan pays for anyway. The one figure the stack's nodes are counted by.
   */
  sessionsPerNode: number;
}

export interface CapacityQuery extends Omit<ParticipantModel, "sessionsPerNode"> {
  cooldownSeconds: number;
  /** The model's, or another (--sessions-per-node); null: the ready count is not rounded to whole nodes. */
  sessionsPerNode: number | null;
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

/**
 * How far the reserved share may be from NODE_RESERVED_SHARE until `nodeCount` measures it: from
 * nothing reserved (every vCPU for sessions) to a quarter (sandbox overhead twice what AKS keeps).
 * Every cost figure with a pool is shown across the sessions per node these give (24-32 at 0.5
 * vCPU / 1 GiB), not only at the assumed 28.
 */
export const NODE_RESERVED_SHARE_RANGE = { least: 0, most: 0.25 } as const;

/** Sessions per node at both ends of NODE_RESERVED_SHARE_RANGE: fewest first. */
export function sessionsPerNodeRange(session: { cpu: number; memoryGi: number }): { fewest: number; most: number } {
  return { fewest: sessionsPerNode(session, NODE_RESERVED_SHARE_RANGE.most), most: sessionsPerNode(session, NODE_RESERVED_SHARE_RANGE.least) };
}

/** The stack's session size unless it sets sessionCpu / sessionMemory (infra/config.ts defaults). */
export const DEFAULT_SESSION_SIZE = { cpu: 0.5, memoryGi: 1 } as const;

/** Sessions that fit on one E16 node net of the reserved share: the tighter of CPU and memory. */
export function sessionsPerNode(session: { cpu: number; memoryGi: number }, reservedShare = NODE_RESERVED_SHARE): number {
  const usable = 1 - reservedShare;
  return Math.max(1, Math.floor(Math.min((E16_NODE.vcpu * usable) / session.cpu, (E16_NODE.memoryGi * usable) / session.memoryGi) + 1e-9));
}

/** Nodes for a number of sessions held plus ready: whole nodes, none for none. */
export function nodesFor(sessions: number, perNode: number): number {
  return sessions <= 0 ? 0 : Math.ceil(sessions / perNode - 1e-9);
}

/** The participant model by default: CAPACITY_DEFAULTS' inputs (the window length is not one), the default session's nodes. */
const { hours: _window, identifier, ...modelDefaults } = CAPACITY_DEFAULTS;
export const DEFAULT_PARTICIPANTS: ParticipantModel = { ...modelDefaults, strategy: { kind: identifier }, sessionsPerNode: sessionsPerNode(DEFAULT_SESSION_SIZE) };

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

/** The share of new sessions that may wait for a cold start (so the p95 wait meets its target): 5%. */
export const WAIT_TAIL = 0.05;

const arrivalRate = (q: Pick<ParticipantModel, "participants" | "runsPerParticipantPerMinute">) => (q.participants * q.runsPerParticipantPerMinute) / 60;
const holdSeconds = (q: CapacityQuery) => q.runSeconds + q.cooldownSeconds;
/** With per-user identifiers: the chance a participant ran something within the last hold time. */
const activeShare = (q: CapacityQuery) => 1 - Math.exp(-(q.runsPerParticipantPerMinute / 60) * holdSeconds(q));

/**
 * The sessions others hold when a request needing a new session arrives, in each phase of the
 * contest: steady state, and right after the opening burst (when every participant's first
 * session is still held). Sizing takes the worse of the two.
 *
 * Per-execution: each participant's stream of runs starts at their own first run (uniform in the
 * burst), so by the time the first sessions are released (one hold time in) the others' repeat
 * runs add Poisson(arrivals/s x (hold - burst/2)) to the burst's first runs. That moment is the
 * peak while a participant runs at most once per burst on average (runs/s x burst <= 1, as the
 * defaults are); afterwards first-run sessions leave faster than repeats arrive.
 */
export function heldDistributions(q: CapacityQuery): { steady: Discrete; opening: Discrete } {
  const hold = holdSeconds(q);
  switch (q.strategy.kind) {
    case "per-execution": {
      const lambda = arrivalRate(q);
      // Steady: M/G/inf. Opening: the burst's first runs plus every repeat since each one's first run.
      return { steady: poisson(lambda * hold), opening: shifted(poisson(lambda * Math.max(0, hold - q.openingBurstSeconds / 2)), q.participants) };
    }
    case "per-user":
      // Steady: each of the others active independently. Opening: all of them.
      return { steady: binomial(Math.max(0, q.participants - 1), activeShare(q)), opening: shifted(poisson(0), Math.max(0, q.participants - 1)) };
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
      return q.participants * activeShare(q);
    case "shared":
      return q.strategy.sessions;
  }
}

/**
 * The share of requests that can find a pool of `cap` sessions full, in the worse phase: the
 * chance the others already hold `cap` when a request needing a new session arrives. With
 * per-user identifiers a returning participant keeps their session, and in the opening every participant
 * holds one, so any cap below the number of participants turns someone away (1).
 */
export function fullPoolRate(q: CapacityQuery, cap: number): number {
  if (q.strategy.kind === "shared") return cap >= q.strategy.sessions ? 0 : 1;
  if (q.strategy.kind === "per-user" && cap < q.participants) return 1;
  const { steady, opening } = heldDistributions(q);
  return Math.max(steady.tail(cap), opening.tail(cap));
}

/** The smallest cap meeting the 404 target (per-user: one per participant, never fewer). */
export function capFor(q: CapacityQuery): number {
  if (q.strategy.kind === "shared") return q.strategy.sessions;
  if (q.strategy.kind === "per-user") return q.participants;
  const { steady, opening } = heldDistributions(q);
  return Math.max(1, smallestWithTailAtMost(steady, q.max404Rate), smallestWithTailAtMost(opening, q.max404Rate));
}

// ---- Ready sessions ---------------------------------------------------------------------------

/**
 * The pool's ready sessions as the runtime keeps them: `size` ready at the start; taking one starts
 * a replacement that is ready a cold start later; a request that finds none ready takes the next
 * one to finish starting (first come, first served). The planner's burst samples and the contest
 * simulation (cli/costing/contest-sim.ts) both play requests through this one model.
 */
export class ReadyPool {
  ready: number;
  /** Requests waiting for a session to finish starting. */
  waiting = 0;
  private readonly starting: number[] = [];
  private head = 0;
  constructor(
    size: number,
    private readonly coldStartSeconds: number,
  ) {
    this.ready = size;
  }
  /** When the next session being started is ready (Infinity when none is starting). */
  nextStartAt(): number {
    return this.head < this.starting.length ? this.starting[this.head]! : Infinity;
  }
  /** The next session finishes starting: it serves the longest-waiting request, else it is ready. */
  finishStart(): void {
    this.head++;
    if (this.waiting > 0) this.waiting--;
    else this.ready++;
  }
  /** Finishes every start due by t. */
  advance(t: number): void {
    while (this.nextStartAt() <= t) this.finishStart();
  }
  /** A new session for a request at t (starts due by t already finished): when it can run. */
  allocate(t: number): number {
    this.starting.push(t + this.coldStartSeconds);
    if (this.ready > 0) {
      this.ready--;
      return t;
    }
    this.waiting++;
    return this.starting[this.head + this.waiting - 1]!;
  }
}

/**
 * The share of new-session requests that find no ready session and wait for a cold start, on
 * average over contests, in the worse phase. A request waits exactly when `ready` or more other
 * new sessions were requested within the last cold start (ReadyPool).
 *   Opening burst: at time t the window holds the others' first runs, Binomial(participants - 1,
 *   min(t, coldStart) / burst), and with per-execution identifiers their repeat runs since their
 *   own first runs, Poisson(arrivals/s x (t^2 - (t - window)^2) / (2 burst)); averaged over t.
 *   Steady state: Poisson(new-session rate x coldStart).
 */
export function coldStartShare(q: CapacityQuery, ready: number): number {
  if (q.strategy.kind === "shared") return ready >= q.strategy.sessions ? 0 : 1;
  const others = Math.max(0, q.participants - 1);
  const burst = q.openingBurstSeconds;
  const cold = Math.min(q.coldStartSeconds, burst);
  const repeatRate = q.strategy.kind === "per-execution" ? arrivalRate(q) : 0; // per-user repeats keep their session
  const seen = (t: number) => {
    const window = Math.min(t, cold);
    const firsts = binomial(others, window / burst);
    const repeats = (repeatRate * (t * t - (t - window) * (t - window))) / (2 * burst);
    return (repeats > 0 ? sum(firsts, poisson(repeats)) : firsts).tail(ready);
  };
  // Midpoint rule on the first cold start (a growing window) and on the rest of the burst (a full
  // one: constant without repeats, so exact there).
  const STEPS = 16;
  let early = 0;
  let late = 0;
  for (let k = 0; k < STEPS; k++) {
    early += seen(((k + 0.5) / STEPS) * cold);
    late += repeatRate > 0 ? seen(cold + ((k + 0.5) / STEPS) * (burst - cold)) : 0;
  }
  const rest = repeatRate > 0 ? late / STEPS : seen(cold);
  const opening = ((burst - cold) / burst) * rest + (cold / burst) * (early / STEPS);
  const newSessionsPerSecond =
    q.strategy.kind === "per-execution" ? arrivalRate(q) : arrivalRate(q) * (1 - activeShare(q)); // per-user: only lapsed participants
  return Math.max(opening, poisson(newSessionsPerSecond * q.coldStartSeconds).tail(ready));
}

/**
 * Opening bursts the planner plays through the ready pool to see what one contest can look like,
 * not only the average one: the share of a contest's first runs that wait varies from contest to
 * contest with how its arrivals bunch. Drawn with a fixed seed, so the plan is a pure function of
 * its inputs; the contest simulation, drawn independently, holds the result to account.
 */
export const BURST_SAMPLES = 400;
const BURST_SEED = 24;

type Bursts = ReturnType<typeof sampleBursts>;

/** The requests' times, merged (reused: the planner draws hundreds of bursts of the same size). */
let scratch = new Float64Array(0);

/**
 * For each first run of one burst, the other new sessions requested within the cold start before it
 * (first runs, and repeat runs that each take a new session). With `ready` sessions, a request waits
 * exactly when its crowd is at least `ready`: in ReadyPool, ready − waiting = ready at the start +
 * starts finished − sessions taken, and a ready session is there only when nobody waits, so the n-th
 * request (from 0) finds one exactly when ready + (earlier requests at least a cold start ago) > n.
 * Counted once per burst, this answers every ready count (a test holds it to ReadyPool's play).
 * Both lists sorted; a first run before a repeat at the same time. Returned as the count of first
 * runs with a crowd of at least r, at index r.
 */
export function crowdsOf(firsts: Float64Array, repeats: Float64Array, coldStartSeconds: number): Int32Array {
  const total = firsts.length + repeats.length;
  if (scratch.length < total) scratch = new Float64Array(total);
  const times = scratch;
  const atLeast = new Int32Array(total + 1);
  let i = 0;
  let j = 0;
  let finished = 0;
  for (let n = 0; n < total; n++) {
    const first = j >= repeats.length || (i < firsts.length && firsts[i]! <= repeats[j]!);
    const t = first ? firsts[i++]! : repeats[j++]!;
    times[n] = t;
    // Starts finished by t (as ReadyPool.advance: each due a cold start after its request).
    while (finished < n && times[finished]! + coldStartSeconds <= t) finished++;
    if (first) atLeast[n - finished]!++;
  }
  for (let r = total - 1; r >= 0; r--) atLeast[r]! += atLeast[r + 1]!;
  return atLeast;
}

function sampleBursts(q: CapacityQuery) {
  const rand = seededUniform(BURST_SEED);
  const burst = q.openingBurstSeconds;
  const perSecond = q.runsPerParticipantPerMinute / 60;
  /** Per sample: how many of its first runs have a crowd (crowdsOf) of at least r, at index r (0 past the end). */
  const atLeast: Int32Array[] = [];
  const f = new Float64Array(q.participants);
  for (let k = 0; k < BURST_SAMPLES; k++) {
    for (let u = 0; u < q.participants; u++) f[u] = rand() * burst;
    f.sort();
    const r: number[] = [];
    if (q.strategy.kind === "per-execution" && perSecond > 0)
      for (const first of f) for (let t = first + poissonGap(rand, perSecond); t < burst; t += poissonGap(rand, perSecond)) r.push(t);
    atLeast.push(crowdsOf(f, Float64Array.from(r).sort(), q.coldStartSeconds));
  }
  return { atLeast, /** First runs per sample. */ runs: q.participants };
}

/** The share of one burst's first runs that wait for a cold start with `ready` sessions: those whose crowd is at least `ready`. */
export function burstWaitShare(atLeast: Int32Array, ready: number): number {
  const runs = atLeast[0]!;
  return runs && ready < atLeast.length ? atLeast[Math.max(0, ready)]! / runs : 0;
}

/** Whether more than `allowed` sampled bursts miss the wait target with `ready` sessions: stops at the first one too many. */
function tooManyMisses(bursts: Bursts, ready: number, allowed: number): boolean {
  let missed = 0;
  for (const atLeast of bursts.atLeast) if (burstWaitShare(atLeast, ready) > WAIT_TAIL && ++missed > allowed) return true;
  return false;
}

/** The wait share of the contest at the confidence level (e.g. the 95th-percentile contest), over the samples. */
function contestWaitShare(q: CapacityQuery, bursts: Bursts, ready: number): number {
  const shares = bursts.atLeast.map((c) => burstWaitShare(c, ready)).sort((a, b) => a - b);
  return shares[Math.min(shares.length - 1, Math.max(0, Math.ceil(q.confidence * shares.length) - 1))] ?? 0;
}

/**
 * The most sampled bursts that may miss the wait target. Not simply (1 - confidence) of them: 400
 * samples estimate a miss rate to about +-1 point, so the count is held 1.28 standard errors below
 * (one-sided 90%), so that the plan meets the confidence in the contests themselves, not only in
 * the planner's samples.
 */
export function allowedMisses(confidence: number, samples = BURST_SAMPLES): number {
  const miss = 1 - confidence;
  return Math.max(0, Math.floor(samples * miss - 1.2816 * Math.sqrt(samples * miss * confidence)));
}

/**
 * The highest confidence (in tenths of a percent) the sampled bursts can deliver: the most at which
 * the test still allows a miss. Above it, no miss at all may be seen in the samples, which a plan
 * missing in many times 1 - confidence of contests still passes often (400 samples, 99.9%: a plan
 * missing in 0.5% of contests passes 13% of the time), so the plan would not meet the confidence it
 * says. At BURST_SAMPLES 400: 99.1%.
 */
export function deliverableConfidence(samples = BURST_SAMPLES): number {
  let permille = 500;
  while (permille < 999 && allowedMisses((permille + 1) / 1000, samples) >= 1) permille++;
  return permille / 1000;
}

/** What --confidence accepts: below half is not a plan; above deliverableConfidence() the samples cannot tell. */
export const CONFIDENCE_RANGE = {
  min: 0.5,
  max: deliverableConfidence(),
  why: `below 50% is not a plan; the planner's ${BURST_SAMPLES} sampled opening bursts cannot tell a share above ${+(deliverableConfidence() * 100).toFixed(1)}%`,
} as const;

/**
 * Ready sessions so that at most 5% of new sessions wait for a cold start (so the p95 wait meets
 * its target when a cold start is longer than the target): `average`, in the average contest
 * (coldStartShare); `needed`, in the `confidence` share of contests (the opening bursts sampled, and
 * the steady state's average, which a 2-hour contest averages over). When a cold start is within the
 * target, waiting for one is fine: one ready session (0 is unconfirmed for custom containers).
 */
export function readyFor(q: CapacityQuery, cap: number, bursts: Bursts | null): { average: number; needed: number } {
  if (q.strategy.kind === "shared") {
    const n = Math.min(cap, q.strategy.sessions);
    return { average: n, needed: n };
  }
  if (q.coldStartSeconds <= q.p95WaitSeconds) return { average: 1, needed: 1 };
  const average = Math.max(1, smallestMeeting(0, cap, (r) => coldStartShare(q, r) <= WAIT_TAIL));
  if (!bursts) return { average, needed: average };
  const allowed = allowedMisses(q.confidence);
  const meets = (r: number) => !tooManyMisses(bursts, r, allowed);
  // Above the average's count, by doubling steps (the answer is near it), then bisection.
  let step = 1;
  while (average + step < cap && !meets(average + step)) step *= 2;
  const needed = smallestMeeting(average, Math.min(cap, average + step), meets);
  return { average, needed };
}

/**
 * Whether the plan samples opening bursts: not with shared identifiers (no new sessions to wait
 * for), and not for a pool ten times the largest Azure admits, refused whatever its ready count:
 * the samples (work growing with the participants) would only delay the refusal (100,000 people:
 * ~25 s); such a plan is sized for the average contest.
 */
const sampled = (q: CapacityQuery, cap: number) => q.strategy.kind !== "shared" && cap <= 10 * MAX_SESSIONS_CEILING;

/**
 * Ready sessions that cost nothing more: with `needed` ready, the plan pays for whole nodes (the
 * ready ones, the contest's, the peak's); the most ready sessions those same node counts hold.
 */
export function fillNodes(needed: number, cap: number, meanHeld: number, perNode: number | null): number {
  if (perNode === null || needed <= 0) return needed;
  const held = Math.min(cap, meanHeld);
  const readyNodes = nodesFor(needed, perNode);
  const contestNodes = Math.max(readyNodes, nodesFor(held + needed, perNode));
  const peakNodes = nodesFor(cap + needed, perNode);
  const most = Math.min(readyNodes * perNode, Math.floor(contestNodes * perNode - held + 1e-9), peakNodes * perNode - cap, cap);
  return Math.max(needed, most);
}

// ---- The plan ---------------------------------------------------------------------------------

/** What the planner answers for a query (planAfresh builds it, field by field with what each means). */
export type CapacityPlan = ReturnType<typeof planAfresh>;

/**
 * Plans already made in this process, by query: config validation resolves the contest profile
 * (plannedPool) and `manage capacity` then asks the same question; the burst samples are the most
 * of either's time (npm run bench: capacity within 3x a bare node).
 */
const plans = new Map<string, CapacityPlan>();

export function planCapacity(q: CapacityQuery): CapacityPlan {
  // Every field, in one order whoever built the query.
  const key = JSON.stringify(Object.entries({ ...q, strategy: strategyLabel(q.strategy) }).sort(([a], [b]) => (a < b ? -1 : 1)));
  let plan = plans.get(key);
  if (!plan) {
    plan = planAfresh(q);
    plans.set(key, plan);
  }
  // A copy: a caller may add to its notes.
  return { ...plan, readyNeeded: { ...plan.readyNeeded }, coldStartShareIfNeeded: { ...plan.coldStartShareIfNeeded }, notes: [...plan.notes] };
}

function planAfresh(q: CapacityQuery) {
  const lambda = arrivalRate(q);
  const notes: string[] = [];
  const maxSessions = capFor(q);
  const shared = q.strategy.kind === "shared";
  const bursts = sampled(q, maxSessions) ? sampleBursts(q) : null;
  const need = readyFor(q, maxSessions, bursts);
  const readySessions = shared ? need.needed : fillNodes(need.needed, maxSessions, meanHeld(q), q.sessionsPerNode);
  switch (q.strategy.kind) {
    case "per-user":
      notes.push(
        `per-user: each of ${q.participants} users keeps a session for ${holdSeconds(q)} s after their last run; ` +
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
      const needed = serversForWait(lambda, q.runSeconds, q.p95WaitSeconds);
      if (needed > q.strategy.sessions) notes.push(`shared:${q.strategy.sessions} is too few for a p95 wait of ${q.p95WaitSeconds} s: shared:${needed} meets it`);
      break;
    }
  }
  const steadyOnly = (r: number) => coldStartShare(q, r);
  // Without sampled bursts (shared identifiers, a pool past any Azure admits) the average contest's share stands for it.
  const atConfidence = (r: number) => (bursts ? contestWaitShare(q, bursts, r) : steadyOnly(r));
  return {
    arrivalPerSecond: lambda,
    /** Run time + cooldown: how long one execution keeps its session. */
    holdSeconds: holdSeconds(q),
    /** Average sessions held in steady state (what a cap at the mean would be). */
    meanHeld: meanHeld(q),
    /** maxConcurrentSessions: the smallest cap meeting the 404 target. */
    maxSessions,
    /** The share of requests that can find that cap full (<= max404Rate). */
    fullPoolRate: fullPoolRate(q, maxSessions),
    /** readySessionInstances: kept in addition to the held sessions (`needed`, rounded up to fill whole nodes). */
    readySessions,
    /** Ready sessions the wait target needs: in the average contest, and in the `confidence` share of contests. */
    readyNeeded: { average: need.average, atConfidence: need.needed },
    /** The share of contests the plan is sized to meet its targets in. */
    confidence: q.confidence,
    /** Sessions per E16 node the ready count was rounded with (null: not rounded). */
    sessionsPerNode: shared ? null : q.sessionsPerNode,
    /** The share of new sessions that wait for a cold start with readySessions: on average (the worse phase). */
    coldStartShare: steadyOnly(readySessions),
    /** The same share in the opening burst of the contest at the confidence level (e.g. the 95th-percentile one). */
    coldStartShareAtConfidence: atConfidence(readySessions),
    /** The same two with only the needed count ready: what rounding up to whole nodes buys. */
    coldStartShareIfNeeded: { mean: steadyOnly(need.needed), atConfidence: atConfidence(need.needed) },
    /** Executions that can run at once: sessions serve one execution at a time. */
    executionSlots: maxSessions,
    probabilityOfWaiting: erlangC(maxSessions, lambda * q.runSeconds),
    p95WaitSeconds: waitQuantile(maxSessions, lambda, q.runSeconds),
    notes,
  };
}

/**
 * The contest profile's pool for a participant model and cooldown: the planner's recommendation.
 * Config validation resolves the contest profile several times per command: planCapacity remembers it.
 */
export function plannedPool(model: ParticipantModel, cooldownSeconds: number): { maxSessions: number; readySessions: number } {
  const { maxSessions, readySessions } = planCapacity({ ...model, cooldownSeconds });
  return { maxSessions, readySessions };
}

// ---- Checking a configuration -----------------------------------------------------------------

export interface ProfileCheck {
  ok: boolean;
  message: string;
}

/** A share in percent, as every capacity text writes one: 0%, <0.001%, 0.041%, 0.38%, 12.5%. */
export const percentText = (share: number) =>
  share === 0 ? "0%" : share < 0.00001 ? "<0.001%" : `${(share * 100).toFixed(share < 0.001 ? 3 : share < 0.1 ? 2 : 1)}%`;
/** What happens with a pool as configured: the sentences the team needs before the contest. */
export function checkPool(q: CapacityQuery, plan: CapacityPlan, configured: { maxSessions: number; readySessions: number }): ProfileCheck[] {
  const label = strategyLabel(q.strategy);
  const checks: ProfileCheck[] = [];
  const full = fullPoolRate(q, configured.maxSessions);
  const target = `target <= ${percentText(q.max404Rate)}`;
  if (q.strategy.kind === "per-user" && configured.maxSessions < q.participants)
    checks.push({
      ok: false,
      message:
        `max ${configured.maxSessions} < ${q.participants} participants: with per-user identifiers every participant holds a session ` +
        `after the opening burst, so ${q.participants - configured.maxSessions} of them get 404`,
    });
  else
    checks.push({
      ok: full <= q.max404Rate,
      message:
        `max ${configured.maxSessions} for ${label} sessions (about ${Math.round(plan.meanHeld)} held on average): ` +
        `${percentText(full)} of requests can find the pool full (${target})` +
        (full > q.max404Rate ? `; max ${plan.maxSessions} meets it` : ""),
    });
  const waits = coldStartShare(q, configured.readySessions);
  // Judged per contest: as many ready as the confidence share of contests needs (more only fill nodes).
  const ok = configured.readySessions >= Math.min(plan.readySessions, plan.readyNeeded.atConfidence);
  const share = `${+(q.confidence * 100).toFixed(1)}%`;
  checks.push({
    ok,
    message:
      `${configured.readySessions} ready sessions: ${percentText(waits)} of new sessions wait for a ${q.coldStartSeconds} s cold start on average ` +
      `in the ${q.strategy.kind === "per-execution" ? "worse of the opening burst and steady state" : "opening burst"} (target <= 5% in ${share} of contests)` +
      (ok ? "" : `; ${share} of contests need ${plan.readyNeeded.atConfidence} (${plan.readySessions} fit in the nodes they take)`),
  });
  return checks;
}
