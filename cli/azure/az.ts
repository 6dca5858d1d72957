// The Azure CLI, for the two things only it does without a local Docker engine: importing an image
// into a registry (`az acr import`) and building one in the registry (`az acr build`), plus listing
// a repository's tags. Command lines are built by pure functions; this module is the only caller.

import { execa } from "execa";
import { OperationError, UsageError } from "../errors.js";

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

export async function az(argv: string[], opts: { verbose?: boolean; stream?: boolean } = {}): Promise<string> {
  if (opts.verbose) process.stderr.write(`$ az ${argv.join(" ")}\n`);
  try {
    const r = await execa("az", argv, { stdin: "ignore", stderr: opts.stream ? "inherit" : "pipe" });
    return String(r.stdout);
  } catch (err) {
    const e = err as { code?: string; stderr?: string; exitCode?: number; shortMessage?: string };
    if (e.code === "ENOENT") throw new UsageError(`the Azure CLI is not installed: ${AZ_INSTALL_HINT}`);
    const detail = String(e.stderr ?? "").trim().split("\n").filter(Boolean).at(-1) ?? e.shortMessage ?? "";
    if (/az login|not logged in|No subscription found/i.test(detail)) throw new UsageError(`not logged in to Azure: run \`az login\` (${detail})`);
    throw new OperationError(`az ${argv.slice(0, 2).join(" ")} failed: ${detail}`);
  }
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
