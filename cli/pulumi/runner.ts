// The one place manage runs `pulumi`. Every command line comes from ./argv.ts; failures come back
// as one sentence with the fix (./failures.ts); progress comes from pulumi's JSON event stream.

import { execa } from "execa";
import { OperationError, UsageError } from "../errors.js";
import {
  configRmArgv,
  configSetArgv,
  MIN_PULUMI_VERSION,
  parseVersion,
  previewArgv,
  stackInitArgv,
  stackLsArgv,
  stackExportArgv,
  stackOutputArgv,
  upArgv,
  versionArgv,
  versionAtLeast,
} from "./argv.js";
import { chooseBackend, loggedInBackend, prepareEmbeddedBackend, type BackendChoice } from "./backend.js";
import { explainFailure } from "./failures.js";
import { progressOf, type EngineEvent, type Progress } from "./events.js";

export const INSTALL_HINT = "install it with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi/tap/pulumi`)";

export interface PreviewStep {
  op: string;
  urn: string;
  type?: string;
}

export interface Preview {
  steps: PreviewStep[];
  changeSummary: Record<string, number>;
}

export class Pulumi {
  private constructor(
    readonly projectDir: string,
    readonly backend: BackendChoice,
    readonly version: string,
    private readonly verbose: boolean,
  ) {}

  /** Checks pulumi is installed and recent enough, and chooses the state backend. No other side effect. */
  static async connect(projectDir: string, verbose = false): Promise<Pulumi> {
    let stdout: string;
    try {
      ({ stdout } = await execa("pulumi", versionArgv(), { cwd: projectDir }));
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT")
        throw new UsageError(`pulumi is not installed (manage needs ${MIN_PULUMI_VERSION} or newer): ${INSTALL_HINT}, then run again`);
      throw new OperationError(`\`pulumi version\` failed: ${(err as Error).message}`);
    }
    const version = parseVersion(stdout);
    if (!version || !versionAtLeast(version, MIN_PULUMI_VERSION))
      throw new UsageError(
        `pulumi ${stdout.trim()} is too old: manage needs ${MIN_PULUMI_VERSION} or newer (for its exit codes); upgrade: ${INSTALL_HINT}`,
      );
    const backend = chooseBackend(process.env, projectDir, loggedInBackend(process.env));
    return new Pulumi(projectDir, backend, stdout.trim(), verbose);
  }

  /**
   * Runs one pulumi command. `diagnostics` collects error messages the event stream carried: on
   * failure they come first in the explanation, since stderr then only says "update failed".
   */
  private async run(argv: string[], stack: string, opts: { onLine?: (line: string) => void; diagnostics?: string[] } = {}) {
    if (this.verbose) process.stderr.write(`$ pulumi ${argv.join(" ")}\n`);
    prepareEmbeddedBackend(this.backend);
    const child = execa("pulumi", argv, {
      cwd: this.projectDir,
      env: { ...this.backend.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
      reject: false,
      stdin: "ignore",
    });
    if (opts.onLine && child.stdout) {
      let buffer = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          opts.onLine!(buffer.slice(0, newline));
          buffer = buffer.slice(newline + 1);
        }
      });
    }
    const result = await child;
    if (result.exitCode !== 0) {
      const output = [...(opts.diagnostics ?? []), String(result.stderr), opts.onLine ? "" : String(result.stdout)].join("\n");
      const failure = explainFailure(result.exitCode ?? 1, output, stack, argv[0]!);
      if (result.isTerminated && !result.exitCode)
        throw new OperationError(`pulumi ${argv[0]} was interrupted (${result.signal}); run \`manage status --stack ${stack}\` to see where it stopped, then run the command again`);
      throw new OperationError(failure.message);
    }
    return result;
  }

  /** The stacks the backend knows. */
  async stacks(): Promise<string[]> {
    const { stdout } = await this.run(stackLsArgv(), "*");
    return (JSON.parse(String(stdout) || "[]") as Array<{ name: string }>).map((s) => s.name.split("/").pop()!);
  }

  /** Creates the stack from its stack file when the backend does not have it yet. Returns true if created. */
  async ensureStack(stack: string): Promise<boolean> {
    if ((await this.stacks()).includes(stack)) return false;
    await this.run(stackInitArgv(stack, this.backend.secretsProvider), stack);
    return true;
  }

  async setConfig(stack: string, key: string, value: string | null): Promise<void> {
    await this.run(value === null ? configRmArgv(stack, key) : configSetArgv(stack, key, value), stack);
  }

  async preview(stack: string, targets: string[] = []): Promise<Preview> {
    const { stdout } = await this.run(previewArgv(stack, targets), stack);
    const parsed = JSON.parse(String(stdout)) as { steps?: PreviewStep[]; changeSummary?: Record<string, number> };
    return { steps: parsed.steps ?? [], changeSummary: parsed.changeSummary ?? {} };
  }

  /** Runs the update, reporting progress from the JSON event stream as it arrives. */
  async up(stack: string, onProgress: (p: Progress) => void, targets: string[] = []): Promise<Record<string, number>> {
    let changes: Record<string, number> = {};
    const diagnostics: string[] = [];
    await this.run(upArgv(stack, targets), stack, {
      diagnostics,
      onLine: (line) => {
        if (!line.trim()) return;
        let event: EngineEvent;
        try {
          event = JSON.parse(line) as EngineEvent;
        } catch {
          return; // not an event (pulumi prints the odd plain line); nothing to show
        }
        const p = progressOf(event);
        if (!p) return;
        if (p.kind === "summary") changes = p.changes;
        if (p.kind === "diagnostic" && p.severity === "error") diagnostics.push(p.message);
        onProgress(p);
      },
    });
    return changes;
  }

  /** The resource types in the stack's state (what pulumi believes exists). */
  async deployedTypes(stack: string): Promise<string[]> {
    const { stdout } = await this.run(stackExportArgv(stack), stack);
    const state = JSON.parse(String(stdout) || "{}") as { deployment?: { resources?: Array<{ type: string }> } };
    return (state.deployment?.resources ?? []).map((r) => r.type);
  }

  async outputs(stack: string): Promise<Record<string, unknown>> {
    const { stdout } = await this.run(stackOutputArgv(stack), stack);
    return JSON.parse(String(stdout) || "{}") as Record<string, unknown>;
  }
}
