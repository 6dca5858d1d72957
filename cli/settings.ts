// A stack's validated settings, read from its stack file without pulumi (offline commands).
// Refused config is a usage error: exit 2, every broken key named where it is: the file and line
// for a value in the stack file, the option for a value given on the command line.

import { ConfigError, parseSettings, PROJECT, type ConfigIssue, type DeploymentSettings, type RawConfig } from "../infra/config.js";
import { UsageError } from "./errors.js";
import { projectDir, stackOrigin } from "./project.js";
import { readStackFile, StackFileError, type StackFile } from "./stack-files.js";
import { suggestPulumi } from "./suggest.js";

/** The stack file, or a usage error naming it (and, for a stack with no file, where the name came from). */
export function stackFile(stack: string, dir = projectDir()): StackFile {
  try {
    return readStackFile(dir, stack);
  } catch (err) {
    if (!(err instanceof StackFileError)) throw err;
    if (err.kind === "broken") throw new UsageError(err.message);
    const origin = stackOrigin();
    throw new UsageError(`${err.message.replace(`unknown stack "${stack}"`, `unknown stack "${stack}" (from ${origin.where})`)}\n  Fix: ${origin.fix}, or create ${err.file} (\`${suggestPulumi(`stack init ${stack}`)}\`)`);
  }
}

/**
 * Where each refused key was given: an option (`sources`: config key -> "--max-sessions 900") or
 * the stack file's line. One line per issue; the fix says which to change.
 */
export function describeIssues(err: ConfigError, file: StackFile, sources: Record<string, string> = {}): string {
  const where = (issue: ConfigIssue) => {
    const option = Object.entries(sources).find(([key]) => key === issue.key || issue.key.startsWith(`${key}.`))?.[1];
    if (option) return option;
    const line = file.lineOf(issue.key);
    return `${file.name}${line ? `:${line}` : ""}`;
  };
  const fromFile = err.issues.some((i) => !where(i).startsWith("--"));
  const fromOptions = err.issues.some((i) => where(i).startsWith("--"));
  return (
    `stack ${err.stack_} refused: ${err.issues.length === 1 ? "a setting is" : `${err.issues.length} settings are`} invalid\n` +
    err.issues.map((i) => `  ${where(i)}: ${PROJECT}:${i.key} ${i.message}`).join("\n") +
    `\n  Fix: ${[fromOptions ? "change the option" : "", fromFile ? `edit ${file.name}` : ""].filter(Boolean).join(" or ")} as said, and run again. Nothing was changed.`
  );
}

/** The stack's settings with `extra` config on top (from options: `sources` names them), or a usage error. */
export function stackSettings(stack: string, extra: Record<string, string> = {}, dir = projectDir(), sources: Record<string, string> = {}): DeploymentSettings {
  const file = stackFile(stack, dir);
  return validSettings({ ...file.raw, ...extra }, stack, file, sources);
}

/** A config of the stack read from `file` (and the options in `sources`) as settings, or a usage error naming each refused key where it was given. */
export function validSettings(raw: RawConfig, stack: string, file: StackFile, sources: Record<string, string> = {}): DeploymentSettings {
  try {
    return parseSettings(raw, stack);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(describeIssues(err, file, sources));
    throw err;
  }
}
