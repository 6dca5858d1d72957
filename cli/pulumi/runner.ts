// The one place manage changes a stack, through Pulumi's own client of the CLI: the Automation API
// (@pulumi/pulumi/automation) builds the real argv, streams the real engine events and raises its
// typed errors (ConcurrentUpdateError, StackNotFoundError). It loads in about 0.2 s here (0.5 s
// before ./deferred-modules.ts), so only the commands that change a stack import this module.
//
// One thing is ours: pulumi runs in a process group of its own (started by ./process.ts, which the
// read-only ./reader.ts uses too). At a terminal, Ctrl-C signals the
// whole foreground group; a pulumi in manage's group would get that SIGINT *and* the one manage
// forwards, and a second SIGINT makes pulumi terminate at once, leaving its lock and pending
// operations (pulumi/pulumi#17467). Detached, it gets exactly the signals manage sends (./interrupt.ts).

import type { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation/index.js";
import { PROJECT } from "../../infra/config.js";
import coerce from "semver/functions/coerce.js";
import parse from "semver/functions/parse.js";
import type { SemVer } from "semver";
import { stackStateOf, type ExportedState } from "./argv.js";
import { chooseBackend, loggedInBackend, prepareEmbeddedBackend, type BackendChoice } from "./backend.js";
import { explainFailure, type PulumiFailure } from "./failures.js";
import { isBookkeeping, progressOf, type Progress } from "./events.js";
import { deferInlineProgramModules } from "./deferred-modules.js";
import { installedPulumiVersion, pulumiCli } from "./process.js";

/** One step of a preview, from its resourcePreEvent (the real shape: the type is in the metadata). */
export interface PreviewStep {
  op: string;
  urn: string;
  type: string;
  /** Properties whose change forces the replacement (StepEventMetadata.keys). */
  replaceKeys?: string[];
}

export interface RunOptions {
  /** A policy pack directory run on the preview or update (`--policy-pack`). */
  policyPack?: string;
  /** That pack's config file (`--policy-pack-config`): levels and config per policy. */
  policyPackConfig?: string;
  targets?: string[];
}

/** A failure with pulumi's real cause, as manage reports it. */
export class PulumiError extends Error {
  /** A failed preview's steps: what the change would have done (shown with the refusal). */
  steps: PreviewStep[] = [];
  constructor(readonly failure: PulumiFailure) {
    super(failure.fix ? `${failure.message}\n  Fix: ${failure.fix}` : failure.message);
    this.name = failure.exitCode === 2 ? "UsageError" : "OperationError";
  }
  get exitCode() {
    return this.failure.exitCode;
  }
}

type Automation = typeof import("@pulumi/pulumi/automation/index.js");

/**
 * The command the Automation API's PulumiCommand.get returns ("pulumi" on PATH, with its version),
 * for the version manage already asked through ./process.ts (get() would ask it again, outside that
 * edge), and the Automation API's own command runner (PulumiCommand.run, @internal in cmd.js) with one
 * change: pulumi is started detached (see the top of this file), through ./process.ts. Argv,
 * environment, output callbacks and error classes stay the Automation API's.
 */
async function detach(automation: Automation, version: string) {
  // The constructor get() calls (private in the typings): the command and its version. The version is
  // one versionRefusal let through, which reads it as semver.coerce does ("3.230", or a line after it
  // from a wrapper); get() would leave such a one null, and the workspace's preview, up, refresh and
  // destroy then throw "Failed to get Pulumi version" (automation/localWorkspace.js pulumiVersion).
  const Command = automation.PulumiCommand as unknown as new (command: string, version: SemVer | null) => PulumiCommand;
  const command = new Command("pulumi", parse(version) ?? coerce(version));
  const { CommandResult } = (await import("@pulumi/pulumi/automation/cmd.js")) as unknown as {
    CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown;
  };
  const { createCommandError } = (await import("@pulumi/pulumi/automation/errors.js")) as unknown as {
    createCommandError: (r: unknown) => Error;
  };
  const run = async (
    args: string[],
    cwd: string,
    additionalEnv: Record<string, string>,
    onOutput?: (data: string) => void,
    onError?: (data: string) => void,
  ) => {
    if (!args.includes("--non-interactive")) args.push("--non-interactive");
    const r = await pulumiCli.run({
      command: command.command,
      args,
      cwd,
      env: { ...additionalEnv, PULUMI_AUTOMATION_API: "true" },
      detached: true,
      ...(onOutput ? { onStdout: onOutput } : {}),
      ...(onError ? { onStderr: onError } : {}),
    });
    const result = new CommandResult(r.stdout, r.stderr, r.exitCode);
    if (r.exitCode !== 0) throw createCommandError(result);
    return result;
  };
  Object.assign(command, { run });
  return command;
}

export class Pulumi {
  private constructor(
    private readonly automation: Automation,
    private readonly workspace: LocalWorkspace,
    readonly projectDir: string,
    readonly backend: BackendChoice,
    private readonly verbose: boolean,
  ) {}

  /** Checks pulumi is installed and recent enough, and chooses the state backend. No other side effect. */
  static async connect(projectDir: string, verbose = false): Promise<Pulumi> {
    deferInlineProgramModules();
    const automation = (await import("@pulumi/pulumi/automation/index.js")) as Automation;
    const version = await installedPulumiVersion();
    const backend = chooseBackend(process.env, projectDir, loggedInBackend(process.env));
    const workspace = await automation.LocalWorkspace.create({
      workDir: projectDir,
      pulumiCommand: await detach(automation, version),
      envVars: { ...backend.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
      ...(backend.secretsProvider ? { secretsProvider: backend.secretsProvider } : {}),
    });
    return new Pulumi(automation, workspace, projectDir, backend, verbose);
  }

  /** Runs one Automation API call; a failure becomes a PulumiError with the real cause. */
  private async call<T>(command: string, stack: string, fn: () => Promise<T>, events?: Collected): Promise<T> {
    if (this.verbose) process.stderr.write(`pulumi ${command} --stack ${stack} (${this.backend.description})\n`);
    prepareEmbeddedBackend(this.backend);
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof this.automation.CommandError)) throw err;
      const r = (err as unknown as { commandResult: { stderr: string; code: number } }).commandResult;
      throw new PulumiError(
        explainFailure({
          command,
          stack,
          exitCode: r.code,
          stderr: r.stderr,
          errors: events?.errors ?? [],
          policyViolations: events?.mandatory ?? [],
          applied: events?.applied ?? 0,
          concurrent: err instanceof this.automation.ConcurrentUpdateError,
          stackNotFound: err instanceof this.automation.StackNotFoundError,
        }),
      );
    }
  }

  /**
   * Selects the stack, creating it from its stack file when the backend does not have it yet (one
   * pulumi call when it exists). Returns true if created.
   */
  async ensureStack(stack: string): Promise<boolean> {
    if (await this.hasStack(stack)) return false;
    await this.call("stack init", stack, () => this.workspace.createStack(stack));
    return true;
  }

  /** Whether the backend has the stack (selecting it when it does: one pulumi call). */
  async hasStack(stack: string): Promise<boolean> {
    try {
      await this.select(stack);
      return true;
    } catch (err) {
      if (err instanceof PulumiError && err.failure.kind === "no-stack") return false;
      throw err;
    }
  }

  private readonly selected = new Map<string, Stack>();

  /** `pulumi stack select`, once per stack and run of manage. */
  private async select(stack: string): Promise<Stack> {
    const known = this.selected.get(stack);
    if (known) return known;
    const s = await this.call("stack select", stack, () => this.automation.Stack.select(stack, this.workspace));
    this.selected.set(stack, s);
    return s;
  }

  /**
   * Records config: `pulumi config set-all` for the values (one call for plain keys, one for paths:
   * a dotted key is a path into an object value, `--path` applies to the whole call) and
   * `pulumi config rm [--path]` for each removal.
   */
  async setConfig(stack: string, changes: Record<string, string | number | null>): Promise<void> {
    const entries = Object.entries(changes);
    for (const path of [false, true]) {
      const values = entries.filter(([k, v]) => v !== null && k.includes(".") === path);
      if (values.length)
        await this.call("config", stack, () =>
          this.workspace.setAllConfig(stack, Object.fromEntries(values.map(([k, v]) => [`${PROJECT}:${k}`, { value: String(v) }])), path),
        );
    }
    for (const [key] of entries.filter(([, v]) => v === null))
      await this.call("config", stack, () => this.workspace.removeConfig(stack, `${PROJECT}:${key}`, key.includes(".")));
  }

  async preview(stack: string, opts: RunOptions = {}) {
    const s = await this.select(stack);
    const events = collector();
    try {
      await this.call("preview", stack, () => s.preview(operationOptions(events, opts)), events);
    } catch (err) {
      if (err instanceof PulumiError) err.steps = events.steps;
      throw err;
    }
    return { steps: events.steps, warnings: events.advisory };
  }

  /**
   * Runs the update, reporting progress from the engine events as they arrive. Returns the change
   * counts and the stack's outputs (the Automation API reads them right after the update).
   */
  async up(stack: string, onProgress: (p: Progress) => void, opts: RunOptions = {}): Promise<{ changes: Record<string, number>; outputs: Record<string, unknown> }> {
    const s = await this.select(stack);
    let changes: Record<string, number> = {};
    const events = collector((event) => {
      const p = progressOf(event);
      if (!p) return;
      if (p.kind === "summary") changes = p.changes;
      onProgress(p);
    });
    const result = await this.call("up", stack, () => s.up(operationOptions(events, opts)), events);
    return { changes, outputs: Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value])) };
  }

  /**
   * The stack's state in one call (`pulumi stack export`): the resource types pulumi believes exist
   * (and their names) and the root stack's outputs from the last update. The Automation API's
   * exportStack asks for --show-secrets, so a secret output is a plaintext envelope here: no caller
   * reads one (a change reads the operation, doctor the types, keys the names), and none is printed.
   */
  async state(stack: string): Promise<ExportedState> {
    return stackStateOf(await this.call("stack export", stack, () => this.workspace.exportStack(stack)));
  }

  /**
   * Sets the environment of every later preview and up: how manage's request for the
   * operational layer reaches the program (infra/operations.ts, OPERATIONS_ENV).
   */
  setProgramEnv(name: string, value: string): void {
    // LocalWorkspace passes its public envVars to every pulumi it runs.
    this.workspace.envVars[name] = value;
  }

  async outputs(stack: string): Promise<Record<string, unknown>> {
    const outputs = await this.call("stack output", stack, () => this.workspace.stackOutputs(stack));
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
  }
}

/** What preview and up both pass: the event sink, the policy pack, the targets. */
function operationOptions(events: Collected, opts: RunOptions) {
  return {
    onEvent: events.onEvent,
    ...(opts.policyPack ? { policyPacks: [opts.policyPack] } : {}),
    ...(opts.policyPack && opts.policyPackConfig ? { policyPackConfigs: [opts.policyPackConfig] } : {}),
    ...(opts.targets?.length ? { target: opts.targets } : {}),
  };
}

interface Collected {
  onEvent: (event: EngineEvent) => void;
  steps: PreviewStep[];
  errors: string[];
  mandatory: string[];
  /** Advisory policy findings: shown (a preview's warnings), not blocking. */
  advisory: string[];
  /** Resources an update has changed so far (a ResourceOutputsEvent of a step other than same). */
  applied: number;
}

/**
 * One policy finding as manage shows it: the policy's name and its own words about this resource.
 * The @pulumi/policy server (lib/server.js, makeReportViolationFn) sends the policy's description,
 * then "\n" and the violation's message, as one message; the description is the same for every
 * resource, and docs/security.md lists it, so the finding keeps the violation (its fix included).
 * A policy that reported no message of its own keeps its description.
 */
export function policyFinding(policyName: string, message: string): string {
  const text = message.trim();
  const cut = text.indexOf("\n");
  return `[${policyName}] ${cut < 0 ? text : text.slice(cut + 1).trim()}`;
}

/** Gathers what manage needs from an engine event stream: steps, error diagnostics, policy findings. */
function collector(forward?: (event: EngineEvent) => void): Collected {
  const c: Collected = {
    steps: [],
    errors: [],
    mandatory: [],
    advisory: [],
    applied: 0,
    onEvent: (event) => {
      const done = event.resOutputsEvent?.metadata;
      if (done && done.op !== "same" && !isBookkeeping(done.type)) c.applied++;
      const pre = event.resourcePreEvent?.metadata;
      if (pre && !isBookkeeping(pre.type))
        c.steps.push({ op: pre.op, urn: pre.urn, type: pre.type, replaceKeys: pre.keys });
      const d = event.diagnosticEvent;
      if (d?.severity === "error") c.errors.push(d.message);
      const p = event.policyEvent;
      if (p) (p.enforcementLevel === "mandatory" ? c.mandatory : c.advisory).push(policyFinding(p.policyName, p.message));
      forward?.(event);
    },
  };
  return c;
}
