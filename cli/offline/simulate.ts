// Evaluates the real Pulumi program offline under the runtime mocks of cli/offline/azure-mocks.ts,
// recording every resource exactly as the engine would receive it: type, name, inputs, the
// resulting state, dependencies (explicit and implicit), protect and replaceOnChanges.
//
// Used by `manage plan`, by the tests, and by the test stand-in for `pulumi up`. Loads
// @pulumi/pulumi (about half a second; a fifth of that with ../pulumi/deferred-modules.ts), so only
// commands that evaluate the program import it.

import type { RawConfig } from "../../infra/config.js";
import type { Mocks } from "@pulumi/pulumi/runtime/mocks.js";
import type { RegisterResourceRequest, RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb.js";
import { azureMocks } from "./azure-mocks.js";
import { deferInlineProgramModules } from "../pulumi/deferred-modules.js";
import { now } from "../clock.js";

export interface SimulatedResource {
  urn: string;
  type: string;
  /** The Pulumi logical name, e.g. "session-pool". */
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  /** Inputs plus the outputs Azure computes (loginServer, poolManagementEndpoint...). */
  state: Record<string, unknown>;
  /** Logical names of the resources this one waits for (dependsOn and inputs taken from them). */
  dependsOn: string[];
  protect: boolean;
  replaceOnChanges: string[];
}

export interface Simulation {
  project: string;
  stack: string;
  resources: SimulatedResource[];
  outputs: Record<string, unknown>;
}

export interface SimulateOptions {
  project: string;
  stack: string;
  /** The stack's config in the project namespace, without the "project:" prefix. */
  config: RawConfig;
  /**
   * Declares the resources and returns the stack outputs. Defaults to the real program
   * (declareDeployment over the stack config), imported lazily.
   */
  program?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** What Azure answers (default: azureMocks). The test stand-in for pulumi points URLs at local servers. */
  mocks?: Mocks;
  /**
   * Whether the program refuses a configuration over costCeilingPerDay (infra/program.ts), as it does
   * on every preview and update; false only for `manage plan`, which changes nothing.
   */
  enforceCeiling?: boolean;
}

// The Pulumi runtime (config, mocks, root stack) is process-global: evaluations must not overlap.
let previous: Promise<unknown> = Promise.resolve();

/** Evaluates the program; concurrent calls run one after another. */
export function simulate(options: SimulateOptions): Promise<Simulation> {
  const run = previous.then(() => evaluate(options));
  previous = run.catch(() => undefined);
  return run;
}

async function evaluate(options: SimulateOptions): Promise<Simulation> {
  // The program declares resources; it never serializes a closure into code.
  deferInlineProgramModules();
  const pulumi = await import("@pulumi/pulumi");
  const { project, stack } = options;
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(options.config).map(([key, value]) => [`${project}:${key}`, value])),
  );
  // Keep each resource's inputs as the provider receives them (keyed by type and logical name).
  const inputsOf = new Map<string, Record<string, unknown>>();
  const azure = options.mocks ?? azureMocks;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        inputsOf.set(`${args.type}::${args.name}`, args.inputs);
        return azure.newResource(args);
      },
      call: (args) => azure.call(args),
    },
    project,
    stack,
    false,
    // The DIY backend's one organization (pkg/backend/diy): what pulumi.getOrganization() answers there.
    "organization",
  );

  const byUrn = new Map<string, SimulatedResource & { seq: number }>();
  let declared = 0;
  const failures: Error[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterResourceRequest, cb: (err: Error | null, resp?: RegisterResourceResponse) => void): void;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    // The order the program declares resources in, not the order registrations complete.
    const seq = declared++;
    register(req, (err, resp) => {
      if (err) failures.push(err);
      else if (resp && req.getCustom()) {
        const urn = engineUrn(resp.getUrn());
        byUrn.set(urn, {
          seq,
          urn,
          type: req.getType(),
          name: req.getName(),
          id: resp.getId(),
          inputs: unwrapSecrets(inputsOf.get(`${req.getType()}::${req.getName()}`) ?? {}) as Record<string, unknown>,
          state: unwrapSecrets(resp.getObject()!.toJavaScript()) as Record<string, unknown>,
          dependsOn: req.getDependenciesList().map(engineUrn),
          protect: req.getProtect() ?? false,
          replaceOnChanges: req.getReplaceonchangesList(),
        });
      }
      callback(err, resp);
    });
  };

  // Settings are parsed before the stack resource exists, so a refused config throws here, once,
  // with its message intact, as `pulumi up` reports it before declaring anything.
  let program = options.program;
  if (!program) {
    const { declareDeployment, settingsFromStack } = await import("../../infra/program.js");
    // On manage's clock (MANAGE_NOW when rehearsing), as the request of a change it makes would be.
    const { settings, operations } = await settingsFromStack(now(), { enforceCeiling: options.enforceCeiling ?? true });
    program = () => declareDeployment(settings, operations);
  }
  const outputs = (await pulumi.runtime.runInPulumiStack(async () => program())) as Record<string, unknown>;
  // Resources that feed no output (a role assignment) may still be registering: wait for them.
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  if (failures.length > 0) throw failures[0];

  const nameOf = (urn: string) => byUrn.get(urn)?.name ?? urn.split("::").pop()!;
  const resources = [...byUrn.values()]
    .sort((a, b) => a.seq - b.seq)
    .map(({ seq: _seq, ...r }) => ({ ...r, dependsOn: [...new Set(r.dependsOn.filter((d) => byUrn.has(d)).map(nameOf))].sort() }));
  return { project, stack, resources, outputs: unwrapSecrets(outputs) as Record<string, unknown> };
}

/**
 * The URN the engine gives a resource: the mock monitor prefixes children of the root stack with
 * "pulumi:pulumi:Stack$"; the real engine does not, and `pulumi up --target` expects the real form.
 */
function engineUrn(urn: string): string {
  return urn.replace("::pulumi:pulumi:Stack$", "::");
}

/** Outputs marked secret arrive wrapped; the simulation reports plain values. */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}
