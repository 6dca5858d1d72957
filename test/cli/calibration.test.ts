// The planner's measured inputs end to end: what smoke and load-test record in the stack's run log in
// the normal workflow (scale, then measure), and what capacity makes of it.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { deployed, devStackOnExecServer, makeProject, manageDecision } from "../helpers/cli.js";
import type { ExecServer } from "../exec-server/server.js";

let exec: ExecServer;
let project: string;
let env: Record<string, string>;
beforeAll(async () => ({ exec, project, env } = await devStackOnExecServer()));
afterAll(() => exec.close());

test("scale to testing, then load-test: the record holds the ready sessions in effect, and capacity plans with the measured cold start", async () => {
  // The stand-in's first execution waits this long: the cold start the load test's first runs meet
  // (--no-wait: the readiness gate's own execution would take it first).
  exec.coldStartMs = 4_000;
  expect((await manageDecision(["scale", "--no-wait", "--profile", "testing", "--yes"], { project, env })).exitCode).toBe(0);
  const load = await manageDecision(["load-test", "--stack", "dev", "--users", "15", "--rate", "4", "--duration", "12s", "--mix", "python:100"], { project, env });
  expect(load.exitCode).toBe(0);
  const records = readFileSync(join(project, ".manage", "runs", "dev.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  // testing keeps 1 ready session (the stack file's resting profile, idle, keeps none: not what ran).
  expect(records.at(-1).measured).toMatchObject({ firstRuns: 15, readySessions: 1, newSessions: true });
  const c = JSON.parse((await manageDecision(["capacity", "--stack", "dev", "--profile", "testing", "--json"], { project, env })).stdout);
  expect(c.inputs.coldStartSeconds.source).toBe("measured");
  expect(c.inputs.coldStartSeconds.by).toMatch(/^load-test .*, 15 first runs \(1 ready\)$/);
  // The slowest first run less the warm median: most of the stand-in's 4 s (the runs themselves slow down on a busy machine).
  expect(c.inputs.coldStartSeconds.value).toBeGreaterThanOrEqual(2);
  expect(c.inputs.coldStartSeconds.value).toBeLessThan(8);
  const human = await manageDecision(["capacity", "--stack", "dev", "--profile", "testing"], { project, env });
  expect(human.stdout).toMatch(/inputs: cold start [\d.]+ s \(measured: load-test /);
  // testing's numbers are fixed: --apply records its max and ready, not the measurements.
  expect(human.stdout).toContain("the testing profile's numbers are fixed: --apply records this plan's max and ready as its overrides, not the measurements");
  expect(human.stdout).not.toContain("--apply records these measurements there");
});

test("schedule says what it cannot use in the run log it reads for a contest window's sizing note, as capacity does", async () => {
  const project = makeProject();
  await deployed(project, "dev after up");
  mkdirSync(join(project, ".manage", "runs"), { recursive: true });
  writeFileSync(join(project, ".manage", "runs", "dev.ndjson"), '{"v":1,"stack":"de\n');
  const r = await manageDecision(["schedule", "--profile", "contest", "--at", "2026-11-24T09:00:00Z", "--for", "1h"], { project });
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stderr).toContain("warning: .manage/runs/dev.ndjson:1: not JSON: not planned with. Fix: delete that line from .manage/runs/dev.ndjson");
  expect(r.stdout).toContain("The contest profile is sized with a cold start of");
});
