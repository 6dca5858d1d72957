// Where the Pulumi project is: the directory holding this project's Pulumi.yaml. MANAGE_PROJECT_DIR
// wins (tests, CI); otherwise the nearest one above the working directory; otherwise the package
// the CLI was installed from.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PROJECT } from "../infra/config.js";
import { UsageError } from "./errors.js";

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

/** The stack a command works on when --stack is not given: MANAGE_STACK, else dev (never contest). */
export function defaultStack(): string {
  return process.env.MANAGE_STACK || "dev";
}
