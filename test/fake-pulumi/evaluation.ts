// Evaluating the program under mocks and running the policy pack: the stand-in's two costly
// steps (each loads @pulumi/pulumi), pure functions of their requests (./memo.ts keys them). The
// stand-in runs them in its own process, or asks ./evaluator.ts, a process the test run keeps
// warm, to run them (the same code here, loaded once): that is the memo's miss made cheap, ~0.4 s
// of loading saved on each. Nothing in a request depends on the process that answers it.

import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import YAML from "yaml";
import type { SimulatedResource } from "../../cli/offline/simulate.js";
import { deferInlineProgramModules } from "../../cli/pulumi/deferred-modules.js";
import { PolicyConfigError, resolvePolicies, type ResolvedPolicy } from "./policy-config.js";

type Resource = SimulatedResource;

/**
 * Where the deployed system answers (the FAKE_PULUMI_* addresses, ./main.ts) is a local server's
 * random port, different in every test, while the program is the same. So the program is evaluated
 * with a placeholder for each address that is set, the answer is memoized without the addresses
 * (./memo.ts), and each placeholder is then replaced by the real address wherever it ended up: the
 * resource's own state, the inputs of resources built from it, the stack outputs. The program only
 * concatenates these strings (https://${fqdn}, an env var's value), so that is the same answer as
 * evaluating with the address itself.
 */
export const ADDRESSES = [
  { env: "FAKE_PULUMI_BACKEND_FQDN", placeholder: "fake-pulumi-backend-fqdn.placeholder.invalid" },
  { env: "FAKE_PULUMI_POOL_ENDPOINT", placeholder: "https://fake-pulumi-pool-endpoint.placeholder.invalid" },
  { env: "FAKE_PULUMI_GATEWAY_URL", placeholder: "https://fake-pulumi-gateway-url.placeholder.invalid" },
] as const;
export type AddressEnv = (typeof ADDRESSES)[number]["env"];

/** Everything an evaluation reads, as ./main.ts gathers it (and the memo keys it). */
export interface EvaluationRequest {
  /** The program's main, absolute (Pulumi.yaml's `main` in the project). */
  main: string;
  project: string;
  stack: string;
  config: Record<string, string>;
  /** The addresses the test set: each evaluates as its placeholder. */
  addresses: AddressEnv[];
  /**
   * What a StackReference to the stack itself reads (pkg/resource/deploy/builtins.go,
   * readStackReference): its last checkpoint's outputs with placeholders for the addresses, or
   * null when the backend has no such stack. ./main.ts resolves the name (the DIY backend's parse).
   */
  self: Record<string, unknown> | null;
  /** manage's request (MANAGE_OPERATIONS), which the program reads from its environment. */
  operations?: string;
}

export type Evaluation =
  | { project: string; stack: string; resources: Resource[]; outputs: Record<string, unknown> }
  /** The program threw: reported as the language host reports it. */
  | { error: string };

/**
 * A StackReference read, answered as the builtin provider does (pkg/resource/deploy/builtins.go,
 * readStackReference): `name`, the referenced stack's `outputs` from the backend's last
 * checkpoint, and `secretOutputNames`. Names resolve as the DIY backend parses them
 * (pkg/backend/diy/backend.go, parseStackReference): "stack", "project/stack" or
 * "organization/project/stack". The program references only its own stack; any other reference is
 * not simulated. The engine's `read` step for it is not emitted (manage's plan leaves reads out anyway).
 */
function stackReference(name: string, r: EvaluationRequest) {
  const parts = name.split("/");
  const [org, proj, stack] = parts.length === 3 ? parts : parts.length === 2 ? ["organization", ...parts] : ["organization", r.project, parts[0]];
  if (org !== "organization") throw new Error(`unknown stack "${name}": the DIY backend has one organization, "organization"`);
  if (proj !== r.project || stack !== r.stack) throw new Error(`fake pulumi: a reference to another stack (${name}) is not simulated`);
  if (!r.self) throw new Error(`unknown stack "${name}"`);
  return { id: name, state: { name, outputs: r.self, secretOutputNames: [] } };
}

let evaluations = 0;

/**
 * Evaluates the program under the runtime mocks. `fresh`: import the program's main as a new module
 * (a process that evaluates more than once: the main's top-level code runs each time).
 */
export async function evaluateProgram(r: EvaluationRequest, fresh = false): Promise<Evaluation> {
  // Loaded only here: the runtime and the program are what makes a preview cost a second.
  const { simulate } = await import("../../cli/offline/simulate.js");
  const { azureMocks } = await import("../../cli/offline/azure-mocks.js");
  const placeholder = (env: AddressEnv) => (r.addresses.includes(env) ? ADDRESSES.find((a) => a.env === env)!.placeholder : undefined);
  const mocks = {
    newResource(args: any) {
      if (args.type === "pulumi:pulumi:StackReference") return stackReference(String(args.inputs.name), r);
      const result = azureMocks.newResource(args) as { id: string; state: Record<string, any> };
      const fqdn = placeholder("FAKE_PULUMI_BACKEND_FQDN");
      if (fqdn && args.type === "azure-native:app:ContainerApp")
        result.state.configuration = { ...result.state.configuration, ingress: { ...result.state.configuration?.ingress, fqdn } };
      const pool = placeholder("FAKE_PULUMI_POOL_ENDPOINT");
      if (pool && args.type === "azure-native:app:ContainerAppsSessionPool") result.state.poolManagementEndpoint = pool;
      const gateway = placeholder("FAKE_PULUMI_GATEWAY_URL");
      if (gateway && args.type === "azure-native:apimanagement:ApiManagementService") result.state.gatewayUrl = gateway;
      return result;
    },
    call: (args: any) => azureMocks.call(args),
  };
  // The program reads manage's request from its environment (infra/program.ts).
  if (r.operations === undefined) delete process.env.MANAGE_OPERATIONS;
  else process.env.MANAGE_OPERATIONS = r.operations;
  const url = pathToFileURL(r.main).href + (fresh ? `?evaluation=${++evaluations}` : "");
  try {
    return await simulate({ project: r.project, stack: r.stack, config: r.config, mocks, program: async () => ({ ...(await import(url)) }) });
  } catch (err) {
    // The nodejs language host reports a program's error as an error diagnostic (a RunError
    // without its stack trace), then the engine reports "<kind> failed".
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Everything a policy run reads. */
export interface PolicyRequest {
  /** The pack's directory (its PulumiPolicy.yaml, checked by ./main.ts). */
  packDir: string;
  resources: Resource[];
  /** The `--policy-pack-config` file's JSON. */
  packConfig?: Record<string, unknown>;
}

export type PolicyResult = { name: string; violations: Violation[] } | { failure: string };

export interface Violation {
  policyName: string;
  message: string;
  enforcementLevel: "mandatory" | "warning";
  urn?: string;
}

/**
 * Runs the policy pack at `dir` over the resources (see the assumption at the top), with the
 * `--policy-pack-config` file's levels and config over the pack's own (./policy-config.ts).
 */
export async function runPolicies(r: PolicyRequest): Promise<PolicyResult> {
  const { packDir: dir, resources, packConfig: configFile } = r;
  const pack = YAML.parse(readFileSync(join(dir, "PulumiPolicy.yaml"), "utf8")) as { main?: string };
  const require = createRequire(join(dir, "index.js"));
  // @pulumi/policy loads @pulumi/pulumi's runtime: without TypeScript and arborist until used, as
  // manage loads it (a policy validates resources; it serializes no closure).
  deferInlineProgramModules();
  const policy = require("@pulumi/policy") as typeof import("@pulumi/policy");
  let captured: { name: string; policies: any[] } | undefined;
  const policyPath = require.resolve("@pulumi/policy");
  require.cache[policyPath]!.exports = {
    ...policy,
    PolicyPack: class {
      constructor(name: string, args: { policies: any[] }) {
        captured = { name, policies: args.policies };
      }
    },
  };
  // A process that runs packs again (./evaluator.ts) loads the pack's own modules afresh each time,
  // so its PolicyPack is constructed, and captured, again.
  const packCode = realpathSync(dirname(resolve(dir, pack.main ?? "index.js")));
  for (const path of Object.keys(require.cache)) if (path.startsWith(packCode)) delete require.cache[path];
  require(resolve(dir, pack.main ?? "index.js"));
  if (!captured) return { failure: `could not load policy pack from ${dir}: it constructs no PolicyPack` };
  const violations: Violation[] = [];
  let resolved: Map<string, ResolvedPolicy>;
  try {
    resolved = resolvePolicies(captured!.name, captured!.policies, configFile);
  } catch (err) {
    if (err instanceof PolicyConfigError) return { failure: err.message };
    throw err;
  }
  const level = (p: any): "mandatory" | "warning" => (resolved.get(p.name)!.enforcementLevel === "mandatory" ? "mandatory" : "warning");
  const configOf = (p: any) => resolved.get(p.name)!.config;
  for (const p of captured!.policies) {
    if (resolved.get(p.name)!.enforcementLevel === "disabled") continue;
    if (p.validateResource)
      for (const r of resources)
        await p.validateResource(
          {
            type: r.type,
            props: policy.unknownCheckingProxy(r.inputs),
            urn: r.urn,
            name: r.name,
            opts: { protect: r.protect },
            stackTags: new Map(),
            isType: () => false,
            asType: () => undefined,
            getConfig: () => configOf(p),
            notApplicable: () => undefined,
          },
          (message: string) => violations.push({ policyName: p.name, message, enforcementLevel: level(p), urn: r.urn }),
        );
    if (p.validateStack)
      await p.validateStack(
        {
          resources: resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.state, opts: { protect: r.protect }, isType: () => false, asType: () => undefined })),
          getConfig: () => configOf(p),
          stackTags: new Map(),
          notApplicable: () => undefined,
        },
        (message: string, urn?: string) => violations.push({ policyName: p.name, message, enforcementLevel: level(p), urn }),
      );
  }
  return { name: captured!.name, violations };
}

