// manage's own package.json: its version (--version) and the Node releases it supports (doctor's
// check of them; its engines field is their one statement). Loaded by `manage --help`: fs only.
import { readFileSync } from "node:fs";

/** package.json, found from dist/cli/ or cli/ (two levels and one below the root); null when it cannot be read. */
export function packageJson(): { version: string; engines: { node: string } } | null {
  for (const path of ["../../package.json", "../package.json"])
    try {
      return JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
    } catch {
      // try the next
    }
  return null;
}
