// A seeded discrete-event simulation of one contest against one pool configuration, to hold the
// planner's formulas (infra/capacity.ts) to account: `manage capacity --simulate` runs it, and the
// tests check that the recommended configuration meets its targets here. Pure and deterministic:
// the same input and seed give the same contest.
//
// The contest, as the participant model describes it (and `manage load-test` sends it):
//   - every participant's first run lands uniformly in the opening burst; from it on, each one runs
//     code as a Poisson stream (runs per minute); each execution takes runSeconds;
//   - per-execution identifiers: every run takes a new session; per-user: a participant reuses
//     their session while it lives; shared:K: K sessions, each run waits for the first free one;
//   - Timed lifecycle: a session is released the cooldown after its last run ends;
//   - the cap: a run that needs a new session while maxSessions are held gets 404;
//   - the pool keeps readySessions warm; taking one starts a replacement that is ready a cold start
//     later; a run that finds none ready waits for the next one to finish starting (the planner's
//     ReadyPool, infra/capacity.ts);
//   - nodes follow held + ready sessions (infra/capacity.ts nodesFor).

import { nodesFor, ReadyPool, WAIT_TAIL, type CapacityQuery } from "../../infra/capacity.js";
import { poissonGap, seededUniform } from "../../infra/distributions.js";
import { percentile } from "../execution/stats.js";

/** The contest, as the planner's query describes it, and the pool it runs against. */
export interface SimulationInput extends Pick<CapacityQuery, "participants" | "runsPerParticipantPerMinute" | "runSeconds" | "strategy" | "cooldownSeconds" | "openingBurstSeconds" | "coldStartSeconds"> {
  hours: number;
  maxSessions: number;
  readySessions: number;
  sessionsPerNode: number;
  seed: number;
  /** Points in the time series (each the extreme of its interval). Default 480; 0 records none. */
  samples?: number;
}

/** One simulated contest: what simulateContest answers, each field said where it is computed. */
export type SimulationResult = ReturnType<typeof simulateContest>;

export interface Series {
  seconds: number[];
  held: number[];
  ready: number[];
  nodes: number[];
}

/** Minutes the `opening` series covers. */
export const OPENING_MINUTES = 10;

/** Samples a piecewise-constant state over [0, end) into intervals, keeping each interval's extremes. */
class Recorder {
  readonly series: Series;
  private filled = -1;
  constructor(
    private readonly end: number,
    private readonly samples: number,
    ready: number,
  ) {
    const step = end / samples;
    this.series = {
      seconds: Array.from({ length: samples }, (_, k) => k * step),
      held: new Array<number>(samples).fill(0),
      ready: new Array<number>(samples).fill(ready),
      nodes: new Array<number>(samples).fill(0),
    };
  }
  /** The state held from `from` to `to`. */
  record(from: number, to: number, held: number, ready: number, nodes: number) {
    if (from >= this.end) return;
    const step = this.end / this.samples;
    const s = this.series;
    const last = Math.min(this.samples - 1, Math.floor(Math.min(to, this.end) / step));
    for (let k = Math.max(0, Math.floor(from / step)); k <= last; k++) {
      if (k > this.filled) {
        s.held[k] = held;
        s.ready[k] = ready;
        s.nodes[k] = nodes;
        this.filled = k;
      } else {
        s.held[k] = Math.max(s.held[k]!, held);
        s.ready[k] = Math.min(s.ready[k]!, ready);
        s.nodes[k] = Math.max(s.nodes[k]!, nodes);
      }
    }
  }
}

/** A binary min-heap of (time, key) pairs in parallel arrays: the release events. */
class Releases {
  private times: number[] = [];
  private keys: number[] = [];
  peek(): number {
    return this.times.length ? this.times[0]! : Infinity;
  }
  push(time: number, key: number) {
    const t = this.times;
    const k = this.keys;
    let i = t.length;
    t.push(time);
    k.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (t[parent]! <= time) break;
      t[i] = t[parent]!;
      k[i] = k[parent]!;
      i = parent;
    }
    t[i] = time;
    k[i] = key;
  }
  pop(): [number, number] {
    const t = this.times;
    const k = this.keys;
    const top: [number, number] = [t[0]!, k[0]!];
    const lastT = t.pop()!;
    const lastK = k.pop()!;
    if (t.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= t.length) break;
        const r = l + 1;
        const c = r < t.length && t[r]! < t[l]! ? r : l;
        if (t[c]! >= lastT) break;
        t[i] = t[c]!;
        k[i] = k[c]!;
        i = c;
      }
      t[i] = lastT;
      k[i] = lastK;
    }
    return top;
  }
}

/**
 * Every run of the contest, in time order: each participant's first run uniform in the burst, then
 * their own Poisson stream from that run on. Past the burst every stream has begun, and n
 * independent Poisson streams together are one Poisson stream n times as fast whose runs belong to
 * a participant chosen uniformly: drawn that way, only the burst's runs need sorting.
 */
function contestRuns(i: Pick<SimulationInput, "participants" | "runsPerParticipantPerMinute" | "openingBurstSeconds" | "hours" | "seed">) {
  // The same contest simulated against two pools (--simulate: as configured and recommended, same
  // seeds) draws its runs once. Bounded: a long test run simulating thousands of contests keeps few.
  const key = `${i.participants}|${i.runsPerParticipantPerMinute}|${i.openingBurstSeconds}|${i.hours}|${i.seed}`;
  const known = drawn.get(key);
  if (known) return known;
  if (drawn.size >= DRAWN_KEPT) drawn.clear();
  const runs = drawRuns(i);
  drawn.set(key, runs);
  return runs;
}

const drawn = new Map<string, ReturnType<typeof drawRuns>>();
/** Contests' runs kept: more than the spread's seeds (SPREAD_SEEDS) and the charted contest together. */
const DRAWN_KEPT = 256;

/** Every run of a contest in time order, as parallel arrays: times, whose run, and whether it is their first. */
function drawRuns(i: Pick<SimulationInput, "participants" | "runsPerParticipantPerMinute" | "openingBurstSeconds" | "hours" | "seed">) {
  const rand = seededUniform(i.seed);
  const end = i.hours * 3600;
  const burst = Math.min(i.openingBurstSeconds, end);
  const perSecond = i.runsPerParticipantPerMinute / 60;
  const opening: Array<{ at: number; user: number; first: boolean }> = [];
  for (let user = 0; user < i.participants; user++) {
    const first = rand() * burst;
    opening.push({ at: first, user, first: true });
    if (perSecond > 0) for (let t = first + poissonGap(rand, perSecond); t < burst; t += poissonGap(rand, perSecond)) opening.push({ at: t, user, first: false });
  }
  opening.sort((a, b) => a.at - b.at);
  const at: number[] = opening.map((a) => a.at);
  const user: number[] = opening.map((a) => a.user);
  const rate = perSecond * i.participants;
  if (rate > 0)
    for (let t = burst + poissonGap(rand, rate); t < end; t += poissonGap(rand, rate)) {
      at.push(t);
      user.push(Math.min(i.participants - 1, Math.floor(rand() * i.participants)));
    }
  const first = new Uint8Array(at.length);
  for (let k = 0; k < opening.length; k++) first[k] = opening[k]!.first ? 1 : 0;
  return { at: Float64Array.from(at), user: Int32Array.from(user), first };
}

/** Every run of the contest, in time order (contestRuns as objects, for reading). */
export function contestArrivals(i: Pick<SimulationInput, "participants" | "runsPerParticipantPerMinute" | "openingBurstSeconds" | "hours" | "seed">) {
  const r = contestRuns(i);
  return Array.from(r.at, (at, k) => ({ at, user: r.user[k]!, first: r.first[k] === 1 }));
}

/** Nearest-rank percentiles (as cli/execution/stats.ts percentile); most waits are 0, so only the others are sorted. */
function summary(waits: Float64Array, count: number) {
  const some = waits.subarray(0, count).filter((w) => w > 0).sort();
  const zeros = count - some.length;
  const at = (rank: number) => (rank <= zeros ? 0 : some[rank - zeros - 1]!);
  const rank = (p: number) => (count ? at(Math.min(count, Math.max(1, Math.ceil((p / 100) * count)))) : 0);
  return { p50: rank(50), p95: rank(95), p99: rank(99), max: count ? at(count) : 0 };
}

export function simulateContest(input: SimulationInput) {
  const end = input.hours * 3600;
  const run = input.runSeconds;
  const hold = run + input.cooldownSeconds;
  const R = input.readySessions;
  const samples = input.samples ?? 480;

  let held = 0;
  const pool = new ReadyPool(R, input.coldStartSeconds);
  const releases = new Releases();
  const perUser = input.strategy.kind === "per-user";
  const releaseAt = new Float64Array(perUser ? input.participants : 0);
  const busyUntil = new Float64Array(perUser ? input.participants : 0);
  // With shared identifiers at least one: shared:K takes K from 1, and a pool's max is at least 1 (validateProfile).
  const sharedCount = input.strategy.kind === "shared" ? Math.min(input.strategy.sessions, input.maxSessions) : 0;
  const sharedFree = new Float64Array(sharedCount);
  let sharedCreated = 0;

  const contest = samples > 0 ? new Recorder(end, samples, R) : null;
  const opening = samples > 0 ? new Recorder(Math.min(end, OPENING_MINUTES * 60), 300, R) : null;
  let lastT = 0;
  let nodeSeconds = 0;
  let peakHeld = 0;
  /** Records the state from lastT up to t, then moves lastT. */
  const record = (t: number) => {
    const nodes = nodesFor(held + R, input.sessionsPerNode);
    nodeSeconds += nodes * (Math.min(t, end) - Math.min(lastT, end));
    contest?.record(lastT, t, held, pool.ready, nodes);
    opening?.record(lastT, t, held, pool.ready, nodes);
    lastT = t;
    if (held > peakHeld) peakHeld = held;
  };

  /** Applies every session start and release up to time t, in time order. */
  const advance = (t: number) => {
    for (;;) {
      const nextStart = pool.nextStartAt();
      const nextRelease = releases.peek();
      const next = Math.min(nextStart, nextRelease);
      if (next > t) break;
      record(next);
      if (nextStart <= nextRelease) pool.finishStart();
      else {
        const [time, key] = releases.pop();
        // A per-user session's release moves with each later run: due again at its latest time.
        if (key >= 0 && releaseAt[key]! > time) releases.push(releaseAt[key]!, key);
        else {
          held--;
          if (key >= 0) releaseAt[key] = 0;
        }
      }
    }
    record(t);
  };

  /** A new session for a run arriving at t: a ready one now, or the next one to finish starting. */
  const allocate = (t: number): number => {
    held++;
    return pool.allocate(t);
  };

  const runs = contestRuns(input);
  const total = runs.at.length;
  const waits = new Float64Array(total);
  let served = 0;
  let waited = 0;
  const burstWaits = new Float64Array(input.participants);
  let burstRuns = 0;
  let burstWaited = 0;
  let rejected = 0;
  for (let k = 0; k < total; k++) {
    const at = runs.at[k]!;
    const user = runs.user[k]!;
    advance(at);
    let start: number;
    switch (input.strategy.kind) {
      case "per-execution": {
        if (held >= input.maxSessions) {
          rejected++;
          continue;
        }
        start = allocate(at);
        releases.push(start + hold, -1);
        break;
      }
      case "per-user": {
        if (releaseAt[user]! > at) start = Math.max(at, busyUntil[user]!);
        else if (held >= input.maxSessions) {
          rejected++;
          continue;
        } else start = allocate(at);
        busyUntil[user] = start + run;
        // One release event per session, not per run: when it comes due, a later run may have moved it (advance).
        if (releaseAt[user] === 0) releases.push(start + hold, user);
        releaseAt[user] = start + hold;
        break;
      }
      case "shared": {
        if (sharedCreated < sharedCount) {
          start = allocate(at);
          sharedFree[sharedCreated++] = start + run;
          break;
        }
        let best = 0;
        for (let j = 1; j < sharedCount; j++) if (sharedFree[j]! < sharedFree[best]!) best = j;
        start = Math.max(at, sharedFree[best]!);
        sharedFree[best] = start + run;
        break;
      }
    }
    const wait = start - at;
    waits[served++] = wait;
    if (wait > 1e-9) waited++;
    if (runs.first[k]) {
      burstWaits[burstRuns++] = wait;
      if (wait > 1e-9) burstWaited++;
    }
  }
  advance(end);

  const none = (): Series => ({ seconds: [], held: [], ready: [], nodes: [] });
  return {
    requests: total,
    /** Runs that needed a new session while the pool was full: HTTP 404. */
    rejected,
    rejectedRate: total ? rejected / total : 0,
    /** Seconds from arrival to start, over the runs that were served. */
    waits: summary(waits, served),
    /** Served runs that waited at all (for a cold start or their own busy session). */
    waitedShare: served ? waited / served : 0,
    /** The opening burst's runs (everyone's first). */
    burst: {
      runs: runs.first.reduce((n, f) => n + f, 0),
      waitedShare: burstRuns ? burstWaited / burstRuns : 0,
      waits: summary(burstWaits, burstRuns),
    },
    peak: { held: peakHeld, nodes: nodesFor(peakHeld + R, input.sessionsPerNode) },
    /** Node-hours over the contest: what the pool bills, to compare with the estimate. */
    nodeHours: nodeSeconds / 3600,
    /** Per interval: seconds at its start, most sessions held, fewest ready, most nodes. */
    series: contest?.series ?? none(),
    /** The same for the opening minutes (the burst and the first cooldown), at a finer step. */
    opening: opening?.series ?? none(),
  };
}

// ---- Many contests ----------------------------------------------------------------------------

/** Default seeds for a spread: enough that the 95th-percentile contest is the 190th of 200. */
export const SPREAD_SEEDS = 200;

/** What the same configuration does over many seeds (one contest is one draw): runs seeds first, first + 1, ... without time series, and summarizes the contests. */
export function simulateSpread(input: Omit<SimulationInput, "seed" | "samples">, o: { seeds?: number; firstSeed?: number; max404Rate: number }) {
  const n = o.seeds ?? SPREAD_SEEDS;
  const waited: number[] = [];
  const rejected: number[] = [];
  let met = 0;
  let nodeHours = 0;
  for (let k = 0; k < n; k++) {
    const r = simulateContest({ ...input, seed: (o.firstSeed ?? 1) + k, samples: 0 });
    waited.push(r.burst.waitedShare);
    rejected.push(r.rejectedRate);
    if (r.burst.waitedShare <= WAIT_TAIL && r.rejectedRate <= o.max404Rate) met++;
    nodeHours += r.nodeHours;
  }
  const spread = (xs: number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length), p50: percentile(xs, 50) ?? 0, p95: percentile(xs, 95) ?? 0 });
  return {
    seeds: n,
    /** The opening burst's share of first runs that waited for a cold start, across contests. */
    burstWaited: spread(waited),
    /** The share of requests answered 404, across contests. */
    rejected: spread(rejected),
    /** Contests that met both targets (wait share <= 5% and 404 share <= max404Rate). */
    metTargets: met,
    nodeHours: { mean: nodeHours / Math.max(1, n) },
  };
}
