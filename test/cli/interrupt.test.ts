// Ctrl-C ends with the truth, whatever the moment: while the readiness gate waits until code runs,
// while pulumi changes the stack, during smoke and a load test, and at a confirmation prompt. Each
// test waits for the line that says the phase began (never a fixed sleep), sends SIGINT (or, at a
// prompt on a terminal, the Ctrl-C key), and checks exit 130, the outcome line (what runs, its cost
// a day, what to run next) and under --json the one JSON document. The tests against the dev stack
// run in order: the first leaves it at contest, which the next two name as what runs.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { devStackOnExecServer, makeProject, MANAGE, prepare, deployed, spawnManage } from "../helpers/cli.js";
import { manageEnv } from "../helpers/project.js";
import type { ExecServer } from "../exec-server/server.js";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

type Child = ReturnType<typeof spawnManage>;

/** Resolves when `stream` of the child prints a line matching `pattern`. */
function lineOn(child: Child, stream: "stdout" | "stderr", pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    child[stream]!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) resolve();
    });
    child.on("exit", () => reject(new Error(`exited before ${pattern}: ${seen}`)));
  });
}

async function interrupt(child: Child, stream: "stdout" | "stderr", when: RegExp) {
  await lineOn(child, stream, when);
  child.kill("SIGINT");
  return child;
}

interface Document {
  interrupted: { phase: string; stack: string | null; changed: boolean | string; runs: { profile: string; perDay: number | null; expiresAt: string | null } | null; next: string[] };
  error: { message: string; fix?: string; exitCode: number; code: string };
}

describe("against the dev stack, on a backend that really runs code", () => {
  let exec: ExecServer;
  let project: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ exec, project, env } = await devStackOnExecServer());
  });
  afterAll(() => exec.close());

  test("while waiting until code runs: the change is done, contest runs at its cost with its expiry; --json: one document; exit 130", async () => {
    exec.fault(403, Number.POSITIVE_INFINITY, "Forbidden");
    try {
      const child = await interrupt(spawnManage(["scale", "--profile", "contest", "--for", "3h", "--yes", "--json"], project, env), "stderr", /Waiting until code runs/);
      const r = await child;
      expect(r.exitCode).toBe(130);
      expect(r.stderr).toMatch(/manage: interrupted while waiting until code runs: the change is done, and dev runs contest at \$[\d,.]+\/day until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(then the scheduled job returns it to idle\)/);
      expect(r.stderr).toContain("Fix: `manage doctor --stack dev` checks whether code runs; `manage stop --stack dev` returns it to idle now");
      const doc = JSON.parse(r.stdout) as Document;
      expect(doc.interrupted).toMatchObject({ phase: "waiting", stack: "dev", changed: true, runs: { profile: "contest", expiresAt: expect.stringMatching(/Z$/) } });
      expect(doc.interrupted.runs!.perDay).toBeGreaterThan(10);
      expect(doc.interrupted.next).toEqual(["manage doctor --stack dev", "manage stop --stack dev"]);
      expect(doc.error).toMatchObject({ exitCode: 130, code: "interrupted" });
    } finally {
      exec.clearFaults();
    }
  });

  test("during smoke: nothing changed, what runs and its cost; exit 130", async () => {
    const child = await interrupt(spawnManage(["smoke", "--json"], project, env), "stderr", /Smoke test of stack dev/);
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(/manage: interrupted during smoke: it changed nothing; dev runs contest at \$[\d,.]+\/day/);
    const doc = JSON.parse(r.stdout) as Document;
    expect(doc.interrupted).toMatchObject({ phase: "smoke", stack: "dev", changed: false });
    expect(doc.interrupted.runs!.perDay).toBeGreaterThan(0);
    expect(doc.interrupted.next[0]).toBe("manage smoke --stack dev");
  });

  test("during a load test: nothing changed, what runs and its cost; exit 130", async () => {
    const child = await interrupt(spawnManage(["load-test", "--users", "5", "--duration", "30s"], project, env), "stderr", /Load test of stack dev/);
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(/manage: interrupted during the load test: it changed nothing; dev runs contest at \$[\d,.]+\/day/);
    expect(r.stderr).toMatch(/Fix: `manage status --stack dev` shows what runs/);
  });
});

test.concurrent("while pulumi updates: it stops cleanly; what ran and what the change was to run, with costs; --json: one document; exit 130", async () => {
  const project = makeProject();
  await prepare(project);
  const child = await interrupt(spawnManage(["scale", "--no-wait", "--profile", "testing", "--json"], project, { FAKE_PULUMI_STEP_DELAY_MS: "1500" }), "stderr", /^  \S+ \S+ \.\.\.$/m);
  const r = await child;
  expect(r.exitCode).toBe(130);
  expect(r.stderr).toMatch(/manage: stopped at your request: pulumi canceled cleanly and the state records what it did: dev runs idle at \$[\d,.]+\/day, or part of the change to testing at \$[\d,.]+\/day/);
  const doc = JSON.parse(r.stdout) as Document & { interrupted: { wanted: { profile: string } } };
  expect(doc.interrupted).toMatchObject({ phase: "pulumi", stack: "dev", changed: "partly", runs: { profile: "idle" }, wanted: { profile: "testing" } });
  expect(doc.interrupted.next).toEqual(["manage status --stack dev", "manage stop --stack dev"]);
  expect(doc.error.exitCode).toBe(130);
});

test.concurrent("Ctrl-C at a confirmation prompt (on a terminal): nothing changed, what runs and its cost; exit 130, not a library's text", async () => {
  const project = makeProject();
  await prepare(project);
  await deployed(project, "dev scaled to testing");
  const file = join(project, "Pulumi.dev.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace("sessionExecutorScope: pool", "sessionExecutorScope: resourceGroup"));
  const before = readFileSync(file, "utf8");
  // A terminal for manage: util-linux script(1) runs it on a pseudo-terminal and forwards our input.
  const child = spawn("script", ["-qfec", `node ${MANAGE} up`, "/dev/null"], { cwd: project, env: { ...manageEnv(project, {}), TERM: "dumb" } });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  await new Promise<void>((resolve) =>
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (/Replace \(delete and recreate\) session-executor\?/.test(out)) resolve();
    }),
  );
  child.stdin.write("\x03");
  expect(await exited).toBe(130);
  expect(out).toMatch(/manage: interrupted at the prompt: nothing was changed; dev runs testing at \$[\d,.]+\/day/);
  expect(out).not.toMatch(/ExitPromptError|User force closed/);
  expect(readFileSync(file, "utf8")).toBe(before);
});
