// The operational layer's one formula (infra/operations.ts): what the program runs given the stack
// file, the previous state and manage's request, and when it refuses.
import { describe, expect, test } from "vitest";
import {
  baselineDifferences,
  effectiveConfig,
  OperationsError,
  parseOperationsRequest,
  resolveOperations,
  sameOperation,
  type Operation,
  type OperationsState,
} from "../../infra/operations.js";
import { explainFailure } from "../../cli/pulumi/failures.js";

const NOW = "2026-12-05T08:30:00Z";
const file = { location: "eastus", profile: "idle", backendImage: "coding-engine/backend:v2" };
const contest: Operation = { profile: "contest", overrides: { contest: { maxSessions: 250 } }, expiresAt: "2026-12-05T11:30:00Z", intent: "scale to contest", by: "alice@laptop", at: NOW };
const previous: OperationsState = { ...contest, revision: 4, baseline: { location: "eastus", profile: "idle", backendImage: "coding-engine/backend:v1" }, windows: [] };
const stop: Operation = { profile: "idle", overrides: { contest: { maxSessions: 250 } }, expiresAt: null, intent: "stop", by: "job", at: NOW };

describe("resolveOperations", () => {
  test("the first update of a stack runs the stack file's own profile and expiry", () => {
    const r = resolveOperations({ ...file, profile: "testing", profileExpiresAt: "2026-12-01T00:00:00Z" }, null, null, NOW);
    expect(r.state).toMatchObject({ profile: "testing", expiresAt: "2026-12-01T00:00:00Z", revision: 1, by: "the stack file" });
    expect(r.config.profile).toBe("testing");
  });

  test("a plain `pulumi up` keeps the operation in effect, on the stack file's baseline", () => {
    const r = resolveOperations(file, previous, null, NOW);
    expect(r.state).toMatchObject({ profile: "contest", expiresAt: contest.expiresAt, intent: "scale to contest", revision: 5, baseline: { backendImage: "coding-engine/backend:v2" } });
    // (the baseline is recorded without the values that are Pulumi.yaml defaults, as the file would hold it)
    expect(r.config).toMatchObject({ profile: "contest", profileExpiresAt: contest.expiresAt, backendImage: "coding-engine/backend:v2" });
    expect(JSON.parse(r.config.profileOverrides!)).toEqual({ contest: { maxSessions: 250 } });
  });

  test("a stop runs on the deployed baseline: the file's new image is left for `up`", () => {
    const r = resolveOperations(file, previous, { basedOn: 4, baseline: "deployed", operation: stop }, NOW);
    expect(r.config).toMatchObject({ profile: "idle", backendImage: "coding-engine/backend:v1", profileExpiresAt: "" });
    expect(r.state).toMatchObject({ profile: "idle", revision: 5, baseline: previous.baseline });
    expect(baselineDifferences(previous.baseline, file)).toEqual(["backendImage"]);
  });

  test("a request based on an older revision is refused, naming who changed the stack since", () => {
    const refuse = () => resolveOperations(file, previous, { basedOn: 3, baseline: "file", operation: stop }, NOW);
    expect(refuse).toThrow(OperationsError);
    expect(refuse).toThrow(/the stack changed after manage read it \(revision 3\); it is now at revision 4: "scale to contest" by alice@laptop at 2026-12-05T08:30:00Z\. This update changed nothing/);
    // manage reports it as a race lost, exit 1, with what to run.
    let message = "";
    try {
      refuse();
    } catch (err) {
      message = (err as Error).message;
    }
    const failure = explainFailure({ command: "up", stack: "contest", exitCode: 1, stderr: "", errors: [`Running program failed: ${message}`], policyViolations: [] });
    expect(failure).toMatchObject({ kind: "changed", exitCode: 1 });
    expect(failure.message).toMatch(/^not applied: the stack changed after manage read it .*Nothing was changed, so what you confirmed did not run$/);
  });

  test("a request manage did not write is refused", () => {
    expect(() => parseOperationsRequest("{")).toThrow(/MANAGE_OPERATIONS is not JSON/);
    expect(() => parseOperationsRequest(JSON.stringify({ basedOn: 0, baseline: "file", operation: { ...stop, profile: "turbo" } }))).toThrow(/not a request manage writes/);
  });
});

describe("baselineDifferences", () => {
  test("object values by meaning, whoever wrote them (the file's key order, the engine's sorted JSON)", () => {
    const recorded = { location: "eastus", profileOverrides: '{"contest":{"cooldownSeconds":600,"maxSessions":230}}', gatewayPublisherEmail: "ops@example.com" };
    const file = { location: "eastus", profileOverrides: '{"contest":{"maxSessions":230,"cooldownSeconds":600}}', gatewayPublisherEmail: "ops@example.com" };
    expect(baselineDifferences(recorded, file)).toEqual([]);
    expect(baselineDifferences(recorded, { ...file, profileOverrides: '{"contest":{"maxSessions":240,"cooldownSeconds":600}}' })).toEqual(["profileOverrides"]);
    expect(baselineDifferences(recorded, { ...file, location: "eastus2" })).toEqual(["location"]);
  });
});

describe("effectiveConfig and sameOperation", () => {
  test("the operation's overrides go over the file's, profile by profile", () => {
    const baseline = { profileOverrides: JSON.stringify({ contest: { readySessions: 20, maxSessions: 100 }, testing: { maxSessions: 3 } }) };
    const c = effectiveConfig(baseline, contest);
    expect(JSON.parse(c.profileOverrides!)).toEqual({ contest: { readySessions: 20, maxSessions: 250 }, testing: { maxSessions: 3 } });
  });

  test("same request, who and when aside; empty override maps do not count", () => {
    const later: Operation = { ...stop, by: "bob", at: "2027-01-01T00:00:00Z" };
    expect(sameOperation(stop, later)).toBe(true);
    expect(sameOperation({ ...stop, overrides: {} }, { ...stop, overrides: { idle: {} } })).toBe(true);
    expect(sameOperation(stop, { ...stop, expiresAt: NOW })).toBe(false);
  });
});

test("midnight reads 00:00 in the reader's zone, never 24:00 (hour12: false gives 24 at midnight in some locales)", async () => {
  const { describeExpiry } = await import("../../cli/operations.js");
  const saved = process.env.TZ;
  process.env.TZ = "UTC";
  try {
    expect(describeExpiry(new Date("2026-12-02T00:00:00Z"))).toBe("2026-12-02 00:00 UTC (00:00 UTC local)");
    expect(describeExpiry(new Date("2026-12-02T23:30:00Z"))).toBe("2026-12-02 23:30 UTC (23:30 UTC local)");
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});
