// A stand-in for the `pulumi` CLI, held to the real CLI's source (pulumi/pulumi v3.230.0), for the
// commands manage runs (through the Automation API) and the ones its hints tell people to run. Each
// behaviour names the file of the real CLI it follows. What it cannot be (a cloud, a provider plugin)
// it replaces with Azure's answers (cli/offline/azure-mocks.ts) to the real program, and it
// keeps state in the DIY file backend's layout: <backend>/.pulumi/stacks/<project>/<stack>.json,
// locks in <backend>/.pulumi/locks/organization/<project>/<stack>/<uuid>.json (pkg/backend/diy).
//
// Our code runs in Pulumi's own machinery: the program through @pulumi/pulumi's cmd/run and the
// policy pack through its cmd/run-policy-pack, started as the Node language host starts them, with
// this stand-in as the engine on the other end of the gRPC protocol (./language-host.ts,
// ./analyzer-host.ts). `--policy-pack-config FILE` sets levels and config, policy pack config file
// format per pulumi docs (./policy-config.ts).
//
// Assumptions, each named once (docs/architecture.md repeats them):
// - Replacement follows azure-native's rule: properties in the resource's URL (its resource group
//   and name), `location`, and those declared `replaceOnChanges` (./replacement.ts).
// - Secrets are sealed in the checkpoint as the passphrase manager seals them, with a cheaper key
//   derivation and a nonce derived from the value (./secrets.ts says why).
// - A secret the key cannot open fails the read that decrypts it, as pulumi does since v3.239.0
//   (v3.230.0 dropped the error and read the secret as null: openAll says where).
//
// Knobs for failure tests (environment):
//   FAKE_PULUMI_VERSION=3.100.0          what `pulumi version` reports
//   FAKE_PULUMI_FAIL=<name>              `up` fails on that resource, after the steps before it
//   FAKE_PULUMI_FAIL_MESSAGE=<text>      the provider's error text for it (default: an ARM error)
//   FAKE_PULUMI_STEP_DELAY_MS=n          pause before each step (so a test can interrupt an update)
//   FAKE_PULUMI_HOLD=<dir>               `stack output --show-secrets` waits for <dir>/release after writing <dir>/held
// Where the deployed system answers (what Azure would assign), so checks reach local servers:
//   FAKE_PULUMI_BACKEND_FQDN=127.0.0.1:port, FAKE_PULUMI_POOL_ENDPOINT=https://...,
//   FAKE_PULUMI_GATEWAY_URL=https://127.0.0.1:port (the API Management gateway, accessMode token)
//   (evaluated as placeholders and put in afterwards, so the memo holds across ports: ADDRESSES)

import { createRefusal, softDelete } from "../fake-az/soft-deleted.js";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import YAML from "yaml";
import type { Checkpoint, StateResource } from "./state.js";
import { crypterFor, DECRYPT_FAILURE, mask, open as openSecrets, seal, wire, type Crypter } from "./secrets.js";
import { ConfigValidationError, mergeStackConfig, validateProjectConfig, type ConfigDeclaration } from "./project-config.js";
import { replaceKeys } from "./replacement.js";
import { fileHash, memo, packageCodeHash, treeHash } from "./memo.js";
import { parsePolicyPackConfig, PolicyConfigError } from "./policy-config.js";
import { env, invocation, runIfEntry, within, type Invocation } from "./invocation.js";
import { ADDRESSES, evaluateProgram, runPolicies, type AddressEnv, type Resource as EvaluatedResource, type Evaluation, type EvaluationRequest, type PolicyRequest, type Violation } from "./evaluation.js";

/** API Management instances are soft-deleted by Azure (../fake-az/soft-deleted.ts). */
const APIM_SERVICE = "azure-native:apimanagement:ApiManagementService";

const argv = () => invocation().argv;
const cwd = () => invocation().cwd;
/** Output as the real CLI's fmt.Println writes it. */
const say = (text: string) => invocation().stdout(`${text}\n`);

// ---- errors and exit codes (pkg/cmd/pulumi/cmd/exit_codes.go ExitCodeFor) ------------------------

class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
/** A plain error: `error: <msg>` on stderr (cmdutil.DisplayErrorMessage), exit 1. */
const fail = (message: string, code = 1): never => {
  throw new Exit(code, message);
};
/** Real CLI behaviour this stand-in does not simulate: fail loudly, never pretend. */
const notSimulated = (what: string): never => fail(`fake pulumi: ${what} is not simulated (argv: ${JSON.stringify(argv())})`, 255);
/** A bail: the engine already reported the failure as diagnostics; nothing more is printed; exit 1. */
class Bail extends Error {}

// ---- flags (cobra: --flag value, --flag=value, bools as --flag or --flag=true) ---------------------

interface Parsed {
  positionals: string[];
  flags: Map<string, string[]>;
}
// Root persistent flags every command accepts (pkg/cmd/pulumi/pulumi.go NewPulumiCmd).
const GLOBAL_BOOL = ["--non-interactive", "--logtostderr", "--disable-integrity-checking", "--emoji", "--logflow"];
const GLOBAL_VALUE = ["--color", "--cwd", "-C", "--verbose", "-v", "--tracing", "--profiling", "--memprofilerate"];

function parse(args: string[], valueFlags: string[], boolFlags: string[]): Parsed {
  const values = [...valueFlags, ...GLOBAL_VALUE];
  const bools = [...boolFlags, ...GLOBAL_BOOL];
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    if (values.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) fail(`flag needs an argument: ${name}`);
      flags.set(name, [...(flags.get(name) ?? []), value!]);
    } else if (bools.includes(name)) {
      if (inline !== undefined && inline !== "true" && inline !== "false") fail(`invalid argument "${inline}" for "${name}" flag: strconv.ParseBool: parsing "${inline}": invalid syntax`);
      if (inline !== "false") flags.set(name, ["true"]);
    } else fail(`unknown flag: ${name}`);
  }
  return { positionals, flags };
}
const flag = (p: Parsed, name: string) => p.flags.get(name)?.[0];
const has = (p: Parsed, name: string) => p.flags.has(name);
const list = (p: Parsed, name: string) => p.flags.get(name) ?? [];

// ---- the project (sdk/go/common/workspace/loaders.go, project.go) --------------------------------

interface Project {
  name: string;
  main?: string;
  config?: Record<string, ConfigDeclaration>;
}
/** Read by the first step that needs it. */
function loadProject(): Project {
  const projectFile = join(cwd(), "Pulumi.yaml");
  if (!existsSync(projectFile))
    fail(`no Pulumi.yaml project file found (searching upwards from ${cwd()}). If you have not created a project yet, use \`pulumi new\` to do so: no project file found`);
  const text = readFileSync(projectFile, "utf8");
  // Parsed once per text: the steps only read it, and a stand-in in a test worker parsed the same
  // ~200 lines on every run (~7 s of a suite run's worker time, in the yaml library).
  if (!parsedProjects.has(text)) parsedProjects.set(text, YAML.parse(text) as Project);
  return parsedProjects.get(text)!;
}
const parsedProjects = new Map<string, Project>();

/** What one run keeps between its steps: the project, the salts it read, its event streams. */
interface RunState {
  project?: Project;
  recordedSalt: Map<string, string | undefined>;
  sequence: number;
  sinks: Array<(line: string) => void>;
  closeSinks: () => Promise<void>;
}
const runStates = new WeakMap<Invocation, RunState>();
const runState = (): RunState => runStates.get(invocation())!;
const project = (): Project => (runState().project ??= loadProject());

// ---- the DIY backend (pkg/backend/diy) ------------------------------------------------------------

function backendUrl(): string {
  const url = env().PULUMI_BACKEND_URL;
  if (!url) return notSimulated("a backend other than an explicit file:// PULUMI_BACKEND_URL (pulumi login)");
  if (!url.startsWith("file://")) return notSimulated(`the backend ${url}`);
  return url;
}
const backendDir = () => backendUrl().slice("file://".length);
const stacksDir = () => join(backendDir(), ".pulumi", "stacks", project().name);
const statePath = (stack: string) => join(stacksDir(), `${stack}.json`);
const historyDir = (stack: string) => join(backendDir(), ".pulumi", "history", project().name, stack);
const locksDir = (stack: string) => join(backendDir(), ".pulumi", "locks", "organization", project().name, stack);
const stackFile = (stack: string) => join(cwd(), `Pulumi.${stack}.yaml`);

const stackExists = (stack: string) => existsSync(statePath(stack));

/** backenderr.StackNotFoundError: "no stack named '%s' found", exit 6 (ExitStackNotFound). */
function requireStack(p: Parsed): string {
  const stack = flag(p, "--stack") ?? flag(p, "-s");
  if (!stack) return fail("no stack selected; specify a stack name with --stack", 6);
  if (!stackExists(stack)) fail(`no stack named '${stack}' found`, 6);
  return stack;
}

interface Snapshot {
  resources: StateResource[];
  pendingOperations?: Array<{ resource: StateResource; type: string }>;
}
/** The stack's secrets manager (./secrets.ts): the passphrase one, with the stack file's salt. */
/**
 * The stack's secrets manager (./secrets.ts), the passphrase one. Its salt is recorded in the
 * checkpoint (secrets_providers' state), from which the CLI rebuilds the manager to read a stack
 * (pkg/resource/stack/deployment.go initializeSecretsManager): reading state never needs the stack
 * file. A checkpoint not yet written takes the stack file's encryptionsalt, as `stack init` put it there.
 */
function saltOf(stack: string): string | undefined {
  if (runState().recordedSalt.has(stack)) return runState().recordedSalt.get(stack);
  try {
    const salt = loadStackDoc(stack).get("encryptionsalt");
    return typeof salt === "string" ? salt : undefined;
  } catch {
    return undefined;
  }
}
const crypter = (stack: string) => crypterFor(stack, saltOf(stack), env());
/** A resource read from the checkpoint: its secrets opened, and where they were remembered. */
function opened(r: StateResource, c: Crypter): StateResource {
  const inputs = openSecrets(r.inputs, c);
  const outputs = openSecrets(r.outputs, c);
  return { ...r, inputs: inputs.value, outputs: outputs.value, ...(inputs.paths.length || outputs.paths.length ? { secrets: { inputs: inputs.paths, outputs: outputs.paths } } : {}) };
}
/** A resource as the checkpoint (or `stack export`) writes it: its secrets sealed. */
function sealed(r: StateResource, c: Crypter, show = false): StateResource {
  const { secrets, ...rest } = r;
  return { ...rest, inputs: seal(r.inputs, secrets?.inputs, c, show), outputs: seal(r.outputs, secrets?.outputs, c, show) };
}

/**
 * The checkpoint as stored, secrets still ciphertext: what the DIY backend's getCheckpoint reads
 * (pkg/backend/diy/state.go: the JSON only, no secrets manager), which is all `stack ls` and a plain
 * `stack export` need.
 */
function readCheckpoint(stack: string): Checkpoint["checkpoint"]["latest"] {
  let checkpoint: Checkpoint;
  try {
    checkpoint = JSON.parse(readFileSync(statePath(stack), "utf8")) as Checkpoint;
  } catch (err) {
    // pkg/backend/diy/state.go getSnapshot: "failed to load checkpoint: %w", the JSON decoder's
    // error (Go's encoding/json says "unexpected end of JSON input" for a truncated file).
    const cause = err instanceof SyntaxError && /end of JSON|Unterminated|Unexpected end/i.test(err.message) ? "unexpected end of JSON input" : String((err as Error).message);
    return fail(`failed to load checkpoint: ${cause}`);
  }
  const latest = checkpoint.checkpoint.latest;
  const recorded = latest.secrets_providers?.state?.salt;
  runState().recordedSalt.set(stack, typeof recorded === "string" ? recorded : undefined);
  return latest;
}
/**
 * Resources of the checkpoint with their secrets opened. A ciphertext the key cannot open fails the
 * read with the locked passphrase manager's words (pkg/secrets/passphrase/manager.go errorCrypter:
 * a wrong passphrase yields a manager that fails every decryption). One named departure: pulumi
 * v3.230.0 dropped that error (pkg/resource/stack/secrets.go BatchDecrypt returned an unnamed error,
 * so its deferred completion's error was lost, and each secret read as null); pulumi/pulumi#23149
 * (v3.239.0) made it fail, as here. The stand-in fails, so a test sees the cause manage must explain.
 */
function openAll(resources: StateResource[], c: Crypter): StateResource[] {
  try {
    return resources.map((r) => opened(r, c));
  } catch (err) {
    return fail((err as Error).message);
  }
}
/**
 * The stack's state with every secret read: what an operation works on (pkg/backend/diy/state.go
 * getSnapshot -> stack.DeserializeCheckpoint, which decrypts every resource's secrets).
 */
function readSnapshot(stack: string): Snapshot {
  const latest = readCheckpoint(stack);
  const c = crypter(stack);
  const resources = openAll(latest.resources ?? [], c);
  const pending = latest.pending_operations;
  return {
    resources,
    pendingOperations: pending?.map((o) => ({ ...o, resource: openAll([o.resource], c)[0]! })),
  };
}
/**
 * The root stack resource with its outputs' secrets read, and nothing else decrypted: `stack output`
 * and a StackReference read only those (pkg/backend/diy/state.go getSnapshotStackOutputs ->
 * stack.DeserializeStackOutputs), so a secret elsewhere that cannot be opened does not fail them.
 */
function readRoot(stack: string): StateResource | undefined {
  const root = (readCheckpoint(stack).resources ?? []).find((r) => r.type === "pulumi:pulumi:Stack");
  return root && openAll([root], crypter(stack))[0];
}
function writeSnapshot(stack: string, snap: Snapshot) {
  const c = crypter(stack);
  const salt = saltOf(stack);
  const doc: Checkpoint = {
    version: 3,
    checkpoint: {
      stack,
      latest: {
        // Secrets as ciphertext (pkg/resource/stack/deployment.go SerializeDeployment), and the manager they are for.
        secrets_providers: { type: "passphrase", ...(salt ? { state: { salt } } : {}) },
        resources: snap.resources.map((r) => sealed(r, c)),
        ...(snap.pendingOperations?.length ? { pending_operations: snap.pendingOperations.map((o) => ({ ...o, resource: sealed(o.resource, c) })) } : {}),
      },
    },
  };
  // The DIY backend writes through gocloud.dev's fileblob, which writes a temporary file and renames
  // it into place: a process killed mid-write leaves the previous checkpoint, never half of one.
  const tmp = `${statePath(stack)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(doc, null, 4));
  renameSync(tmp, statePath(stack));
}

// ---- stack files (sdk/go/common/workspace/project.go ProjectStack; util/yamlutil/edit.go) ---------
// The real CLI edits an existing stack file in place: comments and key order kept, changed values
// replaced, new keys appended at the end of their mapping (yamlutil.Edit, pulumi/pulumi#14860).
// A new file is written fresh, struct fields first (secretsprovider, encryptedkey, encryptionsalt,
// config), map keys sorted (gopkg.in/yaml.v3).

function loadStackDoc(stack: string): YAML.Document {
  const path = stackFile(stack);
  if (!existsSync(path)) return new YAML.Document({});
  const doc = YAML.parseDocument(readFileSync(path, "utf8"));
  if (doc.errors.length) fail(`could not load stack file ${path}: ${doc.errors[0]!.message}`);
  return doc;
}
function saveStackDoc(stack: string, doc: YAML.Document) {
  mkdirSync(dirname(stackFile(stack)), { recursive: true });
  writeFileSync(stackFile(stack), doc.toString({ indent: 2 }));
}
function stackConfigMap(stack: string): Record<string, unknown> {
  return ((loadStackDoc(stack).toJS() ?? {}) as { config?: Record<string, unknown> }).config ?? {};
}

/** config.ParseKey via ParseConfigKey (pkg/cmd/pulumi/config/io.go): bare keys take the project's namespace. */
function fullKey(key: string) {
  return key.includes(":") ? key : `${project().name}:${key}`;
}

/** Map.Set with --path (sdk/go/common/resource/config/object.go coerce): "true"/"false" bools, base-10 integers numbers (not with a leading 0). */
function coerceLeaf(value: string): unknown {
  if (value === "true" || value === "false") return value === "true";
  if (/^-?\d+$/.test(value) && !(value.length > 1 && value.startsWith("0"))) return Number(value);
  return value;
}

/**
 * readPassphrase (pkg/secrets/passphrase/manager.go), for a stack whose file has an encryptionsalt.
 * Preview and up report it inside "getting stack configuration: get stack secrets manager: ...".
 */
function requirePassphrase(stack: string, context = "") {
  const fail_ = (m: string) => fail(context + m);
  if (!loadStackDoc(stack).has("encryptionsalt")) return;
  if (env().PULUMI_CONFIG_PASSPHRASE !== undefined) return;
  const file = env().PULUMI_CONFIG_PASSPHRASE_FILE;
  if (file) {
    if (!existsSync(resolve(cwd(), file))) fail_(`unable to read PULUMI_CONFIG_PASSPHRASE_FILE: open ${resolve(cwd(), file)}: no such file or directory`);
    return;
  }
  fail_("passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables");
}

/**
 * The config the program runs with, validated as the CLI does before the engine starts, and which
 * of its keys are secrets. A secret (`key: {secure: ciphertext}`, as `config set --secret` writes
 * it) is decrypted first and validated as its plaintext (pkg/workspace/config.go
 * validateStackConfigValues); the program gets the plaintext, and the language host the secret
 * keys (source_eval.go: Target.Config.SecureKeys()). A secret nested in an object is not simulated.
 */
function programConfig(stack: string): { config: Record<string, string>; secretKeys: string[] } {
  try {
    validateProjectConfig(project().name, project().config ?? {});
    const secretKeys: string[] = [];
    const stored = Object.entries(stackConfigMap(stack)).map(([key, value]) => {
      if (!isSecure(value)) {
        if (JSON.stringify(value ?? null).includes('"secure":')) notSimulated("a secret nested in an object's config value");
        return [key, value] as const;
      }
      requirePassphrase(stack, "getting stack configuration: get stack secrets manager: ");
      const plaintext = crypter(stack).decrypt(value.secure);
      if (plaintext === null) fail(DECRYPT_FAILURE);
      secretKeys.push(fullKey(key));
      return [key, plaintext] as const;
    });
    const merged = mergeStackConfig(stack, project().name, project().config ?? {}, Object.fromEntries(stored));
    const config = Object.fromEntries(
      Object.entries(merged)
        .filter(([k]) => k.startsWith(`${project().name}:`))
        .map(([k, v]) => [k.slice(project().name.length + 1), v]),
    );
    return { config, secretKeys };
  } catch (err) {
    if (err instanceof ConfigValidationError) return fail(err.message);
    throw err;
  }
}
const isSecure = (value: unknown): value is { secure: string } =>
  typeof value === "object" && value !== null && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string";

// ---- engine events (sdk/go/common/apitype/events.go; pkg/backend/display/display.go) --------------

type Event = Record<string, unknown>;

/** --event-log: a path (one JSON object per line) or tcp://host:port (gRPC Events.StreamEvents). */
async function openEventLog(target: string | undefined) {
  if (!target) return;
  if (target.startsWith("tcp://")) {
    const require = createRequire(import.meta.url);
    const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
    const rpc = require("@pulumi/pulumi/proto/events_grpc_pb.js");
    const pb = require("@pulumi/pulumi/proto/events_pb.js");
    const client = new rpc.EventsClient(target.slice("tcp://".length), grpc.credentials.createInsecure());
    let done: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const stream = client.streamEvents(() => done());
    runState().sinks.push((line) => {
      const request = new pb.EventRequest();
      request.setEvent(line);
      stream.write(request);
    });
    runState().closeSinks = async () => {
      stream.end();
      await finished;
      client.close();
    };
    return;
  }
  writeFileSync(target, "");
  runState().sinks.push((line) => appendFileSync(target, line));
}

function emit(event: Event) {
  const run = runState();
  const line = JSON.stringify({ sequence: run.sequence++, timestamp: Math.floor(Date.now() / 1000), ...event }) + "\n";
  for (const sink of run.sinks) sink(line);
}

/** A diagnostic as the engine's event sink renders it (pkg/engine/eventsink.go): "error: " in prefix. */
function diagnostic(severity: "error" | "warning" | "info" | "info#err", message: string, urn?: string): Event {
  const prefix = severity.startsWith("info") ? "" : `${severity}: `;
  return { diagnosticEvent: { ...(urn ? { urn } : {}), prefix, message: `${message}\n`, color: "never", severity } };
}

// ---- evaluating the program, policies, and the plan --------------------------------------------

/** A resource as the program declared it, evaluated under mocks. */
type Resource = EvaluatedResource;

/** Which addresses the test set (the mocks give each a placeholder: ./evaluation.ts, ADDRESSES). */
const addressSet = (name: AddressEnv) => Boolean(env()[name]);
/** The evaluation with every placeholder replaced by its real address. */
function withAddresses<T>(value: T): T {
  let text = JSON.stringify(value);
  for (const a of ADDRESSES) if (addressSet(a.env)) text = text.split(a.placeholder).join(JSON.stringify(env()[a.env]).slice(1, -1));
  return JSON.parse(text) as T;
}

/** The inverse of withAddresses: this run's real addresses back to their placeholders. */
function withPlaceholders<T>(value: T): T {
  let text = JSON.stringify(value);
  for (const a of ADDRESSES) if (addressSet(a.env)) text = text.split(JSON.stringify(env()[a.env]).slice(1, -1)).join(a.placeholder);
  return JSON.parse(text) as T;
}

/**
 * The last checkpoint's stack outputs as a StackReference reads them (its secrets as the SDK's
 * secret values: ./secrets.ts wire), {} for a stack never updated.
 */
function stackOutputsOf(stack: string): Record<string, unknown> {
  if (!existsSync(statePath(stack))) return {};
  const root = readRoot(stack);
  return wire((root?.outputs ?? {}) as Record<string, unknown>, root?.secrets?.outputs);
}


interface Step {
  op: string;
  urn: string;
  type: string;
  next?: Resource;
  prior?: StateResource;
  keys?: string[];
  diffs?: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The steps, in the engine's order (pkg/resource/deploy/step_generator.go): each resource the
 * program registers is created, updated, replaced (create-replacement, replace; its
 * delete-replaced comes after all creates and updates) or same; resources it no longer registers
 * are deleted last. A protected resource can be neither deleted nor replaced: an update stops at
 * the first (a bail), a preview reports each and goes on, "so that the preview is shown to the user
 * and they can see the diff causing it" (step_generator.go), then fails.
 */
function plan(resources: Resource[], prior: StateResource[], targets: string[], dryRun: boolean, errors: PlanError[]): Step[] {
  const protectedFailure = (urn: string, op: string) => {
    const error = new PlanError(
      `unable to ${op} resource "${urn}"\nas it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``,
      urn,
    );
    if (!dryRun) throw error;
    errors.push(error);
  };
  const steps: Step[] = [];
  const later: Step[] = [];
  const targeted = (urn: string) => targets.length === 0 || targets.includes(urn);
  for (const next of resources) {
    if (!targeted(next.urn)) continue;
    const before = prior.find((p) => p.urn === next.urn);
    if (!before) {
      steps.push({ op: "create", urn: next.urn, type: next.type, next });
      continue;
    }
    const diffs = [...new Set([...Object.keys(before.inputs), ...Object.keys(next.inputs)])].filter((k) => !same(before.inputs[k], next.inputs[k])).sort();
    if (diffs.length === 0) {
      steps.push({ op: "same", urn: next.urn, type: next.type, next, prior: before });
      continue;
    }
    const keys = diffs.filter((k) => replaceKeys(next.type, next.replaceOnChanges).includes(k));
    if (keys.length === 0) {
      steps.push({ op: "update", urn: next.urn, type: next.type, next, prior: before, diffs });
      continue;
    }
    if (before.protect) protectedFailure(before.urn, "replace");
    steps.push({ op: "create-replacement", urn: next.urn, type: next.type, next, prior: before, keys, diffs });
    steps.push({ op: "replace", urn: next.urn, type: next.type, next, prior: before, keys, diffs });
    later.push({ op: "delete-replaced", urn: next.urn, type: next.type, prior: before, keys, diffs });
  }
  for (const before of [...prior].reverse())
    if (before.custom && !before.type.startsWith("pulumi:") && !resources.some((r) => r.urn === before.urn) && targeted(before.urn)) {
      if (before.protect) protectedFailure(before.urn, "delete");
      later.push({ op: "delete", urn: before.urn, type: before.type, prior: before });
    }
  return [...steps, ...later];
}

class PlanError extends Error {
  constructor(
    message: string,
    readonly urn: string,
  ) {
    super(message);
  }
}

/** Logical steps counted in the summary (the replacement's create and delete are not). */
function summary(steps: Step[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of steps) if (!["create-replacement", "delete-replaced"].includes(s.op)) counts[s.op] = (counts[s.op] ?? 0) + 1;
  return counts;
}

function stateOf(r: Resource): StateResource {
  return {
    ...(r.secrets ? { secrets: r.secrets } : {}),
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
const stackUrn = (stack: string) => `urn:pulumi:${stack}::${project().name}::pulumi:pulumi:Stack::${project().name}-${stack}`;
const providerUrn = (stack: string) => `urn:pulumi:${stack}::${project().name}::pulumi:providers:azure-native::default_3_28_0`;

/** StepEventMetadata (events.go): old/new and detailedDiff are null when absent, never omitted. */
function metadata(step: Step) {
  // Secrets shown as "[secret]", as the engine's JSON events show them (display/json.go stateForJSONOutput: MassageSecrets).
  const state = (r: StateResource | undefined) =>
    r ? { type: r.type, urn: r.urn, custom: true, id: r.id ?? "", parent: "", inputs: mask(r.inputs, r.secrets?.inputs), outputs: mask(r.outputs, r.secrets?.outputs), provider: "" } : null;
  return {
    op: step.op,
    urn: step.urn,
    type: step.type,
    old: state(step.prior),
    new: step.next
      ? state(stateOf(step.next))
      : step.type.startsWith("pulumi:") && step.op !== "delete"
        ? { type: step.type, urn: step.urn, custom: step.type.startsWith("pulumi:providers:"), id: "", parent: "", inputs: {}, outputs: {}, provider: "" }
        : null,
    ...(step.keys?.length ? { keys: step.keys } : {}),
    ...(step.diffs?.length ? { diffs: step.diffs } : {}),
    detailedDiff: null,
    ...(["same", "update", "replace"].includes(step.op) || !["create-replacement", "delete-replaced"].includes(step.op) ? { logical: true } : {}),
    provider: step.type.startsWith("pulumi:") ? "" : `${providerUrn(step.urn.split("::")[0]!.replace("urn:pulumi:", ""))}::default`,
  };
}

// ---- preview and up ---------------------------------------------------------------------------

// --event-log exists only with PULUMI_DEBUG_COMMANDS (operations/up.go, preview.go); the Automation API sets it.
const operationValue = () => ["--stack", "-s", ...(env().PULUMI_DEBUG_COMMANDS ? ["--event-log"] : []), "--exec-kind", "--exec-agent", "--client", "--message", "-m", "--target", "-t", "--policy-pack", "--policy-pack-config", "--parallel", "-p", "--config-file", "--replace", "--exclude"];
const OPERATION_BOOL = ["--json", "-j", "--diff", "-d", "--expect-no-changes", "--refresh", "-r", "--show-sames", "--show-replacement-steps", "--suppress-outputs", "--suppress-progress", "--target-dependents"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One engine run. `dryRun` is a preview. The event stream always ends with a cancelEvent
 * (pkg/engine/update.go defers NewCancelEvent); a failure is reported as error diagnostics and
 * "<kind> failed" with an empty URN (pkg/resource/deploy/deployment_executor.go), then exit 1.
 */
async function operation(p: Parsed, dryRun: boolean): Promise<number> {
  const kind = dryRun ? "preview" : "update";
  const stack = requireStack(p);
  requirePassphrase(stack, "getting stack configuration: get stack secrets manager: ");
  // A stack file's `environment:` imports Pulumi ESC environments, which only the Pulumi Cloud
  // backend opens (pkg/cmd/pulumi/config/io.go openStackEnv, config_env.go errBackendNoEnvironments;
  // a DIY backend is named by the host, pkg/backend/diy/backend.go Name).
  if (loadStackDoc(stack).has("environment"))
    fail(
      `getting stack configuration: opening environment: backend ${hostname() || "diy"} does not support environments; Pulumi ESC environments require the ` +
        "Pulumi Cloud backend, use `pulumi login` without arguments to log into the Pulumi Cloud backend",
    );
  const { config, secretKeys } = programConfig(stack);
  // What the events and the history show: each secret as "[secret]" (display/json.go MassageSecrets).
  const shown = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, secretKeys.includes(fullKey(k)) ? "[secret]" : v]));
  const json = has(p, "--json") || has(p, "-j");
  await openEventLog(flag(p, "--event-log"));
  // `up --json` streams events on stdout; `preview --json` prints one digest at the end (display/json.go).
  const digest: { steps: Event[]; diagnostics: Event[]; changeSummary?: Record<string, number> } = { steps: [], diagnostics: [] };
  if (json && !dryRun) runState().sinks.push((line) => invocation().stdout(line));
  if (json && dryRun)
    runState().sinks.push((line) => {
      const e = JSON.parse(line) as any;
      const m = e.resourcePreEvent?.metadata;
      if (m && (m.op !== "same" || m.type === "pulumi:pulumi:Stack") && !["create-replacement", "delete-replaced"].includes(m.op) && !m.type.startsWith("pulumi:providers:"))
        digest.steps.push({ op: m.op, urn: m.urn, ...(m.old ? { oldState: m.old } : {}), ...(m.new ? { newState: m.new } : {}), ...(m.diffs ? { diffReasons: m.diffs } : {}), ...(m.keys ? { replaceReasons: m.keys } : {}), detailedDiff: null });
      if (e.diagnosticEvent && e.diagnosticEvent.severity !== "debug")
        digest.diagnostics.push({ ...(e.diagnosticEvent.urn ? { urn: e.diagnosticEvent.urn } : {}), message: e.diagnosticEvent.prefix + e.diagnosticEvent.message, severity: e.diagnosticEvent.severity });
      if (e.summaryEvent) digest.changeSummary = e.summaryEvent.resourceChanges;
    });

  // Signals (pkg/backend/cancellation_scope.go, one scope per engine run; SIGTERM as SIGINT): the
  // first cancels gracefully, acknowledged as a stdout event; the second terminates at once
  // (backenderr.CancelledError: exit 8 for up; a preview has no such mapping and exits 1).
  let cancelled = false;
  let terminate = () => {
    invocation().stderr(dryRun ? "error: context canceled\n" : "error: update cancelled\n");
    process.exit(dryRun ? 1 : 8);
  };
  const onSignal = (name: string) => () => {
    if (cancelled) return terminate();
    cancelled = true;
    const what = name === "SIGINT" ? "^C received; cancelling. If you would like to terminate immediately, press ^C again.\n" : "SIGTERM received; cancelling. If you would like to terminate immediately, send SIGTERM again.\n";
    emit({ stdoutEvent: { message: what, color: "always" } });
  };
  // A run in a test worker has no signals of its own (the worker's are not pulumi's).
  if (invocation().ownProcess) {
    process.on("SIGINT", onSignal("SIGINT"));
    process.on("SIGTERM", onSignal("SIGTERM"));
  }

  // DIY locks (pkg/backend/diy/lock.go): update takes one, preview does not. Lock() checks for
  // other locks, writes its own, then checks again (checkForLock skips its own file) and backs off
  // if another appeared in between: of two updates starting at once, neither or one goes ahead.
  let lock: string | undefined;
  if (!dryRun) {
    const dir = locksDir(stack);
    const checkForLock = () => {
      const others = existsSync(dir) ? readdirSync(dir).filter((f) => join(dir, f) !== lock) : [];
      if (!others.length) return;
      if (lock) rmSync(lock, { force: true });
      fail(
        `the stack is currently locked by ${others.length} lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.` +
          others
            .map((f) => {
              // A lock that backed off since it was listed is gone: named without its holder.
              const c = existsSync(join(dir, f)) ? (JSON.parse(readFileSync(join(dir, f), "utf8")) as { pid: number; username: string; hostname: string; timestamp: string }) : undefined;
              return `\n  ${backendUrl()}/.pulumi/locks/organization/${project().name}/${stack}/${f}${c ? `: created by ${c.username}@${c.hostname} (pid ${c.pid}) at ${c.timestamp}` : ""}`;
            })
            .join(""),
      );
    };
    checkForLock();
    mkdirSync(dir, { recursive: true });
    lock = join(dir, `${randomUUID()}.json`);
    // Written whole, then renamed into the directory, as gocloud's fileblob writes (no half-written
    // lock for another process to read).
    const tmp = `${dir}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, username: userInfo().username, hostname: hostname(), timestamp: new Date().toISOString() }));
    renameSync(tmp, lock);
    checkForLock();
  }
  const unlock = () => lock && rmSync(lock, { force: true });
  const started = Date.now();
  let snap = readSnapshot(stack);
  // reportExecResult (pkg/resource/deploy/deployment_executor.go): "<kind> failed" or "<kind> canceled".
  const finish = async (ok: boolean, changes: Record<string, number>, outcome: "failed" | "canceled" = "failed") => {
    if (!ok) emit(diagnostic("error", `${kind} ${outcome}`));
    // A failed update is in the stack's history too, as "failed" (pkg/backend/diy/backend.go apply, v3.230.0 :1313:
    // the UpdateInfo is saved with backend.FailedResult whenever the engine returned an error); a
    // preview writes none. A killed pulumi never gets here, and writes none either.
    if (!ok && !dryRun) recordHistory(stack, kind, "failed", started, changes, shown);
    emit({ summaryEvent: { maybeCorrupt: false, durationSeconds: Math.ceil((Date.now() - started) / 1000), resourceChanges: changes, PolicyPacks: {}, ...(dryRun ? { isPreview: true } : {}) } });
    emit({ cancelEvent: {} });
    await runState().closeSinks();
    unlock();
    if (json && dryRun)
      invocation().stdout(JSON.stringify({ config: shown, steps: digest.steps, ...(digest.diagnostics.length ? { diagnostics: digest.diagnostics } : {}), duration: (Date.now() - started) * 1e6, changeSummary: digest.changeSummary ?? changes }, null, 4) + "\n");
    if (!ok) throw new Bail();
    return 0;
  };

  if (snap.pendingOperations?.length && !dryRun) {
    emit(diagnostic("warning", `Attempting to deploy or update resources with ${snap.pendingOperations.length} pending operations from previous deployment.\n  * ${snap.pendingOperations.map((o) => o.resource.urn).join("\n  * ")}\nThese resources are in an unknown state because the Pulumi CLI was interrupted while waiting for changes to these resources to complete. You should confirm whether or not the operations listed completed successfully by checking the state of the appropriate provider. For example, if you are using AWS, you can confirm using the AWS Console.\n\nOnce you have confirmed the status of the interrupted operations, you can repair your stack using \`pulumi refresh\` which will refresh the state from the provider you are using and clear the pending operations if there are any.\n\nNote that \`pulumi refresh\` will need to be run interactively to clear pending CREATE operations.`));
    return finish(false, {});
  }

  emit({ preludeEvent: { config: Object.fromEntries(Object.entries(shown).map(([k, v]) => [`${project().name}:${k}`, v])) } });
  const main = resolve(cwd(), project().main ?? "index.js");
  // Everything the program reads: its config; which addresses are set, not what they are (see
  // ADDRESSES); its own previous outputs (a StackReference to itself: infra/program.ts); manage's
  // request.
  const request: EvaluationRequest = {
    programDirectory: cwd(),
    main: project().main ?? ".",
    dryRun,
    stack,
    project: project().name,
    config,
    secretKeys,
    addresses: ADDRESSES.filter((a) => addressSet(a.env)).map((a) => a.env),
    self: existsSync(statePath(stack)) ? withPlaceholders(stackOutputsOf(stack)) : null,
    ...(env().MANAGE_OPERATIONS !== undefined ? { operations: env().MANAGE_OPERATIONS } : {}),
  };
  const sim = withAddresses(
    await memo(
      "evaluate",
      // The program by its content and its path inside the project (not where the project is), so
      // every test project with the same program and config shares the answer.
      // package.json too: cmd/run reads it to decide how to load main (an ES module or CommonJS).
      // Not dryRun: this engine answers a preview and an update alike (full state, no unknowns), so
      // only the program's own pulumi.runtime.isDryRun() could tell them apart, and it never asks
      // (test/cli/fake-pulumi.test.ts holds that): a preview's evaluation serves its update.
      { ...request, programDirectory: undefined, dryRun: undefined, program: treeHash(dirname(main)), packageJson: fileHash(join(cwd(), "package.json")) },
      () => evaluateProgram(request),
    ),
  );
  if ("error" in sim) {
    // The plugin's stderr, line by line (plugin.go runtrace: Infoerrf), then the logged error.
    for (const line of (sim.stderr ?? "").split("\n").filter((l) => l.trim())) emit(diagnostic("info#err", line));
    if (sim.error) emit(diagnostic("error", sim.error, stackUrn(stack)));
    return finish(false, {});
  }
  if (cancelled) return finish(false, {}, "canceled");
  const resources = sim.resources as Resource[];
  const targets = list(p, "--target").concat(list(p, "-t"));
  let steps: Step[];
  const planErrors: PlanError[] = [];
  try {
    steps = plan(resources, snap.resources, targets, dryRun, planErrors);
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    emit(diagnostic("error", err.message, err.urn));
    return finish(false, {});
  }

  // Policies. Analyze sees each resource's inputs before its step (the step generator); AnalyzeStack
  // runs only after every step has completed, and only if they all succeeded (v3.230
  // pkg/resource/deploy/deployment_executor.go Execute: stepExec.WaitForCompletion, then
  // stepGen.AnalyzeResources). A preview's steps change nothing, so there a stack policy refuses
  // before anything is done, and so does `up` with its own preview first; `up --skip-preview` (what
  // the Automation API's stack.up() runs: automation/stack.ts) applies every step and then fails.
  const stackPolicyAfterSteps = !dryRun && (has(p, "--skip-preview") || has(p, "-f"));
  const stackViolations: Violation[] = [];
  const policyEvent = (v: Violation, name: string, version: string) => ({
    policyEvent: { ...(v.urn ? { resourceUrn: v.urn } : {}), message: v.message, color: "never", policyName: v.policyName, policyPackName: name, policyPackVersion: version, policyPackVersionTag: version, enforcementLevel: v.enforcementLevel },
  });
  const deferred: Array<ReturnType<typeof policyEvent>> = [];
  let mandatory = 0;
  const packs = list(p, "--policy-pack");
  const packConfigs = list(p, "--policy-pack-config");
  // pkg/cmd/pulumi/operations: each --policy-pack-config goes with the --policy-pack in its position.
  if (packConfigs.length > 0 && packConfigs.length !== packs.length)
    fail(`the number of --policy-pack-config flags (${packConfigs.length}) must match the number of --policy-pack flags (${packs.length})`);
  for (const [i, pack] of packs.entries()) {
    const packDir = resolve(cwd(), pack);
    const configPath = packConfigs[i] && resolve(cwd(), packConfigs[i]!);
    if (configPath && !existsSync(configPath)) fail(`reading policy config file ${configPath}: open ${configPath}: no such file or directory`);
    let packConfig: Record<string, unknown> | undefined;
    try {
      packConfig = configPath ? parsePolicyPackConfig(readFileSync(configPath, "utf8"), configPath) : undefined;
    } catch (err) {
      if (err instanceof PolicyConfigError) fail(err.message);
      throw err;
    }
    if (!existsSync(join(packDir, "PulumiPolicy.yaml"))) fail(`could not load policy pack from ${packDir}: no PulumiPolicy.yaml found`);
    const policyRequest: PolicyRequest = { packDir, stack, project: project().name, resources, ...(packConfig ? { packConfig } : {}) };
    const ran = await memo(
      "policy",
      // The pack by its folder and the code its package entry loads (which may live outside it).
      { pack: treeHash(packDir), code: packageCodeHash(packDir), stack, project: project().name, resources, packConfig },
      () => runPolicies(policyRequest),
    );
    if ("failure" in ran) {
      for (const line of (ran.stderr ?? "").split("\n").filter((l) => l.trim())) emit(diagnostic("info#err", line));
      // The engine returns the error; the update's deferred unlock runs (pkg/backend/diy).
      await runState().closeSinks();
      unlock();
      return fail(ran.failure);
    }
    const { name, version, violations } = ran;
    for (const v of violations) {
      if (v.stage === "stack" && stackPolicyAfterSteps) {
        stackViolations.push(v);
        deferred.push(policyEvent(v, name, version));
        continue;
      }
      if (v.enforcementLevel === "mandatory") mandatory++;
      emit(policyEvent(v, name, version));
    }
  }
  if (mandatory) return finish(false, {});

  // The root stack and the default provider are steps too (internal ones are in the event log).
  const root: Step = { op: snap.resources.some((r) => r.type === "pulumi:pulumi:Stack") ? "same" : "create", urn: stackUrn(stack), type: "pulumi:pulumi:Stack" };
  const provider: Step = { op: snap.resources.some((r) => r.urn.includes("::pulumi:providers:")) ? "same" : "create", urn: `${providerUrn(stack)}`, type: "pulumi:providers:azure-native" };
  const all = targets.length ? steps : [root, provider, ...steps];
  if (dryRun) {
    for (const s of all) {
      emit({ resourcePreEvent: { metadata: metadata(s), planning: true } });
      for (const e of planErrors.filter((e) => e.urn === s.urn && s.op === "create-replacement")) emit(diagnostic("error", e.message, e.urn));
    }
    for (const e of planErrors.filter((e) => !steps.some((s) => s.urn === e.urn && s.op === "create-replacement"))) emit(diagnostic("error", e.message, e.urn));
    return finish(planErrors.length === 0, summary(steps));
  }

  // The update: state is checkpointed after every step, as the engine does; an interrupted
  // step stays a pending operation.
  let inFlight: Step | undefined;
  // Terminating mid-update leaves the step in flight as a pending operation (and the lock).
  terminate = () => {
    if (inFlight && inFlight.op !== "same" && !inFlight.type.startsWith("pulumi:")) {
      snap.pendingOperations = [{ resource: inFlight.next ? stateOf(inFlight.next) : inFlight.prior!, type: inFlight.op === "delete" ? "deleting" : inFlight.op === "update" ? "updating" : "creating" }];
      writeSnapshot(stack, snap);
    }
    invocation().stderr("error: update cancelled\n");
    process.exit(8);
  };
  const delay = Number(env().FAKE_PULUMI_STEP_DELAY_MS ?? 0);
  const save = () => writeSnapshot(stack, snap);
  // What a failed update records as the stack's outputs (pulumi v3.230.0's engine, read in
  // pkg/resource/deploy/step_executor.go executeRegisterResourceOutputs, :219 and :256, and
  // deployment_executor.go Execute, :330 and :352): the program's RegisterResourceOutputs for the root stack is held (stackOutputsEvent)
  // and finalized after every step, whether the update failed or not; when it failed, the old
  // outputs are kept only for the keys the program did not register again and its new values are
  // laid over them (pulumi#15754). The Node SDK registers the stack's outputs once every output
  // has resolved (sdk/nodejs/runtime/stack.ts Stack.initialize :79-85: massage awaits each output, then
  // registerOutputs), so a create or update that an output waits for and that fails leaves no new
  // outputs: the old ones stay (our program's outputs read the pool, the gateway, the backend and
  // the registry; a failed create of something no output reads may race the registration in real
  // pulumi, which this stand-in does not model). Deletes (of what the program dropped, and of
  // replaced resources) run only after the program has finished (deployment_executor.go:
  // performPostSteps -> stepGen.GenerateDeletes once the source iterator is done), so a failed
  // delete records the program's new outputs, over the old: a stop whose delete fails records
  // idle while what it failed to delete is still in the state.
  const recordOutputsOfFailedUpdate = (outputs: Record<string, unknown>) => {
    if (targets.length) return;
    const root = snap.resources.find((r) => r.type === "pulumi:pulumi:Stack");
    if (root) root.outputs = { ...root.outputs, ...outputs };
  };
  for (const step of all) {
    if (cancelled) return finish(false, summary(steps), "canceled");
    inFlight = step;
    const meta = metadata(step);
    if (step.op !== "same" && step.type !== "pulumi:pulumi:Stack" && !step.type.startsWith("pulumi:providers:")) {
      emit({ resourcePreEvent: { metadata: meta } });
      // (gateway helper, issue 20.6) The snapshot manager persists a step's pending operation when it
      // begins (v3.230 pkg/backend/snapshot.go, doCreate/doUpdate/doDelete -> markOperationPending):
      // a pulumi killed outright (kill -9) leaves it in the checkpoint, not only one that terminates.
      // Every step, as the engine does (not only when a test slows the steps down): the pending
      // operation is in the checkpoint before the resource is, and a killed create leaves only it.
      const type = step.op.startsWith("delete") ? "deleting" : step.op === "update" ? "updating" : "creating";
      writeSnapshot(stack, { ...snap, pendingOperations: [...(snap.pendingOperations ?? []), { resource: step.next ? stateOf(step.next) : step.prior!, type }] });
      if (delay) await sleep(delay);
      // (gateway helper, issue 25) Azure refuses a create under a soft-deleted API Management name (../fake-az/soft-deleted.ts).
      const refusal =
        step.type === APIM_SERVICE && (step.op === "create" || step.op === "create-replacement")
          ? createRefusal(backendDir(), String(step.next!.inputs.serviceName), step.next!.inputs.restore === true)
          : null;
      if (refusal || env().FAKE_PULUMI_FAIL === step.urn.split("::").pop()) {
        const text =
          refusal ??
          env().FAKE_PULUMI_FAIL_MESSAGE ??
          `Status=400 Code="InvalidParameterValue" Message="The operation on ${step.urn.split("::").pop()} failed (injected by FAKE_PULUMI_FAIL)"`;
        // GetResourceOperationFailedError (sdk/go/common/diag/errors.go): the provider's text, verbatim.
        emit(diagnostic("error", text, step.urn));
        emit({ resOpFailedEvent: { metadata: meta, status: 1, steps: 1 } });
        if (step.op === "delete" || step.op === "delete-replaced") recordOutputsOfFailedUpdate(sim.outputs as Record<string, unknown>);
        save();
        return finish(false, summary(steps));
      }
    }
    if (step.type === "pulumi:pulumi:Stack" || step.type.startsWith("pulumi:providers:")) {
      /* recorded at the end */
    } else if (step.op === "delete" || step.op === "delete-replaced") snap.resources = snap.resources.filter((r) => !(r.urn === step.urn && (step.op === "delete" || r === step.prior)));
    else if (step.op === "create-replacement") snap.resources.push(stateOf(step.next!));
    else if (step.op !== "replace") {
      const next = stateOf(step.next!);
      const at = snap.resources.findIndex((r) => r.urn === step.urn);
      if (at >= 0) snap.resources[at] = next;
      else snap.resources.push(next);
    }
    if (step.op === "delete-replaced") snap.resources = snap.resources.filter((r) => r !== step.prior);
    // (gateway helper, issue 25) Azure soft-deletes a deleted API Management instance for 48 hours.
    if (step.type === APIM_SERVICE && (step.op === "delete" || step.op === "delete-replaced"))
      softDelete(backendDir(), String(step.prior!.inputs.serviceName), String(step.prior!.inputs.location));
    save();
    if (step.op !== "same" && !step.type.startsWith("pulumi:")) emit({ resOutputsEvent: { metadata: meta } });
  }
  inFlight = undefined;
  if (targets.length === 0) {
    const rootState: StateResource = {
      urn: stackUrn(stack),
      custom: false,
      type: "pulumi:pulumi:Stack",
      inputs: {},
      outputs: sim.outputs as Record<string, unknown>,
      ...(sim.secretOutputs?.length ? { secrets: { inputs: [], outputs: sim.secretOutputs } } : {}),
    };
    const providerState: StateResource = { urn: providerUrn(stack), custom: true, id: randomUUID(), type: "pulumi:providers:azure-native", inputs: {}, outputs: { version: "3.28.0" } };
    snap = { resources: [rootState, providerState, ...snap.resources.filter((r) => !r.type.startsWith("pulumi:"))] };
    save();
  }
  // AnalyzeStack after the steps (see above): what it refuses is already applied and recorded.
  for (const e of deferred) emit(e);
  if (stackViolations.some((v) => v.enforcementLevel === "mandatory")) return finish(false, summary(steps));
  recordHistory(stack, kind, "succeeded", started, summary(steps), shown);
  return finish(true, summary(steps));
}

/** One entry of `pulumi stack history` (apitype.UpdateInfo, sdk/go/common/apitype/updates.go). */
function recordHistory(stack: string, kind: string, result: string, started: number, changes: Record<string, number>, config: Record<string, string>) {
  const dir = historyDir(stack);
  mkdirSync(dir, { recursive: true });
  const version = readdirSync(dir).length + 1;
  writeFileSync(
    join(dir, `${stack}-${Date.now()}.history.json`),
    JSON.stringify({ kind, startTime: Math.floor(started / 1000), message: "", environment: { "exec.kind": "auto.local" }, config, result, endTime: Math.floor(Date.now() / 1000), version, resourceChanges: changes }),
  );
}

/**
 * FAKE_PULUMI_HOLD=<dir>: `stack output --show-secrets` has read the state, says so (<dir>/held) and answers only
 * once the test allows it (<dir>/release): a reader that is overtaken by a change in between, on
 * an event rather than a timer, for the tests of what manage does with a stale read.
 */
async function holdIfAsked(): Promise<void> {
  const dir = env().FAKE_PULUMI_HOLD;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "held"), String(process.pid));
  while (!existsSync(join(dir, "release"))) await sleep(20);
}

// ---- commands -----------------------------------------------------------------------------------

async function main(): Promise<number> {
  const [command, ...rest] = argv();
  switch (command) {
    case "version":
      parse(rest, [], []);
      // Without flags, ./bin/pulumi answers this itself (the same text).
      say(`v${env().FAKE_PULUMI_VERSION ?? "3.230.0"}`);
      return 0;

    case "whoami": {
      // pkg/cmd/pulumi/whoami: the DIY backend's user is the OS user.
      const p = parse(rest, [], ["--json", "-j"]);
      const user = userInfo().username;
      say(has(p, "--json") ? JSON.stringify({ user, organizations: [], url: backendUrl() }, null, 4) : user);
      return 0;
    }

    case "stack": {
      const [sub, ...args] = rest;
      if (sub === "ls") {
        const p = parse(args, ["--organization", "-o", "--project", "-p", "--tag", "-t"], ["--json", "-j", "--all", "-a"]);
        const names = existsSync(stacksDir()) ? readdirSync(stacksDir()).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)) : [];
        // stack_ls.go stackSummaryJSON: DIY has no updateInProgress and no url (pkg/backend/diy/stack.go).
        // Each checkpoint is loaded, not deserialized (pkg/backend/diy/backend.go ListStacks -> getCheckpoint;
        // stack.go diyStackSummary.ResourceCount is len(Latest.Resources)): a truncated one fails the
        // listing, a secret no key opens does not.
        const rows = names.sort().map((name) => ({ name: `organization/${project().name}/${name}`, current: false, resourceCount: (readCheckpoint(name).resources ?? []).length }));
        say(has(p, "--json") || has(p, "-j") ? JSON.stringify(rows, null, 2) : rows.map((r) => r.name).join("\n"));
        return 0;
      }
      if (sub === "init") {
        const p = parse(args, ["--secrets-provider", "--stack", "-s", "--copy-config-from", "--teams"], ["--no-select"]);
        const stack = p.positionals[0] ?? flag(p, "--stack");
        if (!stack) return fail("missing stack name", 1);
        if (!/^[A-Za-z0-9_.-]{1,100}$/.test(stack)) fail("a stack name may only contain alphanumeric, hyphens, underscores, or periods");
        if (stackExists(stack)) fail(`stack '${stack}' already exists`);
        const provider = flag(p, "--secrets-provider") ?? "default";
        if (provider === "passphrase") {
          requirePassphraseForInit();
          const doc = loadStackDoc(stack);
          const salt = `v1:${Buffer.from(randomUUID()).toString("base64").slice(0, 12)}:v1:fake`;
          // An existing file is edited in place (the new key appended); a new one starts with it.
          if (!doc.has("encryptionsalt")) {
            if (existsSync(stackFile(stack))) doc.set("encryptionsalt", salt);
            saveStackDoc(stack, existsSync(stackFile(stack)) ? doc : new YAML.Document({ encryptionsalt: salt }));
          }
        } else if (provider !== "default") notSimulated(`the secrets provider ${provider}`);
        mkdirSync(stacksDir(), { recursive: true });
        writeSnapshot(stack, { resources: [] });
        say(`Created stack '${stack}'`);
        return 0;
      }
      if (sub === "select") {
        const p = parse(args, ["--stack", "-s", "--secrets-provider"], ["--create", "-c"]);
        const stack = p.positionals[0] ?? flag(p, "--stack") ?? flag(p, "-s");
        if (!stack) return fail("no stack selected; specify a stack name with --stack", 6);
        if (!stackExists(stack)) fail(`no stack named '${stack}' found`, 6);
        return 0;
      }
      if (sub === "export") {
        const p = parse(args, ["--stack", "-s", "--file", "--version"], ["--show-secrets"]);
        const stack = requireStack(p);
        // The checkpoint as stored (pkg/backend/diy/backend.go ExportDeployment: getCheckpoint, then
        // chk.Latest marshalled as it is); only --show-secrets deserializes it, decrypting every
        // secret, and writes each as plaintext (stack_export.go: DeserializeUntypedDeployment inside
        // `if showSecrets`, its failure "could not deserialize deployment: ..." from
        // pkg/resource/stack/deployment.go FormatDeploymentDeserializationError).
        let resources: StateResource[];
        let pending: Array<{ resource: StateResource; type: string }> | undefined;
        if (has(p, "--show-secrets")) {
          let snap: Snapshot;
          try {
            snap = readSnapshot(stack);
          } catch (err) {
            if (err instanceof Exit && !/^failed to load checkpoint/.test(err.message)) return fail(`could not deserialize deployment: ${err.message}`);
            throw err;
          }
          const c = crypter(stack);
          resources = snap.resources.map((r) => sealed(r, c, true));
          pending = snap.pendingOperations?.map((o) => ({ ...o, resource: sealed(o.resource, c, true) }));
        } else {
          const latest = readCheckpoint(stack);
          resources = latest.resources ?? [];
          pending = latest.pending_operations;
        }
        say(JSON.stringify({ version: 3, deployment: { manifest: { time: new Date().toISOString(), version: "v3.230.0" }, secrets_providers: { type: "passphrase", ...(saltOf(stack) ? { state: { salt: saltOf(stack) } } : {}) }, resources, ...(pending ? { pending_operations: pending } : {}) } }, null, 4));
        return 0;
      }
      if (sub === "output") {
        const p = parse(args, ["--stack", "-s"], ["--json", "-j", "--show-secrets", "--shell"]);
        const stack = requireStack(p);
        const root = readRoot(stack);
        // stack_output.go: a blinding secrets provider unless --show-secrets, so each secret shows as "[secret]".
        const outputs = has(p, "--show-secrets") ? (root?.outputs ?? {}) : mask(root?.outputs ?? {}, root?.secrets?.outputs);
        const wanted = p.positionals[0];
        if (wanted && !(wanted in outputs)) fail(`current stack does not have output property '${wanted}'`);
        // The Automation API reads masked, then plaintext (automation/localWorkspace.ts stackOutputs):
        // the plaintext read is the one whose values its caller uses.
        if (has(p, "--show-secrets")) await holdIfAsked();
        say(JSON.stringify(wanted ? outputs[wanted] : outputs, null, 2));
        return 0;
      }
      if (sub === "history") {
        const p = parse(args, ["--stack", "-s", "--page-size", "--page"], ["--json", "-j", "--show-secrets", "--full-dates"]);
        const stack = requireStack(p);
        const dir = historyDir(stack);
        const entries = existsSync(dir) ? readdirSync(dir).sort().reverse().map((f) => JSON.parse(readFileSync(join(dir, f), "utf8"))) : [];
        const size = Number(flag(p, "--page-size") ?? entries.length);
        say(JSON.stringify(entries.slice(0, size), null, 4));
        return 0;
      }
      return notSimulated(`stack ${sub}`);
    }

    case "config": {
      // pkg/cmd/pulumi/config/config.go: set and rm print nothing on success.
      const [sub, ...args] = rest;
      if (sub === "set") {
        const p = parse(args, ["--stack", "-s", "--config-file", "--type"], ["--path", "--plaintext", "--secret"]);
        const stack = requireStack(p);
        if ([has(p, "--secret"), has(p, "--plaintext"), has(p, "--type")].filter(Boolean).length > 1)
          fail("if any flags in the group [secret plaintext type] are set none of the others can be; [plaintext secret] were all set");
        if (p.positionals.length !== 2) fail("config value must be specified in non-interactive mode");
        const [key, value] = p.positionals as [string, string];
        const doc = loadStackDoc(stack);
        if (!doc.has("config")) doc.set("config", doc.createNode({}));
        if (has(p, "--secret")) {
          // config.go: the stack's encrypter (the passphrase manager, its salt from the stack file), a secure value.
          if (has(p, "--path") && /[.[]/.test(key)) notSimulated("config set --secret --path");
          if (!doc.has("encryptionsalt")) notSimulated("config set --secret on a stack file without an encryptionsalt");
          requirePassphrase(stack);
          doc.setIn(["config", fullKey(key)], doc.createNode({ secure: crypter(stack).encrypt(value) }));
        } else if (has(p, "--path") && /[.[]/.test(key)) {
          const [top, ...path] = key.split(".");
          doc.setIn(["config", fullKey(top!), ...path], coerceLeaf(value));
        } else doc.setIn(["config", fullKey(key)], value); // top-level entries are always strings
        saveStackDoc(stack, doc);
        return 0;
      }
      if (sub === "set-all") {
        // newConfigSetAllCmd (config.go): repeated --plaintext/--secret key=value, --path for all of
        // them, or --json alone; the values are set in order, then the file is saved once.
        const p = parse(args, ["--stack", "-s", "--config-file", "--plaintext", "--secret", "--json"], ["--path"]);
        const stack = requireStack(p);
        if (has(p, "--json") && (has(p, "--plaintext") || has(p, "--secret") || has(p, "--path")))
          fail("the --json option cannot be used with the --plaintext, --secret or --path options");
        if (has(p, "--secret")) notSimulated("config set-all --secret");
        if (has(p, "--json")) notSimulated("config set-all --json");
        const doc = loadStackDoc(stack);
        if (!doc.has("config")) doc.set("config", doc.createNode({}));
        for (const pair of list(p, "--plaintext")) {
          const at = pair.indexOf("=");
          if (at <= 0) fail(`could not parse ${pair} as a key=value pair`);
          const [key, value] = [pair.slice(0, at), pair.slice(at + 1)];
          if (has(p, "--path") && /[.[]/.test(key)) {
            const [top, ...path] = key.split(".");
            doc.setIn(["config", fullKey(top!), ...path], coerceLeaf(value));
          } else doc.setIn(["config", fullKey(key)], value);
        }
        saveStackDoc(stack, doc);
        return 0;
      }
      if (sub === "rm") {
        const p = parse(args, ["--stack", "-s", "--config-file"], ["--path"]);
        const stack = requireStack(p);
        if (p.positionals.length !== 1) fail(`accepts 1 arg(s), received ${p.positionals.length}`);
        const key = p.positionals[0]!;
        const doc = loadStackDoc(stack);
        if (has(p, "--path") && key.includes(".")) {
          const [top, ...path] = key.split(".");
          // Removing what is not there is no error (config.Map.Remove).
          if (doc.hasIn(["config", fullKey(top!), ...path.slice(0, -1)]) && doc.getIn(["config", fullKey(top!), ...path.slice(0, -1)]) instanceof YAML.YAMLMap)
            doc.deleteIn(["config", fullKey(top!), ...path]);
        } else if (doc.hasIn(["config"])) doc.deleteIn(["config", fullKey(key)]);
        saveStackDoc(stack, doc);
        return 0;
      }
      return notSimulated(`config ${sub ?? "(list)"}`);
    }

    case "preview":
      return operation(parse(rest, operationValue(), OPERATION_BOOL), true);

    case "up": {
      const p = parse(rest, operationValue(), [...OPERATION_BOOL, "--yes", "-y", "--skip-preview", "-f"]);
      // pkg/cmd/pulumi/operations/up.go: non-interactive needs --yes (or --skip-preview), exit 2.
      if (!has(p, "--yes") && !has(p, "-y") && !has(p, "--skip-preview") && !has(p, "-f"))
        fail("--yes or --skip-preview or --preview-only must be passed in to proceed when running in non-interactive mode", 2);
      return operation(p, false);
    }

    case "refresh": {
      // pkg/cmd/pulumi/operations/refresh.go: with the DIY lock, and it clears pending operations
      // (here: Azure is the recorded state, so nothing else changes).
      const p = parse(rest, [...operationValue(), "--import-pending-creates"], [...OPERATION_BOOL, "--yes", "-y", "--skip-preview", "-f", "--clear-pending-creates", "--skip-pending-creates"]);
      if (!has(p, "--yes") && !has(p, "-y") && !has(p, "--skip-preview"))
        fail("--yes or --skip-preview or --preview-only must be passed in to proceed when running in non-interactive mode", 2);
      const stack = requireStack(p);
      requirePassphrase(stack);
      const dir = locksDir(stack);
      if (existsSync(dir) && readdirSync(dir).length) fail(`the stack is currently locked by ${readdirSync(dir).length} lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.`);
      const snap = readSnapshot(stack);
      // --- pending creates (added by the gateway helper, issue 20.6) ---
      // v3.230 pkg/cmd/pulumi/operations/refresh.go: --import-pending-creates URN ID... turns those
      // creates into imports; without a terminal nothing is asked, and the refresh itself keeps
      // every remaining pending CREATE (pkg/engine/lifecycletest TestRefreshPreservesPendingCreateOperations)
      // unless --clear-pending-creates drops them. Other pending operations are settled.
      if (has(p, "--skip-pending-creates") && has(p, "--clear-pending-creates")) fail("cannot set both --skip-pending-creates and --clear-pending-creates");
      const imports = p.flags.get("--import-pending-creates") ?? [];
      if (imports.length % 2 !== 0) fail("each URN must be followed by an ID: found an odd number of entries");
      const importIds = new Map(imports.flatMap((v, i) => (i % 2 === 0 ? [[v, imports[i + 1]!] as const] : [])));
      const creates = (snap.pendingOperations ?? []).filter((o) => o.type === "creating");
      const imported = creates.filter((o) => importIds.has(o.resource.urn)).map((o) => ({ ...o.resource, id: importIds.get(o.resource.urn)! }));
      const kept = has(p, "--clear-pending-creates") ? [] : creates.filter((o) => !importIds.has(o.resource.urn));
      writeSnapshot(stack, { resources: [...snap.resources, ...imported], pendingOperations: kept });
      // --- end pending creates ---
      say(`Refreshing (${stack}):\n\nResources:\n    ${snap.resources.length} unchanged`);
      return 0;
    }

    case "cancel": {
      // pkg/cmd/pulumi/cancel/cancel.go; DIY CancelCurrentUpdate deletes every lock of the stack.
      const p = parse(rest, ["--stack", "-s"], ["--yes", "-y"]);
      if (p.positionals[0] && flag(p, "--stack")) fail("only one of --stack or argument stack name may be specified, not both");
      const stack = p.positionals[0] ?? requireStack(p);
      if (!stackExists(stack)) fail(`no stack named '${stack}' found`, 6);
      // Every file in the stack's lock directory, not the directory (diy backend CancelCurrentUpdate).
      const dir = locksDir(stack);
      for (const f of existsSync(dir) ? readdirSync(dir) : []) rmSync(join(dir, f), { force: true });
      say(`The currently running update for '${stack}' has been canceled!`);
      return 0;
    }

    case "plugin": {
      // pkg/cmd/pulumi/plugin: plugins live in $PULUMI_HOME/plugins/<kind>-<name>-v<version>.
      const [sub, ...args] = rest;
      const home = env().PULUMI_HOME ?? join(userInfo().homedir, ".pulumi");
      const plugins = join(home, "plugins");
      if (sub === "ls") {
        const p = parse(args, [], ["--json", "-j", "--project", "-p"]);
        const rows = (existsSync(plugins) ? readdirSync(plugins) : [])
          .map((d) => /^(resource|language|analyzer|converter|tool)-(.+)-v(\d+\.\d+\.\d+.*)$/.exec(d))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => ({ name: m[2], kind: m[1], version: m[3], size: 0, installTime: "", lastUsedTime: "" }));
        say(has(p, "--json") ? JSON.stringify(rows, null, 4) : rows.map((r) => `${r.name} ${r.kind} ${r.version}`).join("\n"));
        return 0;
      }
      if (sub === "install") {
        const p = parse(args, ["--server", "--file", "-f", "--checksum"], ["--exact", "--reinstall"]);
        const [kind, name, version] = p.positionals;
        if (!kind || !name || !version) return notSimulated("plugin install without kind, name and version");
        // No network here: the download is what a test chooses (FAKE_PULUMI_PLUGIN_DOWNLOAD=fail).
        if (env().FAKE_PULUMI_PLUGIN_DOWNLOAD === "fail")
          fail(`error downloading plugin ${name} to file: failed to download plugin: ${name}-${version}: 403 HTTP error fetching plugin from https://get.pulumi.com/releases/plugins/pulumi-${kind}-${name}-${version}-linux-amd64.tar.gz`);
        mkdirSync(join(plugins, `${kind}-${name}-${version.startsWith("v") ? version : `v${version}`}`), { recursive: true });
        return 0;
      }
      return notSimulated(`plugin ${sub}`);
    }

    default:
      return notSimulated(`command ${command ?? "(none)"}`);
  }
}

/** stack init with the passphrase provider needs the passphrase too. */
function requirePassphraseForInit() {
  if (env().PULUMI_CONFIG_PASSPHRASE === undefined && !env().PULUMI_CONFIG_PASSPHRASE_FILE)
    fail("passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables");
}

/**
 * One pulumi command, as the given run: its exit code, its output written to the run's streams
 * (cmd/pulumi's main: a bail prints nothing more, any other error as "error: <msg>").
 */
export async function runPulumi(run: Invocation): Promise<number> {
  return within(run, async () => {
    try {
      runStates.set(run, { recordedSalt: new Map(), sequence: 0, sinks: [], closeSinks: async () => {} });
      return await main();
    } catch (err) {
      if (err instanceof Bail) return 1;
      if (err instanceof Exit) {
        run.stderr(`error: ${err.message}\n`);
        return err.code;
      }
      run.stderr(`fake pulumi crashed: ${err instanceof Error ? err.stack : String(err)}\n`);
      return 255;
    }
  });
}

// Run as `pulumi` (./bin/pulumi runs this file, or its bundle): this process is the run.
runIfEntry(import.meta.url, runPulumi);
