// Programs a test runs to their end (manage as a process, the exec server's python, java and
// compiled binaries) are started from a small helper process, not from the test worker.
//
// Why: node starts a child with fork() then exec() (libuv's uv_spawn on Linux). fork() copies the
// page tables of the whole vitest process, every worker's heap, up to ~1 GB: ~20 ms a start where a
// small process takes ~2 ms (measured: 1,035 starts a run, 22.5 s in spawn() alone). Worse, it
// leaves every page of the heap copy-on-write, so the worker's next write to each page faults: with
// a 1 GB heap, touching it after a start took 205 ms instead of 8 ms (libuv/libuv#1715,
// nodejs/node#14917). The helper is forked once per worker; what it starts never sees the heap.
//
// What a program sees is unchanged: the same execa options (folder, environment, input, time-out,
// kill signal, buffer limit), run by the same execa, and the same result fields. Programs a test
// signals, streams or talks to while they run still start from the worker (spawnManage, the
// stand-ins' own children).

import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Options } from "execa";

/** How a program ended: what execa's result says of it. */
export interface Ended {
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved (with `all: true`). */
  all?: string;
  exitCode?: number;
  signal?: string;
  timedOut: boolean;
  /** The start's own error code (ENOENT: not found). */
  code?: string;
}

/** What may cross to the helper: plain data (no streams, callbacks or signals). */
export type RunOptions = Pick<Options, "cwd" | "input" | "timeout" | "killSignal" | "maxBuffer" | "all" | "stripFinalNewline"> & {
  cwd?: string;
  input?: string;
  /** The program's whole environment: nothing is added from the helper's. */
  env: Record<string, string | undefined>;
};

const HELPER = fileURLToPath(new URL("./spawner-process.mjs", import.meta.url));
type Waiting = Map<number, { resolve: (r: Ended) => void; reject: (e: Error) => void }>;
/** The helper now taking programs, and the calls it holds (its own: a helper on its way out fails only those). */
let helper: { child: ChildProcess; waiting: Waiting } | undefined;
let nextId = 0;

function started(): { child: ChildProcess; waiting: Waiting } {
  // A helper whose channel closed is on its way out (its exit rejects what it held): start another.
  if (helper?.child.connected) return helper;
  const child = fork(HELPER, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], env: { PATH: process.env.PATH ?? "" } });
  const waiting: Waiting = new Map();
  child.on("message", ({ id, result, error }: { id: number; result?: Ended; error?: string }) => {
    if (error !== undefined) waiting.get(id)?.reject(new Error(error));
    else waiting.get(id)?.resolve(result!);
    waiting.delete(id);
    if (waiting.size === 0) child.channel?.unref();
  });
  child.on("exit", (code, signal) => {
    if (helper?.child === child) helper = undefined;
    for (const [id, w] of waiting) {
      w.reject(new Error(`the spawner helper ended (${signal ?? `exit ${code}`}) before its program did`));
      waiting.delete(id);
    }
  });
  // Idle, it does not keep the worker alive; while a program runs, its answer is awaited.
  child.unref();
  child.channel?.unref();
  helper = { child, waiting };
  return helper;
}

/**
 * Runs `file` with `args` to its end from the helper process; never rejects for the program's exit.
 * Rejects, as execa in the worker would throw, for options execa refuses, and if the helper ends.
 */
export function runToEnd(file: string, args: string[], options: RunOptions): Promise<Ended> {
  const { child, waiting } = started();
  const id = nextId++;
  const ended = new Promise<Ended>((resolve, reject) => waiting.set(id, { resolve, reject }));
  child.channel?.ref();
  // A send the closing channel refuses fails this call, not the worker (an unhandled 'error').
  child.send({ id, file, args, options: { ...options, extendEnv: false } }, (err) => {
    if (!err) return;
    waiting.get(id)?.reject(new Error(`the spawner helper could not take the program: ${err.message}`));
    waiting.delete(id);
  });
  return ended;
}
