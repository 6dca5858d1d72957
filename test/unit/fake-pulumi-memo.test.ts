// The pulumi stand-in's memo (test/fake-pulumi/memo.ts) keeps answers across test runs, keyed by
// the code that computed them: run in a test worker, from its sources, the key must still change
// with the code outside its folder that the bundle holds (cli/offline's Azure mocks).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, test } from "vitest";
import { ROOT } from "../helpers/program.js";

test("in a test worker, an edit to the code the stand-in's bundle holds keys new answers instead of serving the old ones", async () => {
  // A copy of the stand-in's memo, run from its sources as a worker runs it, beside a bundle.
  const dir = mkdtempSync(join(tmpdir(), "memo-code-"));
  for (const f of ["memo.ts", "invocation.ts"]) copyFileSync(join(ROOT, "test", "fake-pulumi", f), join(dir, f));
  mkdirSync(join(dir, ".build"));
  const bundle = join(dir, ".build", "main.mjs");
  const kind = `probe-${randomUUID()}`;
  const ask = async (version: string, answer: string) => {
    writeFileSync(bundle, `// the bundle with cli/offline/azure-mocks.ts ${version}\n`);
    const { memo } = (await import(`${pathToFileURL(join(dir, "memo.ts")).href}?${version}`)) as typeof import("../fake-pulumi/memo.js");
    return memo(kind, { question: "the same" }, async () => answer);
  };
  try {
    expect(await ask("v1", "from v1")).toBe("from v1");
    expect(await ask("v1", "not computed")).toBe("from v1");
    // The mocks changed (the global setup rebuilds the bundle each run): the same question is asked anew.
    expect(await ask("v2", "from v2")).toBe("from v2");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    const memos = join(tmpdir(), "fake-pulumi-memo");
    for (const f of readdirSync(memos).filter((f) => f.startsWith(kind))) rmSync(join(memos, f), { force: true });
  }
});
