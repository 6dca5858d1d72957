// A window's sizing applies to that window only, as status shows it (issue 22: "a window's sizing
// (--users 220) outlives the window, and status then says 'sized for 200'"). End to end with the
// clock under control (MANAGE_NOW): `manage schedule --users 220`, the scheduled job (`manage
// reconcile`) starting and stopping the window against the backend that runs code, then an
// operator's own `scale --profile contest`, and `manage status` through the CLI at each step.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { devStackOnExecServer, manageDecision } from "../helpers/cli.js";
import type { ExecServer } from "../exec-server/server.js";
import { ARM_TOKEN, startArmServer, type ArmServer } from "../arm-server/server.js";

describe("a window sized for 220 participants", () => {
  let exec: ExecServer;
  let arm: ArmServer;
  let project: string;
  let env: Record<string, string>;
  const at = (now: string) => ({ ...env, MANAGE_NOW: now });
  // Status reads Azure too: the local ARM server (empty: status names what it cannot see and goes on).
  const status = async (now: string) => {
    const r = await manageDecision(["status"], { project, env: { ...at(now), MANAGE_ARM_ENDPOINT: arm.url, MANAGE_ARM_TOKEN: ARM_TOKEN, NODE_EXTRA_CA_CERTS: arm.caFile } });
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout.split("\n")[0]!;
  };
  beforeAll(async () => {
    ({ exec, project, env } = await devStackOnExecServer());
    arm = await startArmServer();
    expect((await manageDecision(["up"], { project, env: at("2026-12-05T06:00:00Z") })).exitCode).toBe(0);
  });
  afterAll(async () => {
    await exec.close();
    await arm.close();
  });

  test("runs at its sizing during the window; after it, an operator's contest is the profile's own, sized for 200", async () => {
    const scheduled = await manageDecision(["schedule", "--profile", "contest", "--users", "220", "--at", "2026-12-05T09:00:00Z", "--for", "1h", "--warmup", "30m"], { project, env: at("2026-12-05T07:00:00Z") });
    expect(scheduled.exitCode, scheduled.stderr).toBe(0);
    const reconcile = (now: string) => manageDecision(["reconcile", "--yes", "--json", "--wait-timeout", "2m"], { project, env: at(now) });
    const action = (r: { stdout: string }) => JSON.parse(r.stdout).actions.find((a: { stack: string }) => a.stack === "dev");

    expect(action(await reconcile("2026-12-05T08:31:00Z"))).toMatchObject({ decision: "start", outcome: "started" });
    // During the window: the pool is sized for its 220, and status does not call that the profile's 200.
    const during = await status("2026-12-05T09:30:00Z");
    const [, max] = /^Stack dev: profile contest \(max (\d+), ready \d+/.exec(during) ?? [];
    expect(Number(max), during).toBeGreaterThan(200);
    expect(during).not.toContain("sized for 200");

    expect(action(await reconcile("2026-12-05T10:15:00Z"))).toMatchObject({ decision: "stop", why: "window-ended", outcome: "stopped" });
    expect(await status("2026-12-05T10:20:00Z")).toMatch(/^Stack dev: profile idle/);

    // After the window, a person runs the contest profile: the window's sizing is gone with it.
    const scale = await manageDecision(["scale", "--no-wait", "--profile", "contest"], { project, env: at("2026-12-05T10:30:00Z") });
    expect(scale.exitCode, scale.stderr).toBe(0);
    expect(await status("2026-12-05T10:31:00Z")).toBe("Stack dev: profile contest (max 200, ready 52, cooldown 300 s, sized for 200 participants; backend 1-10 replicas)");
  });
});
