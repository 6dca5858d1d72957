// manage enforce-expiry: expired stacks go back to idle, everything else is left alone, a dry run
// changes nothing, and a failure is reported with a non-zero exit.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, test } from "vitest";
import { decide } from "../../cli/commands/enforce-expiry.js";
import { deployed, makeProject, manage, names, readState, snapshot } from "../helpers/cli.js";

let project: string;
beforeEach(() => {
  project = makeProject();
});

function setExpiry(stack: string, iso: string) {
  const file = join(project, `Pulumi.${stack}.yaml`);
  writeFileSync(file, readFileSync(file, "utf8").replace(/profileExpiresAt: .*/, `profileExpiresAt: "${iso}"`));
}

/** The contest stack after `manage scale --stack contest --profile contest --for 3h` (the global setup's). */
const contestRunningWithExpiry = () => deployed(project, "contest scaled to contest for 3h");

describe("enforce-expiry", () => {
  test("decides per stack: expired, not expired, no expiry, already idle", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    expect(decide("contest", new Date("2026-11-22T11:59:59Z"), now)).toBe("stop");
    expect(decide("contest", new Date("2026-11-22T12:00:01Z"), now)).toBe("not-expired");
    expect(decide("testing", null, now)).toBe("no-expiry");
    expect(decide("idle", new Date("2026-01-01T00:00:00Z"), now)).toBe("already-idle");
  });

  test("an expired stack returns to idle; an unexpired one and one without expiry are left alone; idempotent", async () => {
    await contestRunningWithExpiry();
    setExpiry("contest", "2026-01-01T00:00:00Z");
    await deployed(project, "dev scaled to testing");

    const r = await manage(["enforce-expiry", "--yes", "--json"], { project });
    expect(r.exitCode).toBe(0);
    const log = JSON.parse(r.stdout);
    expect(log.actions).toEqual([
      expect.objectContaining({ stack: "contest", decision: "stop", outcome: "stopped" }),
      expect.objectContaining({ stack: "dev", decision: "no-expiry" }),
    ]);
    expect(names(readState(project, "contest"))).not.toContain("session-pool");
    expect(names(readState(project, "dev"))).toContain("session-pool");

    const again = await manage(["enforce-expiry", "--yes"], { project });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("contest: idle: nothing to do");
  });

  test("not expired yet: nothing happens", async () => {
    await contestRunningWithExpiry();
    const r = await manage(["enforce-expiry", "--yes", "--stack", "contest"], { project });
    expect(r.stdout).toMatch(/contest: not expired yet: left as it is \(expiry .* UTC/);
    expect(names(readState(project, "contest"))).toContain("session-pool");
  });

  test("--dry-run says what it would stop and changes nothing", async () => {
    await contestRunningWithExpiry();
    setExpiry("contest", "2026-01-01T00:00:00Z");
    const files = snapshot(project);
    const state = JSON.stringify(readState(project, "contest"));
    const r = await manage(["enforce-expiry", "--dry-run"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("contest: expired: would return to idle (dry run, nothing changed)");
    expect(snapshot(project)).toEqual(files);
    expect(JSON.stringify(readState(project, "contest"))).toBe(state);
  });

  test("a stop that fails is reported, with a non-zero exit", async () => {
    await contestRunningWithExpiry();
    setExpiry("contest", "2026-01-01T00:00:00Z");
    const r = await manage(["enforce-expiry", "--yes"], { project, env: { FAKE_PULUMI_FAIL: "session-pool" } });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/contest: expired, but the stop FAILED: pulumi up of contest failed: Status=400/);
    expect(r.stderr).toContain("expired stack(s) not returned to idle: contest");
  });

  test("a broken neighbour stack file is reported, and does not keep the other stacks from returning to idle", async () => {
    await contestRunningWithExpiry();
    setExpiry("contest", "2026-01-01T00:00:00Z");
    writeFileSync(join(project, "Pulumi.broken.yaml"), "config:\n  coding-engine:location: eastus\n    bad: indentation\n");
    const r = await manage(["enforce-expiry", "--yes", "--json"], { project });
    expect(r.exitCode).toBe(1);
    const log = JSON.parse(r.stdout);
    expect(log.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stack: "broken", decision: "unreadable", outcome: "failed" }),
        expect.objectContaining({ stack: "contest", decision: "stop", outcome: "stopped" }),
      ]),
    );
    expect(r.stderr).toContain("stack file(s) that cannot be read: broken");
    expect(readState(project, "contest").some((r) => r.urn.endsWith("::session-pool"))).toBe(false);
  });
});
