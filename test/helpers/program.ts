// Shared by the program tests: evaluate a real stack file (with extra config on top) under mocks.
import { resolve } from "node:path";
import { PROJECT } from "../../infra/config.js";
import { simulate, type SimulatedResource, type Simulation } from "../../cli/offline/simulate.js";
import { readStackConfig } from "../../cli/stack-files.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const STACKS = ["dev", "contest"] as const;

/**
 * The program evaluated for a committed stack file with `extra` config on top. The same stack and
 * config give the same resources, so each is evaluated once per test worker and the tests that read
 * different properties of it share the one result (program.test.ts reads each stack and profile in
 * a dozen tests: ~90 evaluations were ~10). The result is frozen: a test that wrote into it would
 * change what the next one reads, and now throws instead.
 */
export function simulateStack(stack: string, extra: Record<string, string> = {}): Promise<Simulation> {
  const config = { ...readStackConfig(ROOT, stack), ...extra };
  // With what else the program reads: manage's request (infra/program.ts), the secret keys, the clock
  // (MANAGE_NOW, and GITHUB_ACTIONS, under which cli/clock.ts now() refuses MANAGE_NOW), and the real
  // clock's day (the budget's start, infra/alerts.ts: a run across midnight evaluates again).
  const env = ["MANAGE_OPERATIONS", "PULUMI_CONFIG_SECRET_KEYS", "MANAGE_NOW", "GITHUB_ACTIONS"].map((name) => process.env[name]);
  const key = JSON.stringify([stack, config, ...env, new Date().toISOString().slice(0, 10)]);
  let evaluation = evaluations.get(key);
  if (!evaluation) {
    evaluation = withNodeStackTraces(() => simulate({ project: PROJECT, stack, config })).then(deepFreeze);
    evaluations.set(key, evaluation);
  }
  return evaluation;
}
const evaluations = new Map<string, Promise<Simulation>>();

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Node's own stack traces, as a process has them, until the returned release (holders nest; each
 * releases once). A test worker's are vitest's, which map every frame of every stack through the
 * transformed modules' source maps. @pulumi/pulumi's runtime takes a stack for each promise it makes
 * (runtime/debuggable.js debuggablePromise: `new Error().stack`), thousands in one run of the
 * program, and mapped they were a third of program.test.ts's time (8.7 s of tests to 5.7 s). A
 * stack through a test file is still mapped: a test's check that fails while a run is held (a
 * test waiting on a held manage, say) is reported at its own line, not the transformed module's.
 */
export function nodeStackTraces(): () => void {
  if (holders++ === 0) {
    mapped = errors.prepareStackTrace;
    const vitests = mapped;
    errors.prepareStackTrace = vitests && ((error, frames) => (frames.some(inTestFile) ? vitests(error, frames) : nodeTrace(error, frames)));
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0) errors.prepareStackTrace = mapped;
  };
}
let holders = 0;
const errors = Error as { prepareStackTrace?: ErrorConstructor["prepareStackTrace"] };
let mapped: typeof errors.prepareStackTrace;
const inTestFile = (frame: NodeJS.CallSite) => /\.test\.ts$/.test(frame.getFileName() ?? "");
/** A stack as node writes it with no Error.prepareStackTrace and no source maps (lib/internal/errors.js prepareStackTraceCallback): the error's toString, then a line per frame. */
function nodeTrace(error: Error, frames: NodeJS.CallSite[]): string {
  let head: string;
  try {
    head = Error.prototype.toString.call(error);
  } catch {
    head = "<error>";
  }
  return frames.length ? `${head}\n    at ${frames.join("\n    at ")}` : head;
}

export async function withNodeStackTraces<T>(work: () => Promise<T>): Promise<T> {
  const release = nodeStackTraces();
  try {
    return await work();
  } finally {
    release();
  }
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
