// What tests assert about a refused command, and the dev stack on a local backend; everything else
// lives in ./project.ts.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { makeProject, manage, manageInProcess, prepare, relativePathIn, snapshot, type ManageResult } from "./project.js";
import { startExecServer, type ExecServer } from "../exec-server/server.js";

export * from "./project.js";

/** The arguments with --json added before any `--` (what follows `--` belongs to pulumi). */
export const withJson = (args: string[]) => (args.includes("--") ? [...args.slice(0, args.indexOf("--")), "--json", ...args.slice(args.indexOf("--"))] : [...args, "--json"]);

/**
 * Bad input: one clear message, exit 2, and nothing touched: stack files byte for byte, and no state
 * backend created (so pulumi was never run). Run with --json: stderr still says it in words
 * (`manage: ...`), and stdout holds exactly one JSON document, the error.
 */
export async function expectRefusal(project: string, args: string[], message: RegExp, env: Record<string, string> = {}): Promise<void> {
  const files = snapshot(project);
  // In the worker unless the call needs a process of its own (manageDecision).
  const r = await manageDecision(withJson(args), { project, env });
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^manage: /m);
  expect(r.exitCode).toBe(2);
  const document = JSON.parse(r.stdout) as { error?: { message: string; exitCode: number } };
  expect(document.error?.exitCode).toBe(2);
  const fix = (document.error as { fix?: string }).fix;
  expect(`${document.error?.message}${fix ? `\n  Fix: ${fix}` : ""}`).toMatch(message);
  expect(snapshot(project)).toEqual(files);
  expect(existsSync(join(project, ".pulumi-state"))).toBe(false);
}

/**
 * manage for a test of what it decides (a change's plan, its refusals, its records, its recovery
 * texts): run in this worker (manageInProcess: the same main() without a node start per call, and
 * the pulumi stand-in run in the worker too) when nothing in the call needs a process of its own,
 * else as one. A process is needed for input on stdin, a PATH of the test's own, a relative path
 * (resolved against the worker's folder), NODE_OPTIONS or TZ (node reads them only at start), an
 * empty MANAGE_PROJECT_DIR (the worker's folder is the repository) and `manage pulumi` (pulumi
 * writes straight to manage's stdout). NODE_EXTRA_CA_CERTS is honoured in the worker
 * (trustExtraCertificates). In-process runs take the worker's environment and streams while they
 * run, so they rely on one test at a time per worker (vitest.config.ts maxConcurrency). Journeys,
 * prompts and signals use manage() and spawnManage().
 */
export function manageDecision(args: string[], opts: Parameters<typeof manage>[1]): Promise<ManageResult> {
  const env = opts.env ?? {};
  const needsProcess =
    opts.input !== undefined ||
    opts.path !== undefined ||
    relativePathIn(args) ||
    args[0] === "pulumi" ||
    // Read by node only at start (TZ in a worker thread too), or, for MANAGE_PROJECT_DIR unset or
    // empty, resolved from the worker's folder: the repository's own stack files.
    ["NODE_OPTIONS", "TZ"].some((v) => v in env) ||
    !env.MANAGE_PROJECT_DIR && "MANAGE_PROJECT_DIR" in env;
  return needsProcess ? manage(args, opts) : manageInProcess(args, opts);
}

/** A local backend that really runs code (test/exec-server), and a project to run manage in. */
export async function execServerAndProject(): Promise<{ exec: ExecServer; project: string }> {
  return { exec: await startExecServer(), project: makeProject() };
}

/**
 * The dev stack after its first deployment, with what Azure would assign as its backend's FQDN
 * pointing at a local server that really runs code, over HTTPS as in Azure: `env` carries that to
 * every manage call.
 */
export async function devStackOnExecServer(): Promise<{ exec: ExecServer; project: string; env: Record<string, string> }> {
  const exec = await startExecServer({ tls: true });
  const project = makeProject();
  const env = { FAKE_PULUMI_BACKEND_FQDN: new URL(exec.url).host, NODE_EXTRA_CA_CERTS: exec.caFile! };
  await prepare(project, "dev");
  return { exec, project, env };
}
