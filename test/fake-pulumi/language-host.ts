// Runs the program the way `pulumi up`/`preview` does: the stand-in plays the engine (a resource
// monitor and an engine service over Pulumi's gRPC protocol, ./engine-protocol.ts) and starts
// @pulumi/pulumi's own entry point, `cmd/run`, exactly as the Node language host launches it, so
// Pulumi's code finds and loads the program from the project folder (Pulumi.yaml's `main`,
// package.json, "type": "module"). Only what the cloud would answer is simulated: each resource's
// state comes from cli/offline/azure-mocks.ts.
//
// The language host's launch (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go):
// - runPath: `@pulumi/pulumi/cmd/run`, resolved from the program directory (locateModule);
// - args (constructArguments): --monitor ADDR --engine ADDR --organization O --project P
//   --root-directory ROOT --stack S --pwd PROGRAM_DIR [--dry-run] --parallel N, then the entry point
//   (Pulumi.yaml's `main`, relative to the program directory);
// - env (execRuntime): the CLI's environment plus PULUMI_CONFIG (constructConfig: keys rewritten
//   to "<namespace>:config:<name>") and PULUMI_CONFIG_SECRET_KEYS; PULUMI_NODEJS_TYPESCRIPT=true only
//   when the runtime option `typescript` is on (this project sets it off: `main` is compiled);
// - exit code 32: the program already reported its error (nodeJSProcessExitedAfterShowingUserActionableMessage);
//   another non-zero code: "Program exited with non-zero exit code: N".
// The optional --sync pipes directory is not passed: without it the SDK makes every call over gRPC.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { realpathSync } from "node:fs";
import { threadId } from "node:worker_threads";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Evaluation, EvaluationRequest, Resource } from "./evaluation.js";
import { fileHash, treeHash } from "./memo.js";
import { env } from "./invocation.js";
import { secretOutputPaths, type SecretPath } from "./secrets.js";
import { Empty, engineMsg, engineRpc, grpc, languageMsg, languageRpc, plainValue, providerMsg, resourceMsg, resourceRpc, serve, Struct, unary } from "./engine-protocol.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf messages */
type Msg = any;

export interface Cloud {
  /** A custom resource's id and state, as the provider would return them on create. */
  newResource(args: { type: string; name: string; inputs: Record<string, unknown> }): { id: string; state: Record<string, unknown> };
  /** A provider function (an invoke), e.g. azure-native:authorization:getClientConfig. */
  call(args: { token: string; inputs: Record<string, unknown> }): Record<string, unknown>;
  /** The builtin provider's read of a StackReference (pkg/resource/deploy/builtins.go). */
  readStackReference(name: string): Record<string, unknown>;
}

/**
 * The features the engine's resource monitor reports (pkg/resource/deploy/source_eval.go,
 * SupportsFeature): the SDK asks before it uses any of them.
 */
const SUPPORTED_FEATURES = new Set(["secrets", "resourceReferences", "outputValues", "deletedWith", "aliasSpecs", "transforms", "invokeTransforms", "parameterization"]);

type ProgramRequest = EvaluationRequest & { programDirectory: string; entryPoint: string; dryRun: boolean };
/** Starts the program against the engine at `address`; null when it succeeded, else the failure. */
type Launch = (address: string) => Promise<null | { error: string; stderr?: string }>;

/**
 * Runs the program at `r.programDirectory` through @pulumi/pulumi's cmd/run; `cloud` answers for
 * Azure. When the test run keeps this very program warm (./program-server.mjs), it is asked first,
 * and whatever fails there runs again through cmd/run: a failure's words are always cmd/run's.
 * (`via` picks one path, for the test that holds their answers equal.)
 */
export async function runProgram(r: ProgramRequest, cloud: Cloud, via: "either" | "warm" | "cmd/run" = "either"): Promise<Evaluation> {
  const warm = via === "cmd/run" ? undefined : warmProgramFor(r);
  if (via === "warm" && !warm) throw new Error("fake pulumi: no warm program for this request");
  if (warm) {
    const answer = await evaluate(r, cloud, (address) => runWarm(warm, r, address));
    if (!("error" in answer) || via === "warm") return answer;
  }
  return evaluate(r, cloud, (address) => runCmdRun(r, address));
}

/** One evaluation: the stand-in serves the engine's side while `launch` runs the program. */
async function evaluate(r: ProgramRequest, cloud: Cloud, launch: Launch): Promise<Evaluation> {
  const resources: Array<Resource & { seq: number }> = [];
  let declared = 0;
  let rootUrn = "";
  let outputs: Record<string, unknown> = {};
  let secretOutputs: SecretPath[] = [];
  const errors: string[] = [];

  // The engine's URN (resource.NewURN): the type qualified by its parent's, except under the root stack.
  const typeOfUrn = (urn: string) => urn.split("::")[2] ?? "";
  const newUrn = (parent: string, type: string, name: string) => {
    const qualified = parent && parent !== rootUrn && typeOfUrn(parent) !== "pulumi:pulumi:Stack" ? `${typeOfUrn(parent)}$${type}` : type;
    return `urn:pulumi:${r.stack}::${r.project}::${qualified}::${name}`;
  };
  const urnsByName = new Map<string, string>();

  const monitor = {
    supportsFeature: unary((req: Msg) => {
      const res = new resourceMsg.SupportsFeatureResponse();
      res.setHassupport(SUPPORTED_FEATURES.has(req.getId()));
      return res;
    }),
    registerResource: unary((req: Msg) => {
      const seq = declared++;
      const type: string = req.getType();
      const name: string = req.getName();
      const urn = newUrn(req.getParent(), type, name);
      const res = new resourceMsg.RegisterResourceResponse();
      res.setUrn(urn);
      if (!req.getCustom()) {
        res.setObject(Struct.fromJavaScript({}));
        return res;
      }
      const secretInputs: SecretPath[] = [];
      const inputs = plainValue(req.getObject()?.toJavaScript() ?? {}, `${name}'s inputs`, secretInputs) as Record<string, unknown>;
      const { id, state } = cloud.newResource({ type, name, inputs });
      // What the checkpoint keeps secret (./secrets.ts): the program's secrets among the inputs, and
      // the outputs they reach or the resource names. The provider (the mocks) sees plain values; the
      // object returned to the program carries no secret marking (not simulated: the program's own
      // pulumi.secret is what marks its stack outputs).
      const secretOutputs = secretOutputPaths(inputs, state, secretInputs, req.getAdditionalsecretoutputsList() as string[]);
      urnsByName.set(urn, name);
      resources.push({
        seq,
        urn,
        type,
        name,
        id,
        inputs,
        state,
        dependsOn: req.getDependenciesList() as string[],
        protect: Boolean(req.getProtect()),
        replaceOnChanges: req.getReplaceonchangesList() as string[],
        ...(secretInputs.length || secretOutputs.length ? { secrets: { inputs: secretInputs, outputs: secretOutputs } } : {}),
      });
      res.setId(id);
      res.setObject(Struct.fromJavaScript(state as never));
      return res;
    }),
    registerResourceOutputs: unary((req: Msg) => {
      if (req.getUrn() === rootUrn) {
        secretOutputs = [];
        outputs = plainValue(req.getOutputs()?.toJavaScript() ?? {}, "the stack's outputs", secretOutputs) as Record<string, unknown>;
      }
      return new Empty();
    }),
    invoke: unary((req: Msg) => {
      const inputs = plainValue(req.getArgs()?.toJavaScript() ?? {}, `${req.getTok()}'s arguments`) as Record<string, unknown>;
      const res = new providerMsg.InvokeResponse();
      res.setReturn(Struct.fromJavaScript(cloud.call({ token: req.getTok(), inputs }) as never));
      return res;
    }),
    readResource: unary((req: Msg) => {
      if (req.getType() !== "pulumi:pulumi:StackReference") throw new Error(`fake pulumi: reading a ${req.getType()} is not simulated`);
      const res = new resourceMsg.ReadResourceResponse();
      res.setUrn(newUrn(req.getParent(), req.getType(), req.getName()));
      res.setProperties(Struct.fromJavaScript(cloud.readStackReference(req.getId()) as never));
      return res;
    }),
    registerPackage: unary(() => {
      throw new Error("fake pulumi: parameterized packages are not simulated");
    }),
  };
  const engine = {
    log: unary((req: Msg) => {
      // Severity ERROR (engine.proto LogSeverity): the program's error, as the engine reports it.
      if (req.getSeverity() === engineMsg.LogSeverity.ERROR) errors.push(req.getMessage());
      return new Empty();
    }),
    getRootResource: unary(() => {
      const res = new engineMsg.GetRootResourceResponse();
      res.setUrn(rootUrn);
      return res;
    }),
    setRootResource: unary((req: Msg) => {
      rootUrn = req.getUrn();
      return new engineMsg.SetRootResourceResponse();
    }),
  };
  const server = await serve([
    [resourceRpc.ResourceMonitorService, monitor],
    [engineRpc.EngineService, engine],
  ]);
  try {
    const failed = await launch(server.address);
    // What the program logged as an error is the error (cmd/run's exit 32: it already said everything).
    if (failed) return errors.length ? { ...failed, error: errors.join("\n") } : failed;
  } finally {
    server.close();
  }
  const nameOf = (urn: string) => urnsByName.get(urn) ?? urn.split("::").pop()!;
  return {
    project: r.project,
    stack: r.stack,
    resources: resources
      .sort((a, b) => a.seq - b.seq)
      .map(({ seq: _seq, ...res }) => ({ ...res, dependsOn: [...new Set(res.dependsOn.filter((d) => urnsByName.has(d)).map(nameOf))].sort() })),
    outputs,
    ...(secretOutputs.length ? { secretOutputs } : {}),
  };
}

/** The language host's launch of cmd/run (see the top of this file). */
async function runCmdRun(r: ProgramRequest, address: string): Promise<null | { error: string; stderr?: string }> {
  const runPath = createRequire(join(r.programDirectory, "index.js")).resolve("@pulumi/pulumi/cmd/run");
  const args = [
    runPath,
    ...["--monitor", address, "--engine", address, "--organization", "organization", "--project", r.project],
    ...["--root-directory", r.programDirectory, "--stack", r.stack, "--pwd", r.programDirectory],
    ...(r.dryRun ? ["--dry-run"] : []),
    ...["--parallel", "2147483647", r.entryPoint],
  ];
  const childEnv: NodeJS.ProcessEnv = {
    ...env(),
    PULUMI_CONFIG: JSON.stringify(Object.fromEntries(Object.entries(r.config).map(([k, v]) => [`${r.project}:config:${k}`, v]))),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(r.secretKeys),
  };
  // The program reads manage's request from its environment (infra/program.ts).
  if (r.operations === undefined) delete childEnv.MANAGE_OPERATIONS;
  else childEnv.MANAGE_OPERATIONS = r.operations;
  const child = spawn(process.execPath, args, { cwd: r.programDirectory, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout.resume();
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) {
    // What the program wrote to stderr reaches the user as the plugin's output; exit 32 means
    // it already said everything (Bail), in the errors it logged (evaluate takes those).
    const error = code === 32 ? "" : `Program exited with non-zero exit code: ${code}`;
    return { error, ...(stderr.trim() ? { stderr: stderr.trim() } : {}) };
  }
  return null;
}

// ---- the test run's warm program (./program-server.mjs) -------------------------------------------

const WARM_PROGRAM_ENV = "FAKE_PULUMI_WARM_PROGRAM";
interface WarmProgram {
  /** One server per test worker: each runs one program at a time (./program-server.mjs). */
  addresses: string[];
  /** The entry module, the code of its folder and package.json, and the @pulumi/pulumi it runs under. */
  entry: string;
  code: string;
  runtime: string;
}

/** What the warm program must match: the real entry file, its code, and the @pulumi/pulumi it would load. */
function programIdentity(programDirectory: string, main: string): Omit<WarmProgram, "addresses"> {
  const entry = realpathSync(resolve(programDirectory, main));
  const runtime = realpathSync(createRequire(join(programDirectory, "index.js")).resolve("@pulumi/pulumi/cmd/run"));
  // cmd/run reads the project's package.json to decide how to load main (an ES module or CommonJS).
  return { entry, runtime, code: `${treeHash(dirname(entry))}:${fileHash(join(programDirectory, "package.json"))}` };
}

/** The warm program, when the test run keeps one and it is this request's program. */
function warmProgramFor(r: ProgramRequest): WarmProgram | undefined {
  const text = env()[WARM_PROGRAM_ENV];
  if (!text) return undefined;
  const warm = JSON.parse(text) as WarmProgram;
  try {
    const here = programIdentity(r.programDirectory, r.entryPoint);
    return here.entry === warm.entry && here.runtime === warm.runtime && here.code === warm.code ? warm : undefined;
  } catch {
    return undefined;
  }
}

/** The engine's Run call to an inline program's language server (plugin/langruntime_plugin.go Run). */
async function runWarm(warm: WarmProgram, r: ProgramRequest, engine: string): Promise<null | { error: string }> {
  const req = new languageMsg.RunRequest();
  req.setMonitorAddress(engine);
  req.setPwd(r.programDirectory);
  req.setProgram(r.entryPoint);
  // automation/server.js takes the engine's address from the first argument.
  req.setArgsList([engine]);
  req.setProject(r.project);
  req.setStack(r.stack);
  req.setOrganization("organization");
  // Keyed as cmd/run's PULUMI_CONFIG is ("<namespace>:config:<name>"): the SDK reads both the same way.
  for (const [key, value] of Object.entries(r.config)) req.getConfigMap().set(`${r.project}:config:${key}`, value);
  req.setConfigsecretkeysList(r.secretKeys);
  req.setDryrun(r.dryRun);
  req.setParallel(2147483647);
  const metadata = new grpc.Metadata();
  if (r.operations !== undefined) metadata.set("manage-operations", r.operations);
  // A worker's runs go to its own server, a process's to one chosen by its pid: two evaluations at
  // once run side by side instead of waiting for each other.
  const address = warm.addresses[(threadId || process.pid) % warm.addresses.length]!;
  const client = new languageRpc.LanguageRuntimeClient(address, grpc.credentials.createInsecure());
  try {
    // A hung warm run fails after a deadline and goes to cmd/run, as a hung cmd/run would hang only itself.
    const deadline = { deadline: Date.now() + 120_000 };
    const response = await new Promise<Msg>((done, fail) => client.run(req, metadata, deadline, (err: Error | null, res: Msg) => (err ? fail(err) : done(res))));
    return response.getError() ? { error: response.getError() } : null;
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    client.close();
  }
}

/**
 * Starts the warm program for a test run, `copies` servers of it (one per test worker); returns the
 * environment entry that points stand-ins at them.
 */
export async function startWarmProgram(programDirectory: string, main: string, copies = 1): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  const start = async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "program-server.mjs"), programDirectory, main], { cwd: programDirectory, stdio: ["pipe", "pipe", "ignore"] });
    const exited = once(child, "exit");
    const port = await Promise.race([once(createInterface({ input: child.stdout }), "line").then(([line]) => String(line).trim()), exited.then(() => undefined)]);
    if (port === undefined) throw new Error("the warm program did not start (test/fake-pulumi/program-server.mjs)");
    child.stdout.resume();
    const stop = async () => {
      child.kill("SIGKILL");
      await exited;
    };
    return { address: `127.0.0.1:${port}`, stop };
  };
  const servers = await Promise.all(Array.from({ length: copies }, start));
  const warm: WarmProgram = { addresses: servers.map((s) => s.address), ...programIdentity(programDirectory, main) };
  return {
    env: { [WARM_PROGRAM_ENV]: JSON.stringify(warm) },
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
