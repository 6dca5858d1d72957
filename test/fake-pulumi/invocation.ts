// One run of the stand-in: its arguments, folder, environment and output streams. A `pulumi`
// process has one (./main.ts, at its end). A test worker runs the stand-in in its own thread for the
// tests of what manage decides (test/helpers/project.ts pulumiInWorker), one run after another or
// side by side, each with its own: the code reads them from here, never from `process`.
import { AsyncLocalStorage } from "node:async_hooks";
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

export interface Invocation {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  /** A process of its own: its signals are the run's to handle (an in-worker run gets none). */
  ownProcess: boolean;
}

const current = new AsyncLocalStorage<Invocation>();

/** This process as a run of the stand-in. */
const processInvocation = (): Invocation => ({
  argv: process.argv.slice(2),
  cwd: process.cwd(),
  env: process.env,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  ownProcess: true,
});
const own = processInvocation();

/** Runs `run` as this process, exiting with its code, when `moduleUrl` is the script node started (a bin script, a bundle). */
export function runIfEntry(moduleUrl: string, run: (invocation: Invocation) => Promise<number>): void {
  if (process.argv[1] && moduleUrl === pathToFileURL(realpathSync(process.argv[1])).href) void run(own).then((code) => process.exit(code));
}

/** The run now going on (the process's own outside any). */
export const invocation = (): Invocation => current.getStore() ?? own;
/** Its environment. */
export const env = (): NodeJS.ProcessEnv => invocation().env;
/** Runs fn as the given run. */
export const within = <T>(run: Invocation, fn: () => Promise<T>): Promise<T> => current.run(run, fn);
