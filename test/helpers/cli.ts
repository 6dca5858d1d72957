// Runs the built `manage` binary the way a user does, against a throwaway copy of the project's
// Pulumi.yaml and stack files (so a test can never change the real ones).
import { copyFileSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { ROOT } from "./program.js";

export const MANAGE = join(ROOT, "dist", "cli", "main.js");

/** A temp project directory with copies of Pulumi.yaml and every Pulumi.<stack>.yaml. */
export function makeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "manage-project-"));
  for (const f of readdirSync(ROOT).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f))) copyFileSync(join(ROOT, f), join(dir, f));
  return dir;
}

/** Every stack file's text, to prove a refused command touched nothing. */
export function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

export interface ManageResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function manage(
  args: string[],
  opts: { project: string; env?: Record<string, string>; input?: string },
): Promise<ManageResult> {
  const r = await execa("node", [MANAGE, ...args], {
    reject: false,
    cwd: opts.project,
    input: opts.input ?? "",
    env: { MANAGE_PROJECT_DIR: opts.project, NO_COLOR: "1", FORCE_COLOR: "0", ...opts.env },
    extendEnv: true,
  });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
