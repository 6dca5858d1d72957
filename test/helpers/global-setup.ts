// Once per `vitest run`: bundle the pulumi and az stand-ins into plain JavaScript (esbuild, ~0.1 s),
// so each of the hundreds of stand-in calls the end-to-end tests make starts with `node` alone
// instead of compiling TypeScript through tsx first (0.24 s -> ~0.05 s a call). Their bin/ scripts
// run the bundle when it exists and fall back to tsx otherwise (a stand-in run by hand). Then the
// first deployment of each stack, which most end-to-end tests start from (test/helpers/project.ts).
import { build, type Plugin } from "esbuild";
import { builtinModules } from "node:module";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startWarmPack } from "../fake-pulumi/analyzer-host.js";
import { startWarmProgram } from "../fake-pulumi/language-host.js";
import { ROOT } from "./program.js";
import { keepBundle, SPLIT_BUNDLE } from "./keep-bundle.js";
import { buildPreparedStacks, projectsRoot } from "./project.js";
import { TEST_WORKERS } from "./workers.js";

/** Every package import is left to node_modules at run time, except these, bundled. */
function externalExcept(bundled: string[]): Plugin {
  return {
    name: "external-except",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        const name = args.path.startsWith("@") ? args.path.split("/").slice(0, 2).join("/") : args.path.split("/")[0]!;
        // Node's own modules are left to esbuild (platform: "node" keeps them external its own way).
        if (bundled.includes(name) || name.startsWith("node:") || builtinModules.includes(name)) return undefined;
        return { path: args.path, external: true };
      });
    },
  };
}

export async function setup(): Promise<() => Promise<void>> {
  for (const tool of ["fake-pulumi", "fake-az"]) {
    const outdir = join(ROOT, "test", tool, ".build");
    const { outputFiles } = await build({
      ...SPLIT_BUNDLE,
      entryPoints: [join(ROOT, "test", tool, "main.ts")],
      outdir,
      target: "node20",
      // node_modules stay where they are (the program and the stand-in must share one @pulumi/pulumi),
      // except yaml, the stand-in's own parser, which every call loads: from node_modules it is ~70
      // CommonJS files behind the ESM interop (~50 ms of a ~100 ms `pulumi stack select`); bundled,
      // it is part of one file.
      plugins: [externalExcept(["yaml"])],
      // yaml is CommonJS and require()s node's modules: ESM output needs a require to give it.
      banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' },
    });
    keepBundle(outdir, outputFiles);
  }
  // Every end-to-end test starts from a stack after its first deployment: deployed once here.
  // The committed policy pack, started once through Pulumi's run-policy-pack for the whole run
  // (test/fake-pulumi/analyzer-host.ts, "the test run's warm pack"); stand-ins find it through the
  // environment (manageEnv passes it on).
  const pack = join(ROOT, "infra", "policy-pack");
  const warm = await startWarmPack(pack, JSON.parse(readFileSync(join(pack, "config.json"), "utf8")) as Record<string, unknown>);
  // The project's program, kept warm the same way (test/fake-pulumi/program-server.mjs), a server per
  // test worker (vitest.config.ts maxWorkers), as each runs one program at a time.
  const program = await startWarmProgram(ROOT, "dist/infra/index.js", TEST_WORKERS);
  // Every test project of this run in one folder (makeProject), removed when the run ends.
  const projects = mkdtempSync(join(projectsRoot(), "manage-test-run-"));
  Object.assign(process.env, warm.env, program.env, { MANAGE_TEST_PROJECTS: projects });
  await buildPreparedStacks();
  return async () => {
    await Promise.all([warm.stop(), program.stop()]);
    rmSync(projects, { recursive: true, force: true });
  };
}
