// Every change loads the Automation API; manage defers the two modules of Pulumi's runtime that only
// inline programs use (cli/pulumi/deferred-modules.ts). Each case runs in a fresh node, whose module
// cache starts empty (this worker's may hold TypeScript already).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT } from "../helpers/program.js";

/** Runs an ES module script in a fresh node from the project root; returns what it printed as JSON. */
function fresh(script: string): Record<string, unknown> {
  const prelude = `
    import { createRequire } from "node:module";
    const require = createRequire(${JSON.stringify(join(ROOT, "package.json"))});
    const { types } = await import("node:util");
    // In require's cache as the real module (a deferred one is a proxy until its first use).
    const loaded = (part) => Object.entries(require.cache).some(([path, m]) => path.includes(part) && !types.isProxy(m.exports));
    const { deferInlineProgramModules } = await import(${JSON.stringify(join(ROOT, "dist", "cli", "pulumi", "deferred-modules.js"))});
  `;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", prelude + script], { cwd: ROOT, encoding: "utf8" })) as Record<string, unknown>;
}

describe("loading Pulumi (every scale, stop, start, up, keys and plan)", () => {
  test("loads neither TypeScript nor arborist, which only inline programs use", () => {
    const r = fresh(`
      deferInlineProgramModules();
      const automation = await import("@pulumi/pulumi/automation/index.js");
      console.log(JSON.stringify({
        api: typeof automation.LocalWorkspace.create,
        typescript: loaded("node_modules/typescript/lib/typescript.js"),
        arborist: loaded("node_modules/@npmcli/arborist/lib/index.js"),
      }));`);
    expect(r).toEqual({ api: "function", typescript: false, arborist: false });
  });

  test("without the deferral, the same import loads both (what the deferral saves)", () => {
    const r = fresh(`
      await import("@pulumi/pulumi/automation/index.js");
      console.log(JSON.stringify({ typescript: loaded("node_modules/typescript/lib/typescript.js"), arborist: loaded("node_modules/@npmcli/arborist/lib/index.js") }));`);
    expect(r).toEqual({ typescript: true, arborist: true });
  });

  test("neither does evaluating the program under mocks (manage plan, the stand-in's preview)", () => {
    const r = fresh(`
      const { simulate } = await import(${JSON.stringify(join(ROOT, "dist", "cli", "offline", "simulate.js"))});
      const { readStackConfig } = await import(${JSON.stringify(join(ROOT, "dist", "cli", "stack-files.js"))});
      const { resources } = await simulate({ project: "coding-engine", stack: "contest", config: { ...readStackConfig(${JSON.stringify(ROOT)}, "contest"), profile: "contest" } });
      console.log(JSON.stringify({
        pool: resources.some((x) => x.type === "azure-native:app:ContainerAppsSessionPool"),
        typescript: loaded("node_modules/typescript/lib/typescript.js"),
        arborist: loaded("node_modules/@npmcli/arborist/lib/index.js"),
      }));`);
    expect(r).toEqual({ pool: true, typescript: false, arborist: false });
  });

  test("a deferred module still works at its first use: Pulumi serializes a closure (TypeScript) and arborist reads a tree", () => {
    const r = fresh(`
      deferInlineProgramModules();
      await import("@pulumi/pulumi/automation/index.js");
      const pulumi = require("@pulumi/pulumi");
      const closure = await pulumi.runtime.serializeFunction(() => 6 * 7);
      const { Arborist } = require(require.resolve("@npmcli/arborist", { paths: [require.resolve("@pulumi/pulumi")] }));
      console.log(JSON.stringify({
        closure: closure.text.includes("6 * 7"),
        arborist: typeof new Arborist({ path: ${JSON.stringify(ROOT)} }).loadActual,
        typescript: loaded("node_modules/typescript/lib/typescript.js"),
      }));`);
    expect(r).toEqual({ closure: true, arborist: "function", typescript: true });
  });
});
