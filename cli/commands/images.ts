// `manage images import --from <registry/repo:tag>` and `manage images build <context> --name <repo>`:
// put the backend and session images in the stack's own registry, where the pool and the app pull
// them with the identity. A new tag per rollout by default (the pool caches images by tag, so a
// re-pushed tag is never pulled again); reusing a tag is refused unless --force.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { OptionsFor } from "../main.js";
import { acrBuildArgv, acrImportArgv, az, registryTags } from "../azure/az.js";
import { UsageError } from "../errors.js";
import { IMAGE_TAG, readOption, REPOSITORY, SOURCE_IMAGE_PATTERN } from "../options.js";
import { printJson } from "../output.js";
import { defaultStack } from "../project.js";
import { stackSettings } from "../settings.js";
import { suggest, suggestPulumi } from "../suggest.js";
import type { DeploymentSettings } from "../../infra/config.js";

/**
 * Where an imported image lands: the source's repository path and tag unless told otherwise. Pure.
 * `source` is --from, which the parser read with its type (SOURCE_IMAGE_PATTERN), as it read --name
 * and --tag with theirs; a source's parts standing in for them are held to the same types here.
 */
export function importTarget(source: string, name?: string, tag?: string): { repository: string; tag: string } {
  const m = SOURCE_IMAGE_PATTERN.exec(source)!;
  return { repository: readOption("--name", REPOSITORY, name ?? m[2]!), tag: readOption("--tag", IMAGE_TAG, tag ?? m[3]!) };
}

/** A fresh tag per rollout: the UTC time, e.g. 20261122-141503. */
export function rolloutTag(now: Date): string {
  return now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

async function refuseReusedTag(registry: string, repository: string, tag: string, force: boolean | undefined, verbose?: boolean) {
  const tags = await registryTags(registry, repository, verbose);
  if (tags?.includes(tag) && !force)
    throw new UsageError(
      `${registry}/${repository}:${tag} already exists. The session pool caches images by tag and would keep the old one: ` +
        "use a new --tag (the default for builds is the current time), or --force to overwrite anyway",
    );
}

/**
 * The stack file's key an image belongs in: the one whose repository it replaces (backendImage or
 * sessionImage, as the stack names them now); failing that, by its name. Pure.
 */
export function imageConfigKey(repository: string, settings: Pick<DeploymentSettings, "backend" | "session">): "backendImage" | "sessionImage" {
  const repositoryOf = (image: string) => image.slice(0, image.lastIndexOf(":"));
  if (repository === repositoryOf(settings.backend.image)) return "backendImage";
  if (repository === repositoryOf(settings.session.image)) return "sessionImage";
  return /backend/.test(repository) ? "backendImage" : "sessionImage";
}

/**
 * What to run next: point the stack's key at the image (pulumi with this project's backend), then
 * apply it; or, when the key already names it (a first deployment's images), only apply it.
 */
export function nextStep(stack: string, image: string, settings: Pick<DeploymentSettings, "backend" | "session">): string {
  const key = imageConfigKey(image.slice(0, image.lastIndexOf(":")), settings);
  const up = `\`${suggest("up", { stack })}\``;
  if ((key === "backendImage" ? settings.backend.image : settings.session.image) === image) return `The stack's ${key} already names it: ${up} deploys it.`;
  return `Point the stack at it: \`${suggestPulumi(`config set ${key} ${image} --stack ${stack}`)}\`, then ${up}.`;
}

export async function runImport(o: OptionsFor<"images import">): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const settings = stackSettings(stack);
  const registry = settings.names.registry;
  const { repository, tag } = importTarget(o.from, o.name, o.tag);
  await refuseReusedTag(registry, repository, tag, o.force, o.verbose);
  await az(acrImportArgv(registry, o.from, `${repository}:${tag}`, Boolean(o.force)), { verbose: o.verbose });
  const image = `${repository}:${tag}`;
  if (o.json) printJson({ stack, registry, image, source: o.from });
  else console.log(`Imported ${o.from} as ${registry}.azurecr.io/${image}. ${nextStep(stack, image, settings)}`);
}

export async function runBuild(context: string, o: OptionsFor<"images build">): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const settings = stackSettings(stack);
  const registry = settings.names.registry;
  const dir = resolve(context);
  if (!existsSync(dir)) throw new UsageError(`build context ${dir} does not exist`);
  const dockerfile = o.file ?? "Dockerfile";
  if (!existsSync(resolve(dir, dockerfile))) throw new UsageError(`no ${dockerfile} in ${dir} (pass --file to name another)`);
  // --name and --tag were read with their types; a rollout tag is digits and a dash.
  const tag = o.tag ?? rolloutTag(new Date());
  await refuseReusedTag(registry, o.name, tag, o.force, o.verbose);
  // Build output streams straight to the terminal: a registry build takes minutes.
  await az(acrBuildArgv(registry, `${o.name}:${tag}`, dir, o.file), { verbose: o.verbose, stream: true });
  const image = `${o.name}:${tag}`;
  if (o.json) printJson({ stack, registry, image, context: dir });
  else console.log(`Built ${registry}.azurecr.io/${image} in the registry. ${nextStep(stack, image, settings)}`);
}
