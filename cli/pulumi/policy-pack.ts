// The policy pack manage passes to every preview and update, and what Pulumi needs to load it. Real
// pulumi starts a Node pack with @pulumi/pulumi's cmd/run-policy-pack, run in the pack's folder,
// which require()s that folder: package.json's `main` (or index.js) must exist, and @pulumi/policy
// and @pulumi/pulumi must resolve from there (pulumi/pulumi v3.230 analyzer_plugin.go
// NewPolicyAnalyzer, sdk/nodejs/cmd/run-policy-pack/run.ts; the `pulumi-analyzer-policy` shim).

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";

/** The pack's folder (a package: its package.json names the compiled pack). */
export const policyPackDir = (projectDir: string) => join(projectDir, "infra", "policy-pack");
/**
 * Its committed config (docs/ci.md, "The policy pack"): the reviewed exceptions, e.g. the dev stack
 * in backend-caller-restricted's openAccessStacks. The workflows pass the same file.
 */
export const policyPackConfigPath = (projectDir: string) => join(policyPackDir(projectDir), "config.json");
/** Both, as every preview and update takes them. */
export const policyOptions = (projectDir: string) => ({ policyPack: policyPackDir(projectDir), policyPackConfig: policyPackConfigPath(projectDir) });

/** Why Pulumi could not load the pack, or null when everything it needs is there. */
export function policyPackProblem(projectDir: string): string | null {
  const dir = policyPackDir(projectDir);
  const shown = relative(projectDir, dir);
  if (!existsSync(join(dir, "PulumiPolicy.yaml"))) return `${shown}/PulumiPolicy.yaml is missing`;
  let main = "index.js";
  try {
    main = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { main?: string }).main ?? main;
  } catch {
    if (!existsSync(join(dir, "index.js"))) return `${shown} has no package.json (nor index.js): Pulumi require()s the folder`;
  }
  if (!existsSync(resolve(dir, main))) return `${shown}'s code ${relative(projectDir, resolve(dir, main))} is not built`;
  const from = createRequire(join(dir, "index.js"));
  for (const module of ["@pulumi/policy", "@pulumi/pulumi/cmd/run-policy-pack"])
    try {
      from.resolve(module);
    } catch {
      return `${module} does not resolve from ${shown} (dependencies not installed)`;
    }
  return null;
}
