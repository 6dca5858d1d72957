// Reading Pulumi.<stack>.yaml the way pulumi does, for commands that work offline (plan,
// cost-estimate, capacity) and for showing a stack's settings without running pulumi.
// Pulumi hands config to the program as strings: scalars as written, lists and maps as JSON.
// A file that parses is read with js-yaml (fast: offline commands stay within 3x node); where a
// position is needed (a broken file, a refused value) it is parsed again with `yaml` (eemeli/yaml),
// which keeps every node's position, so the message says file:line and the key.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { load as loadYaml } from "js-yaml";
import type { Document, Node as YamlNode } from "yaml";
import { NOT_A_SECRET, notASecretFix, PROJECT, type RawConfig } from "../infra/config.js";

const positional = () => createRequire(import.meta.url)("yaml") as typeof import("yaml");

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

/** The stack a stack file's name is for ("Pulumi.dev.yaml" -> "dev"), or undefined for another file. */
const stackOfFile = (name: string): string | undefined => /^Pulumi\.(.+)\.ya?ml$/.exec(name)?.[1];

/** The stacks that have a stack file in the project directory, e.g. ["contest", "dev"]. */
export function listStackFiles(projectDir: string): string[] {
  return readdirSync(projectDir)
    .map(stackOfFile)
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
  const example = `e.g.\n    config:\n      ${project}:profile: idle`;
  const empty = () => new StackFileError(`${name} is empty: a stack file holds a config: map\n  Fix: give it one, ${example}`, "broken", name);
  if (text.split("\n").every((line) => /^\s*(#.*)?$/.test(line))) throw empty();
  let values: unknown;
  try {
    values = loadYaml(text);
  } catch {
    throwYamlError(text, name);
  }
  if (values === undefined || values === null || values === "") throw empty();
  if (typeof values !== "object" || Array.isArray(values))
    throw new StackFileError(`${name}:1: the file is not a map of keys\n  Fix: start it with config:, ${example}`, "broken", name);
  const config = (values as { config?: unknown }).config;
  if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config)))
    throw new StackFileError(`${name}:${linesOf(text).lineOf(["config"]) ?? 1}: config must be a map of keys to values\n  Fix: write one key a line under config:, ${example}`, "broken", name);
  const prefix = `${project}:`;
  const ours = Object.entries((config ?? {}) as Record<string, unknown>)
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, value]) => [key.slice(prefix.length), value] as const);
  let positions: ReturnType<typeof linesOf> | undefined;
  const lineOf = (key: string): number | null => {
    positions ??= linesOf(text);
    const [top, ...path] = key.split(".");
    return positions.lineOf(["config", `${prefix}${top}`, ...path]);
  };
  // A secret setting would be recorded in plain text (infra/config.ts NOT_A_SECRET): refused here,
  // on the file as written, before anything (an operation's profile, its overrides) is laid over it.
  const secret = ours.find(([, value]) => holdsSecret(value))?.[0];
  if (secret)
    throw new StackFileError(
      `${name}:${lineOf(secret) ?? 1}: ${prefix}${secret} ${NOT_A_SECRET}\n  Fix: ${notASecretFix(secret)} --stack ${stackOfFile(name) ?? name}`,
      "broken",
      name,
    );
  const raw = Object.fromEntries(ours.map(([key, value]) => [key, configValueString(value)]));
  return { name, raw, lineOf };
}

/**
 * Whether a config value is or holds a secret as pulumi writes one: a map of exactly one key,
 * `secure`, with a string (sdk/go/common/resource/config/object.go isSecureValue); one nested by
 * `config set --secret --path` makes pulumi mark the whole key secret (Value.Secure).
 */
function holdsSecret(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsSecret);
  if (!value || typeof value !== "object") return false;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]![0] === "secure" && typeof entries[0]![1] === "string") return true;
  return entries.some(([, v]) => holdsSecret(v));
}

/** The first YAML error, with its position, as `yaml` reports it. Always throws. */
function throwYamlError(text: string, name: string): never {
  const yaml = positional();
  const doc = yaml.parseDocument(text, { lineCounter: new yaml.LineCounter(), uniqueKeys: true, prettyErrors: true });
  const error = doc.errors[0];
  const at = error?.linePos?.[0];
  // The key as written on its line ("coding-engine:profile: idle" -> "coding-engine:profile").
  const keyOnLine = at ? /^\s*(.*?):(\s|$)/.exec(text.split("\n")[at.line - 1] ?? "")?.[1] : undefined;
  const what = !error ? "is not valid YAML" : error.code === "DUPLICATE_KEY" ? `a key appears twice${keyOnLine ? ` (${keyOnLine})` : ""}` : firstLine(error.message);
  throw new StackFileError(
    `${name}${at ? `:${at.line}:${at.col}` : ""}: ${what}\n  Fix: correct the YAML at that line (indentation, quoting, a key given twice), then run again`,
    "broken",
    name,
  );
}

/** Where keys stand in a YAML text: the line of a path of keys, or of the nearest enclosing key that exists. */
function linesOf(text: string): { lineOf(path: string[]): number | null } {
  const yaml = positional();
  const counter = new yaml.LineCounter();
  const doc: Document = yaml.parseDocument(text, { lineCounter: counter });
  return {
    lineOf(path) {
      let node: unknown = doc.contents;
      let line: number | null = null;
      for (const part of path) {
        if (!yaml.isMap(node)) break;
        const pair = node.items.find((p) => yaml.isScalar(p.key) && String(p.key.value) === part);
        if (!pair) break;
        const range = (pair.key as YamlNode).range;
        if (range) line = counter.linePos(range[0]).line;
        node = pair.value;
      }
      return line;
    },
  };
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
