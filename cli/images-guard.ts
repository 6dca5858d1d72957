// Before a change: are the images the stack needs in its registry? A pool (or app) whose image is
// missing fails to provision, and a fresh registry is empty. So a stack whose registry does not
// exist yet gets its foundation deployed first (resource group, registry, identity, AcrPull: the
// role has time to propagate while images are pushed), and then manage stops with the exact
// `manage images` commands to run. Decisions here are pure; the caller does the I/O.

import type { DeploymentSettings } from "../infra/config.js";
import { resourceUrn } from "./pulumi/argv.js";
import { suggest } from "./suggest.js";

/**
 * The repository:tag images the stack needs: the backend's and the session pool's, in every
 * profile. An idle stack does not pull the session image yet, but a registry without it would fail
 * the first start of the pool, on contest day: it is asked for at the first deployment.
 */
export function imagesNeeded(settings: DeploymentSettings): string[] {
  return [settings.backend.image, settings.session.image];
}

/** What deploying "the foundation" targets: enough to push images and let AcrPull propagate. */
export function foundationTargets(settings: DeploymentSettings): string[] {
  const s = settings.stack;
  return [
    ...(settings.createResourceGroup ? [resourceUrn(s, "azure-native:resources:ResourceGroup", "resource-group")] : []),
    resourceUrn(s, "azure-native:containerregistry:Registry", "registry"),
    resourceUrn(s, "azure-native:managedidentity:UserAssignedIdentity", "identity"),
    ...(settings.roles.mode === "managed" ? [resourceUrn(s, "azure-native:authorization:RoleAssignment", "acr-pull")] : []),
  ];
}

/** The exact commands that put the missing images in the stack's registry, one or two lines each. */
export function imageCommandLines(settings: DeploymentSettings, missing: string[]): string[] {
  return missing.flatMap((image) => {
    const [repository, tag] = [image.slice(0, image.lastIndexOf(":")), image.slice(image.lastIndexOf(":") + 1)];
    return [
      `  ${suggest("images import", { stack: settings.stack, from: `<source-registry>/${image}` })}`,
      `    or: ${suggest("images build", { stack: settings.stack, name: repository, tag }, ["<context-dir>"])}`,
    ];
  });
}

/** Why a change stops for missing images, with the commands to run. */
export function imageCommands(settings: DeploymentSettings, missing: string[]): string {
  const lines = imageCommandLines(settings, missing);
  return (
    `${missing.length === 1 ? "this image is" : "these images are"} not in registry ${settings.names.registry} yet: ${missing.join(", ")}.\n` +
    `Put ${missing.length === 1 ? "it" : "them"} there, then run the command again:\n${lines.join("\n")}`
  );
}
