// What a real pulumi would do to manage's changes, end to end through the stand-in: the policy pack
// on every change, protected resources, replacements that need a confirmation, and Ctrl-C.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { deployed, makeProject, manageDecision, manageEnv, prepare, readState, snapshot, spawnManage } from "../helpers/cli.js";

// Every test has a project directory of its own, so the tests of this file run side by side.
const stackFile = (project: string) => join(project, "Pulumi.dev.yaml");
const edit = (project: string, from: string, to: string) => writeFileSync(stackFile(project), readFileSync(stackFile(project), "utf8").replace(from, to));
const state = (project: string) => JSON.stringify(readState(project, "dev"));

describe.concurrent("policies on every change", () => {
  test("a mandatory violation (session egress) stops manage scale before anything is touched: exit 2, the policy's words", async () => {
    const project = makeProject();
    await prepare(project);
    edit(project, "coding-engine:profile: idle", "coding-engine:profile: idle\n  coding-engine:allowSessionEgress: true");
    const files = snapshot(project);
    const before = state(project);
    const r = await manageDecision(["scale", "--no-wait", "--profile", "contest", "--yes"], { project });
    expect(r.exitCode).toBe(2);
    // The policy's own words about this pool, right after its name: the @pulumi/policy server's
    // leading description line (the same for every resource) is not repeated by manage.
    expect(r.stderr).toMatch(/^manage: a mandatory policy refused the change: \[session-pool-egress-disabled\] session pool session-pool allows egress \(EgressEnabled\)\. Fix: set allowSessionEgress false/m);
    expect(r.stderr).not.toContain("Session pools keep egress disabled: contestants' code must not reach the internet");
    expect(snapshot(project)).toEqual(files);
    expect(state(project)).toBe(before);
  });
});

describe.concurrent("replacements", () => {
  test("renaming namePrefix: the preview shows everything it recreates; the protected identity makes it a refusal, nothing changed", async () => {
    const project = makeProject();
    await prepare(project);
    await deployed(project, "dev scaled to testing");
    edit(project, "namePrefix: codeeng", "namePrefix: codeng");
    const before = state(project);
    const r = await manageDecision(["up", "--yes"], { project });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toContain("dev: apply the stack as configured: refused; the preview says it would");
    expect(r.stdout).toContain("+- replace identity (managedidentity:UserAssignedIdentity): resourceName changed, so Azure recreates it");
    expect(r.stdout).toContain("+- replace session-pool (app:ContainerAppsSessionPool): environmentId, sessionPoolName changed, so Azure recreates it");
    expect(r.stderr).toContain("manage: this change would replace identity, which is protected");
    expect(r.stderr).toContain("undo the change in Pulumi.dev.yaml");
    expect(state(project)).toBe(before);
  });

  test("flipping createResourceGroup to false on a deployed stack would delete the protected group: refused, group intact", async () => {
    const project = makeProject();
    await prepare(project);
    await deployed(project, "dev after up");
    edit(project, "coding-engine:profile: idle", "coding-engine:profile: idle\n  coding-engine:createResourceGroup: false");
    const before = state(project);
    const r = await manageDecision(["up", "--yes"], { project });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toContain("- delete resource-group (resources:ResourceGroup)");
    expect(r.stderr).toContain("manage: this change would delete resource-group, which is protected");
    expect(state(project)).toBe(before);
    expect(readState(project, "dev").some((r) => r.urn.endsWith("::resource-group"))).toBe(true);
  });

  test("a property Azure cannot update in place (a role assignment's scope) is shown as a replacement and needs --yes", async () => {
    const project = makeProject();
    await prepare(project);
    await deployed(project, "dev scaled to testing");
    edit(project, "sessionExecutorScope: pool", "sessionExecutorScope: resourceGroup");
    const asked = await manageDecision(["up"], { project });
    expect(asked.exitCode).toBe(2);
    expect(asked.stdout).toContain("+- replace session-executor (authorization:RoleAssignment): scope changed, so Azure recreates it");
    expect(asked.stderr).toContain("this would replace (delete and recreate) session-executor, and there is no terminal to ask at: pass --yes");
    const done = await manageDecision(["up", "--yes"], { project });
    expect(done.exitCode).toBe(0);
    expect(done.stdout).toMatch(/Done: dev apply the stack as configured in .*: 1 replaced/);
    const executor = readState(project, "dev").find((r) => r.urn.endsWith("::session-executor"))!;
    expect(executor.inputs.scope).toMatch(/\/resourceGroups\/codeeng-dev-rg$/);
  });
});

test.concurrent("Ctrl-C: pulumi gets one SIGINT, stops cleanly, manage exits 130 and leaves no lock; the next run finishes the change", async () => {
  const project = makeProject();
  await prepare(project);
  const child = spawnManage(["scale", "--no-wait", "--profile", "testing"], project, { FAKE_PULUMI_STEP_DELAY_MS: "1500" });
  const locks = join(project, ".pulumi-state", ".pulumi", "locks", "organization", "coding-engine", "dev");
  for (let i = 0; i < 300 && !(existsSync(locks) && readdirSync(locks).length); i++) await new Promise((r) => setTimeout(r, 50));
  child.kill("SIGINT");
  const r = await child;
  expect(r.exitCode).toBe(130);
  expect(r.stderr).toContain("Stopping: pulumi finishes the Azure operations in flight and records them in the state");
  expect(r.stderr).toContain("stopped at your request: pulumi canceled cleanly");
  expect(existsSync(locks) ? readdirSync(locks) : []).toEqual([]);
  const again = await manageDecision(["scale", "--no-wait", "--profile", "testing"], { project });
  expect(again.exitCode).toBe(0);
  expect(readState(project, "dev").some((r) => r.urn.endsWith("::session-pool"))).toBe(true);
});

test.concurrent("a passphrase pulumi cannot read reaches the person as one line with the variable to set: exit 2, stack file as it was", async () => {
  const project = makeProject();
  await prepare(project);
  const files = snapshot(project);
  const r = await manageDecision(["scale", "--no-wait", "--profile", "contest"], { project, env: { PULUMI_CONFIG_PASSPHRASE_FILE: join(project, "no-such-passphrase") } });
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain(`manage: pulumi cannot read the secrets of stack dev: unable to read PULUMI_CONFIG_PASSPHRASE_FILE: open ${join(project, "no-such-passphrase")}: no such file or directory`);
  expect(r.stderr).toContain("Fix: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE");
  expect(snapshot(project)).toEqual(files);
});

describe("a stack policy that judges only after an update's steps", () => {
  // manage's update is the Automation API's `up --skip-preview`, and AnalyzeStack runs once the
  // steps completed (pulumi v3.230 deployment_executor.go): a violation its own preview could not
  // see arrives after the change is made. Through manage's runner, in this process, on the stand-in.
  test("the runner says the update was applied and then failed (exit 1, what runs now), never that nothing was touched", async () => {
    const project = makeProject();
    await prepare(project);
    edit(project, "coding-engine:profile: idle", "coding-engine:profile: testing");
    const saved = { ...process.env };
    Object.assign(process.env, manageEnv(project), { PULUMI_CONFIG_PASSPHRASE_FILE: join(project, ".pulumi-state", "passphrase") });
    try {
      const { Pulumi, PulumiError } = await import("../../cli/pulumi/runner.js");
      const pulumi = await Pulumi.connect(project);
      // Without the committed config that lists dev as open, dev's open backend violates a stack policy.
      const err = await pulumi.up("dev", () => {}, { policyPack: join(project, "infra", "policy-pack") }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PulumiError);
      expect((err as InstanceType<typeof PulumiError>).failure).toMatchObject({ kind: "policy-after-update", exitCode: 1 });
      expect((err as InstanceType<typeof PulumiError>).failure.message).toMatch(/^the update was applied \(\d+ resource\(s\) changed\), then a mandatory policy failed it: \[backend-caller-restricted\]/);
      // It was: the pool the testing profile declares is in the state.
      expect(readState(project, "dev").map((r) => r.urn.split("::").pop())).toContain("session-pool");
    } finally {
      process.env = saved;
    }
  });
});
