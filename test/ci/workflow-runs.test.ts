// Each workflow job's `run:` steps, executed as a GitHub-hosted Linux runner executes them
// (./github-runner.ts: GitHub's shell for each step, the job's env with its expressions evaluated,
// GITHUB_ACTIONS=true), in a prepared checkout with the stand-ins on PATH and faults injected:
// every failure of pulumi or manage must fail the job. The same fault under the shell GitHub uses
// when no shell is set (`bash -e {0}`, no pipefail), as the workflows had it before issue 20, goes
// green: that is the bug these tests catch.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, test } from "vitest";
import { FAKE_AZ_BIN, FAKE_PULUMI_BIN, deployed, makeProject, names, prepare, readState, warmEnv } from "../helpers/cli.js";
import { ROOT } from "../helpers/program.js";
import { CHANGE_JOB_TIMEOUT_MINUTES } from "../../cli/workflow.js";
import { REPLACED, evaluate, interpolate, runJob, type Contexts, type Workflow } from "./github-runner.js";

const workflow = (file: string) => load(readFileSync(join(ROOT, ".github", "workflows", file), "utf8")) as Workflow;
/** The same workflow with no shell set anywhere, as before issue 20: GitHub's `bash -e {0}`. */
const withoutShell = (wf: Workflow): Workflow => ({ ...wf, defaults: undefined, jobs: Object.fromEntries(Object.entries(wf.jobs).map(([k, j]) => [k, { ...j, defaults: undefined }])) });

/** Repository variables as docs/ci.md has them configured (the backend is the checkout's local one). */
const VARS = (workspace: string): Record<string, string> => ({
  PULUMI_BACKEND_URL: `file://${join(workspace, ".pulumi-state")}`,
  AZURE_CLIENT_ID: "11111111-1111-1111-1111-111111111111",
  AZURE_TENANT_ID: "22222222-2222-2222-2222-222222222222",
  AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000000",
});

/**
 * A checkout as the jobs' first steps leave it: the project's files, its built dist/ and
 * node_modules (links to this one's), package.json (so `npx manage` finds the project's own bin).
 */
function checkout(): string {
  const workspace = makeProject();
  copyFileSync(join(ROOT, "package.json"), join(workspace, "package.json"));
  return workspace;
}

/**
 * The runner machine: the stand-ins first on PATH (install-pulumi.sh's place; npx running the
 * project's own bin without the registry, ./bin/npx), this Node, a home in the checkout, npm kept
 * off the network. The passphrase file stands for the stacks' Key Vault
 * secrets provider (docs/ci.md, step 2), which the local backend the test uses cannot have.
 */
const runner = (workspace: string, extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: `${join(ROOT, "test", "ci", "bin")}:${FAKE_PULUMI_BIN}:${FAKE_AZ_BIN}:${dirname(process.execPath)}:/usr/bin:/bin`,
  HOME: workspace,
  PULUMI_HOME: join(workspace, ".pulumi-home"),
  PULUMI_CONFIG_PASSPHRASE_FILE: join(workspace, ".pulumi-state", "passphrase"),
  FAKE_AZ_STATE: join(workspace, ".fake-az.json"),
  npm_config_offline: "true",
  NO_COLOR: "1",
  ...warmEnv(),
  ...extra,
});

/** A resource the dev stack's first full `pulumi up` creates (after the foundation). */
const CREATED_ON_UP = "environment";

describe("deploy.yml, job up (push to main: dev)", () => {
  const ctx = (workspace: string): Contexts => ({ github: { event_name: "push" }, vars: VARS(workspace), inputs: {} });

  test("pulumi up succeeds: the job is green, the stack is deployed and the run summary has the update", async () => {
    const workspace = checkout();
    await prepare(workspace, "dev");
    const before = readState(workspace, "dev").length;
    const job = await runJob(workflow("deploy.yml"), "up", ctx(workspace), workspace, runner(workspace));
    expect(job.steps.map((s) => [s.shell, s.exitCode, s.stderr.slice(-400)])).toEqual([["bash --noprofile --norc -eo pipefail {0}", 0, expect.any(String)]]);
    expect(job.success).toBe(true);
    // What the test did not execute, and why (REPLACED): the actions and the network steps.
    expect(job.skipped).toEqual([
      expect.stringMatching(/^actions\/checkout@/),
      expect.stringMatching(/^actions\/setup-node@/),
      "npm ci --ignore-scripts",
      "npm run build",
      ".github/scripts/install-pulumi.sh",
      expect.stringMatching(/^azure\/login@/),
    ]);
    for (const s of job.skipped.filter((s) => !s.includes("@"))) expect(REPLACED[s]).toBeTruthy();
    expect(readState(workspace, "dev").length).toBeGreaterThan(before);
    expect(names(readState(workspace, "dev"))).toContain(CREATED_ON_UP);
    expect(job.summary).toContain("### pulumi up: dev");
  });

  test("pulumi up fails (a resource Azure refuses): the job fails; without pipefail the same failure went green", async () => {
    const workspace = checkout();
    await prepare(workspace, "dev");
    const env = runner(workspace, { FAKE_PULUMI_FAIL: CREATED_ON_UP });
    const job = await runJob(workflow("deploy.yml"), "up", ctx(workspace), workspace, env);
    expect(job.success).toBe(false);
    // pulumi's own exit code for a failed update (1), through the pipe.
    expect(job.steps.at(-1)!.exitCode).toBe(1);
    expect(names(readState(workspace, "dev"))).not.toContain(CREATED_ON_UP);

    const fresh = checkout();
    await prepare(fresh, "dev");
    const before = await runJob(withoutShell(workflow("deploy.yml")), "up", ctx(fresh), fresh, runner(fresh, { FAKE_PULUMI_FAIL: CREATED_ON_UP }));
    expect(before.steps.at(-1)!.shell).toBe("bash -e {0}");
    // The update failed all the same, and tee's 0 was the step's.
    expect(names(readState(fresh, "dev"))).not.toContain(CREATED_ON_UP);
    expect(before.success).toBe(true);
  });
});

describe("ci.yml, job plan (every pull request: no identity, the offline plan)", () => {
  const ctx: Contexts = { github: { event_name: "pull_request" }, matrix: { stack: "dev" }, vars: {} };

  test("the plan of each stack lands in the run summary", async () => {
    const workspace = checkout();
    for (const stack of ["dev", "contest"]) {
      const job = await runJob(workflow("ci.yml"), "plan", { ...ctx, matrix: { stack } }, workspace, runner(workspace));
      expect(job.success, job.steps.at(-1)?.stderr).toBe(true);
      expect(job.summary).toContain(`### manage plan: ${stack}`);
    }
  });

  test("a stack file manage refuses fails the job; without pipefail `manage plan | tee` went green", async () => {
    const workspace = checkout();
    const file = join(workspace, "Pulumi.dev.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("profile: idle", "profile: turbo"));
    const job = await runJob(workflow("ci.yml"), "plan", ctx, workspace, runner(workspace));
    expect(job.success).toBe(false);
    expect(job.steps.at(-1)!.exitCode).toBe(2);
    expect(job.steps.at(-1)!.stderr).toMatch(/coding-engine:profile must be one of/);
    const before = await runJob(withoutShell(workflow("ci.yml")), "plan", ctx, workspace, runner(workspace));
    expect(before.success).toBe(true);
  });
});

describe("reconcile.yml, job reconcile (every 5 minutes)", () => {
  const ctx = (workspace: string, stack: string, vars = VARS(workspace)): Contexts => ({ github: { event_name: "schedule" }, matrix: { stack }, vars });
  // The fixture's `scale --for 3h` expired at 2026-12-05 11:30 UTC, before any real clock this
  // suite runs on: a workflow run decides on the real clock only (MANAGE_NOW is refused there).

  test("PULUMI_BACKEND_URL not configured: the job fails with exit 2 naming it, and no local state is made", async () => {
    const workspace = checkout();
    const { PULUMI_BACKEND_URL: _, ...rest } = VARS(workspace);
    const job = await runJob(workflow("reconcile.yml"), "reconcile", ctx(workspace, "dev", rest), workspace, runner(workspace));
    expect(job.success).toBe(false);
    expect(job.steps.at(-1)!.exitCode).toBe(2);
    expect(job.steps.at(-1)!.stderr).toMatch(/manage: PULUMI_BACKEND_URL is empty in this GitHub Actions run[\s\S]*Fix: set the repository variable PULUMI_BACKEND_URL/);
    expect(existsSync(join(workspace, ".pulumi-state"))).toBe(false);
  });

  test("AZURE_CLIENT_ID misspelt (the other variables set): the job runs and fails with exit 2 naming it", async () => {
    const workspace = checkout();
    await deployed(workspace, "contest scaled to contest for 3h");
    const { AZURE_CLIENT_ID: _, ...rest } = VARS(workspace);
    const job = await runJob(workflow("reconcile.yml"), "reconcile", ctx(workspace, "contest", { ...rest, AZURE_CLIENTID: "11111111-1111-1111-1111-111111111111" }), workspace, runner(workspace));
    expect(job.success).toBe(false);
    expect(job.steps.at(-1)!.exitCode).toBe(2);
    expect(job.steps.at(-1)!.stderr).toMatch(/ARM_CLIENT_ID is empty in this GitHub Actions run[\s\S]*Fix: set the repository variable AZURE_CLIENT_ID/);
    // The expired stack was left as it was, for the next run once the variable exists.
    expect(names(readState(workspace, "contest"))).toContain("session-pool");
  });

  test("the stop of an expired stack fails in pulumi: the job fails", async () => {
    const workspace = checkout();
    await deployed(workspace, "contest scaled to contest for 3h");
    const job = await runJob(workflow("reconcile.yml"), "reconcile", ctx(workspace, "contest"), workspace, runner(workspace, { FAKE_PULUMI_FAIL: "session-pool" }));
    expect(job.success).toBe(false);
    expect(job.steps.at(-1)!.exitCode).toBe(1);
    expect(job.steps.at(-1)!.stderr).toMatch(/stack\(s\) not reconciled: contest/);
  });

  /** A lock as pulumi's DIY backend writes it (pkg/backend/diy/lock.go): what a running deploy holds. */
  const lock = (workspace: string, stack: string, at: Date) => {
    const dir = join(workspace, ".pulumi-state", ".pulumi", "locks", "organization", "coding-engine", stack);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${randomUUID()}.json`), JSON.stringify({ pid: 4242, username: "runner", hostname: "deploy-job", timestamp: at.toISOString() }));
  };

  test("a deploy holds the stack's lock: reconcile leaves it for the next run, green, and says so", async () => {
    const workspace = checkout();
    await deployed(workspace, "contest scaled to contest for 3h");
    lock(workspace, "contest", new Date(Date.now() - 10 * 60_000));
    const job = await runJob(workflow("reconcile.yml"), "reconcile", ctx(workspace, "contest"), workspace, runner(workspace));
    expect(job.success, job.steps.at(-1)!.stderr).toBe(true);
    const log = JSON.parse(job.steps.at(-1)!.stdout) as { actions: Array<Record<string, unknown>> };
    // Expired, but not stopped: the deploy may be changing it. Busy, with who holds the lock since when.
    expect(log.actions).toEqual([
      expect.objectContaining({
        stack: "contest",
        decision: "leave",
        why: "interrupted",
        outcome: "busy",
        interrupted: expect.objectContaining({ what: expect.stringContaining("the stack is locked by runner@deploy-job (pid 4242) since") }),
      }),
    ]);
    expect(log.actions[0]).not.toHaveProperty("error");
    expect(names(readState(workspace, "contest"))).toContain("session-pool");
  });

  test(`a lock older than the jobs' time limit (${CHANGE_JOB_TIMEOUT_MINUTES} min) has no job behind it: the job fails`, async () => {
    const workspace = checkout();
    await deployed(workspace, "contest scaled to contest for 3h");
    lock(workspace, "contest", new Date(Date.now() - (CHANGE_JOB_TIMEOUT_MINUTES + 1) * 60_000));
    const job = await runJob(workflow("reconcile.yml"), "reconcile", ctx(workspace, "contest"), workspace, runner(workspace));
    expect(job.success).toBe(false);
    expect(job.steps.at(-1)!.exitCode).toBe(1);
    expect(job.steps.at(-1)!.stderr).toMatch(/stack\(s\) not reconciled: contest/);
    const log = JSON.parse(job.steps.at(-1)!.stdout) as { actions: Array<{ outcome: string; error: string }> };
    expect(log.actions[0]!.outcome).toBe("failed");
    // The lock named, and the commands that remove it.
    expect(log.actions[0]!.error).toMatch(
      new RegExp(`the stack is locked by runner@deploy-job \\(pid 4242\\) since \\S+, longer than a workflow job may run \\(${CHANGE_JOB_TIMEOUT_MINUTES} min\\)`),
    );
    expect(log.actions[0]!.error).toContain("`manage pulumi -- cancel --stack contest --yes` (removes the lock), then `manage pulumi -- refresh --stack contest --yes --clear-pending-creates`");
  });
});

test("every run: step of every workflow is executed by a job above, or replaced (REPLACED) by what the checkout has", () => {
  const executed = new Set(["ci.yml:plan", "deploy.yml:up", "reconcile.yml:reconcile"]);
  const files = readdirSync(join(ROOT, ".github", "workflows")).filter((f) => f.endsWith(".yml"));
  for (const file of files)
    for (const [name, job] of Object.entries(workflow(file).jobs))
      for (const step of job.steps.filter((s) => s.run && !(s.run.trim() in REPLACED)))
        expect(executed.has(`${file}:${name}`), `${file}:${name} runs \`${step.run!.trim()}\`, which no test executes`).toBe(true);
});

describe("the runner itself, against GitHub's documented behaviour", () => {
  const wf = (shell?: string): Workflow => ({
    on: { push: {} },
    ...(shell ? { defaults: { run: { shell } } } : {}),
    jobs: { j: { steps: [{ run: 'false | tee out.txt\necho "after the pipe" >> "$GITHUB_STEP_SUMMARY"' }, { run: "echo second >> \"$GITHUB_STEP_SUMMARY\"" }] } },
  });
  const ctx: Contexts = { github: { event_name: "push" } };

  test("no shell set: bash -e {0}, so a failing command before a pipe does not stop the step", async () => {
    const workspace = makeProject();
    const job = await runJob(wf(), "j", ctx, workspace, runner(workspace));
    expect(job.steps.map((s) => [s.shell, s.exitCode])).toEqual([["bash -e {0}", 0], ["bash -e {0}", 0]]);
    expect(job.summary).toBe("after the pipe\nsecond\n");
  });

  test("shell: bash: bash --noprofile --norc -eo pipefail {0}, so it fails the step, and the job stops there", async () => {
    const workspace = makeProject();
    const job = await runJob(wf("bash"), "j", ctx, workspace, runner(workspace));
    expect(job.steps.map((s) => [s.shell, s.exitCode])).toEqual([["bash --noprofile --norc -eo pipefail {0}", 1]]);
    expect(job.success).toBe(false);
    expect(job.summary).toBe("");
  });

  test("expressions: && and || return an operand, == ignores case, a missing variable equals ''", () => {
    const c: Contexts = { github: { event_name: "workflow_dispatch" }, inputs: { stack: "contest" }, vars: { A: "x" } };
    expect(evaluate("github.event_name == 'workflow_dispatch' && inputs.stack || 'dev'", c)).toBe("contest");
    expect(evaluate("github.event_name == 'workflow_dispatch' && inputs.stack || 'dev'", { ...c, github: { event_name: "push" } })).toBe("dev");
    expect(evaluate("github.event_name == 'WORKFLOW_DISPATCH'", c)).toBe(true);
    expect(evaluate("vars.MISSING != ''", c)).toBe(false);
    expect(evaluate("vars.A != ''", c)).toBe(true);
    expect(interpolate("deploy-${{ inputs.stack }}-${{ vars.MISSING }}", c)).toBe("deploy-contest-");
    expect(() => evaluate("secrets.X", c)).toThrow(/no `secrets` context/);
  });
});
