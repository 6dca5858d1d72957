import { describe, expect, test } from "vitest";
import { DEFAULT_PARTICIPANTS } from "../../infra/capacity.js";
import {
  allOverrideKeys,
  overrideConfigKey,
  PROFILES,
  profileWarnings,
  resolveProfile,
  validateProfile,
} from "../../infra/profiles.js";

describe("profiles", () => {
  test("the table holds the numbers the team runs with", () => {
    expect(PROFILES.idle.pool).toBeNull();
    expect(PROFILES.idle.backend).toEqual({ minReplicas: 0, maxReplicas: 1 });
    expect(PROFILES.testing.pool).toEqual({ maxSessions: 5, readySessions: 1, cooldownSeconds: 300 });
    expect(PROFILES.testing.backend).toEqual({ minReplicas: 1, maxReplicas: 5 });
    expect(PROFILES.contest.backend).toEqual({ minReplicas: 1, maxReplicas: 10 });
  });

  test("the contest profile is sized by the planner for 200 participants, not the hand-run deployment's max 50 / 5 ready", () => {
    // per-user: one session per participant; 48 ready keep the opening burst's cold-start waits under 5%
    // in 95% of contests, and 52 fill the 2 ready nodes (28 a node) those take anyway.
    expect(PROFILES.contest.pool).toEqual({ maxSessions: 200, readySessions: 52, cooldownSeconds: 300 });
    expect(resolveProfile("contest").sizedFor?.participants).toBe(200);
    expect(resolveProfile("testing").sizedFor).toBeNull();
  });

  test("the contest profile follows the stack's participants and identifier strategy", () => {
    expect(resolveProfile("contest", {}, { ...DEFAULT_PARTICIPANTS, participants: 300 }).pool).toMatchObject({ maxSessions: 300 });
    const perExecution = resolveProfile("contest", {}, { ...DEFAULT_PARTICIPANTS, participants: 100, strategy: { kind: "per-execution" } });
    // 100 users x 1 run/min: one hold time in, the 100 first runs plus Poisson(1.67/s x (302 - 30)) repeats, 99.9th percentile + 1.
    expect(perExecution.pool).toMatchObject({ maxSessions: 622 });
    // A longer cooldown (an override) holds sessions longer: the plan uses the cooldown in effect.
    const longer = resolveProfile("contest", { cooldownSeconds: 600 }, { ...DEFAULT_PARTICIPANTS, participants: 100, strategy: { kind: "per-execution" } });
    expect(longer.pool!.maxSessions).toBeGreaterThan(perExecution.pool!.maxSessions);
  });

  test("overrides replace only the numbers given, and say which", () => {
    const p = resolveProfile("contest", { maxSessions: 80, backendMaxReplicas: 20 });
    expect(p.pool).toEqual({ maxSessions: 80, readySessions: 52, cooldownSeconds: 300 });
    expect(p.backend).toEqual({ minReplicas: 1, maxReplicas: 20 });
    expect(p.overridden).toEqual(["maxSessions", "backendMaxReplicas"]);
  });

  test("a planned ready count never exceeds an overridden max", () => {
    expect(resolveProfile("contest", { maxSessions: 30 }).pool).toMatchObject({ maxSessions: 30, readySessions: 30 });
    expect(validateProfile(resolveProfile("contest", { maxSessions: 30 }))).toEqual([]);
  });

  test("idle has no pool to size, so pool overrides do not apply to it", () => {
    const p = resolveProfile("idle", { maxSessions: 80, backendMinReplicas: 1 });
    expect(p.pool).toBeNull();
    expect(p.overridden).toEqual(["backendMinReplicas"]);
    expect(allOverrideKeys().map((k) => k.key)).not.toContain("profileOverrides.idle.maxSessions");
    expect(allOverrideKeys().map((k) => k.key)).toContain("profileOverrides.idle.backendMinReplicas");
  });

  test("an override is a path into the one profileOverrides key (config set --path)", () => {
    expect(overrideConfigKey("contest", "readySessions")).toBe("profileOverrides.contest.readySessions");
    expect(allOverrideKeys()).toHaveLength(2 + 5 + 5);
  });

  test.each([
    [{ cooldownSeconds: 299 }, "cooldownSeconds", "between 300 and 3600"],
    [{ cooldownSeconds: 3601 }, "cooldownSeconds", "between 300 and 3600"],
    [{ maxSessions: 0 }, "maxSessions", "at least 1"],
    [{ readySessions: 6, maxSessions: 5 }, "readySessions", "must not exceed maxSessions (5)"],
    [{ readySessions: -1 }, "readySessions", "must not be negative"],
    [{ maxSessions: 2.5 }, "maxSessions", "whole number"],
    [{ backendMinReplicas: -1 }, "backendMinReplicas", "must not be negative"],
    [{ backendMaxReplicas: 0 }, "backendMaxReplicas", "between 1 and 1000"],
    [{ backendMinReplicas: 6, backendMaxReplicas: 5 }, "backendMinReplicas", "must not exceed backendMaxReplicas (5)"],
  ])("refuses %o: %s %s", (overrides, field, message) => {
    const issues = validateProfile(resolveProfile("testing", overrides));
    expect(issues).toEqual([{ field, message: expect.stringContaining(message) }]);
  });

  test("every profile in the table is valid as it stands", () => {
    for (const name of ["idle", "testing", "contest"] as const) expect(validateProfile(resolveProfile(name))).toEqual([]);
  });

  test("zero ready sessions is allowed but flagged as unconfirmed", () => {
    expect(validateProfile(resolveProfile("testing", { readySessions: 0 }))).toEqual([]);
    expect(profileWarnings(resolveProfile("testing", { readySessions: 0 }))[0]).toMatch(/unconfirmed/);
    expect(profileWarnings(resolveProfile("testing"))).toEqual([]);
  });
});
