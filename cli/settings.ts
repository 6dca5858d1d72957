// A stack's validated settings, read from its stack file without pulumi (offline commands).
// Refused config is a usage error: exit 2, with every broken key named.

import { ConfigError, parseSettings, type DeploymentSettings, type RawConfig } from "../infra/config.js";
import { UsageError } from "./errors.js";
import { projectDir } from "./project.js";
import { readStackConfig, StackFileError } from "./stack-files.js";

export function stackRawConfig(stack: string, dir = projectDir()): RawConfig {
  try {
    return readStackConfig(dir, stack);
  } catch (err) {
    if (err instanceof StackFileError) throw new UsageError(err.message);
    throw err;
  }
}

export function stackSettings(stack: string, extra: Record<string, string> = {}, dir = projectDir()): DeploymentSettings {
  try {
    return parseSettings({ ...stackRawConfig(stack, dir), ...extra }, stack);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`${err.message}\nfix Pulumi.${stack}.yaml (or the options given) and run again`);
    throw err;
  }
}

/** Gi as a number from "1Gi" / "2.5Gi". */
export function gibibytes(memory: string): number {
  return parseFloat(memory);
}
