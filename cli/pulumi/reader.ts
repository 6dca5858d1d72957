// Reading a stack without changing it: `pulumi version`, `stack ls`, `stack export`, `stack output`,
// `plugin ls`, run directly. The commands that only look (status, watch, smoke, load-test, doctor,
// schedule --list, spend, report, reconcile's reading) do not need the Automation API, which costs
// ~0.4 s of CPU to load (it brings in the whole @pulumi/pulumi runtime, TypeScript included:
// measured for issue 10, `npm run bench` shows `watch --once`). Every change still goes through ./runner.ts.
//
// The argv is the Automation API's own for the same calls (@pulumi/pulumi/automation/localWorkspace.js:
// listStacks, exportStack, stackOutputs, listPlugins), but for the export, which is read without --show-secrets
// (state, below), held to pulumi v3.230's flags (pkg/cmd/pulumi/stack/stack_ls.go, stack_export.go,
// stack_output.go); a failure is explained as every pulumi failure is (./failures.ts).

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT } from "../../infra/config.js";
import { listStackFiles } from "../stack-files.js";
import { stackStateOf, type ExportedState } from "./argv.js";
import { chooseBackend, loggedInBackend, prepareEmbeddedBackend, type BackendChoice } from "./backend.js";
import { explainFailure } from "./failures.js";
import { PulumiError } from "./runner.js";
import { installedPulumiVersion, pulumiCli } from "./process.js";
import type { LastUpdate } from "../schedule.js";

/** What the read-only commands need of pulumi (./runner.ts's Pulumi reads state and outputs with the same methods: a Pick of this class takes either). */
export class PulumiReader {
  private constructor(
    readonly projectDir: string,
    readonly backend: BackendChoice,
    readonly version: string,
    private readonly verbose: boolean,
  ) {}

  /** Checks pulumi is installed and recent enough, and chooses the state backend, as Pulumi.connect does. */
  static async connect(projectDir: string, verbose = false): Promise<PulumiReader> {
    const version = await installedPulumiVersion();
    return new PulumiReader(projectDir, chooseBackend(process.env, projectDir, loggedInBackend(process.env)), `v${version}`, verbose);
  }

  /** One pulumi call in the project, with the backend's environment; a failure explained. */
  private async run(command: string, stack: string, args: string[]): Promise<string> {
    if (this.verbose) process.stderr.write(`pulumi ${args.join(" ")} (${this.backend.description})\n`);
    prepareEmbeddedBackend(this.backend);
    const r = await pulumiCli.run({ args: [...args, "--non-interactive"], cwd: this.projectDir, env: { ...this.backend.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
    if (r.exitCode !== 0) throw new PulumiError(explainFailure({ command, stack, exitCode: r.exitCode, stderr: r.stderr, errors: [], policyViolations: [] }));
    return r.stdout;
  }

  /**
   * The stacks the backend has: its listing (`stack ls`), or each stack file's stack read on its
   * own (`stack export`), so every command that lists stacks (status, the scheduled job, doctor)
   * survives one bad stack. `stack ls` of a DIY backend (file://, azblob://) loads every stack's
   * checkpoint and fails as a whole when one cannot be loaded (pkg/backend/diy/backend.go
   * ListStacks: one worker per stack, pool.Wait returns the first error), so a truncated dev
   * checkpoint would hide contest. Then a stack the backend does not have is left out, every other
   * one is listed (a stack whose own state cannot be read too, so reading it reports that, for it
   * alone). When no stack answered and none is known absent, the backend as a whole is what fails,
   * as `stack ls` said.
   */
  async stacks(): Promise<string[]> {
    let listFailure: PulumiError;
    try {
      return (JSON.parse(await this.run("stack ls", "*", ["stack", "ls", "--json"])) as Array<{ name: string }>).map((s) => s.name.split("/").pop()!);
    } catch (err) {
      if (!(err instanceof PulumiError)) throw err;
      listFailure = err;
    }
    const found: string[] = [];
    let answered = 0;
    for (const stack of listStackFiles(this.projectDir)) {
      try {
        await this.run("stack export", stack, ["stack", "export", "--stack", stack]);
        answered++;
        found.push(stack);
      } catch (err) {
        if (!(err instanceof PulumiError)) throw err;
        if (err.failure.kind === "no-stack") answered++;
        else found.push(stack);
      }
    }
    if (answered === 0) throw listFailure;
    return found;
  }

  async hasStack(stack: string): Promise<boolean> {
    return (await this.stacks()).includes(stack);
  }

  /**
   * The resource types pulumi believes exist, and the root stack's outputs of the last update. A
   * plain export, without --show-secrets: it writes the checkpoint as stored and decrypts nothing
   * (pulumi v3.230 pkg/cmd/pulumi/stack/stack_export.go deserializes only `if showSecrets`;
   * pkg/backend/diy/backend.go ExportDeployment), so reading what runs needs no passphrase, the keys
   * never reach a reader, and a passphrase pulumi refuses does not hide what runs.
   */
  async state(stack: string): Promise<ExportedState> {
    return stackStateOf(JSON.parse(await this.run("stack export", stack, ["stack", "export", "--stack", stack])) as { deployment?: unknown });
  }

  /** The stack's outputs, secrets in plain text (for the gateway's key; never printed). */
  async outputs(stack: string): Promise<Record<string, unknown>> {
    return JSON.parse(await this.run("stack output", stack, ["stack", "output", "--json", "--show-secrets", "--stack", stack])) as Record<string, unknown>;
  }

  /** The plugins pulumi has installed (`pulumi plugin ls --json`, which the Automation API's listPlugins reads too). */
  async plugins(): Promise<Array<{ name: string; kind: string; version?: string }>> {
    return JSON.parse(await this.run("plugin ls", "*", ["plugin", "ls", "--json"])) as Array<{ name: string; kind: string; version?: string }>;
  }

  /** The last entry of the stack's update history (`pulumi stack history --json --page-size 1`), or null for none. */
  async lastUpdate(stack: string): Promise<LastUpdate | null> {
    const rows = JSON.parse(await this.run("stack history", stack, ["stack", "history", "--json", "--page-size", "1", "--stack", stack])) as Array<{ kind?: string; result?: string }>;
    const row = rows[0];
    return row ? { kind: String(row.kind ?? ""), result: String(row.result ?? "") } : null;
  }
}

/** A DIY lock: who holds it and since when (pkg/backend/diy/lock.go lockContent: pid, username, hostname, timestamp). */
export interface StackLock {
  file: string;
  pid?: number;
  who?: string;
  since?: string;
}

/**
 * The locks a DIY file backend holds for a stack: <backend>/.pulumi/locks/organization/<project>/<stack>/<uuid>.json
 * (pkg/backend/diy/lock.go). An update takes one and removes it when it ends, so one left behind
 * names an update that is running or was killed. Only a file:// backend can be read here (azblob
 * and Pulumi Cloud keep theirs remotely): empty for the others.
 */
export function stackLocks(backend: BackendChoice, stack: string, env: NodeJS.ProcessEnv = process.env): StackLock[] {
  const url = backend.env.PULUMI_BACKEND_URL ?? env.PULUMI_BACKEND_URL ?? "";
  if (!url.startsWith("file://")) return [];
  const dir = join(url.slice("file://".length), ".pulumi", "locks", "organization", PROJECT, stack);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => {
      const file = join(dir, f);
      try {
        const c = JSON.parse(readFileSync(file, "utf8")) as { pid?: number; username?: string; hostname?: string; timestamp?: string };
        return { file, pid: c.pid, who: c.username && c.hostname ? `${c.username}@${c.hostname}` : c.username, since: c.timestamp };
      } catch {
        // Removed as it was read, or half written: still a lock.
        return { file };
      }
    });
}

