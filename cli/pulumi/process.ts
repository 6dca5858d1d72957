// Where manage starts the pulumi CLI: the version check, the Automation API's calls (./runner.ts),
// the direct reads (./reader.ts) and `manage pulumi` all go through pulumiCli.run, the one edge
// between manage and pulumi's process.
// The suite's tests of what manage decides put the pulumi stand-in there, run in their own thread
// (test/helpers/project.ts, pulumiInWorker); everything on manage's side of it, the Automation API's
// argv and its event stream included, is the code that runs for real.

import { constants } from "node:os";
import { execa, type ResultPromise } from "execa";
import { OperationError, UsageError } from "../errors.js";
import { NOT_INSTALLED, versionIn, versionRefusal } from "./argv.js";

export interface PulumiCall {
  /** What to run: "pulumi" on PATH, or the path the Automation API found. */
  command?: string;
  args: string[];
  cwd: string;
  /** Added to manage's own environment. */
  env: Record<string, string>;
  /** In a process group of its own (./runner.ts says why). */
  detached?: boolean;
  /** On manage's own terminal: stdin, stdout and stderr are manage's (`manage pulumi`); nothing is caught. */
  attached?: boolean;
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
}

/** How a pulumi call ended: its output without the final newline (as execa gives it). */
export interface PulumiExit {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** pulumi is not installed (not on PATH). */
  notFound?: boolean;
}

/** The pulumi child now running, so an interrupt reaches it (and nothing else). */
let running: ResultPromise | undefined;

/** Sends SIGINT to the running pulumi, if any. Returns whether there was one. */
export function interruptPulumi(): boolean {
  if (!running?.pid) return false;
  running.kill("SIGINT");
  return true;
}

/** A signal's exit code as a shell reports it, 128 + its number: 130 for SIGINT, 143 for SIGTERM, 137 for SIGKILL. */
const signalExit = (signal: string) => 128 + (constants.signals[signal as NodeJS.Signals] ?? 0);

async function spawnPulumi(call: PulumiCall): Promise<PulumiExit> {
  const child = execa(call.command ?? "pulumi", call.args, {
    cwd: call.cwd,
    env: call.env,
    detached: call.detached ?? false,
    reject: false,
    ...(call.attached ? { stdio: "inherit" as const } : { stdin: "ignore" as const }),
  });
  running = child;
  if (call.onStdout) child.stdout?.on("data", (d: Buffer) => call.onStdout!(d.toString()));
  if (call.onStderr) child.stderr?.on("data", (d: Buffer) => call.onStderr!(d.toString()));
  try {
    const r = await child;
    // Only the spawn's own error code: execa's message holds pulumi's output too (../azure/az.ts).
    // A start that failed otherwise (not executable: EACCES) ran no pulumi to say anything: its error
    // ("spawn pulumi EACCES", the start's alone) is what the failure says.
    const ran = r.exitCode !== undefined || r.signal !== undefined;
    const stderr = ran ? String(r.stderr ?? "") : String((r as { originalMessage?: string }).originalMessage ?? "");
    return { stdout: String(r.stdout ?? ""), stderr, exitCode: r.exitCode ?? (r.signal ? signalExit(r.signal) : -2), notFound: (r as { code?: string }).code === "ENOENT" };
  } finally {
    if (running === child) running = undefined;
  }
}

/** How pulumi is run: a child process. */
export const pulumiCli: { run: (call: PulumiCall) => Promise<PulumiExit> } = { run: spawnPulumi };

/**
 * The installed pulumi's version ("3.230.0"), from `pulumi version` as the Automation API's
 * PulumiCommand.get asks it (@pulumi/pulumi/automation/cmd.js), with the refusals manage makes
 * before anything runs: pulumi missing, or older than manage needs.
 */
export async function installedPulumiVersion(): Promise<string> {
  const r = await pulumiCli.run({ args: ["version"], cwd: process.cwd(), env: { PULUMI_SKIP_UPDATE_CHECK: "true" } });
  if (r.notFound) throw new UsageError(NOT_INSTALLED);
  if (r.exitCode !== 0) throw new OperationError(`\`pulumi version\` failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const printed = r.stdout.trim();
  const refusal = versionRefusal(printed);
  if (refusal) throw new UsageError(refusal);
  return versionIn(printed);
}
