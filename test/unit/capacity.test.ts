// Capacity: Erlang C against hand-computed and textbook values, and the session counts each
// identifier strategy holds under the Timed lifecycle.
import { describe, expect, test } from "vitest";
import {
  checkAgainstProfile,
  erlangC,
  parseIdentifierStrategy,
  planCapacity,
  serversForWait,
  waitQuantile,
  type CapacityQuery,
} from "../../cli/costing/capacity.js";

describe("Erlang C", () => {
  test.each([
    // c, a, P(wait): M/M/1 waits with probability rho; M/M/2 with a^2/(2+a); M/M/3 at a=2 is 4/9.
    [1, 0.5, 0.5],
    [1, 0.9, 0.9],
    [2, 1, 1 / 3],
    [2, 1.5, 2.25 / 3.5],
    [3, 2, 4 / 9],
  ])("C(%i servers, %d Erlangs) = %d", (c, a, expected) => {
    expect(erlangC(c, a)).toBeCloseTo(expected, 12);
  });

  test("an overloaded queue always waits; an unloaded one never does", () => {
    expect(erlangC(5, 5)).toBe(1);
    expect(erlangC(5, 7)).toBe(1);
    expect(erlangC(5, 0)).toBe(0);
  });

  test("stays finite and tiny for hundreds of lightly loaded servers", () => {
    const c = erlangC(400, 10);
    expect(c).toBeGreaterThanOrEqual(0);
    expect(c).toBeLessThan(1e-100);
  });

  test("p95 wait of M/M/1 at rho 0.5 with 1 s service is ln(10)/0.5 s", () => {
    expect(waitQuantile(1, 0.5, 1)).toBeCloseTo(Math.log(10) / 0.5, 12);
    expect(waitQuantile(3, 10, 1)).toBe(Infinity);
  });

  test("the fewest servers meeting a p95 target: one fewer misses it", () => {
    const n = serversForWait(3.33, 2, 2);
    expect(waitQuantile(n, 3.33, 2)).toBeLessThanOrEqual(2);
    expect(waitQuantile(n - 1, 3.33, 2)).toBeGreaterThan(2);
  });
});

const contest = (over: Partial<CapacityQuery> = {}): CapacityQuery => ({
  users: 200,
  runsPerUserPerMinute: 1,
  avgExecSeconds: 2,
  strategy: { kind: "per-user" },
  cooldownSeconds: 300,
  p95WaitSeconds: 2,
  openingBurstSeconds: 60,
  coldStartSeconds: 10,
  ...over,
});

describe("sessions held under the Timed lifecycle", () => {
  test("per-user: nearly every user active in the last cooldown holds a session", () => {
    const plan = planCapacity(contest());
    // 200 * (1 - e^-(1/60 * 300)) = 198.65 -> 199
    expect(plan.sessionsHeld).toBe(199);
    expect(plan.arrivalPerSecond).toBeCloseTo(200 / 60, 12);
    // Opening burst: 200 new sessions in 60 s, 10 s cold start -> 34 must be ready.
    expect(plan.readySessions).toBe(34);
    expect(plan.p95WaitSeconds).toBe(0);
  });

  test("per-execution: every run holds a fresh session for run + cooldown (Little's law)", () => {
    const plan = planCapacity(contest({ strategy: { kind: "per-execution" } }));
    expect(plan.sessionsHeld).toBe(Math.ceil((200 / 60) * 302));
  });

  test("shared:K holds K sessions and queues executions on them", () => {
    // 3.33 executions/s of 2 s each = 6.67 Erlangs: 9 sessions keep the p95 wait under 2 s, 8 do not.
    const plan = planCapacity(contest({ strategy: { kind: "shared", sessions: 9 } }));
    expect(plan.sessionsHeld).toBe(9);
    expect(plan.probabilityOfWaiting).toBeCloseTo(erlangC(9, (200 / 60) * 2), 12);
    expect(plan.p95WaitSeconds).toBeLessThanOrEqual(2);
    expect(plan.notes).toEqual([]);
    const tight = planCapacity(contest({ strategy: { kind: "shared", sessions: 8 } }));
    expect(tight.p95WaitSeconds).toBeGreaterThan(2);
    expect(tight.notes[0]).toMatch(/shared:8 is too few .* shared:9 meets it/);
  });

  test("against the contest profile: 200 per-user sessions > max 50 means 404s", () => {
    const plan = planCapacity(contest({ runsPerUserPerMinute: 2 }));
    const checks = checkAgainstProfile(plan, { kind: "per-user" }, { maxSessions: 50, readySessions: 5 }, "contest");
    expect(checks[0]).toEqual({ ok: false, message: "200 per-user sessions > max 50: requests beyond it will get 404" });
    expect(checks[1]!.message).toMatch(/5 ready sessions < \d+ for the opening burst/);
  });

  test("identifier strategies parse, and nonsense does not", () => {
    expect(parseIdentifierStrategy("per-user")).toEqual({ kind: "per-user" });
    expect(parseIdentifierStrategy("shared:12")).toEqual({ kind: "shared", sessions: 12 });
    for (const bad of ["shared:0", "shared:", "shared:-1", "per_user", "everyone"]) expect(parseIdentifierStrategy(bad)).toBeNull();
  });
});
