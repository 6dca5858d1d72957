// A strict stand-in for the `pulumi` CLI, for the subset manage uses. It accepts only the real
// CLI's syntax for those commands (anything else fails loudly with exit 255), keeps stack config in
// Pulumi.<stack>.yaml the way pulumi does, and on `preview`/`up` evaluates the real program (the
// `main` Pulumi.yaml names) under runtime mocks, diffs it against the recorded state, streams engine
// events in pulumi's JSON shape and records the result as the stack's state, in the file backend's
// layout: <backend>/.pulumi/stacks/<project>/<stack>.json, locks in .pulumi/locks/.
//
// Knobs for failure tests (environment):
//   FAKE_PULUMI_VERSION=3.100.0   what `pulumi version` reports
//   FAKE_PULUMI_FAIL=<name>       `up` fails on that resource (exit 4), after the steps before it
//   FAKE_PULUMI_STEP_DELAY_MS=n   pause before each step (so a test can kill an update midway)
// Where the deployed system answers (what Azure would assign), so checks reach local servers:
//   FAKE_PULUMI_BACKEND_FQDN=127.0.0.1:port     the backend's ingress FQDN (so backendUrl)
//   FAKE_PULUMI_POOL_ENDPOINT=https://...        the pool's poolManagementEndpoint

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import YAML from "yaml";
import type { MockResourceResult, Mocks } from "@pulumi/pulumi/runtime/mocks.js";
import { simulate, type SimulatedResource } from "../../cli/offline/simulate.js";
import { azureMocks } from "../../cli/offline/azure-mocks.js";
import type { Checkpoint, StateResource } from "./state.js";

const argv = process.argv.slice(2);
const cwd = process.cwd();

class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
const fail = (code: number, message: string): never => {
  throw new Exit(code, message);
};
const unsupported = (why: string): never => fail(255, `fake pulumi: ${why} (argv: ${JSON.stringify(argv)})`);

// ---- argument parsing: flags per command, nothing else accepted --------------------------------

interface Parsed {
  positionals: string[];
  flags: Map<string, string[]>;
}

function parse(args: string[], valueFlags: string[], boolFlags: string[]): Parsed {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("-")) {
      positionals.push(a);
      continue;
    }
    const [name, inline] = a.split("=", 2) as [string, string | undefined];
    if (valueFlags.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) fail(255, `flag needs an argument: ${name}`);
      flags.set(name, [...(flags.get(name) ?? []), value!]);
    } else if (boolFlags.includes(name) && inline === undefined) flags.set(name, ["true"]);
    else fail(255, `unknown flag: ${name}`);
  }
  return { positionals, flags };
}
const flag = (p: Parsed, name: string) => p.flags.get(name)?.[0];
const has = (p: Parsed, name: string) => p.flags.has(name);

// ---- project, backend, state ----------------------------------------------------------------------

const projectFile = join(cwd, "Pulumi.yaml");
if (!existsSync(projectFile)) fail(255, "no Pulumi.yaml project file found (searching upwards from " + cwd + ")");
const project = YAML.parse(readFileSync(projectFile, "utf8")) as {
  name: string;
  main?: string;
  config?: Record<string, { type: string; default?: unknown }>;
};

function backendDir(): string {
  const url = process.env.PULUMI_BACKEND_URL;
  if (!url) fail(255, "fake pulumi only supports an explicit file:// PULUMI_BACKEND_URL (no pulumi login in tests)");
  if (!url!.startsWith("file://")) fail(255, `fake pulumi supports file:// backends only, got ${url}`);
  return url!.slice("file://".length);
}
const stacksDir = () => join(backendDir(), ".pulumi", "stacks", project.name);
const statePath = (stack: string) => join(stacksDir(), `${stack}.json`);
const locksDir = (stack: string) => join(backendDir(), ".pulumi", "locks", "organization", project.name, stack);
const stackFile = (stack: string) => join(cwd, `Pulumi.${stack}.yaml`);

function stackExists(stack: string) {
  return existsSync(statePath(stack));
}
function requireStack(stack: string | undefined): string {
  if (!stack) fail(255, "fake pulumi: manage must always pass --stack");
  if (!stackExists(stack!)) fail(6, `no stack named '${stack}' found`);
  return stack!;
}
function readState(stack: string): StateResource[] {
  return (JSON.parse(readFileSync(statePath(stack), "utf8")) as Checkpoint).checkpoint.latest.resources;
}
function writeState(stack: string, resources: StateResource[]) {
  const doc: Checkpoint = { version: 3, checkpoint: { stack, latest: { resources } } };
  writeFileSync(statePath(stack), JSON.stringify(doc, null, 2));
}

function requirePassphrase(stack: string) {
  const text = existsSync(stackFile(stack)) ? readFileSync(stackFile(stack), "utf8") : "";
  if (!/^encryptionsalt:/m.test(text)) return;
  if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE)
    fail(255, "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables");
  const file = process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (file && !existsSync(file)) fail(255, `unable to read PULUMI_CONFIG_PASSPHRASE_FILE: open ${file}: no such file or directory`);
}

// ---- config ---------------------------------------------------------------------------------------

function loadStackYaml(stack: string): YAML.Document {
  const path = stackFile(stack);
  return YAML.parseDocument(existsSync(path) ? readFileSync(path, "utf8") : "config: {}\n");
}
function fullKey(key: string) {
  return key.includes(":") ? key : `${project.name}:${key}`;
}

/** The program's config as pulumi passes it: stack values as strings, declared defaults for the rest. */
function programConfig(stack: string): Record<string, string> {
  const values = (loadStackYaml(stack).toJS() as { config?: Record<string, unknown> }).config ?? {};
  const config: Record<string, string> = {};
  for (const [key, decl] of Object.entries(project.config ?? {}))
    if (decl.default !== undefined) config[key] = typeof decl.default === "string" ? decl.default : JSON.stringify(decl.default);
  for (const [key, value] of Object.entries(values))
    if (key.startsWith(`${project.name}:`)) config[key.slice(project.name.length + 1)] = typeof value === "string" ? value : JSON.stringify(value);
  return config;
}

// ---- evaluating the program and diffing ----------------------------------------------------------

interface Step {
  op: "create" | "update" | "delete" | "replace" | "same";
  urn: string;
  type: string;
  name: string;
  next?: SimulatedResource;
  prior?: StateResource;
}

/** azureMocks, with the addresses a test gave for the backend and the pool. */
const localAzure: Mocks = {
  newResource(args) {
    const result = azureMocks.newResource(args) as MockResourceResult;
    const state = result.state as Record<string, any>;
    const fqdn = process.env.FAKE_PULUMI_BACKEND_FQDN;
    if (fqdn && args.type === "azure-native:app:ContainerApp")
      state.configuration = { ...state.configuration, ingress: { ...state.configuration?.ingress, fqdn } };
    const pool = process.env.FAKE_PULUMI_POOL_ENDPOINT;
    if (pool && args.type === "azure-native:app:ContainerAppsSessionPool") state.poolManagementEndpoint = pool;
    return result;
  },
  call: (args) => azureMocks.call(args),
};

async function evaluate(stack: string) {
  const main = resolve(cwd, project.main ?? "index.js");
  if (!existsSync(main)) fail(255, `fake pulumi: the program's main ${main} does not exist (build it first)`);
  try {
    return await simulate({
      project: project.name,
      stack,
      config: programConfig(stack),
      mocks: localAzure,
      program: async () => ({ ...(await import(pathToFileURL(main).href)) }),
    });
  } catch (err) {
    // Pulumi prints a program's RunError message as the error and exits non-zero.
    const message = err instanceof Error ? err.message : String(err);
    return fail(1, `an unhandled error occurred: program failed:\n${message}`);
  }
}

function plan(stack: string, resources: SimulatedResource[], prior: StateResource[], targets: string[]): Step[] {
  const steps: Step[] = [];
  const targeted = (urn: string) => targets.length === 0 || targets.includes(urn);
  for (const next of resources) {
    const before = prior.find((p) => p.urn === next.urn);
    if (!targeted(next.urn)) continue;
    if (!before) steps.push({ op: "create", urn: next.urn, type: next.type, name: next.name, next });
    else if (JSON.stringify(before.inputs) === JSON.stringify(next.inputs)) steps.push({ op: "same", urn: next.urn, type: next.type, name: next.name, next, prior: before });
    else {
      const replace = next.replaceOnChanges.some((k) => JSON.stringify(before.inputs[k]) !== JSON.stringify(next.inputs[k]));
      steps.push({ op: replace ? "replace" : "update", urn: next.urn, type: next.type, name: next.name, next, prior: before });
    }
  }
  for (const before of prior)
    if (before.custom && !resources.some((r) => r.urn === before.urn) && targeted(before.urn))
      steps.push({ op: "delete", urn: before.urn, type: before.type, name: before.urn.split("::").pop()!, prior: before });
  for (const s of steps)
    if ((s.op === "delete" || s.op === "replace") && s.prior?.protect)
      fail(
        4,
        `unable to ${s.op} resource "${s.urn}"\nas it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``,
      );
  return steps;
}

const summary = (steps: Step[]) => {
  const counts: Record<string, number> = {};
  for (const s of steps) counts[s.op] = (counts[s.op] ?? 0) + 1;
  return counts;
};

function stateOf(r: SimulatedResource): StateResource {
  return {
    urn: r.urn,
    custom: true,
    id: r.id,
    type: r.type,
    inputs: r.inputs,
    outputs: r.state,
    protect: r.protect,
    dependencies: r.dependsOn,
    replaceOnChanges: r.replaceOnChanges,
  };
}
const stackUrn = (stack: string) => `urn:pulumi:${stack}::${project.name}::pulumi:pulumi:Stack::${project.name}-${stack}`;

// ---- commands -----------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let sequence = 0;
const emit = (event: Record<string, unknown>) =>
  process.stdout.write(JSON.stringify({ sequence: sequence++, timestamp: Math.floor(Date.now() / 1000), ...event }) + "\n");

async function main(): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "version":
      parse(rest, [], []);
      console.log(`v${process.env.FAKE_PULUMI_VERSION ?? "3.230.0"}`);
      return 0;

    case "whoami":
      parse(rest, [], ["--non-interactive"]);
      backendDir();
      console.log(process.env.USER ?? "tester");
      return 0;

    case "stack": {
      const [sub, ...args] = rest;
      if (sub === "ls") {
        const p = parse(args, [], ["--json", "--non-interactive"]);
        if (!has(p, "--json")) unsupported("manage always asks for --json");
        const names = existsSync(stacksDir()) ? readdirSync(stacksDir()).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)) : [];
        console.log(JSON.stringify(names.map((name) => ({ name: `organization/${project.name}/${name}`, current: false }))));
        return 0;
      }
      if (sub === "init") {
        const p = parse(args, ["--secrets-provider"], ["--non-interactive"]);
        const [stack] = p.positionals;
        if (!stack || p.positionals.length !== 1) fail(255, "fake pulumi: stack init takes exactly one stack name");
        if (stackExists(stack!)) fail(255, `stack '${stack}' already exists`);
        const provider = flag(p, "--secrets-provider");
        if (provider && provider !== "passphrase") unsupported("only the passphrase secrets provider is simulated");
        if (provider === "passphrase") {
          if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE)
            fail(255, "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables");
          const doc = loadStackYaml(stack!);
          if (!doc.has("encryptionsalt")) {
            doc.set("encryptionsalt", `v1:${Buffer.from(randomUUID()).toString("base64").slice(0, 12)}:v1:fake`);
            writeFileSync(stackFile(stack!), doc.toString());
          }
        }
        mkdirSync(stacksDir(), { recursive: true });
        writeState(stack!, []);
        console.log(`Created stack '${stack}'`);
        return 0;
      }
      if (sub === "export") {
        const p = parse(args, ["--stack"], ["--non-interactive"]);
        const stack = requireStack(flag(p, "--stack"));
        console.log(JSON.stringify({ version: 3, deployment: { resources: readState(stack) } }, null, 2));
        return 0;
      }
      if (sub === "output") {
        const p = parse(args, ["--stack"], ["--json", "--non-interactive"]);
        if (!has(p, "--json")) unsupported("manage always asks for --json");
        const stack = requireStack(flag(p, "--stack"));
        const root = readState(stack).find((r) => r.type === "pulumi:pulumi:Stack");
        console.log(JSON.stringify(root?.outputs ?? {}, null, 2));
        return 0;
      }
      return unsupported(`stack ${sub}`);
    }

    case "config": {
      const [sub, ...args] = rest;
      const p = parse(args, ["--stack"], ["--non-interactive", "--path"]);
      const stack = requireStack(flag(p, "--stack"));
      if (sub === "set") {
        if (p.positionals.length !== 2) fail(255, "fake pulumi: config set takes a key and a value");
        const [key, value] = p.positionals as [string, string];
        const doc = loadStackYaml(stack);
        // Pulumi stores values set on the command line as strings.
        doc.setIn(["config", fullKey(key)], value);
        writeFileSync(stackFile(stack), doc.toString());
        return 0;
      }
      if (sub === "rm") {
        if (p.positionals.length !== 1) fail(255, "fake pulumi: config rm takes one key");
        const doc = loadStackYaml(stack);
        doc.deleteIn(["config", fullKey(p.positionals[0]!)]);
        writeFileSync(stackFile(stack), doc.toString());
        return 0;
      }
      return unsupported(`config ${sub}`);
    }

    case "preview": {
      const p = parse(rest, ["--stack", "--target"], ["--json", "--non-interactive"]);
      if (!has(p, "--json")) unsupported("manage always previews with --json");
      const stack = requireStack(flag(p, "--stack"));
      requirePassphrase(stack);
      const sim = await evaluate(stack);
      const steps = plan(stack, sim.resources, readState(stack), p.flags.get("--target") ?? []);
      console.log(
        JSON.stringify(
          { steps: steps.map((s) => ({ op: s.op, urn: s.urn, type: s.type })), changeSummary: summary(steps), diagnostics: [] },
          null,
          2,
        ),
      );
      return 0;
    }

    case "up": {
      const p = parse(rest, ["--stack", "--target"], ["--yes", "--skip-preview", "--non-interactive", "--json"]);
      if (!has(p, "--yes"))
        fail(2, "--yes or --skip-preview must be passed in to proceed when running in non-interactive mode");
      if (!has(p, "--json")) unsupported("manage always runs up with --json");
      const stack = requireStack(flag(p, "--stack"));
      requirePassphrase(stack);
      const locks = locksDir(stack);
      if (existsSync(locks) && readdirSync(locks).length > 0)
        fail(
          255,
          `the stack is currently locked by ${readdirSync(locks).length} lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.`,
        );
      mkdirSync(locks, { recursive: true });
      const lock = join(locks, `${randomUUID()}.json`);
      writeFileSync(lock, JSON.stringify({ pid: process.pid, timestamp: new Date().toISOString() }));
      const started = Date.now();
      const sim = await evaluate(stack);
      const prior = readState(stack);
      const targets = p.flags.get("--target") ?? [];
      const steps = plan(stack, sim.resources, prior, targets);
      emit({ preludeEvent: { config: programConfig(stack) } });
      // State is written after every step, as pulumi checkpoints: an interrupted update keeps what it did.
      let current = [...prior];
      const save = () => writeState(stack, current);
      const delay = Number(process.env.FAKE_PULUMI_STEP_DELAY_MS ?? 0);
      for (const step of steps) {
        const metadata = { op: step.op, urn: step.urn, type: step.type, provider: "" };
        if (step.op !== "same") {
          if (delay) await sleep(delay);
          emit({ resourcePreEvent: { metadata } });
        }
        if (process.env.FAKE_PULUMI_FAIL === step.name && step.op !== "same") {
          emit({
            diagnosticEvent: {
              urn: step.urn,
              severity: "error",
              message: `error: creating ${step.name}: ProvisioningFailed: the operation on ${step.name} failed (injected by FAKE_PULUMI_FAIL)\n`,
            },
          });
          emit({ resOpFailedEvent: { metadata, status: 1, steps: 1 } });
          save();
          rmSync(lock);
          emit({ summaryEvent: { maybeCorrupt: false, durationSeconds: Math.round((Date.now() - started) / 1000), resourceChanges: summary(steps) } });
          process.stderr.write(`error: update failed\n`);
          return 4;
        }
        if (step.op === "delete") current = current.filter((r) => r.urn !== step.urn);
        else {
          const next = stateOf(step.next!);
          const at = current.findIndex((r) => r.urn === step.urn);
          if (at >= 0) current[at] = next;
          else current.push(next);
        }
        save();
        if (step.op !== "same") emit({ resOutputsEvent: { metadata } });
      }
      if (targets.length === 0) {
        const root = { urn: stackUrn(stack), custom: false, type: "pulumi:pulumi:Stack", inputs: {}, outputs: sim.outputs };
        current = [root, ...current.filter((r) => r.type !== "pulumi:pulumi:Stack")];
        save();
      }
      emit({ summaryEvent: { maybeCorrupt: false, durationSeconds: Math.round((Date.now() - started) / 1000), resourceChanges: summary(steps) } });
      rmSync(lock);
      return 0;
    }

    case "cancel": {
      const p = parse(rest, ["--stack"], ["--yes", "--non-interactive"]);
      const stack = requireStack(flag(p, "--stack"));
      rmSync(locksDir(stack), { recursive: true, force: true });
      console.log(`The currently running update for '${stack}' has been canceled!`);
      return 0;
    }

    default:
      return unsupported(`command ${command ?? "(none)"}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof Exit) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(err.code);
    }
    process.stderr.write(`fake pulumi crashed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(255);
  },
);
