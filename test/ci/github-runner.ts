// A workflow job's `run:` steps executed the way a GitHub-hosted Linux runner executes them, for
// tests: the job's and step's `env` with their `${{ }}` expressions evaluated over values the test
// chooses (vars, matrix, inputs, the event), each step's script written to a file and run under
// exactly the shell GitHub uses for it, in order, the first failing step failing the job. Facts:
// - The shell (docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax,
//   "jobs.<job_id>.steps[*].shell"): with no `shell` on the step, the job's or the workflow's
//   `defaults.run.shell`, and none anywhere, a Linux runner runs `bash -e {0}`; `shell: bash` runs
//   `bash --noprofile --norc -eo pipefail {0}`. {0} is the script file GitHub writes the step to.
// - A failing step fails the job and the later steps do not run unless their `if:` says so (none
//   of ours has one: a step with an `if:` is refused here rather than guessed).
// - Default variables every step sees (docs.github.com/en/actions/reference/variables-reference):
//   CI=true, GITHUB_ACTIONS=true, GITHUB_WORKSPACE (the checkout, the steps' working directory),
//   GITHUB_STEP_SUMMARY, GITHUB_PATH, GITHUB_ENV, GITHUB_EVENT_NAME, RUNNER_TEMP.
// - Expressions (docs.github.com/en/actions/reference/workflows-and-actions/expressions): `&&` and
//   `||` return an operand, not a boolean; `==`/`!=` compare strings case-insensitively; a `vars`
//   property that does not exist is null, which equals ''.
// `uses:` steps (checkout, setup-node, azure/login) are not run: the test's prepared checkout, its
// Node and the stand-ins take their place. Steps that need the network are replaced by what the
// test prepared, each named in REPLACED with why.
import { execa } from "execa";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Step = { uses?: string; run?: string; shell?: string; env?: Record<string, string>; if?: string; name?: string; with?: Record<string, unknown> };
export type Job = {
  "runs-on"?: string;
  if?: string;
  needs?: string | string[];
  environment?: string;
  "timeout-minutes"?: number;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  permissions?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown[]> };
  defaults?: { run?: { shell?: string } };
  env?: Record<string, string>;
  steps: Step[];
};
export type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; defaults?: { run?: { shell?: string } }; jobs: Record<string, Job> };

/** The values `${{ }}` expressions read; anything else is refused (a test must choose it). */
export interface Contexts {
  github: { event_name: string; [k: string]: string };
  vars?: Record<string, string>;
  matrix?: Record<string, string>;
  inputs?: Record<string, string>;
}

/**
 * `run:` steps the test does not execute, and what stands in for each: installs and builds need the
 * registry or would rebuild the dist/ the rest of the suite is running, and the pulumi install
 * downloads from GitHub. The checkout the test prepared has all three.
 */
export const REPLACED: Readonly<Record<string, string>> = {
  "npm ci": "the suite's own npm ci: the checkout links its node_modules",
  "npm ci --ignore-scripts": "the suite's own npm ci: the checkout links its node_modules",
  "npm run build": "the suite's build: the checkout links its dist/",
  "npm test": "this suite",
  ".github/scripts/install-pulumi.sh": "the stand-in pulumi (test/fake-pulumi/bin) first on PATH",
};

// ---- expressions -------------------------------------------------------------------------------

type Value = string | boolean | null;
const TOKEN = /\s*(?:('(?:[^']|'')*')|(==|!=|&&|\|\||\(|\))|([A-Za-z_][\w.-]*))/y;

/** Evaluates one expression (the text inside `${{ }}`): literals, context properties, ==, !=, &&, ||, (). */
export function evaluate(expression: string, ctx: Contexts): Value {
  const tokens: string[] = [];
  const text = expression.trim();
  const re = new RegExp(TOKEN.source, "y");
  while (re.lastIndex < text.length) {
    const m = re.exec(text);
    if (!m) throw new Error(`cannot evaluate \${{ ${expression} }}`);
    tokens.push(m[0].trim());
  }
  let at = 0;
  const truthy = (v: Value) => v !== null && v !== false && v !== "";
  const str = (v: Value) => (v === null ? "" : String(v));
  const primary = (): Value => {
    const t = tokens[at++]!;
    if (t === "(") {
      const v = or();
      if (tokens[at++] !== ")") throw new Error(`unbalanced ( in ${expression}`);
      return v;
    }
    if (t.startsWith("'")) return t.slice(1, -1).replaceAll("''", "'");
    if (t === "true" || t === "false") return t === "true";
    const [root, ...path] = t.split(".");
    const scope = (ctx as unknown as Record<string, Record<string, unknown> | undefined>)[root!];
    if (!scope) throw new Error(`the test gave no \`${root}\` context for \${{ ${expression} }}`);
    const v = path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], scope);
    return v === undefined ? null : (v as Value);
  };
  const comparison = (): Value => {
    let left = primary();
    while (tokens[at] === "==" || tokens[at] === "!=") {
      const op = tokens[at++];
      const right = primary();
      const equal = str(left).toLowerCase() === str(right).toLowerCase();
      left = op === "==" ? equal : !equal;
    }
    return left;
  };
  const and = (): Value => {
    let left = comparison();
    while (tokens[at] === "&&") {
      at++;
      const right = comparison();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const or = (): Value => {
    let left = and();
    while (tokens[at] === "||") {
      at++;
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const v = or();
  if (at !== tokens.length) throw new Error(`cannot evaluate \${{ ${expression} }}`);
  return v;
}

/** A string with every `${{ }}` replaced by its value, as GitHub does before a step runs. */
export const interpolate = (text: string, ctx: Contexts): string =>
  text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_m, e: string) => {
    const v = evaluate(e, ctx);
    return v === null ? "" : String(v);
  });

/** Whether a job's `if:` lets it run (a bare expression, as GitHub allows there). */
export function jobRuns(job: Job, ctx: Contexts): boolean {
  if (job.if === undefined) return true;
  const v = evaluate(job.if.replace(/^\$\{\{([\s\S]*)\}\}$/, "$1"), ctx);
  return v !== null && v !== false && v !== "";
}

// ---- the shell ----------------------------------------------------------------------------------

/** The shell GitHub runs a step under on Linux: argv with the script file in place of {0}. */
export function shellFor(wf: Workflow, job: Job, step: Step): { name: string; argv: (file: string) => string[] } {
  const shell = step.shell ?? job.defaults?.run?.shell ?? wf.defaults?.run?.shell;
  if (shell === undefined) return { name: "bash -e {0}", argv: (f) => ["-e", f] };
  if (shell === "bash") return { name: "bash --noprofile --norc -eo pipefail {0}", argv: (f) => ["--noprofile", "--norc", "-eo", "pipefail", f] };
  throw new Error(`shell ${shell}: not one this runner knows`);
}

export interface StepResult {
  run: string;
  shell: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface JobResult {
  /** The job's conclusion: every executed step exited 0. */
  success: boolean;
  steps: StepResult[];
  /** The `uses:` steps and the REPLACED run steps, in order, that the test did not execute. */
  skipped: string[];
  summary: string;
}

/**
 * Runs a job's `run:` steps in `workspace`. `runnerEnv` is the runner machine's environment (PATH
 * with the stand-ins first, HOME...); the job's and steps' `env` are evaluated over `ctx` and laid
 * over it, then GitHub's default variables.
 */
export async function runJob(wf: Workflow, jobName: string, ctx: Contexts, workspace: string, runnerEnv: Record<string, string>): Promise<JobResult> {
  const job = wf.jobs[jobName];
  if (!job) throw new Error(`no job ${jobName}`);
  if (!jobRuns(job, ctx)) throw new Error(`job ${jobName} would be skipped (if: ${job.if}) with these contexts`);
  const temp = join(workspace, ".runner-temp");
  mkdirSync(temp, { recursive: true });
  const summaryFile = join(temp, "step-summary.md");
  writeFileSync(summaryFile, "");
  const evalEnv = (env: Record<string, string> = {}) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v), ctx)]));
  const jobEnv = evalEnv(job.env);
  const result: JobResult = { success: true, steps: [], skipped: [], summary: "" };
  for (const [i, step] of job.steps.entries()) {
    if (step.if !== undefined) throw new Error(`${jobName} step ${i}: a step with \`if:\` is not supported by this runner`);
    if (step.uses) {
      result.skipped.push(step.uses);
      continue;
    }
    const run = interpolate(step.run!, ctx);
    if (run.trim() in REPLACED) {
      result.skipped.push(run.trim());
      continue;
    }
    const shell = shellFor(wf, job, step);
    const file = join(temp, `step-${i}.sh`);
    writeFileSync(file, run);
    const r = await execa("bash", shell.argv(file), {
      cwd: workspace,
      reject: false,
      stdin: "ignore",
      extendEnv: false,
      env: {
        ...runnerEnv,
        ...jobEnv,
        ...evalEnv(step.env),
        CI: "true",
        GITHUB_ACTIONS: "true",
        GITHUB_EVENT_NAME: ctx.github.event_name,
        GITHUB_WORKSPACE: workspace,
        GITHUB_STEP_SUMMARY: summaryFile,
        GITHUB_PATH: join(temp, "path"),
        GITHUB_ENV: join(temp, "env"),
        RUNNER_TEMP: temp,
      },
    });
    result.steps.push({ run, shell: shell.name, exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) });
    if (r.exitCode !== 0) {
      result.success = false;
      break;
    }
  }
  const { readFileSync } = await import("node:fs");
  result.summary = readFileSync(summaryFile, "utf8");
  return result;
}

// ---- concurrency --------------------------------------------------------------------------------

/**
 * GitHub's queueing rule for one concurrency group (docs.github.com/en/actions/how-tos/write-workflows/
 * choose-when-workflows-run/control-workflow-concurrency): at most one running and one pending job;
 * a job queued while one runs becomes the pending one, and any existing pending job "will be
 * canceled and the new queued job or workflow will take its place". With cancel-in-progress false
 * the running job is never cancelled.
 */
export class ConcurrencyQueue {
  private readonly groups = new Map<string, { running?: string; pending?: string }>();
  readonly ran: string[] = [];
  readonly cancelled: string[] = [];

  /** A job queued in `group` (compared case-insensitively, as GitHub does). */
  queue(group: string, job: string): void {
    const g = this.groups.get(group.toLowerCase()) ?? {};
    this.groups.set(group.toLowerCase(), g);
    if (!g.running) {
      g.running = job;
      this.ran.push(job);
      return;
    }
    if (g.pending) this.cancelled.push(g.pending);
    g.pending = job;
  }

  /** The job running in `group` finished: the pending one starts. */
  finish(group: string): void {
    const g = this.groups.get(group.toLowerCase());
    if (!g?.running) throw new Error(`nothing runs in ${group}`);
    g.running = g.pending;
    g.pending = undefined;
    if (g.running) this.ran.push(g.running);
  }

  /** Everything still pending starts as the running jobs finish. */
  drain(): void {
    for (const [group, g] of this.groups) while (g.running) this.finish(group);
  }
}
