// A seeded discrete-event simulation of one contest against one pool configuration, to hold the
// planner's formulas (infra/capacity.ts) to account: `manage capacity --simulate` runs it, and the
// tests check that the recommended configuration meets its targets here. Pure and deterministic:
// the same input and seed give the same contest.
//
// The contest, as the participant model describes it (and `manage load-test` sends it):
//   - every participant's first run lands uniformly in the opening burst; after the burst each one
//     runs code as a Poisson stream (runs per minute); each execution takes avgExecSeconds;
//   - per-execution identifiers: every run takes a new session; per-user: a participant reuses
//     their session while it lives; shared:K: K sessions, each run waits for the first free one;
//   - Timed lifecycle: a session is released the cooldown after its last run ends;
//   - the cap: a run that needs a new session while maxSessions are held gets 404;
//   - the pool keeps readySessions warm; taking one starts a replacement that is ready a cold start
//     later; a run that finds none ready waits for the next one to finish starting;
//   - nodes follow held + ready sessions (infra/capacity.ts nodesFor).

import { nodesFor, type IdentifierStrategy } from "../../infra/capacity.js";
import { poissonGap, random } from "../execution/load.js";
import { percentile } from "../execution/stats.js";

export interface SimulationInput {
  users: number;
  runsPerUserPerMinute: number;
  avgExecSeconds: number;
  strategy: IdentifierStrategy;
  cooldownSeconds: number;
  openingBurstSeconds: number;
  coldStartSeconds: number;
  hours: number;
  maxSessions: number;
  readySessions: number;
  sessionsPerNode: number;
  seed: number;
  /** Points in the time series (each the extreme of its interval). Default 480. */
  samples?: number;
}

export interface WaitSummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface SimulationResult {
  requests: number;
  /** Runs that needed a new session while the pool was full: HTTP 404. */
  rejected: number;
  rejectedRate: number;
  /** Seconds from arrival to start, over the runs that were served. */
  waits: WaitSummary;
  /** Served runs that waited at all (for a cold start or their own busy session). */
  waitedShare: number;
  /** The opening burst's runs (everyone's first). */
  burst: { runs: number; waitedShare: number; waits: WaitSummary };
  peak: { held: number; nodes: number };
  /** Node-hours over the contest: what the pool bills, to compare with the estimate. */
  nodeHours: number;
  /** Per interval: seconds at its start, most sessions held, fewest ready, most nodes. */
  series: Series;
  /** The same for the opening minutes (the burst and the first cooldown), at a finer step. */
  opening: Series;
}

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
  get size() {
    return this.times.length;
  }
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

interface Arrival {
  at: number;
  user: number;
  first: boolean;
}

/** Every run of the contest, in time order: first runs in the burst, then each user's Poisson stream. */
export function contestArrivals(i: Pick<SimulationInput, "users" | "runsPerUserPerMinute" | "openingBurstSeconds" | "hours" | "seed">): Arrival[] {
  const rand = random(i.seed);
  const end = i.hours * 3600;
  const burst = Math.min(i.openingBurstSeconds, end);
  const perSecond = i.runsPerUserPerMinute / 60;
  const arrivals: Arrival[] = [];
  for (let user = 0; user < i.users; user++) {
    arrivals.push({ at: rand() * burst, user, first: true });
    for (let t = burst + poissonGap(rand, perSecond); t < end; t += poissonGap(rand, perSecond)) arrivals.push({ at: t, user, first: false });
  }
  return arrivals.sort((a, b) => a.at - b.at);
}

function summary(waits: number[]): WaitSummary {
  return {
    p50: percentile(waits, 50) ?? 0,
    p95: percentile(waits, 95) ?? 0,
    p99: percentile(waits, 99) ?? 0,
    max: waits.reduce((m, w) => Math.max(m, w), 0),
  };
}

export function simulateContest(input: SimulationInput): SimulationResult {
  const end = input.hours * 3600;
  const run = input.avgExecSeconds;
  const hold = run + input.cooldownSeconds;
  const R = input.readySessions;
  const samples = input.samples ?? 480;

  let held = 0;
  let ready = R;
  let waiting = 0;
  // Sessions being started, by the time they are ready: FIFO, since every start takes as long.
  const starting: number[] = [];
  let startingHead = 0;
  const releases = new Releases();
  const perUser = input.strategy.kind === "per-user";
  const releaseAt = new Float64Array(perUser ? input.users : 0);
  const busyUntil = new Float64Array(perUser ? input.users : 0);
  const sharedCount = input.strategy.kind === "shared" ? Math.min(input.strategy.sessions, input.maxSessions) : 0;
  const sharedFree = new Float64Array(sharedCount);
  let sharedCreated = 0;

  const contest = new Recorder(end, samples, R);
  const opening = new Recorder(Math.min(end, OPENING_MINUTES * 60), 300, R);
  let lastT = 0;
  let nodeSeconds = 0;
  let peakHeld = 0;
  /** Records the state from lastT up to t, then moves lastT. */
  const record = (t: number) => {
    const nodes = nodesFor(held + R, input.sessionsPerNode);
    nodeSeconds += nodes * (Math.min(t, end) - Math.min(lastT, end));
    contest.record(lastT, t, held, ready, nodes);
    opening.record(lastT, t, held, ready, nodes);
    lastT = t;
    peakHeld = Math.max(peakHeld, held);
  };

  /** Applies every session start and release up to time t, in time order. */
  const advance = (t: number) => {
    for (;;) {
      const nextStart = startingHead < starting.length ? starting[startingHead]! : Infinity;
      const nextRelease = releases.peek();
      const next = Math.min(nextStart, nextRelease);
      if (next > t) break;
      record(next);
      if (nextStart <= nextRelease) {
        startingHead++;
        if (waiting > 0) waiting--;
        else ready++;
      } else {
        const [time, key] = releases.pop();
        // Per-user releases are checked against the session's latest release time (later runs extend it).
        if (key < 0 || releaseAt[key] === time) {
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
    starting.push(t + input.coldStartSeconds);
    if (ready > 0) {
      ready--;
      return t;
    }
    waiting++;
    return starting[startingHead + waiting - 1]!;
  };

  const arrivals = contestArrivals(input);
  const waits: number[] = [];
  const burstWaits: number[] = [];
  let rejected = 0;
  for (const a of arrivals) {
    advance(a.at);
    let start: number;
    switch (input.strategy.kind) {
      case "per-execution": {
        if (held >= input.maxSessions) {
          rejected++;
          continue;
        }
        start = allocate(a.at);
        releases.push(start + hold, -1);
        break;
      }
      case "per-user": {
        if (releaseAt[a.user]! > a.at) start = Math.max(a.at, busyUntil[a.user]!);
        else if (held >= input.maxSessions) {
          rejected++;
          continue;
        } else start = allocate(a.at);
        busyUntil[a.user] = start + run;
        releaseAt[a.user] = start + hold;
        releases.push(start + hold, a.user);
        break;
      }
      case "shared": {
        if (sharedCreated < sharedCount) {
          start = allocate(a.at);
          sharedFree[sharedCreated++] = start + run;
          break;
        }
        let best = 0;
        for (let k = 1; k < sharedCount; k++) if (sharedFree[k]! < sharedFree[best]!) best = k;
        if (sharedCount === 0) {
          rejected++;
          continue;
        }
        start = Math.max(a.at, sharedFree[best]!);
        sharedFree[best] = start + run;
        break;
      }
    }
    waits.push(start - a.at);
    if (a.first) burstWaits.push(start - a.at);
  }
  advance(end);

  const served = waits.length;
  return {
    requests: arrivals.length,
    rejected,
    rejectedRate: arrivals.length ? rejected / arrivals.length : 0,
    waits: summary(waits),
    waitedShare: served ? waits.filter((w) => w > 1e-9).length / served : 0,
    burst: {
      runs: arrivals.filter((a) => a.first).length,
      waitedShare: burstWaits.length ? burstWaits.filter((w) => w > 1e-9).length / burstWaits.length : 0,
      waits: summary(burstWaits),
    },
    peak: { held: peakHeld, nodes: nodesFor(peakHeld + R, input.sessionsPerNode) },
    nodeHours: nodeSeconds / 3600,
    series: contest.series,
    opening: opening.series,
  };
}
