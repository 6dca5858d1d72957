// The layout's two rules (docs/architecture.md): data flows one way, from infra/ (the program, its
// config, the sizing and cost model) to cli/, so the program never loads the CLI; and a command
// module (cli/commands/*) is a leaf, so what a command decides lives where other commands and the
// tests can reach it. Read from the sources' import statements, static and dynamic.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "../helpers/program.js";

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.c?ts$/.test(f))
    .map((f) => join(dir, f));
}

/** Every relative module a source file imports (import, export from, import(), require()), as repo paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:from|import|require)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) =>
    relative(ROOT, resolve(dirname(join(ROOT, file)), m[1]!)),
  );
}

test("nothing under infra/ imports cli/: the program and its model stand alone", () => {
  const crossings = sources("infra").flatMap((f) => importsOf(f).filter((i) => i.startsWith("cli/")).map((i) => `${f} -> ${i}`));
  expect(crossings).toEqual([]);
});

test("a command module is a leaf: no other module imports cli/commands/*", () => {
  const all = [...sources("cli"), ...sources("infra")];
  const crossings = all
    .filter((f) => !f.startsWith("cli/commands/") && f !== "cli/main.ts")
    .flatMap((f) => importsOf(f).filter((i) => i.startsWith("cli/commands/")).map((i) => `${f} -> ${i}`));
  const between = sources("cli/commands").flatMap((f) => importsOf(f).filter((i) => i.startsWith("cli/commands/")).map((i) => `${f} -> ${i}`));
  expect([...crossings, ...between]).toEqual([]);
});
