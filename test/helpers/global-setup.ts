// Once per `vitest run`: bundle the pulumi and az stand-ins into plain JavaScript (esbuild, ~0.1 s),
// so each of the hundreds of stand-in calls the end-to-end tests make starts with `node` alone
// instead of compiling TypeScript through tsx first (0.24 s -> ~0.05 s a call). Their bin/ scripts
// run the bundle when it exists and fall back to tsx otherwise (a stand-in run by hand). Then the
// first deployment of each stack, which most end-to-end tests start from (test/helpers/project.ts),
// with the stand-in's evaluator running beside the tests (test/fake-pulumi/evaluator.ts).
import { build, type Plugin } from "esbuild";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./program.js";
import { buildPreparedStacks } from "./project.js";

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
  for (const tool of ["fake-pulumi", "fake-az"])
    await build({
      entryPoints: [join(ROOT, "test", tool, "main.ts"), ...(tool === "fake-pulumi" ? [join(ROOT, "test", tool, "evaluator.ts")] : [])],
      outdir: join(ROOT, "test", tool, ".build"),
      outExtension: { ".js": ".mjs" },
      bundle: true,
      // Dynamic imports stay separate chunks, loaded only by the commands that need them (the
      // program evaluation pulls in @pulumi/pulumi, ~0.5 s).
      splitting: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // node_modules stay where they are (the program and the stand-in must share one @pulumi/pulumi),
      // except yaml, the stand-in's own parser, which every call loads: from node_modules it is ~70
      // CommonJS files behind the ESM interop (~50 ms of a ~100 ms `pulumi stack select`); bundled,
      // it is part of one file.
      plugins: [externalExcept(["yaml"])],
      // yaml is CommonJS and require()s node's modules: ESM output needs a require to give it.
      banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' },
      sourcemap: "linked",
      logLevel: "error",
    });
  const evaluator = await startEvaluator();
  // Every end-to-end test starts from a stack after its first deployment: deployed once here.
  await buildPreparedStacks();
  return async () => {
    evaluator.kill("SIGTERM");
    await once(evaluator, "exit");
  };
}

/**
 * The stand-in's evaluator (test/fake-pulumi/evaluator.ts), kept warm for the whole run: a memo miss
 * is answered without loading @pulumi/pulumi again in a fresh process. Every stand-in started for
 * this run finds it through FAKE_PULUMI_EVALUATOR (manageEnv passes it on).
 */
async function startEvaluator(): Promise<ChildProcess> {
  const socket = join(tmpdir(), `fake-pulumi-evaluator-${process.pid}.sock`);
  const child = spawn(process.execPath, [join(ROOT, "test", "fake-pulumi", ".build", "evaluator.mjs"), socket], { stdio: ["ignore", "pipe", "ignore"] });
  const [line] = (await Promise.race([once(child.stdout!, "data"), once(child, "exit").then(() => [undefined])])) as [Buffer | undefined];
  if (String(line ?? "").trim() !== "ready") throw new Error("the stand-in's evaluator did not start");
  process.env.FAKE_PULUMI_EVALUATOR = socket;
  return child;
}
