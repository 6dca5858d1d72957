// The stand-ins' bundle is rewritten in a checkout another test run may be using (a file run by hand
// beside the suite): at no moment may the entry on disk import a chunk that is not there yet.
import { build } from "esbuild";
import * as fs from "node:fs";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";

/** After each rename keepBundle makes: the relative imports of the entry on disk that are missing. */
const missing: string[][] = [];
let watched: string | undefined;
vi.mock("node:fs", async (original) => {
  const real = await original<typeof import("node:fs")>();
  return {
    ...real,
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      real.renameSync(from, to);
      if (!watched || !real.existsSync(join(watched, "main.mjs"))) return;
      const text = real.readFileSync(join(watched, "main.mjs"), "utf8");
      const imports = [...text.matchAll(/(?:from\s*|import\s*\(?\s*)"(\.\/[^"]+)"/g)].map((m) => m[1]!);
      missing.push(imports.filter((i) => !real.existsSync(join(watched!, i))));
    },
  };
});

const { keepBundle, SPLIT_BUNDLE } = await import("../helpers/keep-bundle.js");

/** A stand-in-like bundle, built the way the global setup builds it (split, so a chunk is content-named). */
async function bundle(src: string, outdir: string, shared: string) {
  writeFileSync(join(src, "shared.ts"), `export const version = ${JSON.stringify(shared)};`);
  const { outputFiles } = await build({ ...SPLIT_BUNDLE, entryPoints: [join(src, "main.ts")], outdir });
  return outputFiles;
}

afterEach(() => {
  watched = undefined;
  missing.length = 0;
});

describe("the stand-ins' bundle, rewritten beside another run", () => {
  test("a changed bundle never leaves an entry on disk whose chunks are not there yet", async () => {
    const src = mkdtempSync(join(tmpdir(), "keep-bundle-src-"));
    const outdir = join(src, ".build");
    writeFileSync(join(src, "main.ts"), `export const run = async () => (await import("./shared.js")).version;\nconst other = await import("./other.js");\nconsole.log(other);`);
    writeFileSync(join(src, "other.ts"), `export { version } from "./shared.js";`);
    keepBundle(outdir, await bundle(src, outdir, "one"));
    const second = await bundle(src, outdir, "two");
    watched = outdir;
    keepBundle(outdir, second);
    // The new bundle is all there, and no rename left the entry importing a missing chunk.
    expect(readFileSync(join(outdir, "main.mjs"), "utf8")).toBe(second.find((f) => f.path.endsWith("main.mjs"))!.text);
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.flat()).toEqual([]);
  });
});
