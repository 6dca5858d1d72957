// The Azure CLI, for the two things only it does without a local Docker engine: importing an image
// into a registry (`az acr import`) and building one in the registry (`az acr build`), plus listing
// a repository's tags. Command lines are built by pure functions; this module is the only caller.

import { execa } from "execa";
import { OperationError, UsageError } from "../errors.js";
import type { PulumiExit } from "../pulumi/process.js";

export const AZ_INSTALL_HINT = "install the Azure CLI (https://learn.microsoft.com/cli/azure/install-azure-cli) and run `az login`";

export function acrImportArgv(registry: string, source: string, image: string, force: boolean): string[] {
  return ["acr", "import", "--name", registry, "--source", source, "--image", image, ...(force ? ["--force"] : []), "--output", "json"];
}

export function acrBuildArgv(registry: string, image: string, context: string, file?: string): string[] {
  return ["acr", "build", "--registry", registry, "--image", image, ...(file ? ["--file", file] : []), context];
}

export function showTagsArgv(registry: string, repository: string): string[] {
  return ["acr", "repository", "show-tags", "--name", registry, "--repository", repository, "--output", "json"];
}

/** How an az call ended, as a pulumi call's end is said (../pulumi/process.ts): its output, its code, and notFound when az is not on PATH. */
export type AzExit = PulumiExit;

async function spawnAz(argv: string[], stream: boolean): Promise<AzExit> {
  // Streamed, both of az's streams go to manage's stderr: az prints a registry build's log on its
  // stdout (azure-cli acr/_stream_utils.py _stream_logs: print()) and its own progress on stderr,
  // and manage's stdout is its own report (one JSON document with --json).
  const r = await execa("az", argv, { stdin: "ignore", stdout: stream ? 2 : "pipe", stderr: stream ? "inherit" : "pipe", reject: false });
  // Only the spawn's own error code: execa's message holds az's output too, and a build log can say
  // ENOENT (npm's "code ENOENT") from an az that is installed and failed.
  const notFound = (r as { code?: string }).code === "ENOENT";
  return { stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? ""), exitCode: r.exitCode ?? -1, notFound };
}

/**
 * How az is run: a child process, its output streamed to manage's stderr when asked (acr build's
 * log), else caught. The one edge between manage and az; the suite's decision tests run the az
 * stand-in here in-process (test/helpers/project.ts), as they do pulumi's (../pulumi/process.ts).
 */
export const azCli: { run: (argv: string[], stream: boolean) => Promise<AzExit> } = { run: spawnAz };

export async function az(argv: string[], opts: { verbose?: boolean; stream?: boolean } = {}): Promise<string> {
  if (opts.verbose) process.stderr.write(`$ az ${argv.join(" ")}\n`);
  const r = await azCli.run(argv, opts.stream ?? false);
  if (r.notFound) throw new UsageError(`the Azure CLI is not installed: ${AZ_INSTALL_HINT}`);
  if (r.exitCode === 0) return r.stdout;
  const detail = r.stderr.trim().split("\n").filter(Boolean).at(-1) ?? `Command failed with exit code ${r.exitCode}: az ${argv.join(" ")}`;
  if (/az login|not logged in|No subscription found/i.test(detail)) throw new UsageError(`not logged in to Azure: run \`az login\` (${detail})`);
  throw new OperationError(`az ${argv.slice(0, 2).join(" ")} failed: ${detail}`);
}

/** A repository's tags; null when the repository (or the registry) does not exist. */
export async function registryTags(registry: string, repository: string, verbose?: boolean): Promise<string[] | null> {
  try {
    return JSON.parse(await az(showTagsArgv(registry, repository), { verbose })) as string[];
  } catch (err) {
    if (err instanceof OperationError && /not found|NotFound|does not exist|could not be found/i.test(err.message)) return null;
    throw err;
  }
}

/** The images ("repository:tag") the registry does not hold. Throws when the registry cannot be read. */
export async function missingImages(registry: string, images: string[], verbose?: boolean): Promise<string[]> {
  const missing: string[] = [];
  for (const image of images) {
    const [repository, tag] = splitImage(image);
    if (!(await registryTags(registry, repository, verbose))?.includes(tag)) missing.push(image);
  }
  return missing;
}

/** "coding-engine/session:v1" -> ["coding-engine/session", "v1"]. */
export function splitImage(ref: string): [string, string] {
  const at = ref.lastIndexOf(":");
  return [ref.slice(0, at), ref.slice(at + 1)];
}

/** az releases manage is used with; older ones may lack `acr import`/`acr build` flags it passes. */
export const RECOMMENDED_AZ_VERSION = "2.60.0";

/** The Azure CLI's version, or null when it is not installed. */
export async function azVersion(verbose?: boolean): Promise<string | null> {
  try {
    return String((JSON.parse(await az(["version", "--output", "json"], { verbose })) as Record<string, string>)["azure-cli"] ?? "");
  } catch (err) {
    if (err instanceof UsageError && /not installed/.test(err.message)) return null;
    throw err;
  }
}
