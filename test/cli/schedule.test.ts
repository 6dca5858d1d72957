// Contest day on autopilot, end to end with a controllable clock (MANAGE_NOW): a window recorded with
// `manage schedule`, then only the scheduled command (`manage reconcile`) acting, against a local
// backend that really runs the code (python3, node, g++, java).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployed, devStackOnExecServer, makeProject, manageDecision, names, readState, snapshot } from "../helpers/cli.js";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ExecServer } from "../exec-server/server.js";
import { ARM_TOKEN, startArmServer } from "../arm-server/server.js";

const at = (iso: string) => ({ MANAGE_NOW: iso });
const operations = (project: string) => readState(project, "dev").find((r) => r.type === "pulumi:pulumi:Stack")!.outputs.operations as Record<string, any>;

describe("manage schedule and manage reconcile", () => {
  let exec: ExecServer;
  let project: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ exec, project, env } = await devStackOnExecServer());
    // Deployed and resting idle, as the committed dev stack does.
    expect((await manageDecision(["up"], { project, env: { ...env, ...at("2026-12-05T06:00:00Z") } })).exitCode).toBe(0);
  });
  afterAll(() => exec.close());

  test("a window two hours ahead is not started early, runs code inside its warm-up, and is idle 15 minutes after its end", async () => {
    const scheduled = await manageDecision(["schedule", "--profile", "testing", "--at", "2026-12-05T09:00:00Z", "--for", "2h", "--warmup", "30m"], { project, env: { ...env, ...at("2026-12-05T07:00:00Z") } });
    expect(scheduled.exitCode).toBe(0);
    expect(scheduled.stdout).toMatch(/Scheduled w-20261205-0900 on dev: testing, 2026-12-05 09:00 UTC \(.* local\) to 2026-12-05 11:00 UTC \(.* local\), warm-up from 2026-12-05 08:30 UTC/);
    const listed = await manageDecision(["schedule", "--list"], { project, env });
    expect(listed.stdout).toMatch(/w-20261205-0900 +testing: 2026-12-05 09:00 UTC \(.* local\) to 2026-12-05 11:00 UTC/);
    // Recording a window changes nothing in Azure.
    expect(names(readState(project, "dev"))).not.toContain("session-pool");

    const reconcile = (now: string) => manageDecision(["reconcile", "--yes", "--json", "--wait-timeout", "2m"], { project, env: { ...env, ...at(now) } });
    const action = (r: { stdout: string }) => JSON.parse(r.stdout).actions.find((a: { stack: string }) => a.stack === "dev");

    // Two hours ahead: nothing, and it says what is next.
    const early = await reconcile("2026-12-05T07:00:00Z");
    expect(early.exitCode).toBe(0);
    expect(action(early)).toMatchObject({ decision: "not-started", window: { id: "w-20261205-0900" } });
    expect(names(readState(project, "dev"))).not.toContain("session-pool");

    // An edit of the stack file not applied yet: the job, which runs without the contest stack's
    // reviewers (docs/ci.md), starts the window on what was deployed and leaves the edit for `up`.
    const later = await manageDecision(["schedule", "--profile", "testing", "--at", "2026-12-05T14:00:00Z", "--for", "1h"], { project, env: { ...env, ...at("2026-12-05T08:00:00Z") } });
    expect(later.exitCode, later.stderr).toBe(0);
    const file = join(project, "Pulumi.dev.yaml");
    const committed = readFileSync(file, "utf8");
    writeFileSync(file, committed.replace("config:\n", 'config:\n  coding-engine:logRetentionDays: "90"\n'));
    // A window is not recorded while the file differs from what runs (it would be checked against one
    // and started on the other); cancelling one leaves the edit too (no confirmation shows it).
    const pendingRefused = await manageDecision(["schedule", "--profile", "testing", "--at", "2026-12-05T16:00:00Z", "--for", "1h"], { project, env: { ...env, ...at("2026-12-05T08:05:00Z") } });
    expect(pendingRefused.exitCode).toBe(2);
    expect(pendingRefused.stderr).toContain("Pulumi.dev.yaml differs from what runs on dev (logRetentionDays): the window is checked against the file but the scheduled job starts it on what is deployed. Nothing was changed");
    expect(pendingRefused.stderr).toContain("Fix: apply the file first with `manage up --stack dev` (or undo the edit), then schedule");

    // Inside the warm-up: started, the readiness gate passed, and smoke proved every language runs.
    const before = exec.executions.python ?? 0;
    const warm = await reconcile("2026-12-05T08:31:00Z");
    expect(warm.exitCode, warm.stdout + warm.stderr).toBe(0);
    expect(action(warm)).toMatchObject({ decision: "start", outcome: "started", smoke: { failed: 0 } });
    expect(operations(project).baseline.logRetentionDays).toBeUndefined();
    // status says what runs, and names the edit as pending.
    const status = await manageDecision(["status"], { project, env: { ...env, ...at("2026-12-05T08:35:00Z") } });
    expect(status.stdout).toContain("Pending:       Pulumi.dev.yaml differs from what runs (logRetentionDays): `manage up --stack dev` applies it");
    expect((await manageDecision(["schedule", "--cancel", "w-20261205-1400"], { project, env: { ...env, ...at("2026-12-05T08:40:00Z") } })).exitCode).toBe(0);
    expect(operations(project).baseline.logRetentionDays).toBeUndefined();
    writeFileSync(file, committed);
    expect(action(warm).smoke.passed).toBeGreaterThan(5);
    expect(exec.executions.python).toBeGreaterThan(before);
    expect(names(readState(project, "dev"))).toContain("session-pool");
    expect(operations(project)).toMatchObject({ profile: "testing", window: "w-20261205-0900", expiresAt: "2026-12-05T11:00:00Z" });

    // During the window: left as it is, nothing applied (the revision stays).
    const revision = operations(project).revision;
    const during = await manageDecision(["reconcile", "--yes"], { project, env: { ...env, ...at("2026-12-05T10:00:00Z") } });
    expect(during.stdout).toMatch(/dev: window w-20261205-0900 .*: running as scheduled/);
    expect(operations(project).revision).toBe(revision);

    // 15 minutes after its end: idle; the window stays on record with when it really ran.
    const after = await reconcile("2026-12-05T11:15:00Z");
    expect(after.exitCode).toBe(0);
    expect(action(after)).toMatchObject({ decision: "stop", why: "window-ended", outcome: "stopped" });
    expect(names(readState(project, "dev"))).not.toContain("session-pool");
    expect(operations(project)).toMatchObject({
      profile: "idle",
      windows: [expect.objectContaining({ id: "w-20261205-0900", startedAt: "2026-12-05T08:31:00Z", stoppedAt: "2026-12-05T11:15:00Z" })],
    });
    expect(action(await reconcile("2026-12-05T11:20:00Z"))).toMatchObject({ decision: "leave", why: "already-idle" });

    // The bill after: spend --window measures exactly the hours the window ran, at its profile.
    const arm = await startArmServer();
    try {
      const spend = await manageDecision(["spend", "--window", "w-20261205-0900", "--json"], {
        project,
        env: { ...at("2026-12-06T12:00:00Z"), MANAGE_ARM_ENDPOINT: arm.url, MANAGE_ARM_TOKEN: ARM_TOKEN, NODE_EXTRA_CA_CERTS: arm.caFile, AZURE_SUBSCRIPTION_ID: "11111111-2222-4333-8444-555555555555" },
      });
      expect(spend.exitCode).toBe(0);
      expect(JSON.parse(spend.stdout)).toMatchObject({
        period: { from: "2026-12-05T08:31:00.000Z", to: "2026-12-05T11:15:00.000Z" },
        profiles: [{ profile: "testing", hours: expect.closeTo(2.733, 2) }],
      });
      // And the report of the same window, with the scheduled job's smoke run in it.
      const report = await manageDecision(["report", "--window", "w-20261205-0900", "--json"], {
        project,
        env: { ...at("2026-12-06T12:00:00Z"), MANAGE_ARM_ENDPOINT: arm.url, MANAGE_ARM_TOKEN: ARM_TOKEN, NODE_EXTRA_CA_CERTS: arm.caFile, AZURE_SUBSCRIPTION_ID: "11111111-2222-4333-8444-555555555555" },
      });
      expect(report.exitCode, report.stderr).toBe(0);
      const doc = JSON.parse(report.stdout);
      expect(doc.period).toMatchObject({ from: "2026-12-05T08:31:00.000Z", to: "2026-12-05T11:15:00.000Z" });
      expect(JSON.stringify(doc)).toContain('"command":"smoke"');
    } finally {
      await arm.close();
    }
  });

  test("past and overlapping windows are refused (exit 2, nothing recorded); --cancel removes one", async () => {
    const now = { ...env, ...at("2026-12-06T07:00:00Z") };
    expect((await manageDecision(["schedule", "--profile", "testing", "--at", "2026-12-06T12:00:00Z", "--for", "2h"], { project, env: now })).exitCode).toBe(0);
    const files = snapshot(project);
    const state = JSON.stringify(readState(project, "dev"));

    const past = await manageDecision(["schedule", "--profile", "testing", "--at", "2026-12-06T06:00:00Z", "--for", "1h"], { project, env: now });
    expect(past.exitCode).toBe(2);
    expect(past.stderr).toMatch(/manage: --at 2026-12-06T06:00:00Z is in the past \(now 2026-12-06T07:00:00Z\)/);
    // Its warm-up (13:30) falls inside the first window (12:00 to 14:00).
    const overlap = await manageDecision(["schedule", "--profile", "testing", "--at", "2026-12-06T14:00+00:00", "--for", "1h"], { project, env: now });
    expect(overlap.exitCode).toBe(2);
    expect(overlap.stderr).toMatch(/overlaps window w-20261206-1200 \(2026-12-06T11:30:00Z to 2026-12-06T14:00:00Z\)[\s\S]*Fix: choose another --at or --for, or cancel it first: `manage schedule --stack dev --cancel w-20261206-1200`/);
    const idle = await manageDecision(["schedule", "--profile", "idle", "--at", "2026-12-07T12:00:00Z", "--for", "1h"], { project, env: now });
    expect(idle.exitCode).toBe(2);
    expect(idle.stderr).toContain("--profile idle has no session pool");
    // 300 participants size the contest pool past the stack's $500/day ceiling.
    const costly = await manageDecision(["schedule", "--profile", "contest", "--users", "300", "--at", "2026-12-07T12:00:00Z", "--for", "1h"], { project, env: now });
    expect(costly.exitCode).toBe(2);
    expect(costly.stderr).toMatch(
      /manage: the window \(contest for 300 participants, as the scheduled job will start it\) can cost at most \$[\d,.]+\/day .*above stack dev's cost ceiling of \$500\.00\/day \(costCeilingPerDay\)\. Lower the sizes, raise costCeilingPerDay in Pulumi\.dev\.yaml, or schedule it for fewer participants \(--users\)\. Nothing was changed\./,
    );
    expect(snapshot(project)).toEqual(files);
    expect(JSON.stringify(readState(project, "dev"))).toBe(state);

    const cancelled = await manageDecision(["schedule", "--cancel", "w-20261206-1200"], { project, env: now });
    expect(cancelled.exitCode).toBe(0);
    expect(operations(project).windows.map((w: { id: string }) => w.id)).not.toContain("w-20261206-1200");
    expect((await manageDecision(["schedule", "--cancel", "w-20261206-1200"], { project, env: now })).stderr).toMatch(/no window w-20261206-1200 on dev \(windows: w-20261205-0900\)/);
  });
});

test("a change that would make a scheduled window cost more than the ceiling is refused, naming the window; --allow-over-ceiling goes ahead with a warning", async () => {
  // dev at rest (idle), ceiling $500/day; the suite's clock is 2026-11-23 09:00 UTC (rehearsal on).
  const project = makeProject();
  await deployed(project, "dev after up");
  const scheduled = await manageDecision(["schedule", "--stack", "dev", "--profile", "contest", "--at", "2026-11-23T10:00Z", "--for", "1h"], { project });
  expect(scheduled.exitCode, scheduled.stderr).toBe(0);
  // Sized for 400 participants the window's contest pool is above the ceiling; the idle stack is not.
  const file = join(project, "Pulumi.dev.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace("config:\n", 'config:\n  coding-engine:participants: "400"\n'));
  const files = snapshot(project);
  const revision = operations(project).revision;
  const refused = await manageDecision(["up", "--stack", "dev", "--yes"], { project });
  expect(refused.exitCode).toBe(2);
  expect(refused.stderr).toMatch(/with this change, window w-20261123-1000 \(starts 2026-11-23T10:00:00Z, contest\) can cost at most \$[\d,.]+\/day .*above stack dev's cost ceiling .*`manage schedule --stack dev --cancel w-20261123-1000`.*or pass --allow-over-ceiling\. Nothing was changed\./);
  expect(snapshot(project)).toEqual(files);
  expect(operations(project).revision).toBe(revision);
  // Knowingly: it goes ahead, saying which window the scheduled job will refuse to start.
  const allowed = await manageDecision(["up", "--stack", "dev", "--yes", "--allow-over-ceiling"], { project });
  expect(allowed.exitCode, allowed.stderr).toBe(0);
  expect(allowed.stderr).toMatch(/warning: with this change, window w-20261123-1000 \(starts 2026-11-23T10:00:00Z, contest\) can cost .*the scheduled job will refuse to start it\. Going ahead \(--allow-over-ceiling\)/);
});
