// The stand-ins' bundle written into a checkout that another test run may be using at that moment
// (a file run by hand beside the suite): see keepBundle.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { BuildOptions } from "esbuild";

/**
 * How the stand-ins are bundled (the global setup adds their entry, target, plugins and banner), and
 * so what keepBundle writes: ES modules split into content-named chunks, kept in memory until then.
 * Dynamic imports stay separate chunks, loaded only by the commands that need them (the program
 * evaluation pulls in @pulumi/pulumi, ~0.5 s).
 */
export const SPLIT_BUNDLE = {
  write: false,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  sourcemap: "linked",
  logLevel: "error",
} as const satisfies BuildOptions;

/** What keepBundle needs of an esbuild output file. */
export interface BundleFile {
  path: string;
  contents: Uint8Array;
}

/**
 * Writes only the files of the bundle that changed, each replaced whole (a rename), and removes the
 * chunks it no longer has (they are content-named). Another run in the same checkout (a file run by
 * hand beside the suite) keeps running its stand-ins from the same unchanged files meanwhile.
 * The entry (`entry`, and its source map) is written last: esbuild lists it before the chunks it
 * imports, and a stand-in started between a new entry and its new chunks would not load.
 */
export function keepBundle(outdir: string, files: BundleFile[], entry = "main.mjs"): void {
  mkdirSync(outdir, { recursive: true });
  const isEntry = (f: BundleFile) => basename(f.path) === entry || basename(f.path) === `${entry}.map`;
  for (const f of [...files.filter((f) => !isEntry(f)), ...files.filter(isEntry)]) {
    if (existsSync(f.path) && readFileSync(f.path).equals(f.contents)) continue;
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  }
  const kept = new Set(files.map((f) => basename(f.path)));
  for (const name of readdirSync(outdir)) if (!kept.has(name) && !name.endsWith(".tmp")) rmSync(join(outdir, name), { force: true });
  // The bin scripts run tsx instead when a source is newer than the entry: it is as new as this build.
  const now = new Date();
  utimesSync(join(outdir, entry), now, now);
}
