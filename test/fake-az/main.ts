// A strict stand-in for the Azure CLI, for the commands manage runs: `version`, `acr import`,
// `acr build`, `acr repository show-tags`. Registry contents live in $FAKE_AZ_STATE (JSON). A registry exists
// only if a stack in the project's state backend (the stand-in pulumi's) deployed it, as in Azure.
// Any other command or flag fails loudly (exit 255). FAKE_AZ_PURGE_POLLS=n: a purge of a soft-deleted
// API Management instance is accepted (202) and done only after n look-ups (./soft-deleted.ts).

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { lookUp, startPurge } from "./soft-deleted.js";
import { env, invocation, runIfEntry, within, type Invocation } from "../fake-pulumi/invocation.js";

/** The end of a run: its exit code, with what it says on stderr. */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
const die = (code: number, message: string): never => {
  invocation().stderr(message + "\n");
  throw new Exit(code);
};
const unsupported = (why: string): never => die(255, `fake az: ${why} (argv: ${JSON.stringify(invocation().argv)})`);
const say = (text: string) => invocation().stdout(`${text}\n`);

function parse(args: string[], valueFlags: string[], boolFlags: string[]) {
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("-")) positionals.push(a);
    else if (valueFlags.includes(a)) flags.set(a, args[++i] ?? unsupported(`flag ${a} needs a value`));
    else if (boolFlags.includes(a)) flags.set(a, "true");
    else unsupported(`unknown flag ${a}`);
  }
  return { positionals, flags };
}

const stateFile = () => env().FAKE_AZ_STATE ?? unsupported("FAKE_AZ_STATE is not set");
type Registries = Record<string, Record<string, string[]>>;
const load = (): Registries => (existsSync(stateFile()) ? JSON.parse(readFileSync(stateFile(), "utf8")) : {});
const save = (r: Registries) => writeFileSync(stateFile(), JSON.stringify(r, null, 2));

/** The backend the stacks live in: an explicit file:// one (shared by several machines), or the project's embedded one. */
function backendDir(): string {
  const project = env().MANAGE_PROJECT_DIR ?? invocation().cwd;
  const url = env().PULUMI_BACKEND_URL;
  const explicit = url?.startsWith("file://") ? url.slice("file://".length) : null;
  return explicit ?? join(project, ".pulumi-state");
}

/** Registries some stack has deployed, per the stand-in pulumi's file backend. */
function deployedRegistries(): string[] {
  const dir = join(backendDir(), ".pulumi", "stacks", "coding-engine");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) =>
    (JSON.parse(readFileSync(join(dir, f), "utf8")).checkpoint.latest.resources as Array<{ type: string; inputs: { registryName?: string } }>)
      .filter((r) => r.type === "azure-native:containerregistry:Registry")
      .map((r) => r.inputs.registryName!),
  );
}
function requireRegistry(name: string) {
  if (!deployedRegistries().includes(name))
    die(3, `ERROR: The resource with name '${name}' and type 'Microsoft.ContainerRegistry/registries' could not be found in subscription.`);
}
function addTag(registry: string, image: string) {
  const [repo, tag] = [image.slice(0, image.lastIndexOf(":")), image.slice(image.lastIndexOf(":") + 1)];
  const all = load();
  const tags = ((all[registry] ??= {})[repo] ??= []);
  if (!tags.includes(tag)) tags.push(tag);
  save(all);
}

/** One az command: its exit code, its output written to the invocation's streams. */
async function main(): Promise<number> {
  const [group, sub, ...rest] = invocation().argv;
  if (group === "version") {
    const { flags } = parse([sub, ...rest].filter((a) => a !== undefined), ["--output"], []);
    if (flags.get("--output") !== "json") unsupported("manage reads az version as JSON");
    say(JSON.stringify({ "azure-cli": env().FAKE_AZ_VERSION ?? "2.67.0", "azure-cli-core": "2.67.0", extensions: {} }));
    return 0;
  }
  // `az version` answers without a login, as the real one does; everything else needs one.
  if (env().FAKE_AZ_LOGGED_OUT) die(1, "ERROR: Please run 'az login' to setup account.");
  if (group === "rest") {
    // `az rest` (azure-cli src/azure-cli/azure/cli/command_modules/util: rest): a relative URL is sent to
    // the cloud's ARM endpoint and {subscriptionId} is replaced by the current subscription. Only the
    // soft-deleted API Management calls manage makes (./soft-deleted.ts); anything else fails loudly.
    const { flags } = parse([sub, ...rest].filter((a) => a !== undefined), ["--method", "-m", "--url", "--uri", "-u", "--output", "-o"], []);
    const method = (flags.get("--method") ?? flags.get("-m") ?? "get").toLowerCase();
    const url = flags.get("--url") ?? flags.get("--uri") ?? flags.get("-u") ?? die(2, "ERROR: the following arguments are required: --url/--uri/-u");
    const m = /^\/subscriptions\/\{subscriptionId\}\/providers\/Microsoft\.ApiManagement\/locations\/([^/]+)\/deletedservices\/([^/?]+)\?api-version=(\d{4}-\d{2}-\d{2}[^&]*)$/.exec(url!);
    if (!m) unsupported(`az rest on ${url}`);
    const [, location, name] = m!;
    if (method === "get") {
      const found = lookUp(backendDir(), name!, location!);
      if (!found) die(1, `ERROR: Not Found({"error":{"code":"ResourceNotFound","message":"Deleted service ${name} was not found."}})`);
      say(JSON.stringify({ id: `/subscriptions/00000000-0000-4000-8000-000000000000/providers/Microsoft.ApiManagement/locations/${location}/deletedservices/${name}`, name, location, properties: { deletionDate: found!.deletionDate, scheduledPurgeDate: found!.scheduledPurgeDate } }));
    } else if (method === "delete") {
      // DeletedServices_Purge: 200 purged, 202 accepted (finishing later), 204 "The service does not
      // exist"; az rest prints no body for any and does not follow the 202.
      startPurge(backendDir(), name!, location!, Number(env().FAKE_AZ_PURGE_POLLS ?? 0));
    } else unsupported(`az rest --method ${method}`);
    return 0;
  }
  if (group !== "acr") unsupported(`command ${group}`);
  if (sub === "import") {
    const { positionals, flags } = parse(rest, ["--name", "--source", "--image", "--output"], ["--force"]);
    if (positionals.length) unsupported("acr import takes no positional arguments");
    const [name, source, image] = ["--name", "--source", "--image"].map((f) => flags.get(f) ?? die(2, `ERROR: the following arguments are required: ${f}`));
    requireRegistry(name!);
    const existing = load()[name!]?.[image!.slice(0, image!.lastIndexOf(":"))] ?? [];
    if (existing.includes(image!.slice(image!.lastIndexOf(":") + 1)) && !flags.has("--force"))
      die(1, `ERROR: (Conflict) Tag ${image} already exists in target registry. Use --force to overwrite.`);
    addTag(name!, image!);
    say(JSON.stringify({ source, target: image }));
  } else if (sub === "build") {
    const { positionals, flags } = parse(rest, ["--registry", "--image", "--file"], []);
    if (positionals.length !== 1) unsupported("acr build takes exactly one context directory");
    const registry = flags.get("--registry") ?? die(2, "ERROR: the following arguments are required: --registry/-r");
    const image = flags.get("--image") ?? unsupported("manage always names the image");
    requireRegistry(registry!);
    const dockerfile = resolve(invocation().cwd, positionals[0]!, flags.get("--file") ?? "Dockerfile");
    if (!existsSync(dockerfile)) die(1, `ERROR: Unable to find '${dockerfile}'.`);
    // Where real az writes each part (Azure/azure-cli src/azure-cli/azure/cli/command_modules/acr):
    // its own progress through logger.warning, on stderr (_archive_utils.py _pack_source_code
    // "Packing source code into tar to upload..."); the run's log, streamed from its blob, through
    // print(), on stdout (_stream_utils.py _stream_logs), ending with the run's outcome as Microsoft
    // Learn's examples show it ("Run ID: ca6 was successful after 27s").
    invocation().stderr("Packing source code into tar to upload...\n");
    invocation().stdout(`Step 1/1 : built from ${dockerfile}\nRun ID: ca1 was successful after 2s\n`);
    addTag(registry!, image!);
  } else if (sub === "repository" && rest[0] === "show-tags") {
    const { flags } = parse(rest.slice(1), ["--name", "--repository", "--output"], []);
    const name = flags.get("--name")!;
    requireRegistry(name);
    const tags = load()[name]?.[flags.get("--repository")!];
    if (!tags) die(1, `ERROR: (NAME_UNKNOWN) repository name not known to registry. The repository '${flags.get("--repository")}' is not found.`);
    say(JSON.stringify(tags));
  } else unsupported(`acr ${sub}`);
  return 0;
}

/** One az command as the given run (a process, or a test worker's in-process manage). */
export async function runAz(run: Invocation): Promise<number> {
  return within(run, async () => {
    try {
      return await main();
    } catch (err) {
      if (err instanceof Exit) return err.code;
      run.stderr(`fake az crashed: ${err instanceof Error ? err.stack : String(err)}\n`);
      return 255;
    }
  });
}

// Run as `az` (./bin/az runs this file, or its bundle): this process is the run.
runIfEntry(import.meta.url, runAz);
