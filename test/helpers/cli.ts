// Runs the built `manage` binary the way a user does, against a throwaway copy of the project's
// Pulumi.yaml and stack files (so a test can never change the real ones).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { expect } from "vitest";
import { ROOT } from "./program.js";
import type { Checkpoint, StateResource } from "../fake-pulumi/state.js";

export type { StateResource };

export const MANAGE = join(ROOT, "dist", "cli", "main.js");

export const FAKE_PULUMI_BIN = join(ROOT, "test", "fake-pulumi", "bin");
export const FAKE_AZ_BIN = join(ROOT, "test", "fake-az", "bin");

/**
 * A temp project directory: copies of Pulumi.yaml and every Pulumi.<stack>.yaml, and links to the
 * built program and node_modules (pulumi runs `main` from the project directory).
 */
export function makeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "manage-project-"));
  for (const f of readdirSync(ROOT).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f))) copyFileSync(join(ROOT, f), join(dir, f));
  symlinkSync(join(ROOT, "dist"), join(dir, "dist"));
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
  const r = await execa("node", [MANAGE, ...args], {
    reject: false,
    cwd: opts.project,
    input: opts.input ?? "",
    extendEnv: false,
    env: {
      PATH: opts.path ?? `${FAKE_PULUMI_BIN}:${FAKE_AZ_BIN}:${process.env.PATH}`,
      FAKE_AZ_STATE: join(opts.project, ".fake-az.json"),
      HOME: opts.project,
      PULUMI_HOME: join(opts.project, ".pulumi-home"),
      MANAGE_PROJECT_DIR: opts.project,
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      ...opts.env,
    },
  });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/**
 * A first deployment, as a newcomer does it: `manage up` deploys the foundation and stops because
 * the new registry is empty; the two images are imported; the stack is then ready for any change.
 */
export async function prepare(project: string, stack = "dev"): Promise<void> {
  const first = await manage(["up", "--stack", stack], { project });
  if (first.exitCode !== 1 || !first.stderr.includes("foundation deployed"))
    throw new Error(`expected the foundation-first stop, got exit ${first.exitCode}: ${first.stderr}`);
  for (const image of ["coding-engine/backend:v1", "coding-engine/session:v1"]) {
    const r = await manage(["images", "import", "--stack", stack, "--from", `source.azurecr.io/${image}`], { project });
    if (r.exitCode !== 0) throw new Error(`image import failed: ${r.stderr}`);
  }
}

/**
 * Bad input: one clear message, exit 2, and nothing touched: stack files byte for byte, and no state
 * backend created (so pulumi was never run).
 */
export async function expectRefusal(project: string, args: string[], message: RegExp): Promise<void> {
  const files = snapshot(project);
  const r = await manage(args, { project });
  expect(r.stderr).toMatch(message);
  expect(r.exitCode).toBe(2);
  expect(snapshot(project)).toEqual(files);
  expect(existsSync(join(project, ".pulumi-state"))).toBe(false);
}
