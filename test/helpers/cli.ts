// What tests assert about a refused command; everything else lives in ./project.ts.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { manage, snapshot } from "./project.js";

export * from "./project.js";

/**
 * Bad input: one clear message, exit 2, and nothing touched: stack files byte for byte, and no state
 * backend created (so pulumi was never run).
 */
export async function expectRefusal(project: string, args: string[], message: RegExp): Promise<void> {
  const files = snapshot(project);
  const r = await manage(args, { project });
  expect(r.stderr).toMatch(message);
  expect(r.exitCode).toBe(2);
  expect(snapshot(project)).toEqual(files);
  expect(existsSync(join(project, ".pulumi-state"))).toBe(false);
}
