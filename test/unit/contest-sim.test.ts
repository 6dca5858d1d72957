// The planner's formulas held to account by the seeded contest simulation: the recommended
// configuration meets its targets when the contest is played out, the configuration below it (or
// the one sized the old way, at the mean) does not, and where the simulation can measure a formula
// directly it agrees with it.
import { describe, expect, test } from "vitest";
import { contestArrivals, simulateContest, simulateSpread, type SimulationInput } from "../../cli/costing/contest-sim.js";
import { coldStartShare, DEFAULT_PARTICIPANTS, nodesFor, planCapacity, type CapacityQuery, type IdentifierStrategy } from "../../infra/capacity.js";
import { estimateCost } from "../../infra/costing/model.js";
import { resolveProfile } from "../../infra/profiles.js";
import { ROUND_PRICES } from "../helpers/prices.js";
import { poisson, shifted, smallestWithTailAtMost } from "../../infra/distributions.js";

const query = (strategy: IdentifierStrategy): CapacityQuery => ({ ...DEFAULT_PARTICIPANTS, strategy, cooldownSeconds: 300 });
const contest = (q: CapacityQuery, maxSessions: number, readySessions: number, over: Partial<SimulationInput> = {}): SimulationInput => ({
  ...q,
  hours: 2,
  maxSessions,
  readySessions,
  sessionsPerNode: 28,
  seed: 7,
  ...over,
});

describe("the simulated contest", () => {
  test("is the participant model: everyone's first run in the burst, then Poisson streams; the same seed gives the same contest", () => {
    const arrivals = contestArrivals({ participants: 200, runsPerParticipantPerMinute: 1, openingBurstSeconds: 60, hours: 2, seed: 3 });
    expect(arrivals.filter((a) => a.first)).toHaveLength(200);
    expect(Math.max(...arrivals.filter((a) => a.first).map((a) => a.at))).toBeLessThan(60);
    // 200 first runs + 3.33/s over the remaining 7140 s = 24,000 expected.
    expect(arrivals.length).toBeGreaterThan(23_500);
    expect(arrivals.length).toBeLessThan(24_500);
    const q = query({ kind: "per-user" });
    expect(simulateContest(contest(q, 200, 43))).toEqual(simulateContest(contest(q, 200, 43)));
    expect(simulateContest(contest(q, 200, 43, { seed: 8 })).requests).not.toBe(simulateContest(contest(q, 200, 43)).requests);
  });

  test("per-user, as recommended (max 200, 43 ready): no 404, the burst's p95 wait within 2 s, 9 peak nodes as planned", () => {
    const q = query({ kind: "per-user" });
    const plan = planCapacity(q);
    const sim = simulateContest(contest(q, plan.maxSessions, plan.readySessions));
    expect(sim.rejected).toBe(0);
    expect(sim.burst.waits.p95).toBeLessThanOrEqual(q.p95WaitSeconds);
    expect(sim.peak).toEqual({ held: 200, nodes: nodesFor(200 + 43, 28) });
    expect(sim.peak.nodes).toBe(9);
  });

  test("per-user, one session below (199): requests meet a full pool more often than the 0.1% target", () => {
    const q = query({ kind: "per-user" });
    const sim = simulateContest(contest(q, 199, 43));
    expect(sim.rejectedRate).toBeGreaterThan(q.max404Rate);
  });

  test("per-execution, as recommended (cap at the opening's 99.9th percentile): at most 0.1% of requests get 404; capped at the mean (1007): about 2.5%", () => {
    const q = query({ kind: "per-execution" });
    const plan = planCapacity(q);
    const sim = simulateContest(contest(q, plan.maxSessions, plan.readySessions));
    expect(sim.rejectedRate).toBeLessThanOrEqual(q.max404Rate);
    expect(sim.peak.held).toBeLessThanOrEqual(plan.maxSessions);
    expect(sim.peak.nodes).toBeLessThanOrEqual(nodesFor(plan.maxSessions + plan.readySessions, 28));
    const atMean = simulateContest(contest(q, 1007, plan.readySessions));
    expect(atMean.rejectedRate).toBeGreaterThan(0.01);
  });

  test("ready sessions: over 1000 opening bursts the share of runs that wait matches the formula; 43 meet 5%, today's 34 leave ~40% waiting", () => {
    const q = query({ kind: "per-user" });
    const burstShare = (ready: number) => {
      let total = 0;
      for (let seed = 1; seed <= 1000; seed++)
        total += simulateContest(contest(q, 200, ready, { hours: 1 / 60, samples: 2, seed })).burst.waitedShare;
      return total / 1000;
    };
    for (const ready of [42, 43]) expect(Math.abs(burstShare(ready) - coldStartShare(q, ready))).toBeLessThan(0.004);
    expect(burstShare(43)).toBeLessThanOrEqual(0.05);
    expect(coldStartShare(q, 42)).toBeGreaterThan(0.05);
    expect(burstShare(34)).toBeGreaterThan(0.3);
  });

  test("node-hours of the contest match what the cost model bills for its window", () => {
    const q = query({ kind: "per-user" });
    const sim = simulateContest(contest(q, 200, 43));
    const e = estimateCost(ROUND_PRICES, {
      profile: resolveProfile("contest"),
      session: { cpu: 0.5, memoryGi: 1 },
      backend: { cpu: 0.5, memoryGi: 1, concurrentRequests: 20 },
      registrySku: "Basic",
      windowHours: 2,
      participantModel: DEFAULT_PARTICIPANTS,
      load: { executions: sim.requests, runSeconds: 2 },
    });
    expect(sim.nodeHours / (e.nodes.window * 2)).toBeGreaterThan(0.95);
    expect(sim.nodeHours / (e.nodes.window * 2)).toBeLessThanOrEqual(1);
  });

  test("the time series draws held, ready and nodes, with nodes following held + ready", () => {
    const sim = simulateContest(contest(query({ kind: "per-user" }), 200, 43, { samples: 120 }));
    expect(sim.series.held).toHaveLength(120);
    expect(Math.max(...sim.series.held)).toBe(200);
    expect(Math.max(...sim.series.nodes)).toBe(9);
    // Ready sessions drain in the opening burst and are back once replacements have started.
    expect(Math.min(...sim.series.ready.slice(0, 2))).toBeLessThan(43);
    expect(Math.max(...sim.series.ready.slice(-10))).toBe(43);
    // The opening minutes at a 2 s step: the nodes step up with held + ready as the burst arrives.
    expect(sim.opening.seconds).toHaveLength(300);
    expect(sim.opening.seconds[1]).toBe(2);
    expect(sim.opening.nodes[0]).toBeLessThan(sim.opening.nodes[60]!);
    expect(Math.max(...sim.opening.nodes)).toBe(9);
  });

  // The contest's first 10 minutes: the burst, the first cooldown and the peak of sessions held,
  // where the waits and the 404s are; a 404 share over them is larger than over the whole contest.
  const OPENING_HOURS = 10 / 60;

  test.each([50, 200, 500, 1000])("per contest: the plan for %i per-user participants meets both targets in >= 95% of 200 simulated contests", (users) => {
    const q = { ...query({ kind: "per-user" }), participants: users };
    const plan = planCapacity(q);
    const spread = simulateSpread(
      { ...q, hours: OPENING_HOURS, maxSessions: plan.maxSessions, readySessions: plan.readySessions, sessionsPerNode: 28 },
      { seeds: 200, firstSeed: 1000, max404Rate: q.max404Rate },
    );
    expect(spread.metTargets / spread.seeds).toBeGreaterThanOrEqual(0.95);
    expect(spread.burstWaited.p95).toBeLessThanOrEqual(0.05);
    expect(spread.rejected.p95).toBeLessThanOrEqual(q.max404Rate);
  });

  test.each([200, 500])("per contest, before rounding to whole nodes: the count %i participants need misses the wait target in under 5% of 1000 simulated opening bursts", (users) => {
    const q = { ...query({ kind: "per-user" }), participants: users, sessionsPerNode: null };
    const plan = planCapacity(q);
    expect(plan.readySessions).toBe(plan.readyNeeded.atConfidence);
    const spread = simulateSpread(
      { ...q, hours: 1 / 60, maxSessions: plan.maxSessions, readySessions: plan.readySessions, sessionsPerNode: 28 },
      { seeds: 1000, firstSeed: 5000, max404Rate: q.max404Rate },
    );
    expect(1 - spread.metTargets / spread.seeds).toBeLessThan(0.05);
    // Sized for the average contest instead, it misses far more often.
    const average = simulateSpread(
      { ...q, hours: 1 / 60, maxSessions: plan.maxSessions, readySessions: plan.readyNeeded.average, sessionsPerNode: 28 },
      { seeds: 1000, firstSeed: 5000, max404Rate: q.max404Rate },
    );
    expect(1 - average.metTargets / average.seeds).toBeGreaterThan(0.1);
  });

  test("the average's count (43 at 200) misses the wait target in far more than 5% of contests", () => {
    const q = query({ kind: "per-user" });
    const spread = simulateSpread({ ...q, hours: OPENING_HOURS, maxSessions: 200, readySessions: 43, sessionsPerNode: 28 }, { seeds: 200, firstSeed: 1000, max404Rate: q.max404Rate });
    expect(spread.metTargets / spread.seeds).toBeLessThan(0.9);
    expect(spread.burstWaited.p95).toBeGreaterThan(0.05);
  });

  test("a 15 s cold start: the plan's ready count meets the targets in >= 95% of contests, the 10 s plan's does not", () => {
    const q = { ...query({ kind: "per-user" }), coldStartSeconds: 15 };
    const plan = planCapacity(q);
    const spread = (ready: number) =>
      simulateSpread({ ...q, hours: OPENING_HOURS, maxSessions: plan.maxSessions, readySessions: ready, sessionsPerNode: 28 }, { seeds: 200, firstSeed: 1000, max404Rate: q.max404Rate });
    expect(spread(plan.readySessions).metTargets / 200).toBeGreaterThanOrEqual(0.95);
    expect(spread(planCapacity(query({ kind: "per-user" })).readySessions).metTargets / 200).toBeLessThan(0.95);
  });

  test("per-execution, 500 people: the cap that counts each stream from its first run meets the 404 target in >= 95% of contests; one that started them at the burst's end does not", () => {
    const q = { ...query({ kind: "per-execution" }), participants: 500 };
    const plan = planCapacity(q);
    const spread = (cap: number) =>
      simulateSpread({ ...q, hours: OPENING_HOURS, maxSessions: cap, readySessions: plan.readySessions, sessionsPerNode: 28 }, { seeds: 200, firstSeed: 1000, max404Rate: q.max404Rate });
    const planned = spread(plan.maxSessions);
    expect(planned.metTargets / planned.seeds).toBeGreaterThanOrEqual(0.95);
    expect(planned.rejected.p95).toBeLessThanOrEqual(q.max404Rate);
    // The old opening: every first session plus Poisson(arrivals/s x (hold - burst)).
    const old = smallestWithTailAtMost(shifted(poisson((500 / 60) * (302 - 60)), 500), 0.001);
    expect(old).toBeLessThan(plan.maxSessions);
    expect(spread(old).rejected.p50).toBeGreaterThan(q.max404Rate);
  });

  test("per-execution: each stream starts at its participant's first run, so the burst holds repeat runs too", () => {
    const arrivals = contestArrivals({ participants: 500, runsPerParticipantPerMinute: 1, openingBurstSeconds: 60, hours: 1 / 60, seed: 5 });
    const repeats = arrivals.filter((a) => !a.first);
    // Each participant runs again at 1/min from their first run: 500 x 30 s / 60 s = 250 expected.
    expect(repeats.length).toBeGreaterThan(200);
    expect(repeats.length).toBeLessThan(300);
    for (const r of repeats) expect(r.at).toBeGreaterThan(arrivals.find((a) => a.first && a.user === r.user)!.at);
  });
});
