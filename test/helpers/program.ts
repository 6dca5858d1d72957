// Shared by the program tests: evaluate a real stack file (with extra config on top) under mocks.
import { resolve } from "node:path";
import { PROJECT } from "../../infra/config.js";
import { simulate, type SimulatedResource, type Simulation } from "../../cli/offline/simulate.js";
import { readStackConfig } from "../../cli/stack-files.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const STACKS = ["dev", "contest"] as const;

export async function simulateStack(stack: string, extra: Record<string, string> = {}): Promise<Simulation> {
  return simulate({ project: PROJECT, stack, config: { ...readStackConfig(ROOT, stack), ...extra } });
}

export function resource(sim: Simulation, name: string): SimulatedResource {
  const found = sim.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource "${name}" in ${sim.stack}: ${sim.resources.map((r) => r.name).join(", ")}`);
  return found;
}

/** Reads a nested property the way a test states it: get(pool.inputs, "scaleConfiguration.maxConcurrentSessions"). */
export function get(obj: unknown, path: string): any {
  return path.split(".").reduce<any>((o, key) => (o == null ? undefined : o[key]), obj);
}
