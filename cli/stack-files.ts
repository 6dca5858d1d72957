// Reading Pulumi.<stack>.yaml the way pulumi does, for commands that work offline (plan,
// cost-estimate, capacity) and for showing a stack's settings without running pulumi.
// Pulumi hands config to the program as strings: scalars as written, lists and maps as JSON.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load as parseYaml } from "js-yaml";
import { PROJECT, type RawConfig } from "../infra/config.js";

export class StackFileError extends Error {
  override name = "StackFileError";
}

export function stackFilePath(projectDir: string, stack: string): string {
  return join(projectDir, `Pulumi.${stack}.yaml`);
}

/** The stacks that have a stack file in the project directory, e.g. ["contest", "dev"]. */
export function listStackFiles(projectDir: string): string[] {
  return readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Pulumi's string form of a config value. */
export function configValueString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The `config:` section of a stack file, reduced to this project's keys in Pulumi's string form. */
export function rawConfigFromStackYaml(text: string, project = PROJECT): RawConfig {
  const doc = (parseYaml(text) ?? {}) as { config?: Record<string, unknown> };
  const prefix = `${project}:`;
  return Object.fromEntries(
    Object.entries(doc.config ?? {})
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), configValueString(value)]),
  );
}

export function readStackConfig(projectDir: string, stack: string, project = PROJECT): RawConfig {
  const path = stackFilePath(projectDir, stack);
  if (!existsSync(path)) {
    const known = listStackFiles(projectDir);
    throw new StackFileError(
      `unknown stack "${stack}": there is no ${path}` +
        (known.length ? ` (stacks here: ${known.join(", ")})` : "") +
        `; create it with \`pulumi stack init ${stack}\` or pass --stack with one of those`,
    );
  }
  return rawConfigFromStackYaml(readFileSync(path, "utf8"), project);
}
