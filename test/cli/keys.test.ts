// `manage keys`: the participants' keys are a list kept in the stack's state (infra/callers.ts), and
// every issue or revoke is a read of that list, an edit, and an update. What a person would notice:
// a revoked key is gone from the list and from what the gateway would take; and two people handing
// out keys at once never lose one of them. Each issue or revoke is a whole update of the stack
// through the stand-ins; a test that makes three or four of them has a minute.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { makeProject, manageDecision, prepare, readState, spawnManage } from "../helpers/cli.js";

const keysOf = async (project: string) => {
  const r = await manageDecision(["keys", "list", "--stack", "contest", "--json", "--show-keys"], { project });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Array<{ name: string; key: string }>;
};

describe("manage keys", () => {
  test("revoke: the key leaves the list, the others stay as they were; an unknown name is refused", async () => {
    const project = makeProject();
    await prepare(project, "contest");
    const issue = async (name: string) => {
      const r = await manageDecision(["keys", "issue", "--stack", "contest", "--name", name, "--json"], { project });
      expect(r.exitCode, r.stderr).toBe(0);
      return JSON.parse(r.stdout).key as string;
    };
    const a = await issue("team-a");
    const b = await issue("team-b");
    expect(await keysOf(project)).toEqual([expect.objectContaining({ name: "team-a", key: a }), expect.objectContaining({ name: "team-b", key: b })]);

    const revoked = await manageDecision(["keys", "revoke", "--stack", "contest", "--name", "team-a"], { project });
    expect(revoked.exitCode, revoked.stderr).toBe(0);
    // Idle: no gateway runs, so the next window's gateway is the one that refuses it.
    expect(revoked.stdout).toContain("Revoked the key of team-a on contest; no gateway runs now (idle): the next window's gateway refuses it.");
    expect(await keysOf(project)).toEqual([expect.objectContaining({ name: "team-b", key: b })]);

    const unknown = await manageDecision(["keys", "revoke", "--stack", "contest", "--name", "team-a"], { project });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("no key named team-a on contest (keys: team-b)");
  });

  test("an edited local stack file is not applied by a key: only the keys change, and the edit is left for `manage up`, said", async () => {
    const project = makeProject();
    await prepare(project, "contest");
    const up = await manageDecision(["up", "--stack", "contest"], { project });
    expect(up.exitCode, up.stderr).toBe(0);
    const before = readState(project, "contest").find((r) => r.urn.endsWith("::session-executor"));
    expect(before).toBeDefined();
    // An uncommitted edit that would replace a role assignment if applied.
    const file = join(project, "Pulumi.contest.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/sessionExecutorScope: \w+/, "sessionExecutorScope: pool"));
    const r = await manageDecision(["keys", "issue", "--stack", "contest", "--name", "team-a"], { project });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Pulumi\.contest\.yaml differs from what runs \(sessionExecutorScope\): left for `manage up --stack contest`/);
    expect(r.stdout).not.toMatch(/delete|replace/);
    expect(readState(project, "contest").find((r) => r.urn.endsWith("::session-executor"))).toEqual(before);
    expect((await keysOf(project)).map((k) => k.name)).toEqual(["team-a"]);
  });

  test("two issues at once: the one whose read was overtaken is refused and says to run again; no key is lost", async () => {
    const project = makeProject();
    await prepare(project, "contest");
    // team-a's manage reads the list (empty) and is held there by the stand-in...
    const hold = join(project, "hold");
    const first = spawnManage(["keys", "issue", "--stack", "contest", "--name", "team-a", "--json"], project, { FAKE_PULUMI_HOLD: hold });
    // (wait for the event: the stand-in says it has read the state)
    while (!existsSync(join(hold, "held"))) await new Promise((r) => setTimeout(r, 20));
    // ...while team-b's key is issued and recorded.
    const second = await manageDecision(["keys", "issue", "--stack", "contest", "--name", "team-b", "--json"], { project });
    expect(second.exitCode, second.stderr).toBe(0);
    const b = JSON.parse(second.stdout).key as string;
    mkdirSync(hold, { recursive: true });
    writeFileSync(join(hold, "release"), "");
    const overtaken = await first;
    // Its list had no team-b: applied, it would have revoked team-b's key without anyone asking.
    expect(overtaken.exitCode, overtaken.stdout + overtaken.stderr).toBe(1);
    expect(overtaken.stderr).toMatch(/the stack changed after manage read it[\s\S]*run the command again/);
    expect(await keysOf(project)).toEqual([expect.objectContaining({ name: "team-b", key: b })]);
    // Run again, as it says: both keys.
    const again = await manageDecision(["keys", "issue", "--stack", "contest", "--name", "team-a", "--json"], { project });
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await keysOf(project)).map((k) => k.name)).toEqual(["team-b", "team-a"]);
  });
});
