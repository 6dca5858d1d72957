// Reading Pulumi.<stack>.yaml the way pulumi does, for commands that work offline (plan,
// cost-estimate, capacity) and for showing a stack's settings without running pulumi.
// Pulumi hands config to the program as strings: scalars as written, lists and maps as JSON.
// The file is parsed with `yaml` (eemeli/yaml), which keeps every node's position: a broken file
// and a refused value are both reported as file:line and the key, so the person knows what to edit.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from "yaml";
import { PROJECT, type RawConfig } from "../infra/config.js";

export class StackFileError extends Error {
  override name = "StackFileError";
  constructor(
    message: string,
    /** What is wrong: no file, or a file that is not a stack file. */
    readonly kind: "missing" | "broken",
    readonly file: string,
  ) {
    super(message);
  }
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

/** A stack file's config, and where each of its keys stands in the file. */
export interface StackFile {
  /** The file's name, e.g. Pulumi.dev.yaml. */
  name: string;
  raw: RawConfig;
  /**
   * The line (1-based) of a key of the project's namespace, or of a path into its value
   * ("profileOverrides.contest.maxSessions"); the nearest enclosing key's line when the path does not exist.
   */
  lineOf(key: string): number | null;
}

const firstLine = (message: string) => message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");

/**
 * Parses a stack file's text. Pure. Throws StackFileError naming the file, the line and what is
 * wrong for YAML that does not parse, duplicated keys, an empty file, or a `config` that is not a map.
 */
export function parseStackFile(text: string, name: string, project = PROJECT): StackFile {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    // The key as written on its line ("coding-engine:profile: idle" -> "coding-engine:profile").
    const keyOnLine = at ? /^\s*(.*?):(\s|$)/.exec(text.split("\n")[at.line - 1] ?? "")?.[1] : undefined;
    const duplicate = error.code === "DUPLICATE_KEY" && keyOnLine ? ` (${keyOnLine})` : "";
    throw new StackFileError(
      `${name}${at ? `:${at.line}:${at.col}` : ""}: ${error.code === "DUPLICATE_KEY" ? `a key appears twice${duplicate}` : firstLine(error.message)}` +
        "\n  Fix: correct the YAML at that line (indentation, quoting, a key given twice), then run again",
      "broken",
      name,
    );
  }
  const root = doc.contents;
  const example = `e.g.\n    config:\n      ${project}:profile: idle`;
  if (root === null || (isScalar(root) && (root.value === null || root.value === "")))
    throw new StackFileError(`${name} is empty: a stack file holds a config: map\n  Fix: give it one, ${example}`, "broken", name);
  if (!isMap(root)) throw new StackFileError(`${name}:1: the file is not a map of keys\n  Fix: start it with config:, ${example}`, "broken", name);
  const config = root.get("config", true) as YamlNode | undefined;
  if (config !== undefined && !isMap(config) && !(isScalar(config) && config.value === null)) {
    const line = config.range ? lines.linePos(config.range[0]).line : 1;
    throw new StackFileError(`${name}:${line}: config must be a map of keys to values\n  Fix: write one key a line under config:, ${example}`, "broken", name);
  }
  const prefix = `${project}:`;
  const values = (doc.toJS() as { config?: Record<string, unknown> | null }).config ?? {};
  const raw = Object.fromEntries(
    Object.entries(values)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), configValueString(value)]),
  );
  const lineOf = (key: string): number | null => {
    if (!isMap(config)) return null;
    const [top, ...path] = key.split(".");
    let node: unknown = config;
    let line: number | null = null;
    for (const part of [`${prefix}${top}`, ...path]) {
      if (!isMap(node)) break;
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === part);
      if (!pair) break;
      const range = (pair.key as YamlNode).range;
      if (range) line = lines.linePos(range[0]).line;
      node = pair.value;
    }
    return line;
  };
  return { name, raw, lineOf };
}

/** The `config:` section of a stack file, reduced to this project's keys in Pulumi's string form. */
export function rawConfigFromStackYaml(text: string, project = PROJECT): RawConfig {
  return parseStackFile(text, "stack file", project).raw;
}

export function readStackFile(projectDir: string, stack: string, project = PROJECT): StackFile {
  const path = stackFilePath(projectDir, stack);
  if (!existsSync(path)) {
    const known = listStackFiles(projectDir);
    throw new StackFileError(
      `unknown stack "${stack}": there is no ${path}` + (known.length ? ` (stacks here: ${known.join(", ")})` : ""),
      "missing",
      basename(path),
    );
  }
  return parseStackFile(readFileSync(path, "utf8"), basename(path), project);
}

export function readStackConfig(projectDir: string, stack: string, project = PROJECT): RawConfig {
  return readStackFile(projectDir, stack, project).raw;
}
