// Runs the built `manage` binary the way a user does, against a throwaway copy of the project's
// Pulumi.yaml and stack files (so a test can never change the real ones). No vitest import: the
// global setup uses it too, to deploy the stacks every test starts from once per run.
import { accessSync, constants, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, statfsSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { format } from "node:util";
import { execa } from "execa";
import { nodeStackTraces, ROOT } from "./program.js";
import { runToEnd } from "./spawner.js";
import type { Checkpoint, StateResource } from "../fake-pulumi/state.js";
import { crypterFor, open as openSecrets, seal } from "../fake-pulumi/secrets.js";
import { PASSPHRASE_FILE } from "../../cli/pulumi/backend.js";
import { REPOSITORY_PATTERN, SOURCE_IMAGE_PATTERN, stackNameProblem } from "../../cli/options.js";
import type { PulumiCall, PulumiExit } from "../../cli/pulumi/process.js";
import type { AzExit } from "../../cli/azure/az.js";
import type { Invocation } from "../fake-pulumi/invocation.js";
import { trustExtraCertificates } from "./tls.js";

export type { StateResource };

export const MANAGE = join(ROOT, "dist", "cli", "main.js");

export const FAKE_PULUMI_BIN = join(ROOT, "test", "fake-pulumi", "bin");
export const FAKE_AZ_BIN = join(ROOT, "test", "fake-az", "bin");

/**
 * A temp project directory (in the test run's folder, which the global setup removes at the end:
 * a run left about 115 in /tmp before): copies of Pulumi.yaml and every Pulumi.<stack>.yaml, and links to the
 * built program, package.json and node_modules (pulumi runs `main` from the project directory, and
 * Pulumi's cmd/run reads the package.json above it to load the program as an ES module).
 */
export function makeProject(): string {
  const dir = mkdtempSync(join(process.env.MANAGE_TEST_PROJECTS ?? tmpdir(), "manage-project-"));
  for (const f of readdirSync(ROOT).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f))) copyFileSync(join(ROOT, f), join(dir, f));
  symlinkSync(join(ROOT, "dist"), join(dir, "dist"));
  symlinkSync(join(ROOT, "package.json"), join(dir, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  // The policy pack manage runs on every preview and update (its main points into dist/).
  mkdirSync(join(dir, "infra"));
  symlinkSync(join(ROOT, "infra", "policy-pack"), join(dir, "infra", "policy-pack"));
  return dir;
}

/** The stack's state as the stand-in pulumi recorded it in the embedded file backend. */
export function readState(project: string, stack: string): StateResource[] {
  const file = join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", `${stack}.json`);
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, "utf8")) as Checkpoint).checkpoint.latest.resources;
}

/** The crypter of a stack in a project's embedded backend: its passphrase file and the salt its checkpoint records. */
function stackCrypter(project: string, stack: string) {
  const file = join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", `${stack}.json`);
  const salt = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Checkpoint).checkpoint.latest.secrets_providers?.state?.salt : undefined;
  return crypterFor(stack, typeof salt === "string" ? salt : undefined, { PULUMI_CONFIG_PASSPHRASE_FILE: join(project, ".pulumi-state", PASSPHRASE_FILE) });
}

/**
 * The stack's state with its secrets decrypted (the embedded backend's passphrase and the stack
 * file's salt), for a stand-in playing Azure, which knows the keys it issued: the file itself holds
 * them only as ciphertext (../fake-pulumi/secrets.ts).
 */
export function readStateRevealed(project: string, stack: string): StateResource[] {
  const crypter = stackCrypter(project, stack);
  return readState(project, stack).map((r) => ({ ...r, inputs: openSecrets(r.inputs, crypter).value, outputs: openSecrets(r.outputs, crypter).value }));
}

/**
 * A checkpoint copied into a project whose embedded backend has another passphrase: its secrets
 * re-encrypted for that one, as `pulumi stack change-secrets-provider` would (each project's
 * passphrase is its own: cli/pulumi/backend.ts).
 */
function reencrypt(from: string, project: string, stack: string): void {
  const file = join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", `${stack}.json`);
  if (!existsSync(file)) return;
  const [before, after] = [stackCrypter(from, stack), stackCrypter(project, stack)];
  const checkpoint = JSON.parse(readFileSync(file, "utf8")) as Checkpoint;
  const again = (r: StateResource): StateResource => {
    const [inputs, outputs] = [openSecrets(r.inputs, before), openSecrets(r.outputs, before)];
    return { ...r, inputs: seal(inputs.value, inputs.paths, after), outputs: seal(outputs.value, outputs.paths, after) };
  };
  const latest = checkpoint.checkpoint.latest;
  latest.resources = latest.resources.map(again);
  if (latest.pending_operations) latest.pending_operations = latest.pending_operations.map((o) => ({ ...o, resource: again(o.resource) }));
  writeFileSync(file, JSON.stringify(checkpoint, null, 4));
}

export const names = (state: StateResource[]) => state.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.urn.split("::").pop());

/** Every stack file's text, to prove a refused command touched nothing. */
export function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

export interface ManageResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs manage with a clean environment: the stand-in pulumi first on PATH (unless `path` says
 * otherwise), no pulumi login, no backend or passphrase from the developer's shell.
 */
export async function manage(
  args: string[],
  opts: { project: string; env?: Record<string, string>; input?: string; path?: string },
): Promise<ManageResult> {
  // From the spawner's small process: a start from this worker costs the whole worker (./spawner.ts).
  const r = await runToEnd("node", [MANAGE, ...args], {
    cwd: opts.project,
    input: opts.input ?? "",
    env: manageEnv(opts.project, { ...(opts.path ? { PATH: opts.path } : {}), ...opts.env }),
  });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/**
 * manage's own entry function (cli/main.ts `main`, which the bin runs) called in this test worker:
 * for refusals of bad input, made before anything runs, it is the same code as a process without a
 * node start per call (~0.2 s of CPU each). The environment is manageEnv's for the call; stdout and
 * stderr are caught as the process's would be. Calls in one worker run one after another (the
 * environment and the streams are the worker's). Journeys, prompts (`input`), races and signals run
 * manage as a process (manage, spawnManage); test/cli/conventions.test.ts holds the two alike.
 */
export async function manageInProcess(args: string[], opts: { project: string; env?: Record<string, string> }): Promise<ManageResult> {
  const run = inProcessQueue.then(() => runInProcess(args, opts));
  // The next run waits for this one, or for the end of its test: a run that hangs until its test's
  // time-out cuts it gives the worker back (its environment, streams and edges) to the tests after.
  inProcessQueue = Promise.race([run.catch(() => undefined), endOfTest()]);
  return run;
}
let inProcessQueue: Promise<unknown> = Promise.resolve();
/** Gives the worker back from the run now going on, if any (runInProcess sets it while it runs). */
let giveBack: (() => void) | undefined;

/** When the test now running ends, with the worker given back; never outside a test (the global setup). */
async function endOfTest(): Promise<void> {
  const { onTestFinished } = await import("vitest");
  return new Promise((resolve) => {
    try {
      onTestFinished(() => {
        giveBack?.();
        resolve();
      });
    } catch {
      // Not inside a test: the run's own end releases the queue.
    }
  });
}

/**
 * Whether an argument may be a path manage resolves against its folder (a chart, a page, a build
 * context): a worker has one folder for every test (threads cannot change it), so such a run is a
 * process. Anything shaped like a relative path counts, except the value of an option that names no
 * file (an image reference, a repository, a stack) when it has that option's own form: those are
 * refused or used as they are, never resolved against a folder, so `images import --from
 * src.azurecr.io/x:v1` runs in the worker. The form is checked, not only the word before: a word
 * after `--file --from` or `--runs --from` is no --from value (those options took "--from" as
 * theirs) but a build context or a run log, and `./session` is no image reference. A new option
 * that takes a path is caught by its shape without being listed here.
 */
export const relativePathIn = (args: string[]): boolean =>
  args.some((arg, i) => {
    const [option, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [args[i - 1], arg];
    if (NAMES_NO_FILE[option ?? ""]?.(inline) || (inline === arg && arg.startsWith("-"))) return false;
    // A folder by its name alone (`images build .`), or a file by its extension (`runs.ndjson`, not `1.5`).
    return !isAbsolute(inline) && !/^[a-z]+:\/\//i.test(inline) && (/^\.\.?$/.test(inline) || /[/\\]|\.[a-z][a-z0-9]{1,7}$/i.test(inline));
  });
/**
 * manage's options whose values are names, not files (cli/main.ts), each with its type's form
 * (cli/options.ts): --from is also a date (spend, report) or a profile (plan), never path-shaped.
 */
const NAMES_NO_FILE: Record<string, (value: string) => boolean> = {
  "--from": (value) => SOURCE_IMAGE_PATTERN.test(value),
  "--name": (value) => REPOSITORY_PATTERN.test(value),
  "--stack": (value) => stackNameProblem(value) === null,
};

async function runInProcess(args: string[], opts: { project: string; env?: Record<string, string> }): Promise<ManageResult> {
  if (relativePathIn(args)) throw new Error(`manage ${args.join(" ")}: a relative path resolves against the worker's folder in-process; run it as a process (manage())`);
  const { main } = (await import(MANAGE)) as { main: (argv: string[]) => Promise<number> };
  // The edges where manage starts pulumi and az (the same modules main() loads).
  const { pulumiCli } = (await import(join(ROOT, "dist", "cli", "pulumi", "process.js"))) as typeof import("../../cli/pulumi/process.js");
  const { azCli } = (await import(join(ROOT, "dist", "cli", "azure", "az.js"))) as typeof import("../../cli/azure/az.js");
  // A fresh process's colour: none, stdout being a pipe (a run's --color would otherwise outlive it,
  // for the errors commander reports before the run sets its own).
  const { default: chalk } = await import("chalk");
  // And a fresh process's output settings: a run refused before it sets its own (commander's errors)
  // would otherwise report with the run before's JSON document.
  const { configureOutput } = (await import(join(ROOT, "dist", "cli", "output.js"))) as typeof import("../../cli/output.js");
  configureOutput({ json: false, verbose: false, color: undefined });
  chalk.level = 0;
  const savedEnv = { ...process.env };
  const savedExitCode = process.exitCode;
  const out: string[] = [];
  const err: string[] = [];
  const streams = { stdout: process.stdout.write, stderr: process.stderr.write };
  const consoles = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const catcher = (into: string[]) => ((chunk: string | Uint8Array) => (into.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")), true)) as typeof process.stdout.write;
  const line = (into: string[]) => (...parts: unknown[]) => void into.push(`${format(...parts)}\n`);
  const env = manageEnv(opts.project, opts.env ?? {});
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, env);
  process.exitCode = undefined;
  process.stdout.write = catcher(out);
  process.stderr.write = catcher(err);
  Object.assign(console, { log: line(out), info: line(out), warn: line(err), error: line(err) });
  // And a run that writes into the worker's folder anyway fails: a new file, or one already there
  // written again (a default file name: capacity --simulate's capacity-simulation.svg is in the repository).
  const folder = filesIn(process.cwd());
  // pulumi and az, when they are the stand-ins, run in this worker too (pulumiInWorker, azInWorker).
  const spawnPulumi = pulumiCli.run;
  pulumiCli.run = (call) => pulumiInWorker(call, spawnPulumi);
  const spawnAz = azCli.run;
  azCli.run = (argv, stream) => azInWorker(argv, stream, spawnAz);
  let distrust = () => {};
  // A process's stack traces: node's own (./program.ts nodeStackTraces).
  const mappedStacks = nodeStackTraces();
  // Once: at the run's end, or at its test's end if that comes first (endOfTest).
  let given = false;
  const restore = () => {
    if (given) return;
    given = true;
    if (giveBack === restore) giveBack = undefined;
    pulumiCli.run = spawnPulumi;
    azCli.run = spawnAz;
    distrust();
    mappedStacks();
    freshConnections();
    Object.assign(console, consoles);
    process.stdout.write = streams.stdout;
    process.stderr.write = streams.stderr;
    for (const key of Object.keys(process.env)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    process.exitCode = savedExitCode;
  };
  giveBack = restore;
  try {
    if (env.NODE_EXTRA_CA_CERTS) distrust = trustExtraCertificates(env.NODE_EXTRA_CA_CERTS);
    const exitCode = await main(["node", MANAGE, ...args]);
    const written = [...filesIn(process.cwd())].filter(([f, stamp]) => folder.get(f) !== stamp).map(([f]) => f);
    if (written.length) throw new Error(`manage ${args.join(" ")} wrote ${written.join(", ")} into ${process.cwd()}: run it as a process (manage())`);
    return { exitCode, stdout: out.join("").replace(/\n$/, ""), stderr: err.join("").replace(/\n$/, "") };
  } finally {
    restore();
  }
}

/** A folder's entries: a file's modification time and size, "" for anything else (a folder's own time changes with others' work in it). */
function filesIn(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir, { withFileTypes: true }).map((e) => {
      if (!e.isFile()) return [e.name, ""];
      const s = statSync(join(dir, e.name));
      return [e.name, `${s.mtimeMs}:${s.size}`];
    }),
  );
}

/**
 * A process's connections end with it: fetch's pool of keep-alive connections (Node's own undici,
 * one per process) is replaced after each in-process run, so the next run does not reuse a
 * connection the last one opened (one it was trusted to open, say: trustExtraCertificates).
 */
function freshConnections(): void {
  const key = Symbol.for("undici.globalDispatcher.1");
  const pool = (globalThis as Record<symbol, { destroy(): Promise<void> } | undefined>)[key];
  if (!pool) return;
  (globalThis as Record<symbol, unknown>)[key] = new (pool.constructor as new () => unknown)();
  void pool.destroy().catch(() => undefined);
}

/**
 * A pulumi call of an in-process manage: the stand-in run in this worker (test/fake-pulumi/main.ts
 * runPulumi) with the call's folder, environment and output callbacks, instead of a node process
 * per call (~50 ms of CPU for a read, ~0.3 s for a preview with its memo). What manage sees is the
 * same: the exit code, and stdout and stderr as execa gives them, without the final newline; the
 * Automation API gets its events from the same --event-log stream. A call whose PATH finds another
 * pulumi first (a test's own) is a process, as are calls that need signals (those tests run manage
 * as a process: manage(), spawnManage()).
 */
async function pulumiInWorker(call: PulumiCall, spawnPulumi: (call: PulumiCall) => Promise<PulumiExit>): Promise<PulumiExit> {
  const env = { ...process.env, ...call.env };
  const command = call.command ?? "pulumi";
  if ((command.includes("/") ? command : onPath("pulumi", env)) !== join(FAKE_PULUMI_BIN, "pulumi")) return spawnPulumi(call);
  const { runPulumi } = await import("../fake-pulumi/main.js");
  return inWorker((run) => runPulumi({ ...run, argv: call.args, cwd: call.cwd, env }), call.onStdout, call.onStderr);
}

/** An az call of an in-process manage: the az stand-in run in this worker, as pulumiInWorker runs pulumi's. */
async function azInWorker(argv: string[], stream: boolean, spawnAz: (argv: string[], stream: boolean) => Promise<AzExit>): Promise<AzExit> {
  if (onPath("az", process.env) !== join(FAKE_AZ_BIN, "az")) return spawnAz(argv, stream);
  const { runAz } = await import("../fake-az/main.js");
  // Streamed output is manage's stderr (the process's az writes both streams there), so not in the result.
  const streamed = stream ? (text: string) => void process.stderr.write(text) : undefined;
  const r = await inWorker((run) => runAz({ ...run, argv, cwd: process.cwd(), env: { ...process.env } }), streamed, streamed);
  return stream ? { ...r, stdout: "", stderr: "" } : r;
}

/** The first `name` on PATH, as a spawn finds it. */
const onPath = (name: string, env: NodeJS.ProcessEnv) => (env.PATH ?? "").split(":").map((dir) => join(dir, name)).find((file) => existsSync(file));

/**
 * A stand-in run in this worker: its streams caught (and passed on), its output as execa gives it.
 * The stand-ins' own tests compare it with the same calls as processes.
 */
export async function inWorker(
  run: (streams: Pick<Invocation, "stdout" | "stderr" | "ownProcess">) => Promise<number>,
  onStdout?: (text: string) => void,
  onStderr?: (text: string) => void,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const [stdout, stderr] = [[] as string[], [] as string[]];
  const exitCode = await run({
    stdout: (text) => (stdout.push(text), onStdout?.(text)),
    stderr: (text) => (stderr.push(text), onStderr?.(text)),
    ownProcess: false,
  });
  const text = (parts: string[]) => parts.join("").replace(/\n$/, "");
  return { stdout: text(stdout), stderr: text(stderr), exitCode };
}

/**
 * A clean environment: the stand-ins first on PATH, no pulumi login, no backend or passphrase from
 * the developer's shell, no colour. Nothing else is inherited, GITHUB_ACTIONS included: when the
 * suite itself runs in GitHub Actions, manage must not think it is in a workflow run (it would
 * refuse the embedded backend, cli/workflow.ts) unless a test sets it.
 */
export function manageEnv(project: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${FAKE_PULUMI_BIN}:${FAKE_AZ_BIN}:${process.env.PATH}`,
    FAKE_AZ_STATE: join(project, ".fake-az.json"),
    HOME: project,
    PULUMI_HOME: join(project, ".pulumi-home"),
    MANAGE_PROJECT_DIR: project,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    // One moment for every command of the suite unless a test sets its own (or "" for the real
    // clock, as tests of live metrics do): the same command from the same state is then the same
    // question to the stand-in, whose memo answers it once (an operation records when it was asked).
    MANAGE_NOW: TEST_NOW,
    ...warmEnv(),
    // ...and a change on that clock is a rehearsal the suite asks for explicitly (cli/clock.ts,
    // rehearsalClock); the tests of the refusal unset it.
    MANAGE_REHEARSAL: "1",
    ...extra,
  };
}

/**
 * The test run's warm policy pack and warm program, when the global setup started them
 * (test/fake-pulumi/analyzer-host.ts, test/fake-pulumi/program-server.mjs): for any environment a
 * test builds for the pulumi stand-in.
 */
export const warmEnv = (): Record<string, string> =>
  Object.fromEntries(["FAKE_PULUMI_WARM_PACK", "FAKE_PULUMI_WARM_PROGRAM"].flatMap((key) => (process.env[key] ? [[key, process.env[key]!]] : [])));

/** The suite's clock (see manageEnv). */
export const TEST_NOW = "2026-11-23T09:00:00Z";

/**
 * manage started as a child the test can signal or kill (an interrupted or killed change), with the
 * same environment as manage().
 */
export function spawnManage(args: string[], project: string, env: Record<string, string> = {}) {
  return execa("node", [MANAGE, ...args], { reject: false, cwd: project, extendEnv: false, env: manageEnv(project, env) });
}

/**
 * A first deployment, as a newcomer does it: `manage up` deploys the foundation and stops because
 * the new registry is empty; the two images are imported; the stack is then ready for any change.
 */
export async function firstDeployment(project: string, stack = "dev"): Promise<void> {
  const first = await manage(["up", "--stack", stack], { project });
  if (first.exitCode !== 1 || !first.stderr.includes("foundation deployed"))
    throw new Error(`expected the foundation-first stop, got exit ${first.exitCode}: ${first.stderr}`);
  for (const image of ["coding-engine/backend:v1", "coding-engine/session:v1"]) {
    const r = await manage(["images", "import", "--stack", stack, "--from", `source.azurecr.io/${image}`], { project });
    if (r.exitCode !== 0) throw new Error(`image import failed: ${r.stderr}`);
  }
}

/**
 * Where a run's test projects live (the global setup's MANAGE_TEST_PROJECTS): in memory, /dev/shm,
 * where the machine has it with room to spare, else the temp folder. The stand-ins write a stack's
 * checkpoint as pulumi's file backend does, a temporary file renamed over the old one, and on ext4
 * such a rename waits for the data to be written out (auto_da_alloc): 1.3 ms a write on this
 * machine's /tmp against 0.4 ms in memory, ~5 s a run of the test workers blocked in rename (a CPU
 * profile of every worker, issue 23). A run's projects take a few tens of MB; a container's
 * /dev/shm may hold only 64 MB, hence the room asked for.
 */
export function projectsRoot(free = shmFree()): string {
  return free !== null && free >= SHM_FREE_NEEDED ? "/dev/shm" : tmpdir();
}
export const SHM_FREE_NEEDED = 1024 ** 3;

/** The bytes free in /dev/shm, or null where there is none this process may write to. */
export function shmFree(): number | null {
  try {
    accessSync("/dev/shm", constants.W_OK);
    const { bavail, bsize } = statfsSync("/dev/shm");
    return bavail * bsize;
  } catch {
    return null;
  }
}

/**
 * Where the global setup keeps one project per stack (and per template, below): in the run's own
 * folder of test projects (MANAGE_TEST_PROJECTS, removed when the run ends), so two runs in one
 * checkout (a file run by hand beside the suite) neither share nor remove each other's. Without the
 * global setup nothing is prepared, and prepare() deploys the stack itself.
 */
const prepared = () => join(process.env.MANAGE_TEST_PROJECTS ?? join(tmpdir(), "manage-no-test-run"), "prepared");

/**
 * Deployed stacks that tests begin from when the test is about what comes after (a status, an
 * expiry, a refusal, a replacement): the prepared stack, then this command of manage, run for real
 * once per test run by the global setup (each test that is about the command itself runs it). A
 * contest for 3h expires 3 h after the global setup: tests either set the expiry they need or only
 * need it in the future.
 */
export const TEMPLATES = {
  "dev after up": { stack: "dev", args: ["up"] },
  "dev scaled to testing": { stack: "dev", args: ["scale", "--no-wait", "--profile", "testing"] },
  // At a known moment (MANAGE_NOW), so tests of the expiry know when it is: 2026-12-05 11:30 UTC.
  "contest scaled to contest for 3h": { stack: "contest", args: ["scale", "--no-wait", "--stack", "contest", "--profile", "contest", "--for", "3h"], env: { MANAGE_NOW: "2026-12-05T08:30:00Z" } },
} as const satisfies Record<string, { stack: string; args: readonly string[]; env?: Record<string, string> }>;
export type Template = keyof typeof TEMPLATES;
const templateDir = (template: Template) => join(prepared(), template.replaceAll(" ", "-"));

/**
 * Global setup: the first deployment of each stack, then each template, once per test run (a test
 * of its own proves each step). The stacks are independent projects, so they deploy side by side.
 */
export async function buildPreparedStacks(stacks = ["dev", "contest"]): Promise<void> {
  const keep = async (dir: string, to: string, build: () => Promise<void>) => {
    await build();
    cpSync(dir, to, { recursive: true, verbatimSymlinks: true });
    rmSync(dir, { recursive: true, force: true });
  };
  await Promise.all(stacks.map((stack) => ((dir) => keep(dir, join(prepared(), stack), () => firstDeployment(dir, stack)))(makeProject())));
  await Promise.all(
    (Object.keys(TEMPLATES) as Template[]).map((template) => ((dir) => keep(dir, templateDir(template), () => deployed(dir, template)))(makeProject())),
  );
}

/** Copies a stack's files (stack file, state and history, passphrase, registry images) from `from`. */
function copyStack(from: string, project: string, stack: string): void {
  const copy = (path: string) => existsSync(join(from, path)) && cpSync(join(from, path), join(project, path), { recursive: true });
  copy(`Pulumi.${stack}.yaml`);
  copy(join(".pulumi-state", ".pulumi", "stacks", "coding-engine", `${stack}.json`));
  copy(join(".pulumi-state", ".pulumi", "history", "coding-engine", stack));
  if (!existsSync(join(project, ".pulumi-state", "passphrase"))) copy(join(".pulumi-state", "passphrase"));
  else reencrypt(from, project, stack);
  const images = (dir: string) => (existsSync(join(dir, ".fake-az.json")) ? JSON.parse(readFileSync(join(dir, ".fake-az.json"), "utf8")) : {});
  writeFileSync(join(project, ".fake-az.json"), JSON.stringify({ ...images(project), ...images(from) }, null, 2));
}

/**
 * The stack as after its first deployment (foundation deployed, both images in its registry),
 * copied from the global setup's: its stack file, its state and history, the registry's images.
 * Other stacks in the project are left as they are. Without the global setup, it deploys for real.
 */
export async function prepare(project: string, stack = "dev"): Promise<void> {
  const from = join(prepared(), stack);
  if (!existsSync(from)) return firstDeployment(project, stack);
  copyStack(from, project, stack);
}

/**
 * The stack as the template's command left it (see TEMPLATES), copied from the global setup's like
 * prepare(). Without the global setup, it prepares the stack and runs the command for real.
 */
export async function deployed(project: string, template: Template): Promise<void> {
  const t: { stack: string; args: readonly string[]; env?: Record<string, string> } = TEMPLATES[template];
  const { stack, args } = t;
  if (existsSync(templateDir(template))) return copyStack(templateDir(template), project, stack);
  await prepare(project, stack);
  const r = await manage([...args], { project, env: t.env ?? {} });
  if (r.exitCode !== 0) throw new Error(`${template}: manage ${args.join(" ")} failed with exit ${r.exitCode}: ${r.stderr}`);
}
