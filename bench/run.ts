// `npm run bench`: speed targets as ratios to a bare `node -e 0` measured in the same run, so
// the numbers mean the same on a fast laptop and a loaded CI runner. Prints; never fails a build.
//   manage --help, status/doctor/smoke --help <= 2x node  (no Pulumi / Azure SDK on that path)
//   manage cost-estimate, manage capacity    <= 3x node
//   manage plan                              < 2 s        (evaluates the real program)
//   manage capacity --simulate (200, 2 h)    < 2 s        (200 contests' openings, one whole contest, its SVG chart)
//   program evaluation under mocks           < 1.5 s      (in-process, first and warm)
//   @pulumi/azure-native submodule import    vs the whole package
//   manage watch --once                      < 1.5 s      (a deployed contest stack, the local ARM server with metrics)
//   Automation API load, deferred            <= 0.6x eager (cli/pulumi/deferred-modules.ts: every change pays it)

import { spawnSync } from "node:child_process";
import { mkdtempSync, copyFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const ROOT = resolve(import.meta.dirname, "..");
const MANAGE = join(ROOT, "dist/cli/main.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

// A scratch copy of the project files, so nothing the benchmark runs can touch the real ones.
const project = mkdtempSync(join(tmpdir(), "bench-project-"));
for (const f of readdirSync(ROOT).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f))) copyFileSync(join(ROOT, f), join(project, f));
const env = { ...process.env, MANAGE_PROJECT_DIR: project, NO_COLOR: "1" };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall time in ms of running a command RUNS times (after one warm-up run). */
function wall(args: string[], cwd = ROOT): number {
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    const elapsed = performance.now() - t0;
    if (r.status !== 0 && r.status !== null && !args.includes("--help"))
      throw new Error(`benchmark command failed (${r.status}): node ${args.join(" ")}\n${r.stderr}`);
    if (i > 0) times.push(elapsed);
  }
  return median(times);
}

type Row = { what: string; ms: number; target: string; ok: boolean };
const rows: Row[] = [];
const node = wall(["-e", "0"]);
rows.push({ what: "node -e 0 (baseline)", ms: node, target: "", ok: true });

const ratio = (what: string, args: string[], max: number) => {
  const ms = wall([MANAGE, ...args]);
  rows.push({ what, ms, target: `${(ms / node).toFixed(2)}x node (target <= ${max}x)`, ok: ms / node <= max });
};
ratio("manage --help", ["--help"], 2);
// `status` arrives with the CLI issue; its help is measured as soon as the command exists.
const commands = spawnSync(process.execPath, [MANAGE, "--help"], { env, encoding: "utf8" }).stdout;
if (/^\s+status\b/m.test(commands)) ratio("manage status --help", ["status", "--help"], 2);
// The proving commands load their HTTP client, p-retry and the Azure SDKs only when they run.
ratio("manage doctor --help", ["doctor", "--help"], 2);
ratio("manage smoke --help", ["smoke", "--help"], 2);
ratio("manage watch --help", ["watch", "--help"], 2);
ratio("manage cost-estimate", ["cost-estimate"], 3);
ratio("manage capacity --users 200", ["capacity", "--users", "200"], 3);
const plan = wall([MANAGE, "plan"]);
rows.push({ what: "manage plan (real program under mocks)", ms: plan, target: "< 2000 ms", ok: plan < 2000 });
// The whole command: plan (400 sampled bursts), 200 contests' opening 10 minutes, one whole 200-person,
// 2-hour contest (~24,000 runs), both charts.
const simulate = wall([MANAGE, "capacity", "--stack", "contest", "--users", "200", "--hours", "2", "--simulate", "--chart", join(project, "simulation.svg")]);
rows.push({
  what: "manage capacity --simulate (200 users, 2 h)",
  ms: simulate,
  target: `< 2000 ms (${(simulate / node).toFixed(1)}x node)`,
  ok: simulate < 2000,
});

// manage watch --once against the local ARM server (the real SDKs, scripted metrics), on a contest
// stack deployed by the stand-in pulumi: pulumi's outputs, three ARM reads and three metrics reads.
if (!process.env.BENCH_SKIP_WATCH) {
  const { makeProject, manage, prepare, readState, FAKE_PULUMI_BIN, FAKE_AZ_BIN } = await import("../test/helpers/cli.js");
  const { ARM_TOKEN, seedFromState, startArmServer } = await import("../test/arm-server/server.js");
  const arm = await startArmServer();
  const watched = makeProject();
  await prepare(watched, "contest");
  const scaled = await manage(["scale", "--no-wait", "--stack", "contest", "--profile", "contest", "--for", "2h"], { project: watched });
  if (scaled.exitCode !== 0) throw new Error(`bench setup: scale failed: ${scaled.stderr}`);
  seedFromState(arm, readState(watched, "contest"), { nodeCount: 3, runningReplicas: 2 });
  for (const [id, r] of arm.resources)
    if (r.type === "Microsoft.App/sessionPools") {
      r.systemData = { createdAt: new Date(Date.now() - 3_600_000).toISOString() };
      for (const m of ["PoolExecutingPodCount", "PoolPendingPodCount", "PoolReadyPodCount"]) arm.metrics.script(id, m, Array(60).fill(20));
    } else if (r.type === "Microsoft.App/containerApps") {
      arm.metrics.script(id, "Replicas", Array(60).fill(2));
      arm.metrics.script(id, "Requests", { "200": Array(60).fill(900), "502": Array(60).fill(1) });
    }
  // The child runs while this process serves ARM: asynchronously, unlike wall().
  const { execa } = await import("execa");
  const watchEnv = {
    PATH: `${FAKE_PULUMI_BIN}:${FAKE_AZ_BIN}:${process.env.PATH}`,
    HOME: watched,
    PULUMI_HOME: join(watched, ".pulumi-home"),
    MANAGE_PROJECT_DIR: watched,
    MANAGE_ARM_ENDPOINT: arm.url,
    MANAGE_ARM_TOKEN: ARM_TOKEN,
    NODE_EXTRA_CA_CERTS: arm.caFile,
    NO_COLOR: "1",
  };
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    const r = await execa(process.execPath, [MANAGE, "watch", "--stack", "contest", "--once"], { cwd: watched, env: watchEnv, extendEnv: false, reject: false });
    if (r.exitCode !== 0 || !/Sessions: +20 executing/.test(String(r.stdout))) throw new Error(`bench: watch --once failed (${r.exitCode}): ${r.stderr}`);
    if (i > 0) times.push(performance.now() - t0);
  }
  await arm.close();
  const watchMs = median(times);
  rows.push({ what: "manage watch --once (local ARM + Monitor)", ms: watchMs, target: `< 1500 ms (${(watchMs / node).toFixed(1)}x node)`, ok: watchMs < 1500 });
}

// In-process: evaluating the program under mocks, first time (loads Pulumi) and warm.
const evalScript = `
  const { simulate } = await import(${JSON.stringify(join(ROOT, "dist/cli/offline/simulate.js"))});
  const { readStackConfig } = await import(${JSON.stringify(join(ROOT, "dist/cli/stack-files.js"))});
  const config = readStackConfig(${JSON.stringify(project)}, "contest");
  let t = performance.now();
  await simulate({ project: "coding-engine", stack: "contest", config: { ...config, profile: "contest" } });
  const first = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < 5; i++) await simulate({ project: "coding-engine", stack: "contest", config: { ...config, profile: "contest" } });
  console.log(JSON.stringify({ first, warm: (performance.now() - t) / 5 }));`;
const evalRun = spawnSync(process.execPath, ["--input-type=module", "-e", evalScript], { cwd: ROOT, env, encoding: "utf8" });
const { first, warm } = JSON.parse(evalRun.stdout) as { first: number; warm: number };
rows.push({ what: "program evaluation under mocks, first (incl. Pulumi load)", ms: first, target: "< 1500 ms", ok: first < 1500 });
rows.push({ what: "program evaluation under mocks, warm", ms: warm, target: "< 1500 ms", ok: warm < 1500 });

// Why the program imports submodules: the app submodule against the whole package.
const importCost = (specifier: string) => wall(["--input-type=module", "-e", `await import(${JSON.stringify(specifier)})`]);
const pulumiOnly = importCost("@pulumi/pulumi");
const sub = importCost("@pulumi/azure-native/app/index.js");
rows.push({ what: "import @pulumi/pulumi", ms: pulumiOnly, target: `+${(pulumiOnly - node).toFixed(0)} ms over node`, ok: true });
rows.push({ what: "import @pulumi/azure-native/app (submodule)", ms: sub, target: `+${(sub - pulumiOnly).toFixed(0)} ms over @pulumi/pulumi`, ok: true });
if (!process.env.BENCH_SKIP_ROOT_IMPORT) {
  const whole = importCost("@pulumi/azure-native");
  rows.push({ what: "import @pulumi/azure-native (whole package)", ms: whole, target: `+${(whole - pulumiOnly).toFixed(0)} ms over @pulumi/pulumi`, ok: true });
}

// What every change (scale, stop, start, up, keys) pays before it runs pulumi: the Automation API's
// load, with TypeScript and arborist deferred (as manage loads it) against loading them eagerly.
const automation = (defer: boolean) =>
  wall([
    "--input-type=module",
    "-e",
    `${defer ? `(await import(${JSON.stringify(join(ROOT, "dist/cli/pulumi/deferred-modules.js"))})).deferInlineProgramModules();` : ""}
     await import("@pulumi/pulumi/automation/index.js");`,
  ]);
const eager = automation(false);
const deferred = automation(true);
rows.push({ what: "Automation API load, eager", ms: eager, target: `+${(eager - node).toFixed(0)} ms over node`, ok: true });
rows.push({
  what: "Automation API load, deferred (as manage loads it)",
  ms: deferred,
  target: `${(deferred / eager).toFixed(2)}x eager (target <= 0.6x)`,
  ok: deferred / eager <= 0.6,
});

const width = Math.max(...rows.map((r) => r.what.length));
console.log(`benchmarks (median of ${RUNS} runs, wall time)`);
for (const r of rows) console.log(`${r.ok ? "  " : "! "}${r.what.padEnd(width)}  ${r.ms.toFixed(0).padStart(6)} ms  ${r.target}`);
const missed = rows.filter((r) => !r.ok);
console.log(missed.length ? `${missed.length} target(s) missed (marked !)` : "all targets met");
