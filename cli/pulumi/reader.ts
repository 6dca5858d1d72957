// Reading a stack without changing it: `pulumi version`, `stack ls`, `stack export`, `stack output`,
// run directly. The commands that only look (status, watch, smoke, load-test, schedule --list,
// spend, report, reconcile's reading) do not need the Automation API, which costs ~0.4 s of CPU to
// load (it brings in the whole @pulumi/pulumi runtime, TypeScript included: measured for issue 10,
// `npm run bench` shows `watch --once`). Every change still goes through ./runner.ts.
//
// The argv is the Automation API's own for the same calls (@pulumi/pulumi/automation/localWorkspace.js:
// listStacks, exportStack, stackOutputs), held to pulumi v3.230's flags (pkg/cmd/pulumi/stack/
// stack_ls.go, stack_export.go, stack_output.go); a failure is explained as every pulumi failure is
// (./failures.ts).

import { execa } from "execa";
import { OperationError, UsageError } from "../errors.js";
import { NOT_INSTALLED, stackStateOf, versionRefusal } from "./argv.js";
import { chooseBackend, loggedInBackend, prepareEmbeddedBackend, type BackendChoice } from "./backend.js";
import { explainFailure } from "./failures.js";
import { PulumiError } from "./runner.js";

/** What the read-only commands need of pulumi (./runner.ts's Pulumi has the same methods). */
export interface StackReader {
  readonly backend: BackendChoice;
  stacks(): Promise<string[]>;
  hasStack(stack: string): Promise<boolean>;
  state(stack: string): Promise<{ types: string[]; outputs: Record<string, unknown> }>;
  outputs(stack: string): Promise<Record<string, unknown>>;
}

export class PulumiReader implements StackReader {
  private constructor(
    readonly projectDir: string,
    readonly backend: BackendChoice,
    readonly version: string,
    private readonly verbose: boolean,
  ) {}

  /** Checks pulumi is installed and recent enough, and chooses the state backend, as Pulumi.connect does. */
  static async connect(projectDir: string, verbose = false): Promise<PulumiReader> {
    const r = await execa("pulumi", ["version"], { reject: false, stdin: "ignore" });
    if ((r as { code?: string }).code === "ENOENT" || (r.failed && /ENOENT/.test(String(r.message)))) throw new UsageError(NOT_INSTALLED);
    if (r.exitCode !== 0) throw new OperationError(`\`pulumi version\` failed: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`);
    const version = String(r.stdout).trim().replace(/^v/, "");
    const refusal = versionRefusal(version);
    if (refusal) throw new UsageError(refusal);
    return new PulumiReader(projectDir, chooseBackend(process.env, projectDir, loggedInBackend(process.env)), `v${version}`, verbose);
  }

  /** One pulumi call in the project, with the backend's environment; a failure explained. */
  private async run(command: string, stack: string, args: string[]): Promise<string> {
    if (this.verbose) process.stderr.write(`pulumi ${args.join(" ")} (${this.backend.description})\n`);
    prepareEmbeddedBackend(this.backend);
    const r = await execa("pulumi", [...args, "--non-interactive"], {
      cwd: this.projectDir,
      env: { ...this.backend.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
      reject: false,
      stdin: "ignore",
    });
    if (r.exitCode !== 0)
      throw new PulumiError(explainFailure({ command, stack, exitCode: r.exitCode ?? -1, stderr: String(r.stderr), errors: [], policyViolations: [] }));
    return String(r.stdout);
  }

  async stacks(): Promise<string[]> {
    const rows = JSON.parse(await this.run("stack ls", "*", ["stack", "ls", "--json"])) as Array<{ name: string }>;
    return rows.map((s) => s.name.split("/").pop()!);
  }

  async hasStack(stack: string): Promise<boolean> {
    return (await this.stacks()).includes(stack);
  }

  /** The resource types pulumi believes exist, and the root stack's outputs of the last update. */
  async state(stack: string): Promise<{ types: string[]; outputs: Record<string, unknown> }> {
    return stackStateOf(JSON.parse(await this.run("stack export", stack, ["stack", "export", "--show-secrets", "--stack", stack])) as { deployment?: unknown });
  }

  /** The stack's outputs, secrets in plain text (for the gateway's key; never printed). */
  async outputs(stack: string): Promise<Record<string, unknown>> {
    return JSON.parse(await this.run("stack output", stack, ["stack", "output", "--json", "--show-secrets", "--stack", stack])) as Record<string, unknown>;
  }
}
