// The change path held against the faults of issue 21 (item 6), end to end with the built binary and
// the stand-in for pulumi: a stack file edited between preview and update, a refused change and an
// edit saved meanwhile, a truncated checkpoint, an update killed mid-way and the scheduled job after
// it, a rehearsal clock. Each test leaves the truth intact and says how to settle it.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, truncateSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { deployed, expectRefusal, FAKE_AZ_BIN, FAKE_PULUMI_BIN, makeProject, manageDecision, names, readState, spawnManage } from "../helpers/cli.js";

const stackYaml = (project: string) => readFileSync(join(project, "Pulumi.dev.yaml"), "utf8");
const operations = (project: string) => readState(project, "dev").find((r) => r.type === "pulumi:pulumi:Stack")?.outputs.operations;

/**
 * A `pulumi` first on PATH that edits the stack file (backend:v1 -> backend:v2) around one call of
 * the stand-in: right after the preview ends, or just before the update starts (after every check
 * manage makes itself). The person saving an edit at the worst moment, made deterministic.
 */
function editingPulumi(project: string, when: "after-preview" | "before-up"): string {
  const dir = mkdtempSync(join(tmpdir(), "editing-pulumi-"));
  const file = join(project, "Pulumi.dev.yaml");
  const edit = `sed -i 's#coding-engine/backend:v1#coding-engine/backend:v2#' '${file}'`;
  writeFileSync(
    join(dir, "pulumi"),
    [
      "#!/bin/sh",
      when === "before-up" ? `[ "$1" = up ] && ${edit}` : "",
      `'${join(FAKE_PULUMI_BIN, "pulumi")}' "$@"`,
      "code=$?",
      when === "after-preview" ? `[ "$1" = preview ] && ${edit}` : "",
      "exit $code",
    ].join("\n"),
  );
  chmodSync(join(dir, "pulumi"), 0o755);
  return `${dir}:${FAKE_PULUMI_BIN}:${FAKE_AZ_BIN}:${process.env.PATH}`;
}

describe.concurrent("a confirmation covers exactly what is applied", () => {
  test.each(["after-preview", "before-up"] as const)("the stack file edited %s: not applied, the file named, run again", async (when) => {
    const project = makeProject();
    await deployed(project, "dev after up");
    const before = operations(project);
    const r = await manageDecision(["scale", "--no-wait", "--profile", "testing"], { project, path: editingPulumi(project, when) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/not applied: .*Pulumi\.dev\.yaml (changed after the preview|was edited after it was previewed)/);
    expect(r.stderr).toMatch(/run the command again/);
    expect(r.stdout).not.toContain("Done");
    // Nothing applied: the state is as it was (no pool, the same operation); the edit is still in the file.
    expect(operations(project)).toEqual(before);
    expect(names(readState(project, "dev"))).not.toContain("session-pool");
    expect(stackYaml(project)).toContain("coding-engine/backend:v2");
    // Run again: the new plan, with the edit in it, is what runs (the image is not in the
    // registry: refused before pulumi changes anything, naming it).
    const again = await manageDecision(["scale", "--no-wait", "--profile", "testing"], { project });
    expect(again.stderr).toContain("coding-engine/backend:v2");
  });

  test("a refused change (no terminal to confirm a deletion) never overwrites an edit saved since it began", async () => {
    const project = makeProject();
    await deployed(project, "dev scaled to testing");
    const r = await manageDecision(["stop"], { project, path: editingPulumi(project, "after-preview") });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("there is no terminal to ask at: pass --yes");
    // The person's edit, saved while manage previewed, is still there.
    expect(stackYaml(project)).toContain("coding-engine/backend:v2");
    expect(names(readState(project, "dev"))).toContain("session-pool");
  });
});

test.concurrent("a truncated checkpoint: status says unknown (exit 1) with the recovery, never idle", async () => {
  const project = makeProject();
  await deployed(project, "dev scaled to testing");
  const checkpoint = join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "dev.json");
  truncateSync(checkpoint, Math.floor(statSync(checkpoint).size / 2));
  const r = await manageDecision(["status", "--json"], { project });
  expect(r.exitCode).toBe(1);
  const doc = JSON.parse(r.stdout) as { profile: string; error: { message: string; fix: string } };
  expect(doc.profile).toBe("unknown");
  expect(doc.error.message).toMatch(/the state of dev cannot be read, so what runs is unknown/);
  expect(doc.error.fix).toContain("`manage pulumi -- stack history --stack dev`");
  expect(doc.error.fix).toContain("`manage pulumi -- stack import --stack dev --file <state.json>`");
  const text = await manageDecision(["status"], { project });
  expect(text.exitCode).toBe(1);
  expect(text.stdout).toContain("Stack dev: profile unknown");
  expect(text.stdout).not.toMatch(/profile idle/);
});

/**
 * `manage scale --profile contest` on the dev stack killed (manage and its pulumi, SIGKILL, as a
 * closed laptop) once the pool is in the state and the next step is in flight: the lock and a
 * pending operation stay, the state's operation is still the one before. The lock's content is returned.
 */
async function killedMidScale(project: string) {
  await deployed(project, "dev after up");
  const child = spawnManage(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "70"], project, { FAKE_PULUMI_STEP_DELAY_MS: "2000" });
  const locks = join(project, ".pulumi-state", ".pulumi", "locks", "organization", "coding-engine", "dev");
  // The pool's create done: a resource of the checkpoint, not only its pending "creating" operation,
  // which the engine checkpoints when the step begins (the stand-in does too, with a step delay), so
  // the checkpoint names the pool before it exists. The checkpoint is replaced whole (a rename), never half read.
  for (let i = 0; i < 800 && !names(readState(project, "dev")).includes("session-pool"); i++) await new Promise((r) => setTimeout(r, 25));
  const holder = JSON.parse(readFileSync(join(locks, readdirSync(locks)[0]!), "utf8")) as { pid: number; username: string; hostname: string; timestamp: string };
  process.kill(holder.pid, "SIGKILL");
  child.kill("SIGKILL");
  await child;
  expect(names(readState(project, "dev"))).toContain("session-pool");
  return holder;
}

describe.concurrent("an update killed mid-scale", () => {
  test("status names the lock (who, since when) and the commands that settle it; the scheduled job leaves the stack alone", async () => {
    const project = makeProject();
    const holder = await killedMidScale(project);
    const status = await manageDecision(["status"], { project });
    expect(status.stderr).toContain(`a change to dev has not finished: the stack is locked by ${holder.username}@${holder.hostname} (pid ${holder.pid}) since ${holder.timestamp}`);
    expect(status.stderr).not.toContain("an earlier stop");
    expect(status.stdout).toContain("`manage pulumi -- cancel --stack dev --yes` (removes the lock), then `manage pulumi -- refresh --stack dev --yes --clear-pending-creates`");
    const job = await manageDecision(["reconcile", "--stack", "dev", "--json"], { project });
    // The lock is minutes old: as far as the job can tell the change still runs. Left for the next run, green.
    expect(job.exitCode).toBe(0);
    expect(JSON.parse(job.stdout).actions).toEqual([expect.objectContaining({ stack: "dev", decision: "leave", why: "interrupted", outcome: "busy" })]);
    expect(names(readState(project, "dev"))).toContain("session-pool");
  });

  test("once recovered (lock removed, pending settled), the job still never removes the pool the person was bringing up", async () => {
    const project = makeProject();
    await killedMidScale(project);
    expect((await manageDecision(["pulumi", "--", "cancel", "--stack", "dev", "--yes"], { project })).exitCode).toBe(0);
    // The settle command status gives: without a terminal a plain refresh keeps a killed create pending.
    expect((await manageDecision(["pulumi", "--", "refresh", "--stack", "dev", "--yes", "--clear-pending-creates"], { project })).exitCode).toBe(0);
    const job = await manageDecision(["reconcile"], { project });
    expect(job.exitCode).toBe(0);
    expect(job.stdout).toContain("dev: idle, but a session pool is deployed that no recorded change explains");
    expect(names(readState(project, "dev"))).toContain("session-pool");
    // Running the change again finishes what the person started.
    const rerun = await manageDecision(["scale", "--no-wait", "--profile", "contest", "--max-sessions", "70"], { project });
    expect(rerun.exitCode).toBe(0);
    expect(operations(project).profile).toBe("contest");
  });
});

describe.concurrent("MANAGE_NOW changes the cloud only as an explicit rehearsal", () => {
  const yearAhead = "2027-12-01T09:00:00Z";

  test("a change on it without MANAGE_REHEARSAL=1, or in a workflow run, is refused before anything; a read is not", async () => {
    const project = makeProject();
    await expectRefusal(
      project,
      ["scale", "--no-wait", "--profile", "contest", "--for", "3h"],
      /MANAGE_NOW=2027-12-01T09:00:00Z is \d+ d( \d+ h)?( \d+ min)? ahead of the real clock, and this change would record its times \(expiry, when it was asked\) by it\. Nothing was changed\n  Fix: unset MANAGE_NOW to change the stack on the real clock, or set MANAGE_REHEARSAL=1/,
      { MANAGE_NOW: yearAhead, MANAGE_REHEARSAL: "" },
    );
    await expectRefusal(project, ["stop"], /MANAGE_NOW=2027-12-01T09:00:00Z is set in a workflow run: a workflow decides and changes stacks on the real clock only\. Nothing was read or changed\n  Fix: remove MANAGE_NOW from the workflow's environment/, {
      MANAGE_NOW: yearAhead,
      MANAGE_REHEARSAL: "1",
      GITHUB_ACTIONS: "true",
    });
    const plan = await manageDecision(["plan", "--stack", "contest", "--from", "idle", "--to", "contest"], { project, env: { MANAGE_NOW: yearAhead, MANAGE_REHEARSAL: "" } });
    expect(plan.exitCode).toBe(0);
  });

  test("with MANAGE_REHEARSAL=1 it goes ahead, saying how far the clock is from the real one", async () => {
    const project = makeProject();
    await deployed(project, "dev after up");
    const r = await manageDecision(["scale", "--no-wait", "--profile", "testing", "--for", "3h"], { project, env: { MANAGE_NOW: yearAhead } });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/warning: rehearsal clock: MANAGE_NOW=2027-12-01T09:00:00Z is \d+ d.* ahead of the real clock \(MANAGE_REHEARSAL=1\); this change records its times by it/);
    expect(operations(project).expiresAt).toBe("2027-12-01T12:00:00Z");
  });
});
