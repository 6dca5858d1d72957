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
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import YAML from "yaml";
import type { PolicyRequest, PolicyResult, Violation } from "./evaluation.js";
import { analyzerMsg, analyzerRpc, Empty, engineRpc, grpc, serve, Struct, unary } from "./engine-protocol.js";
import { PolicyConfigError, resolvePolicies, type PolicyLike } from "./policy-config.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf messages */
type Msg = any;

const LEVEL_NAMES: Record<number, string> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };

export async function analyze(r: PolicyRequest & { stack: string; project: string }): Promise<PolicyResult> {
  const dir = r.packDir;
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
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = once(child, "exit");
  try {
    const lines = createInterface({ input: child.stdout });
    const port = await Promise.race([once(lines, "line").then(([line]) => String(line).trim()), exited.then(() => undefined)]);
    lines.on("line", () => undefined);
    if (port === undefined)
      return { failure: `policy pack ${dir} failed to start: could not read plugin [${runPath}] stdout: EOF`, ...(stderr.trim() ? { stderr: stderr.trim() } : {}) };
    if (!/^\d+$/.test(port)) return { failure: `policy pack ${dir} failed to start: analyzer plugin [${runPath}] wrote a non-numeric port to stdout ('${port}')` };
    const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const call = <T>(method: string, request: unknown) =>
      new Promise<T>((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
    try {
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
      const configure = new analyzerMsg.ConfigureAnalyzerRequest();
      for (const [policy, { enforcementLevel, config }] of resolved) {
        const c = new analyzerMsg.PolicyConfig();
        c.setEnforcementlevel(Number(Object.keys(LEVEL_NAMES).find((k) => LEVEL_NAMES[Number(k)] === enforcementLevel)));
        c.setProperties(Struct.fromJavaScript(config as never));
        configure.getPolicyconfigMap().set(policy, c);
      }
      await call("configure", configure);

      const violations: Violation[] = [];
      const collect = (res: Msg) => {
        for (const d of res.getDiagnosticsList()) {
          const level = LEVEL_NAMES[d.getEnforcementlevel()];
          violations.push({ policyName: d.getPolicyname(), message: d.getMessage(), enforcementLevel: level === "mandatory" ? "mandatory" : "warning", ...(d.getUrn() ? { urn: d.getUrn() } : {}) });
        }
      };
      const optionsOf = (protect: boolean) => {
        const o = new analyzerMsg.AnalyzerResourceOptions();
        o.setProtect(protect);
        return o;
      };
      for (const res of r.resources) {
        const req = new analyzerMsg.AnalyzeRequest();
        req.setType(res.type);
        req.setUrn(res.urn);
        req.setName(res.name);
        req.setProperties(Struct.fromJavaScript(res.inputs as never));
        req.setOptions(optionsOf(res.protect));
        collect(await call("analyze", req));
      }
      const stackReq = new analyzerMsg.AnalyzeStackRequest();
      stackReq.setResourcesList(
        r.resources.map((res) => {
          const a = new analyzerMsg.AnalyzerResource();
          a.setType(res.type);
          a.setUrn(res.urn);
          a.setName(res.name);
          a.setProperties(Struct.fromJavaScript(res.state as never));
          a.setOptions(optionsOf(res.protect));
          return a;
        }),
      );
      collect(await call("analyzeStack", stackReq));
      return { name, version: info.getVersion(), violations };
    } catch (err) {
      if (err instanceof PolicyConfigError) return { failure: err.message };
      return { failure: `policy pack ${dir}: ${(err as Error).message}` };
    } finally {
      client.close();
    }
  } finally {
    // plugin.Close: the engine kills the analyzer when it is done with it.
    child.kill("SIGKILL");
    await exited;
    engine.close();
  }
}

