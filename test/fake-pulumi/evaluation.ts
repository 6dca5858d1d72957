// Evaluating the program and running the policy pack: the stand-in's two costly steps, pure
// functions of their requests (./memo.ts keys them). Both run through Pulumi's own Node entry
// points in processes of their own, with the stand-in playing the engine over Pulumi's gRPC
// protocol: the program through `cmd/run` (./language-host.ts), the pack through
// `cmd/run-policy-pack` (./analyzer-host.ts). What the cloud would answer comes from
// cli/offline/azure-mocks.ts, with the test's local addresses in place of Azure's.

import type { SimulatedResource } from "../../cli/offline/simulate.js";
// The hosts (and through them @grpc/grpc-js and Pulumi's protocol buffers, ~60 ms of loading) are
// imported on a memo miss only: most stand-in calls (stack select, output, export, history) never
// evaluate anything, and each is a process of its own.
import { hasSecrets, type SecretPath } from "./secrets.js";

/** A resource as the program declared it, with where its secrets are (./secrets.ts). */
export type Resource = SimulatedResource & { secrets?: { inputs: SecretPath[]; outputs: SecretPath[] } };

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
  /** The project folder (where Pulumi.yaml is): the program directory the language host runs in. */
  programDirectory: string;
  /** Pulumi.yaml's `main`, relative to the project folder (the language host's entry point). */
  main: string;
  /** `preview` (the language host passes --dry-run) or `up`. */
  dryRun: boolean;
  project: string;
  stack: string;
  config: Record<string, string>;
  /** The config keys that are secrets, as "<project>:<key>" (the language host's PULUMI_CONFIG_SECRET_KEYS). */
  secretKeys: string[];
  /** The addresses the test set: each evaluates as its placeholder. */
  addresses: AddressEnv[];
  /**
   * What a StackReference to the stack itself reads (pkg/resource/deploy/builtins.go,
   * readStackReference): its last checkpoint's outputs (secrets as the SDK's secret values) with placeholders for the addresses, or
   * null when the backend has no such stack. ./main.ts resolves the name (the DIY backend's parse).
   */
  self: Record<string, unknown> | null;
  /** manage's request (MANAGE_OPERATIONS), which the program reads from its environment. */
  operations?: string;
}

export type Evaluation =
  | { project: string; stack: string; resources: Resource[]; outputs: Record<string, unknown>; secretOutputs?: SecretPath[] }
  /**
   * The program failed: what it logged as an error (empty when it exited 32, having said it all)
   * and what it wrote to stderr, which the engine shows as the plugin's output.
   */
  | { error: string; stderr?: string };

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
  // The outputs carry their secrets as the SDK's secret values (./main.ts), named in secretOutputNames, sorted.
  const secretOutputNames = Object.keys(r.self).filter((k) => hasSecrets(r.self![k])).sort();
  return { id: name, state: { name, outputs: r.self, secretOutputNames } };
}

/**
 * Azure's answer to the two generic ARM types azure-native has and the program never declares (the
 * offline mocks refuse every type the program does not declare, so that a new one is taught to them):
 * a generic resource (Resources_CreateOrUpdate: /subscriptions/{s}/resourceGroups/{rg}/providers/
 * {namespace}/{parentPath}/{type}/{name}) and an ARM template deployment
 * (Microsoft.Resources/deployments/{name}), as Azure-REST-API-specs' resources.json names them. A
 * program tampered to declare one reaches the policy pack, as under real pulumi, whose
 * only-declared-types refuses it before its step (test/cli/access-modes.test.ts).
 */
function genericArmResource(canonical: string, subscription: string, inputs: Record<string, any>): { id: string; state: Record<string, unknown> } | undefined {
  const group = `/subscriptions/${subscription}/resourceGroups/${inputs.resourceGroupName}`;
  if (canonical === "azure-native:resources:Resource") {
    const path = [inputs.resourceProviderNamespace, inputs.parentResourcePath, inputs.resourceType, inputs.resourceName].filter((p) => p).join("/");
    return { id: `${group}/providers/${path}`, state: { ...inputs, name: inputs.resourceName } };
  }
  if (canonical === "azure-native:resources:Deployment")
    return { id: `${group}/providers/Microsoft.Resources/deployments/${inputs.deploymentName}`, state: { ...inputs, name: inputs.deploymentName } };
  return undefined;
}

/** Evaluates the program through the language host's launch of @pulumi/pulumi's cmd/run. */
export async function evaluateProgram(r: EvaluationRequest, via?: "warm" | "cmd/run"): Promise<Evaluation> {
  const placeholder = (env: AddressEnv) => (r.addresses.includes(env) ? ADDRESSES.find((a) => a.env === env)!.placeholder : undefined);
  const [{ runProgram }, { azureMocks, SIMULATED_SUBSCRIPTION_ID }, { canonicalType }] = await Promise.all([
    import("./language-host.js"),
    import("../../cli/offline/azure-mocks.js"),
    import("../../infra/policy-pack/types.cjs"),
  ]);
  return runProgram({ ...r, entryPoint: r.main }, {
    newResource(args) {
      const result = (genericArmResource(canonicalType(args.type), SIMULATED_SUBSCRIPTION_ID, args.inputs) ?? azureMocks.newResource({ ...args, provider: "", custom: true } as never)) as { id: string; state: Record<string, any> };
      const fqdn = placeholder("FAKE_PULUMI_BACKEND_FQDN");
      if (fqdn && args.type === "azure-native:app:ContainerApp")
        result.state.configuration = { ...result.state.configuration, ingress: { ...result.state.configuration?.ingress, fqdn } };
      const pool = placeholder("FAKE_PULUMI_POOL_ENDPOINT");
      if (pool && args.type === "azure-native:app:ContainerAppsSessionPool") result.state.poolManagementEndpoint = pool;
      const gateway = placeholder("FAKE_PULUMI_GATEWAY_URL");
      if (gateway && args.type === "azure-native:apimanagement:ApiManagementService") result.state.gatewayUrl = gateway;
      return result;
    },
    call: (args) => azureMocks.call({ ...args, provider: "" } as never) as Record<string, unknown>,
    readStackReference: (name) => stackReference(name, r).state,
  }, via);
}

/** Everything a policy run reads. */
export interface PolicyRequest {
  /** The pack's directory (its PulumiPolicy.yaml, checked by ./main.ts). */
  packDir: string;
  stack: string;
  project: string;
  resources: Resource[];
  /** The `--policy-pack-config` file's JSON. */
  packConfig?: Record<string, unknown>;
}

export type PolicyResult =
  | { name: string; version: string; violations: Violation[] }
  /** The pack did not load or run: the CLI's error, and what the pack wrote to stderr (shown as the plugin's output). */
  | { failure: string; stderr?: string };

export interface Violation {
  policyName: string;
  message: string;
  enforcementLevel: "mandatory" | "warning";
  urn?: string;
  /** Which call found it: Analyze (a resource's inputs, before its step) or AnalyzeStack (after every step). */
  stage: "resource" | "stack";
}

/** Runs the policy pack at `packDir` over the resources, as the engine runs an analyzer (./analyzer-host.ts). */
export const runPolicies = async (r: PolicyRequest): Promise<PolicyResult> => (await import("./analyzer-host.js")).analyze(r);
