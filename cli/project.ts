// Where the Pulumi project is: the directory holding this project's Pulumi.yaml. MANAGE_PROJECT_DIR
// wins (tests, CI); otherwise the nearest one above the working directory; otherwise the package
// the CLI was installed from.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PROJECT } from "../infra/config.js";
import { UsageError } from "./errors.js";
import { stackNameProblem } from "./options.js";

function isOurProject(dir: string): boolean {
  const file = join(dir, "Pulumi.yaml");
  return existsSync(file) && new RegExp(`^name:\\s*${PROJECT}\\s*$`, "m").test(readFileSync(file, "utf8"));
}

export function projectDir(): string {
  const explicit = process.env.MANAGE_PROJECT_DIR;
  if (explicit) {
    if (!isOurProject(explicit)) throw new UsageError(`MANAGE_PROJECT_DIR=${explicit} holds no ${PROJECT} Pulumi.yaml`);
    return resolve(explicit);
  }
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (isOurProject(dir)) return dir;
    if (dirname(dir) === dir) break;
  }
  // dist/cli/project.js -> the package root.
  const packaged = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  if (isOurProject(packaged)) return packaged;
  throw new UsageError(`no ${PROJECT} Pulumi.yaml here or above; run manage inside the project or set MANAGE_PROJECT_DIR`);
}

let stackFromOption = false;

/** main.ts says whether --stack was given, so messages name where a stack name came from. */
export function noteStackOption(given: boolean): void {
  stackFromOption = given;
}

/**
 * The stack a command works on when --stack is not given: MANAGE_STACK, else dev (never contest).
 * MANAGE_STACK is held to pulumi's rule for stack names, as --stack is.
 */
export function defaultStack(): string {
  const env = process.env.MANAGE_STACK;
  if (env === undefined || env === "") return "dev";
  const problem = stackNameProblem(env);
  if (problem) throw new UsageError(`MANAGE_STACK=${JSON.stringify(env)} is not a stack name (${problem})\n  Fix: set MANAGE_STACK to a stack such as dev or contest, or unset it`);
  return env;
}

/** Where the stack a command works on was named, and how to name another: for messages. */
export function stackOrigin(): { where: string; fix: string } {
  if (stackFromOption) return { where: "--stack", fix: "pass --stack with one of those" };
  if (process.env.MANAGE_STACK) return { where: "MANAGE_STACK", fix: "set MANAGE_STACK to one of those (or unset it), or pass --stack" };
  return { where: "the default stack", fix: "pass --stack with one of those, or set MANAGE_STACK" };
}
