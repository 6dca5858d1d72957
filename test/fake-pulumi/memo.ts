// The stand-in's one shortcut, invisible to its callers: evaluating the program under mocks and
// running the policy pack are pure functions of their inputs (the program's files, the config, the
// knobs that shape mocked outputs, the pack's files), and each costs ~0.5 s of loading
// @pulumi/pulumi. The test suite asks the same questions hundreds of times, so answers are kept in
// a directory keyed by a hash of every input. FAKE_PULUMI_MEMO=off turns it off. A miss runs the
// program or the pack through Pulumi's own entry points (./evaluation.ts).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { threadId } from "node:worker_threads";
import { env } from "./invocation.js";

const DIR = join(tmpdir(), "fake-pulumi-memo");

/** A hash of every file below `dir` (names and contents). */
export function treeHash(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) h.update(p.slice(dir.length)).update("\0").update(readFileSync(p)).update("\0");
    }
  };
  if (existsSync(dir)) walk(dir);
  return h.digest("hex");
}

/** A hash of one file's content, or null when there is none. */
export const fileHash = (file: string): string | null => (existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : null);

/**
 * A hash of the code a package folder loads: the folder of its package.json's `main` (index.js
 * without one), which may lie outside the package (the policy pack's compiled code is in dist/).
 */
export function packageCodeHash(dir: string): string {
  let main = "index.js";
  try {
    main = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { main?: string }).main ?? main;
  } catch {
    // No package.json (or a broken one): the loader fails on it, and the memo keys the folder alone.
  }
  return treeHash(dirname(resolve(dir, main)));
}

/**
 * The stand-in's own code (the bundle it runs from: test/helpers/global-setup.ts): an answer is
 * the stand-in's as much as the program's, so a change to how it evaluates or what it records
 * keys new answers instead of serving those of the code before. A process runs the bundle, which
 * holds every file of ours the stand-in imports (cli/offline's Azure mocks, the policy pack's
 * types); a test worker runs these sources, whose imports outside this folder only the bundle the
 * test run built holds, so both are keyed (review rv12: an edit to cli/offline/azure-mocks.ts kept
 * serving the evaluations of the mocks before it to every in-worker run, the memo outliving runs).
 */
let ownCode: string | undefined;
function standInCode(): string {
  if (ownCode === undefined) {
    const here = dirname(fileURLToPath(import.meta.url));
    const h = createHash("sha256");
    for (const dir of basename(here) === ".build" ? [here] : [here, join(here, ".build")])
      for (const name of (existsSync(dir) ? readdirSync(dir) : []).filter((n) => /\.[cm]?[jt]s$/.test(n)).sort()) h.update(name).update(readFileSync(join(dir, name)));
    ownCode = h.digest("hex");
  }
  return ownCode;
}

export async function memo<T>(kind: string, inputs: unknown, compute: () => Promise<T>): Promise<T> {
  if (env().FAKE_PULUMI_MEMO === "off") return compute();
  const key = createHash("sha256").update(kind).update(standInCode()).update(JSON.stringify(inputs)).digest("hex");
  const file = join(DIR, `${kind}-${key}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as T;
  const value = await compute();
  mkdirSync(DIR, { recursive: true });
  // Written whole, then renamed: a parallel reader never sees half a file.
  // The test workers are threads of one process: the thread too, not only the pid.
  const tmp = `${file}.${process.pid}.${threadId}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, file);
  return value;
}
