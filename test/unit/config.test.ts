// Stack configuration: defaults, and one test per rule, each asserting the message a user sees.
import { describe, expect, test } from "vitest";
import { ConfigError, CONFIG_KEYS, parseSettings, participantConfig } from "../../infra/config.js";
import { fitsType } from "../fake-pulumi/project-config.js";

function refusal(raw: Record<string, string>): string {
  try {
    parseSettings(raw, "dev");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected the config to be refused");
}

describe("stack configuration", () => {
  test("defaults describe a valid idle deployment", () => {
    const s = parseSettings({}, "dev");
    expect(s.profile.name).toBe("idle");
    expect(s.profile.pool).toBeNull();
    expect(s.location).toBe("eastus");
    expect(s.names.sessionPool).toBe("codeengdevpool");
    expect(s.session).toEqual({ image: "coding-engine/session:v1", cpu: 0.5, memory: "1Gi", targetPort: 2000, allowEgress: false });
    expect(s.roles).toEqual({ mode: "managed", sessionExecutorScope: "pool" });
    expect(s.profileExpiresAt).toBeNull();
    expect(s.warnings).toEqual([]);
    expect(s.participantModel.participants).toBe(200);
    expect(s.logDailyCapGb).toBe(1);
    expect(s.costCeilingPerDay).toBe(500);
    expect(s.limits).toEqual({ maxSessions: 600, extraCustomContainerRegions: [] });
  });

  test("the contest profile is sized for the stack's participants, by the same planner as manage capacity", () => {
    const s = parseSettings({ profile: "contest", participants: "320", runsPerParticipantPerMinute: "0.5" }, "contest");
    expect(s.profile.pool).toMatchObject({ maxSessions: 320 });
    expect(s.profile.sizedFor).toMatchObject({ participants: 320, runsPerParticipantPerMinute: 0.5 });
    // An override still wins over the plan.
    expect(parseSettings({ profile: "contest", participants: "320", profileOverrides: '{"contest":{"maxSessions":400}}' }, "contest").profile.pool?.maxSessions).toBe(400);
    // Per-execution identifiers hold far more sessions for the same people.
    expect(parseSettings({ profile: "contest", participants: "80", sessionIdentifier: "per-execution" }, "contest").profile.pool?.maxSessions).toBe(504);
  });

  test("what capacity --apply records for a participant model reads back as that model, every input of it", () => {
    const model = { ...parseSettings({}, "dev").participantModel, participants: 150, runsPerParticipantPerMinute: 0.5, strategy: { kind: "shared", sessions: 40 } as const, openingBurstSeconds: 90, coldStartSeconds: 12.5, runSeconds: 0.7 };
    const recorded = participantConfig(model, "load-test 2026-12-01");
    expect(recorded).toEqual({ participants: "150", runsPerParticipantPerMinute: "0.5", sessionIdentifier: "shared:40", openingBurstSeconds: "90", coldStartSeconds: "12.5", runSeconds: "0.7", measuredBy: "load-test 2026-12-01" });
    const read = parseSettings(recorded, "dev");
    expect(read.participantModel).toEqual(model);
    expect(read.measuredBy).toBe("load-test 2026-12-01");
  });

  test("limits Azure sets but does not document for custom containers are checked, and can be raised", () => {
    expect(refusal({ profileOverrides: '{"contest":{"maxSessions":700}}' })).toContain("coding-engine:profileOverrides.contest.maxSessions is above maxSessionsLimit (600)");
    expect(parseSettings({ profileOverrides: '{"contest":{"maxSessions":700}}', maxSessionsLimit: "1000" }, "dev").overrides.contest.maxSessions).toBe(700);
    // A planned number over the ceiling names the participant model, not a key nobody set.
    expect(refusal({ participants: "200", sessionIdentifier: "per-execution" })).toMatch(
      /coding-engine:participants \(200, per-execution\) gives the contest profile max 1202 sessions, above maxSessionsLimit \(600\)/,
    );
    expect(refusal({ location: "koreacentral" })).toContain(
      "coding-engine:location koreacentral is not among the regions with custom-container session pools",
    );
    expect(parseSettings({ location: "koreacentral", extraCustomContainerRegions: '["koreacentral"]' }, "dev").location).toBe("koreacentral");
  });

  test("values arrive as strings, the way Pulumi passes them, and are typed", () => {
    const s = parseSettings(
      {
        profile: "contest",
        profileOverrides: '{"contest":{"maxSessions":80}}',
        allowSessionEgress: "true",
        accessMode: "venue",
        allowedIpRanges: '["203.0.113.0/24"]',
        profileExpiresAt: "2026-11-22T18:00:00Z",
        sessionCpu: "1.25",
        sessionMemory: "2.5Gi",
      },
      "contest",
    );
    expect(s.profile.pool?.maxSessions).toBe(80);
    expect(s.overrides.contest).toEqual({ maxSessions: 80 });
    expect(s.session.allowEgress).toBe(true);
    expect(s.session.cpu).toBe(1.25);
    expect(s.access).toEqual({ mode: "venue", allowedIpRanges: ["203.0.113.0/24"], gateway: null });
    expect(s.profileExpiresAt?.toISOString()).toBe("2026-11-22T18:00:00.000Z");
  });

  test.each([
    [{ profile: "party" }, "coding-engine:profile must be one of idle, testing, contest"],
    [{ profileOverrides: '{"contest":{"cooldownSeconds":299}}' }, "coding-engine:profileOverrides.contest.cooldownSeconds must be between 300 and 3600 seconds"],
    [{ profileOverrides: '{"testing":{"readySessions":6}}' }, "coding-engine:profileOverrides.testing.readySessions must not exceed maxSessions (5)"],
    [{ profileOverrides: '{"contest":{"maxSessions":0}}' }, "coding-engine:profileOverrides.contest.maxSessions must be at least 1"],
    [{ profileOverrides: '{"contest":{"maxSessions":"fifty"}}' }, "coding-engine:profileOverrides.contest.maxSessions must be a whole number"],
    [{ profileOverrides: '{"party":{"maxSessions":5}}' }, "coding-engine:profileOverrides.party may only name the profiles idle, testing, contest"],
    // Not a map at all: said so, not called a profile's name (rv17).
    [{ profileOverrides: "80" }, 'coding-engine:profileOverrides must be a map of profiles, e.g. {contest: {maxSessions: 80}} (got "80")'],
    [{ profileOverrides: "[]" }, "coding-engine:profileOverrides must be a map of profiles"],
    [{ profileOverrides: '{"contest":5}' }, "coding-engine:profileOverrides.contest must be a map of numbers, e.g. {maxSessions: 80} (got 5)"],
    [{ profileOverrides: '{"contest":[]}' }, "coding-engine:profileOverrides.contest must be a map of numbers"],
    [{ profileOverrides: '{"idle":{"maxSessions":5}}' }, "coding-engine:profileOverrides.idle.maxSessions does not apply: the idle profile has no session pool"],
    [{ contestMaxSessions: "80" }, "coding-engine:contestMaxSessions is now coding-engine:profileOverrides.contest.maxSessions"],
    [{ profileOverrides: '{"testing":{"backendMinReplicas":9}}' }, "coding-engine:profileOverrides.testing.backendMinReplicas must not exceed backendMaxReplicas (5)"],
    [{ sessionCpu: "0.1" }, "coding-engine:sessionCpu must be between 0.25 and 2 vCPU"],
    [{ sessionCpu: "2.5" }, "coding-engine:sessionCpu must be between 0.25 and 2 vCPU"],
    [{ sessionCpu: "half" }, "coding-engine:sessionCpu must be a number of vCPUs"],
    [{ sessionMemory: "8Gi" }, "coding-engine:sessionMemory must be between 0.5Gi and 4Gi"],
    [{ sessionMemory: "1024Mi" }, 'coding-engine:sessionMemory must be a size in Gi like "1Gi"'],
    [{ backendMemory: "2Gi" }, "coding-engine:backendMemory must be twice backendCpu"],
    [{ sessionTargetPort: "70000" }, "coding-engine:sessionTargetPort must be a TCP port"],
    [{ sessionImage: "myregistry.azurecr.io/session" }, "coding-engine:sessionImage must be \"repository:tag\""],
    [{ backendImage: "coding-engine/backend:latest" }, "coding-engine:backendImage must not use the tag `latest`"],
    [{ accessMode: "venue", allowedIpRanges: '["300.1.1.1/24"]' }, "coding-engine:allowedIpRanges has an octet above 255"],
    [{ accessMode: "venue", allowedIpRanges: '["venue"]' }, "coding-engine:allowedIpRanges must be an IPv4 address or CIDR range"],
    [{ accessMode: "public" }, "coding-engine:accessMode must be one of open, venue, token"],
    [{ accessMode: "venue" }, `coding-engine:allowedIpRanges must list the venue's IPv4 ranges with accessMode venue, e.g. ["203.0.113.0/24"]; or choose accessMode token`],
    [{ allowedIpRanges: '["203.0.113.0/24"]' }, "coding-engine:allowedIpRanges applies only to accessMode venue, and the stack is token: remove allowedIpRanges, or set accessMode venue"],
    [{ accessMode: "open", allowedIpRanges: '["203.0.113.0/24"]' }, "coding-engine:allowedIpRanges applies only to accessMode venue, and the stack is open"],
    [{ gatewaySku: "Consumption" }, "coding-engine:gatewaySku must be one of Developer, Basic"],
    [{ gatewayRateLimitPerMinute: "0" }, "coding-engine:gatewayRateLimitPerMinute must be between 1 and 6000 calls a minute"],
    // Bounded above too (issue 21): one key at 100000 a minute is a flood, not a caller.
    [{ gatewayRateLimitPerMinute: "100000" }, "coding-engine:gatewayRateLimitPerMinute must be between 1 and 6000 calls a minute (one credential, even a contest platform's, needs no more)"],
    // Ranges judged by what they admit together: 256 /8s are all of IPv4.
    [
      { accessMode: "venue", allowedIpRanges: JSON.stringify(Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`)) },
      "coding-engine:allowedIpRanges admits 4,294,967,296 IPv4 addresses in all, more than 65,536 IPv4 addresses (a /16)",
    ],
    [{ accessMode: "venue", allowedIpRanges: '["10.0.0.0/16","203.0.113.7"]' }, "coding-engine:allowedIpRanges admits 65,537 IPv4 addresses in all"],
    [{ gatewayPublisherEmail: "ops" }, "coding-engine:gatewayPublisherEmail must be an email address"],
    [{ gatewayJwtIssuer: "http://login.example.com", gatewayJwtAudience: "a" }, "coding-engine:gatewayJwtIssuer must be an https URL"],
    [{ gatewayJwtIssuer: "https://login.example.com/" }, "coding-engine:gatewayJwtAudience must be set with gatewayJwtIssuer"],
    [{ gatewayJwtAudience: "api://x" }, "coding-engine:gatewayJwtIssuer must be set with gatewayJwtAudience"],
    [{ gatewayJwtAudience: 'a"b', gatewayJwtIssuer: "https://x/" }, "coding-engine:gatewayJwtAudience must not contain spaces, quotes, < > or &"],
    [{ accessMode: "open", gatewayJwtIssuer: "https://login.example.com/", gatewayJwtAudience: "a" }, "coding-engine:gatewayJwtIssuer applies only to accessMode token, and the stack is open"],
    [{ roleAssignmentMode: "admin" }, "coding-engine:roleAssignmentMode must be one of managed, external"],
    [{ sessionExecutorScope: "subscription" }, "coding-engine:sessionExecutorScope must be one of pool, resourceGroup"],
    [{ location: "East US" }, "coding-engine:location must be an Azure region name"],
    [{ logRetentionDays: "7" }, "coding-engine:logRetentionDays"],
    [{ createResourceGroup: "yes" }, "coding-engine:createResourceGroup"],
    [{ profileExpiresAt: "tomorrow" }, "coding-engine:profileExpiresAt must be an ISO 8601 UTC time"],
    [{ namePrefix: "Code-Eng" }, "coding-engine:namePrefix must be 2-12 lowercase letters and digits"],
    [{ registryName: "my-registry" }, 'coding-engine:registryName gives an invalid name: container registry name "my-registry" is invalid'],
    [{ resourceGroupName: "rg." }, "coding-engine:resourceGroupName gives an invalid name"],
    [{ contestMaxSesions: "80" }, "coding-engine:contestMaxSesions is not a setting of this project"],
    [{ participants: "0" }, "coding-engine:participants must be between 1 and 100000"],
    [{ runsPerParticipantPerMinute: "often" }, "coding-engine:runsPerParticipantPerMinute must be a number like 1 or 0.5"],
    [{ sessionIdentifier: "round-robin" }, "coding-engine:sessionIdentifier must be per-user, per-execution or shared:K"],
    [{ openingBurstSeconds: "400" }, "coding-engine:openingBurstSeconds must not exceed the contest cooldown (300 s)"],
    [{ logDailyCapGb: "0" }, "coding-engine:logDailyCapGb must be at least 0.023 GB"],
    [{ costCeilingPerDay: "0" }, "coding-engine:costCeilingPerDay must be a whole number of USD per day"],
    [{ extraCustomContainerRegions: '["Korea Central"]' }, "coding-engine:extraCustomContainerRegions must be Azure region names"],
  ])("refuses %o", (raw, message) => {
    expect(refusal(raw)).toContain(message);
  });

  /** Whether manage's settings take `text` for `key`; a refusal must say `words`. */
  const manageTakes = (key: string, text: string, words: string) => {
    try {
      parseSettings({ [key]: text }, "dev");
      return true;
    } catch (err) {
      expect((err as Error).message).toContain(words);
      return false;
    }
  };

  // pulumi refuses a stack whose integer key is not what strconv.Atoi reads (ValidateConfigValue,
  // test/fake-pulumi/project-config.ts): manage's offline commands must refuse the same text, not
  // read "0x40" or "1e2" as JavaScript's Number does and pass a stack `manage up` then fails on.
  test.each(["0x40", "1e2", "60.0", " 60", "60 ", "0b1000000", "+60", "060", "60"])("an integer key set to %j is accepted exactly when pulumi accepts it", (text) => {
    expect(CONFIG_KEYS.gatewayRateLimitPerMinute!.type).toBe("integer");
    expect(manageTakes("gatewayRateLimitPerMinute", text, "coding-engine:gatewayRateLimitPerMinute must be a whole number")).toBe(fitsType("integer", undefined, text));
  });

  // pulumi's type check refuses a list for an object key (fitsType "object"); valibot's object
  // schemas take an array, so `profileOverrides: []` passed manage and was refused by pulumi.
  test.each(["[]", '["contest"]', "{}", '{"contest":{"maxSessions":80}}', "80", "null"])("profileOverrides set to %s is accepted exactly when pulumi accepts it", (text) => {
    expect(CONFIG_KEYS.profileOverrides!.type).toBe("object");
    const yaml = JSON.parse(text) as unknown;
    const pulumiTakes = fitsType("object", undefined, typeof yaml === "object" && yaml !== null ? yaml : String(yaml));
    expect(manageTakes("profileOverrides", text, "coding-engine:profileOverrides")).toBe(pulumiTakes);
  });

  test("access: token by default (a gateway with a key per caller); open and venue only when chosen", () => {
    expect(parseSettings({}, "contest").access).toEqual({
      mode: "token",
      allowedIpRanges: [],
      gateway: { sku: "Basic", publisherEmail: "coding-engine-ops@example.com", callsPerMinute: 60, jwt: null },
    });
    expect(parseSettings({ gatewayJwtIssuer: "https://login.example.com/", gatewayJwtAudience: "api://ce", gatewaySku: "Developer" }, "contest").access.gateway).toMatchObject({
      sku: "Developer",
      jwt: { issuer: "https://login.example.com/", audience: "api://ce" },
    });
    expect(parseSettings({ accessMode: "open" }, "dev").access).toEqual({ mode: "open", allowedIpRanges: [], gateway: null });
  });

  test("a long stack name is refused with the container app's rule, before anything is declared", () => {
    expect(() => parseSettings({}, "contest-finals-2026-europe")).toThrow(
      /coding-engine:namePrefix gives an invalid name: container app name "codeeng-contestfinals2026europe-backend" is 39 characters; Azure allows 2-32/,
    );
  });

  test("every broken rule is reported at once", () => {
    const message = refusal({ profile: "party", sessionCpu: "9", profileOverrides: '{"contest":{"cooldownSeconds":10}}' });
    expect(message.split("\n").filter((l) => l.startsWith("  - "))).toHaveLength(3);
  });

  test("a bad override of a profile not in use is still refused (it would break contest morning)", () => {
    expect(refusal({ profile: "idle", profileOverrides: '{"contest":{"readySessions":260}}' })).toContain("profileOverrides.contest.readySessions must not exceed maxSessions (200)");
  });

  test("external roles with a pool-scoped executor warn that every restart needs an administrator", () => {
    const s = parseSettings({ profile: "testing", roleAssignmentMode: "external" }, "dev");
    expect(s.warnings.join("\n")).toMatch(/administrator must assign Session Executor again/);
  });
});
