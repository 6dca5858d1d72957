// Runs a policy pack the way `pulumi preview|up --policy-pack DIR` does: the pack is started by
// @pulumi/pulumi's own `cmd/run-policy-pack`, which require()s the pack *folder* (its package.json's
// `main`, or index.js), and the stand-in talks to it over the Analyzer gRPC service as the engine
// does. A pack that would not load under real pulumi does not load here either.
//
// The launch (pulumi/pulumi v3.230 sdk/go/common/resource/plugin/analyzer_plugin.go
// NewPolicyAnalyzer, plugin.go newPlugin; sdk/nodejs/dist/pulumi-analyzer-policy):
// - PulumiPolicy.yaml is loaded for its runtime (workspace.LoadPolicyPack); its `main` is not used;
// - the `pulumi-analyzer-policy` shim resolves '@pulumi/pulumi/cmd/run-policy-pack' from the pack's
//   folder (so the pack's own node_modules win) and runs it with node, in the pack's folder, with the
//   arguments [engine address, ".", "-<option>=<value>" for each runtime option];
// - the plugin's first stdout line is its port; if it exits first: "could not read plugin [BIN]
//   stdout: EOF", its stderr lines shown, wrapped as "policy pack NAME failed to start: ..."; a shim
//   that cannot find run-policy-pack: "it looks like the policy pack's dependencies are not
//   installed; try running npm install or yarn install in DIR";
// - then ConfigureStack (stack, project, organization), GetAnalyzerInfo, Configure with every
//   policy's level and config (the `--policy-pack-config` file over the pack's own: ./policy-config.ts),
//   Analyze for each resource (its inputs) and AnalyzeStack (every resource's outputs).

import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import YAML from "yaml";
import type { PolicyRequest, PolicyResult, Resource, Violation } from "./evaluation.js";
import { packageCodeHash, treeHash } from "./memo.js";
import { env } from "./invocation.js";
import { analyzerMsg, analyzerRpc, Empty, engineRpc, grpc, serve, Struct, unary } from "./engine-protocol.js";
import { PolicyConfigError, resolvePolicies, type PolicyLike } from "./policy-config.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf messages */
type Msg = any;

const LEVEL_NAMES: Record<number, string> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };

type Call = <T>(method: string, request: unknown) => Promise<T>;
type Started = { address: string; call: Call; stop: () => Promise<void> } | { failure: string; stderr?: string };

/** Starts the pack in its folder as the engine does; its port read from its first stdout line. */
async function startAnalyzer(dir: string): Promise<Started> {
  const projectFile = join(dir, "PulumiPolicy.yaml");
  let runtime: { name?: string; options?: Record<string, unknown> } | string | undefined;
  try {
    runtime = (YAML.parse(readFileSync(projectFile, "utf8")) as { runtime?: typeof runtime } | null)?.runtime;
  } catch (err) {
    return { failure: `failed to load Pulumi policy project located at "${dir}": ${(err as Error).message}` };
  }
  // workspace.PolicyPackProject.Validate: a runtime is required.
  if (!runtime) return { failure: `failed to load Pulumi policy project located at "${dir}": project is missing a 'runtime' attribute` };
  const options = typeof runtime === "string" ? {} : (runtime.options ?? {});

  let runPath: string;
  try {
    runPath = createRequire(join(dir, "index.js")).resolve("@pulumi/pulumi/cmd/run-policy-pack");
  } catch {
    return { failure: `it looks like the policy pack's dependencies are not installed; try running npm install or yarn install in "${dir}"` };
  }

  const engine = await serve([[engineRpc.EngineService, { log: unary(() => new Empty()) }]]);
  const args = [runPath, engine.address, ".", ...Object.entries(options).flatMap(([k, v]) => (`${v}` === "" ? [] : [`-${k}=${v}`]))];
  const child = spawn(process.execPath, args, { cwd: dir, env: env(), stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = once(child, "exit");
  // plugin.Close: the engine kills the analyzer when it is done with it.
  const kill = async () => {
    child.kill("SIGKILL");
    await exited;
    engine.close();
  };
  const lines = createInterface({ input: child.stdout });
  const port = await Promise.race([once(lines, "line").then(([line]) => String(line).trim()), exited.then(() => undefined)]);
  lines.on("line", () => undefined);
  if (port === undefined || !/^\d+$/.test(port)) {
    await kill();
    if (port !== undefined) return { failure: `policy pack ${dir} failed to start: analyzer plugin [${runPath}] wrote a non-numeric port to stdout ('${port}')` };
    return { failure: `policy pack ${dir} failed to start: could not read plugin [${runPath}] stdout: EOF`, ...(stderr.trim() ? { stderr: stderr.trim() } : {}) };
  }
  const address = `127.0.0.1:${port}`;
  const client = new analyzerRpc.AnalyzerClient(address, grpc.credentials.createInsecure());
  const call: Call = (method, request) => new Promise((resolve, reject) => client[method](request, (err: Error | null, res: never) => (err ? reject(err) : resolve(res))));
  return {
    address,
    call,
    stop: async () => {
      client.close();
      await kill();
    },
  };
}

/** ConfigureStack, GetAnalyzerInfo, then Configure with every policy's level and config. */
async function configure(call: Call, r: { stack: string; project: string; packConfig?: Record<string, unknown> }) {
  const configureStack = new analyzerMsg.AnalyzerStackConfigureRequest();
  configureStack.setStack(r.stack);
  configureStack.setProject(r.project);
  configureStack.setOrganization("organization");
  await call("configureStack", configureStack);
  const info: Msg = await call("getAnalyzerInfo", new Empty());
  const name: string = info.getName();
  const policies: PolicyLike[] = info.getPoliciesList().map((p: Msg) => ({
    name: p.getName(),
    enforcementLevel: LEVEL_NAMES[p.getEnforcementlevel()],
    configSchema: { properties: p.getConfigschema()?.getProperties()?.toJavaScript() ?? {} },
  }));
  const resolved = resolvePolicies(name, policies, r.packConfig);
  const request = new analyzerMsg.ConfigureAnalyzerRequest();
  for (const [policy, { enforcementLevel, config }] of resolved) {
    const c = new analyzerMsg.PolicyConfig();
    c.setEnforcementlevel(Number(Object.keys(LEVEL_NAMES).find((k) => LEVEL_NAMES[Number(k)] === enforcementLevel)));
    c.setProperties(Struct.fromJavaScript(config as never));
    request.getPolicyconfigMap().set(policy, c);
  }
  await call("configure", request);
  return { name, version: info.getVersion() as string };
}

/** Analyze for each resource (its inputs), then AnalyzeStack (every resource's outputs). */
async function analyzeResources(call: Call, resources: Resource[]): Promise<Violation[]> {
  const violations: Violation[] = [];
  const collect = (res: Msg, stage: Violation["stage"]) => {
    for (const d of res.getDiagnosticsList()) {
      const level = LEVEL_NAMES[d.getEnforcementlevel()];
      violations.push({ policyName: d.getPolicyname(), message: d.getMessage(), enforcementLevel: level === "mandatory" ? "mandatory" : "warning", ...(d.getUrn() ? { urn: d.getUrn() } : {}), stage });
    }
  };
  const optionsOf = (protect: boolean) => {
    const o = new analyzerMsg.AnalyzerResourceOptions();
    o.setProtect(protect);
    return o;
  };
  // AnalyzeRequest and AnalyzerResource carry the same fields: Analyze gets a resource's inputs,
  // AnalyzeStack its state (inputs and outputs).
  const described = (m: Msg, res: Resource, properties: Record<string, unknown>): Msg => {
    m.setType(res.type);
    m.setUrn(res.urn);
    m.setName(res.name);
    m.setProperties(Struct.fromJavaScript(properties as never));
    m.setOptions(optionsOf(res.protect));
    return m;
  };
  for (const res of resources) collect(await call("analyze", described(new analyzerMsg.AnalyzeRequest(), res, res.inputs)), "resource");
  const stackReq = new analyzerMsg.AnalyzeStackRequest();
  stackReq.setResourcesList(resources.map((res) => described(new analyzerMsg.AnalyzerResource(), res, res.state)));
  collect(await call("analyzeStack", stackReq), "stack");
  return violations;
}

export async function analyze(r: PolicyRequest): Promise<PolicyResult> {
  const warm = warmFor(r);
  if (warm) return { name: warm.name, version: warm.version, violations: await analyzeResources(warmCall(warm.address), r.resources) };
  const started = await startAnalyzer(r.packDir);
  if ("failure" in started) return started;
  try {
    const { name, version } = await configure(started.call, r);
    return { name, version, violations: await analyzeResources(started.call, r.resources) };
  } catch (err) {
    if (err instanceof PolicyConfigError) return { failure: err.message };
    return { failure: `policy pack ${r.packDir}: ${(err as Error).message}` };
  } finally {
    await started.stop();
  }
}

// ---- the test run's warm pack ---------------------------------------------------------------------
// The one shortcut, for speed only: the test run starts the committed pack once, through the same
// startAnalyzer (Pulumi's run-policy-pack, in the pack's folder) and configures it with the committed
// config; a stand-in whose request is for that very folder, unchanged code and that config analyzes
// with it instead of starting its own (~0.9 s of CPU each, mostly run-policy-pack registering
// ts-node). Analyze and AnalyzeStack keep no state between calls, so concurrent stand-ins share it.
// Anything else (another folder, an edited pack, another config) starts its own, as pulumi does.

interface Warm {
  address: string;
  packDir: string;
  code: string;
  packConfig: Record<string, unknown>;
  name: string;
  version: string;
}
const WARM_ENV = "FAKE_PULUMI_WARM_PACK";

function warmFor(r: PolicyRequest): Warm | undefined {
  const text = env()[WARM_ENV];
  if (!text) return undefined;
  const warm = JSON.parse(text) as Warm;
  let packDir: string;
  try {
    packDir = realpathSync(r.packDir);
  } catch {
    return undefined;
  }
  const same = packDir === warm.packDir && packCode(packDir) === warm.code && JSON.stringify(r.packConfig ?? {}) === JSON.stringify(warm.packConfig);
  return same ? warm : undefined;
}
const clients = new Map<string, Call>();
function warmCall(address: string): Call {
  if (!clients.has(address)) {
    const client = new analyzerRpc.AnalyzerClient(address, grpc.credentials.createInsecure());
    clients.set(address, (method, request) => new Promise((resolve, reject) => client[method](request, (err: Error | null, res: never) => (err ? reject(err) : resolve(res)))));
  }
  return clients.get(address)!;
}
/** The pack's files and the code its package.json names. */
const packCode = (dir: string) => `${treeHash(dir)}:${packageCodeHash(dir)}`;

/** Starts the warm pack for a test run; returns the environment entry that points stand-ins at it. */
export async function startWarmPack(packDir: string, packConfig: Record<string, unknown>): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  const dir = realpathSync(packDir);
  const code = packCode(dir);
  const started = await startAnalyzer(dir);
  if ("failure" in started) throw new Error(`the committed policy pack does not start: ${started.failure}\n${started.stderr ?? ""}`);
  const { name, version } = await configure(started.call, { stack: "warm", project: "coding-engine", packConfig });
  const warm: Warm = { address: started.address, packDir: dir, code, packConfig, name, version };
  return { env: { [WARM_ENV]: JSON.stringify(warm) }, stop: started.stop };
}
