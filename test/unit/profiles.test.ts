import { describe, expect, test } from "vitest";
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
    expect(PROFILES.contest.pool).toEqual({ maxSessions: 50, readySessions: 5, cooldownSeconds: 300 });
    expect(PROFILES.contest.backend).toEqual({ minReplicas: 1, maxReplicas: 10 });
  });

  test("overrides replace only the numbers given, and say which", () => {
    const p = resolveProfile("contest", { maxSessions: 80, backendMaxReplicas: 20 });
    expect(p.pool).toEqual({ maxSessions: 80, readySessions: 5, cooldownSeconds: 300 });
    expect(p.backend).toEqual({ minReplicas: 1, maxReplicas: 20 });
    expect(p.overridden).toEqual(["maxSessions", "backendMaxReplicas"]);
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
