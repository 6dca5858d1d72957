// The README's examples of the commands that read a deployed stack (status, watch, spend, report),
// run code on one (smoke, load-test) or change one (scale, stop, schedule, reconcile) are their output
// against the stand-ins the end-to-end tests use, from fixed inputs, so a test fails when a command's
// output and the README part ways:
// - the contest stack as `manage scale --profile contest --for 3h` left it at 2026-12-05 08:30 UTC
//   (the global setup's template, through the stand-in pulumi);
// - the local ARM server (test/arm-server) holding that deployment, with a scripted contest in
//   Azure Monitor (the opening burst at 09:00 used up the ready sessions) and a scripted bill in Cost
//   Management (the pool billed 40% over the model: a run past its window);
// - a recorded run log (a smoke run before the contest, the opening load test);
// - the local backend that really runs code (test/exec-server), over HTTPS as in Azure, for smoke and
//   load-test, and as the dev stack's backend for the change commands (scale, stop);
// - the clock (MANAGE_NOW, and the metrics server's own) and the reader's zone (TZ) fixed.
// One setup for every block. What a run measures (latencies, how long a change took) is the only
// part compared loosely (see `measured`).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployed, makeProject, manage, readState } from "../helpers/cli.js";
import { ARM_TOKEN, seedFromState, startArmServer, type ArmServer } from "../arm-server/server.js";
import { startExecServer, type ExecServer } from "../exec-server/server.js";
import { parseSettings, PROJECT } from "../../infra/config.js";
import { readStackConfig } from "../../cli/stack-files.js";
import { ROOT } from "../helpers/program.js";
import { CONTEST_DAY_RUNS } from "../helpers/run-records.js";
import { checkExample, exampleBlock, type Shown } from "./readme-blocks.js";

/** During the contest's opening burst: what status and watch show. */
const DURING = "2026-12-05T09:04:00Z";
/** The day after: what spend and report show (Cost Management has the whole day by then). */
const AFTER = "2026-12-06T12:00:00Z";
/** The reader's zone, so "local" times are the same wherever the test runs. */
const TZ = "Europe/Berlin";

let project: string;
let arm: ArmServer;
let exec: ExecServer;
let poolId: string;
let appId: string;

const settings = parseSettings(readStackConfig(ROOT, "contest"), "contest", PROJECT);

// ---- the contest, minute by minute -----------------------------------------------------------

const minute = (iso: string) => Date.parse(iso) / 60_000;
const FIRST = minute("2026-12-05T08:00:00Z");
/** One value a minute from 08:00 to `now` (the monitor stand-in's last value is its current minute). */
const timeline = (now: string, f: (hhmm: string) => number | null) =>
  Array.from({ length: minute(now) - FIRST + 1 }, (_, i) => {
    const at = new Date((FIRST + i) * 60_000).toISOString();
    // After the contest's day, nothing runs.
    return at.startsWith("2026-12-05") ? f(at.slice(11, 16)) : null;
  });
const running = (t: string) => t >= "08:30" && t < "11:30";

/**
 * Warm-up from 08:30 (52 ready, nothing running), the opening burst at 09:00 (sessions waiting to
 * be created, the ready ones used up, cold-start 502s, a few 404s), then 180 running until 11:00;
 * the pool goes at 11:30.
 */
function scriptContest(now: string) {
  arm.metrics.now = () => Date.parse(now);
  arm.metrics.scripts.clear();
  const pool = {
    PoolExecutingPodCount: timeline(now, (t) => (!running(t) ? null : t < "09:00" ? 0 : t < "09:03" ? 190 : t < "11:00" ? 180 : 0)),
    PoolPendingPodCount: timeline(now, (t) => (!running(t) ? null : t >= "09:00" && t < "09:05" ? [2, 5, 6, 4, 3][minute(`2026-12-05T${t}:00Z`) - minute("2026-12-05T09:00:00Z")]! : 0)),
    PoolReadyPodCount: timeline(now, (t) => (!running(t) ? null : t < "09:00" ? 52 : t < "09:06" ? 0 : 24)),
  };
  for (const [name, values] of Object.entries(pool)) arm.metrics.script(poolId, name, values);
  arm.metrics.script(appId, "Replicas", timeline(now, (t) => (!running(t) ? 0 : t < "09:00" ? 1 : 10)));
  arm.metrics.script(appId, "Requests", {
    "200": timeline(now, (t) => (!running(t) ? 0 : t < "09:00" ? 5 : t < "11:00" ? 900 : 2)),
    "502": timeline(now, (t) => (t >= "09:01" && t < "09:05" ? [1, 3, 6, 9][minute(`2026-12-05T${t}:00Z`) - minute("2026-12-05T09:01:00Z")]! : 0)),
    "404": timeline(now, (t) => (t >= "09:01" && t < "09:05" ? [0, 2, 4, 8][minute(`2026-12-05T${t}:00Z`) - minute("2026-12-05T09:01:00Z")]! : 0)),
  });
}

// ---- the bill, as Cost Management keeps it ---------------------------------------------------

/** 2026-12-05, by resource and meter: the day the pool ran, the pool 40% over its model (it scaled out under load). */
function scriptBill(sub: string) {
  const rg = `/subscriptions/${sub}/resourceGroups/${settings.names.resourceGroup}/providers`;
  const pool = `${rg}/Microsoft.App/sessionPools/${settings.names.sessionPool}`;
  const day = "2026-12-05";
  arm.costs.rows.splice(
    0,
    Infinity,
    { date: day, resourceId: pool, meter: "Dedicated vCPU Usage", cost: 9.4 },
    { date: day, resourceId: pool, meter: "Dedicated Memory Usage", cost: 3.77 },
    { date: day, resourceId: pool, meter: "Dedicated Plan Management", cost: 0.3 },
    { date: day, resourceId: `${rg}/Microsoft.App/containerApps/${settings.names.backendApp}`, meter: "Standard vCPU Idle Usage", cost: 0.05 },
    { date: day, resourceId: `${rg}/Microsoft.ContainerRegistry/registries/${settings.names.registry}`, meter: "Basic Registry Unit", cost: 0.17 },
    { date: day, resourceId: `${rg}/Microsoft.OperationalInsights/workspaces/${settings.names.workspace}`, meter: "Analytics Logs Data Ingestion", cost: 0.01 },
    { date: day, resourceId: `${rg}/Microsoft.ApiManagement/service/${settings.names.gateway}`, meter: "Basic Units", cost: 0.6 },
  );
}

// ---- the runs recorded on this machine -------------------------------------------------------

const RUNS = [CONTEST_DAY_RUNS.smoke, CONTEST_DAY_RUNS.openingLoad];

beforeAll(async () => {
  const starting = Promise.all([startArmServer(), startExecServer({ tls: true })]);
  project = makeProject();
  await deployed(project, "contest scaled to contest for 3h");
  [arm, exec] = await starting;
  const state = readState(project, "contest");
  seedFromState(arm, state, { nodeCount: 9, runningReplicas: 10 });
  poolId = [...arm.resources.keys()].find((k) => k.endsWith(`/sessionpools/${settings.names.sessionPool}`))!;
  appId = [...arm.resources.keys()].find((k) => k.endsWith(`/containerapps/${settings.names.backendApp}`))!;
  // Created when the scale ran: what watch counts the window's spending from.
  arm.resources.get(poolId)!.systemData = { createdAt: "2026-12-05T08:30:00Z" };
  const root = state.find((r) => r.type === "pulumi:pulumi:Stack")!;
  // Who asked for the operation: the global setup recorded this machine's user@host; the README's
  // example names a person instead (the state is an input here, as report.test.ts writes a window).
  const file = join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "contest.json");
  writeFileSync(file, readFileSync(file, "utf8").replaceAll(JSON.stringify(root.outputs.operations.by), JSON.stringify("alice@laptop")));
  scriptBill(/^\/subscriptions\/([^/]+)\//.exec(root.outputs.identityId as string)![1]!);
  mkdirSync(join(project, ".manage", "runs"), { recursive: true });
  writeFileSync(join(project, ".manage", "runs", "contest.ndjson"), RUNS.map((r) => JSON.stringify(r)).join("\n") + "\n");
});
afterAll(async () => {
  await arm?.close();
  await exec?.close();
});

const azure = (now: string) => ({ MANAGE_ARM_ENDPOINT: arm.url, MANAGE_ARM_TOKEN: ARM_TOKEN, NODE_EXTRA_CA_CERTS: arm.caFile, MANAGE_NOW: now, TZ });

/** Runs `args` (shown as `manage <shown>`), expecting `exitCode`; its stdout with the project's path as <project>. */
async function shown(args: string[], env: Record<string, string>, exitCode = 0, as = args.join(" ")): Promise<Shown> {
  const r = await manage(args, { project, env });
  expect(r.exitCode, `manage ${as}: ${r.stderr}`).toBe(exitCode);
  return { shown: `manage ${as}`, text: r.stdout.replaceAll(project, "<project>") };
}

/**
 * What a run measures, loosely: latencies, durations and throughput differ from run to run (and with
 * them the width of a table's columns), so they are compared as "<t>" and "<rate>", and tables by
 * their cells.
 */
const measured = (s: string) =>
  s
    .replace(/(\d+ h )?(\d+ min )?\d+(\.\d+)? (ms|s)\b/g, "<t>")
    .replace(/\d+\.\d+ successful executions\/s/g, "<rate> successful executions/s")
    .replace(/[─┌┐└┘┬┴┼├┤]+/g, "")
    .replace(/ {2,}/g, " ");

describe("the README's examples against the stand-ins", () => {
  test("status and watch during the opening burst", async () => {
    scriptContest(DURING);
    checkExample("status", exampleBlock("status", [await shown(["status", "--stack", "contest"], azure(DURING))]));
    checkExample("watch", exampleBlock("watch", [await shown(["watch", "--stack", "contest", "--once"], azure(DURING))]));
  });

  test("spend and report the day after", async () => {
    scriptContest(AFTER);
    checkExample("spend", exampleBlock("spend", [await shown(["spend", "--stack", "contest", "--from", "2026-12-05", "--to", "2026-12-06"], azure(AFTER))]));
    checkExample(
      "report",
      exampleBlock("report", [await shown(["report", "--stack", "contest", "--from", "2026-12-05T08:30Z", "--to", "2026-12-05T11:30Z"], azure(AFTER))]),
    );
  });

  test("smoke and load-test against a backend that runs code", async () => {
    const env = { TZ, NODE_EXTRA_CA_CERTS: exec.caFile! };
    const backend = (s: Shown): Shown => ({ shown: s.shown.replaceAll(exec.url, "<backend>"), text: s.text.replaceAll(exec.url, "<backend>") });
    const smoke = backend(await shown(["smoke", "--endpoint", exec.url], env));
    const load = backend(await shown(["load-test", "--endpoint", exec.url, "--users", "12", "--duration", "4s", "--mix", "python:70,js:30"], env));
    checkExample("checks", exampleBlock("checks", [smoke, load]), measured);
  });

  // The dev stack after `manage up` (the global setup's), its backend the local one that runs code:
  // changed by the next two tests in turn.
  const dev = { project: "", ready: null as Promise<void> | null };
  const devEnv = () => ({ FAKE_PULUMI_BACKEND_FQDN: new URL(exec.url).host, NODE_EXTRA_CA_CERTS: exec.caFile!, MANAGE_NOW: "2026-12-05T08:30:00Z", TZ });
  /** A change on the dev stack as the README shows it: stdout, and a refusal's own line from stderr (not the rehearsal clock's warning, MANAGE_NOW's). */
  const change = async (args: string[], exitCode: number, note = "", now = devEnv().MANAGE_NOW): Promise<Shown> => {
    dev.ready ??= (async () => {
      dev.project = makeProject();
      await deployed(dev.project, "dev after up");
    })();
    await dev.ready;
    const r = await manage(args, { project: dev.project, env: { ...devEnv(), MANAGE_NOW: now } });
    expect(r.exitCode, r.stderr).toBe(exitCode);
    const refusal = r.stderr.split("\n").filter((l) => l.startsWith("manage: "));
    const text = [r.stdout.trimEnd(), ...refusal].join("\n").replaceAll(exec.url, "https://<backend>");
    return { shown: `manage ${args.join(" ")}${note}`, text, ...(exitCode ? { after: `(exit ${exitCode})` } : {}) };
  };

  test("scale and stop: a change, the wait until code runs, a refusal without a terminal", async () => {
    const parts = [
      await change(["scale", "--stack", "dev", "--profile", "testing", "--for", "3h"], 0),
      await change(["stop", "--stack", "dev"], 2, "            # no terminal attached (a script, CI)"),
      await change(["stop", "--stack", "dev", "--yes"], 0),
    ];
    checkExample("changes", exampleBlock("changes", parts), measured);
  });

  // The scheduled job's start is a change, the readiness gate and a whole smoke run: as long as
  // schedule.test.ts's, whose time limit it takes.
  test("schedule and reconcile: a window recorded, then started by the scheduled job in its warm-up", async () => {
    const window = [
      await change(["schedule", "--stack", "dev", "--profile", "contest", "--at", "2026-12-05T12:00+01:00", "--for", "3h", "--users", "220"], 0),
      await change(["reconcile", "--stack", "dev"], 0, "      # at 10:31 UTC, in the scheduled job", "2026-12-05T10:31:00Z"),
    ];
    checkExample("schedule", exampleBlock("schedule", window), measured);
  });
});
