// Once per `vitest run`: bundle the pulumi and az stand-ins into plain JavaScript (esbuild, ~0.1 s),
// so each of the hundreds of stand-in calls the end-to-end tests make starts with `node` alone
// instead of compiling TypeScript through tsx first (0.24 s -> ~0.05 s a call). Their bin/ scripts
// run the bundle when it exists and fall back to tsx otherwise (a stand-in run by hand). Then the
// first deployment of each stack, which most end-to-end tests start from (test/helpers/project.ts).
import { build } from "esbuild";
import { join } from "node:path";
import { ROOT } from "./program.js";
import { buildPreparedStacks } from "./project.js";

export async function setup(): Promise<void> {
  for (const tool of ["fake-pulumi", "fake-az"])
    await build({
      entryPoints: [join(ROOT, "test", tool, "main.ts")],
      outdir: join(ROOT, "test", tool, ".build"),
      outExtension: { ".js": ".mjs" },
      bundle: true,
      // Dynamic imports stay separate chunks, loaded only by the commands that need them (the
      // program evaluation pulls in @pulumi/pulumi, ~0.5 s).
      splitting: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // node_modules stay where they are: the program and the stand-in must share one @pulumi/pulumi.
      packages: "external",
      sourcemap: "linked",
      logLevel: "error",
    });
  // Every end-to-end test starts from a stack after its first deployment: deployed once here.
  await buildPreparedStacks();
}
