// The offline commands end to end through the built binary: what a user sees, exit codes, and
// that refused input leaves every stack file as it was.
import { existsSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, test } from "vitest";
import { makeProject, manage, manageInProcess, snapshot, spawnManage, TEST_NOW } from "../helpers/cli.js";
import { DEFAULT_PARTICIPANTS, percentText, planCapacity } from "../../infra/capacity.js";
import { poisson, shifted, smallestWithTailAtMost } from "../../infra/distributions.js";
import { mkdirSync } from "node:fs";

let project: string;
beforeEach(() => {
  project = makeProject();
});

describe("manage --help", () => {
  test("lists the commands and exits 0", async () => {
    const r = await manageInProcess(["--help"], { project });
    expect(r.exitCode).toBe(0);
    for (const c of ["plan", "cost-estimate", "capacity"]) expect(r.stdout).toContain(c);
  });
});

describe("manage cost-estimate", () => {
  test("every profile side by side; a forgotten testing pool costs an order of magnitude more than idle", async () => {
    const r = await manageInProcess(["cost-estimate", "--json"], { project });
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.stack).toBe("dev");
    // The committed dev baseline rests idle (no silent $40/day).
    expect(out.currentProfile).toBe("idle");
    const perDay = Object.fromEntries(out.estimates.map((e: { profile: string; perDay: number }) => [e.profile, e.perDay]));
    expect(Object.keys(perDay)).toEqual(["idle", "testing", "contest"]);
    expect(perDay.testing).toBeGreaterThan(10 * perDay.idle);
    // The contest profile's ready sessions (52 for 200 participants) take two nodes: the costliest to forget.
    expect(out.lever).toMatchObject({ from: "contest" });
    expect(out.prices).toMatchObject({ origin: "embedded", asOf: "2026-11" });
    // Idle costs the registry floor ($0.167/day in eastus): with no pool and no replica nothing logs.
    expect(perDay.idle).toBeCloseTo(0.167, 6);
    expect(r.stderr).toMatch(/unverified.*--live-prices/);
  });

  test("one profile in detail: per-resource always-on and usage parts, totals, marginal cost, lever", async () => {
    const r = await manageInProcess(["cost-estimate", "--stack", "contest", "--profile", "contest", "--hours", "3", "--executions", "36000"], { project });
    expect(r.exitCode).toBe(0);
    for (const text of ["session pool", "always-on", "usage", "backend", "registry", "log analytics", "3 h window (+2.5 h)", "Each execution adds about", "Biggest lever: idle instead of contest saves"])
      expect(r.stdout).toContain(text);
    // Logs follow the executions (36,000 runs at 0.01 GB per 1000), and both management-fee figures are shown.
    expect(r.stdout).toMatch(/log analytics .* usage .* ~0\.4 GB from 36,000 runs \(0\.01 GB per 1000 runs, assumed; daily cap 1\.0 GB\)/);
    expect(r.stdout).toMatch(/Management fee assumed .*: without it contest \$[\d.]+\/day/);
    expect(r.stdout).toMatch(/At most \$[\d,.]+\/day \(9 E16 nodes with all 200 sessions held and 52 ready/);
  });

  test("stack overrides change the estimate", async () => {
    const file = join(project, "Pulumi.contest.yaml");
    const before = JSON.parse((await manageInProcess(["cost-estimate", "--stack", "contest", "--profile", "contest", "--json"], { project })).stdout);
    writeFileSync(file, snapshot(project)["Pulumi.contest.yaml"] + "  coding-engine:profileOverrides:\n    contest:\n      readySessions: 60\n");
    const after = JSON.parse((await manageInProcess(["cost-estimate", "--stack", "contest", "--profile", "contest", "--json"], { project })).stdout);
    expect(after.estimates[0].nodes.ready).toBe(3);
    expect(after.estimates[0].perHour).toBeGreaterThan(before.estimates[0].perHour);
  });

  test("--simulate whose chart folder is removed while it runs: the results are printed, then the write failure as one message (exit 1)", async () => {
    const folder = join(project, "charts");
    mkdirSync(folder);
    // The path check creates and removes the chart file (cli/options.ts writableFile): once it is
    // gone again, the check is over and the simulation under way; the folder is removed then.
    const checked = new Promise<void>((done) => {
      const w = watch(folder, () => {
        if (existsSync(join(folder, "c.svg"))) return;
        w.close();
        rmSync(folder, { recursive: true });
        done();
      });
    });
    const run = spawnManage(["capacity", "--stack", "contest", "--simulate", "--chart", "charts/c.svg"], project);
    await checked;
    const r = await run;
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/One of them, charted \(seed 1; 2 h, [\d,]+ runs\):/);
    expect(r.stdout).not.toContain("Chart:");
    expect(r.stderr.match(/^manage: /gm)).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^manage: the simulation ran, but its chart could not be written to .*charts\/c\.svg \(ENOENT: .*charts no longer exists\)\n {2}Fix: run it again with --chart in a folder that exists$/m);
  });

  test("--live-prices offline falls back to the embedded table and says so", async () => {
    const r = await manageInProcess(["cost-estimate", "--live-prices", "--json"], {
      project,
      env: { MANAGE_RETAIL_PRICES_URL: "http://127.0.0.1:9/api/retail/prices" },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/live prices unavailable .*using the embedded table/);
    expect(JSON.parse(r.stdout).prices.origin).toBe("embedded");
  });

  test("a region the table has only part of: no partial sum is shown as a total, and no lever is drawn from one", async () => {
    const r = await manageInProcess(["cost-estimate", "--region", "westeurope"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("warning: 4 westeurope price(s) missing: totals that need them say n/a (--live-prices, or another --region) (--verbose says more)");
    // testing costs about $40/day; the $0.69 its priced parts add up to is not shown as its cost.
    expect(r.stdout).toMatch(/testing +│ n\/a +│ n\/a +│ n\/a/);
    expect(r.stdout).not.toContain("$0.69");
    expect(r.stdout).not.toContain("Biggest lever");
    const detail = await manageInProcess(["cost-estimate", "--region", "westeurope", "--profile", "testing", "--verbose"], { project });
    expect(detail.stdout).toMatch(/session pool +│ always-on +│ n\/a +│ n\/a +│ n\/a/);
    expect(detail.stdout).toContain("testing: no total: the westeurope prices of Dedicated vCPU Usage");
    expect(detail.stderr).toContain("missing: Dedicated vCPU Usage");
  });

  test("eastus2 logs at $2.76/GB, eastus at $2.30/GB", async () => {
    const logs = async (region: string) => {
      const out = JSON.parse((await manageInProcess(["cost-estimate", "--profile", "testing", "--executions", "50000", "--region", region, "--json"], { project })).stdout);
      return out.estimates[0].lines.find((l: { resource: string; part: string }) => l.resource === "log analytics" && l.part === "usage").windowUsd;
    };
    expect(await logs("eastus")).toBeCloseTo(0.5 * 2.3, 6);
    expect(await logs("eastus2")).toBeCloseTo(0.5 * 2.76, 6);
  });
});

describe("manage capacity", () => {
  test("the contest stack passes its own 200-participant check: the contest profile is sized for them", async () => {
    const r = await manageInProcess(["capacity", "--users", "200", "--stack", "contest"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain("FAIL");
    expect(r.stdout).toContain("With the contest profile as configured (max 200, ready 52; sized for 200 participants):");
    // Sized per contest, rounded up to the nodes it pays for, and said so; the inputs are named.
    expect(r.stdout).toMatch(/ready sessions \(at most 5% of new sessions wait 10 s, in 95% of contests\) +│ 52 \(48 needed, 43 for the average contest; the 4 more fit in the same 2 ready \/ 9 contest \/ 9 peak nodes, paid for either way/);
    expect(r.stdout).toMatch(/new sessions that wait: mean \/ the 95th-percentile contest +│ [\d.]+% \/ [\d.]+%/);
    // One way of writing a share: the table and the check say the same figure.
    const share = percentText(planCapacity({ ...DEFAULT_PARTICIPANTS, cooldownSeconds: 300 }).coldStartShare);
    expect(r.stdout).toContain(`-> ${share})`);
    expect(r.stdout).toContain(`ok   52 ready sessions: ${share} of new sessions wait`);
    expect(r.stdout).toContain("- inputs: cold start 10 s (assumed, not measured: manage smoke or load-test measures it); run time 2 s (assumed");
    // The window's cost across the sessions-per-node range, not only at the assumed 28. The contest
    // stack is a token stack: its warm-up is the gateway's creation (90 min, GATEWAY_CREATE_MINUTES),
    // billed with the 1 h tail after the window (infra/costing/model.ts billedHours).
    expect(r.stdout).toMatch(/cost of the 2 h window \(\+2\.5 h\) +│ \$[\d.]+ \(\$[\d.]+–\$[\d.]+ at 32–24 sessions per node; 28 assumed\)/);
    expect(r.stdout).toMatch(/E16 nodes: ready \/ contest \/ peak +│ 2 \/ 9 \/ 9 \(held \+ ready, 28 per node\)/);
    expect(r.stdout).toMatch(/ok +at most \$[\d.]+\/day .*within stack contest's cost ceiling of \$500\.00\/day/);
  });

  test("--node-reserved-share rounds ready sessions to the nodes it implies (24 a node at a quarter: 48, not 52), and says 'fill' only when they do", async () => {
    const out = JSON.parse((await manageInProcess(["capacity", "--stack", "contest", "--node-reserved-share", "0.25", "--json"], { project })).stdout);
    expect(out.estimate.sessionsPerNode).toBe(24);
    expect(out.plan.sessionsPerNode).toBe(24);
    expect(out.plan).toMatchObject({ readySessions: 48, readyNeeded: { atConfidence: 48 } });
    expect(out.nodes.ready).toBe(2);
    // 180 people at 24 a node: 44 needed, 48 fill the 2 ready nodes, and the text says "fill" only then.
    const fills = await manageInProcess(["capacity", "--stack", "contest", "--users", "180", "--node-reserved-share", "0.25"], { project });
    expect(fills.stdout).toMatch(/│ 48 \(44 needed, [\d]+ for the average contest; the 4 more fill the 2 ready nodes, paid for either way/);
  });

  test("a plan above the cost ceiling: the suggested --apply carries --allow-over-ceiling and says why", async () => {
    const r = await manageInProcess(["capacity", "--stack", "contest", "--users", "599"], { project });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/at most per day +│ \$[\d,.]+; \$[\d,.]+ at 24 per node, the range's worst, which the ceiling judges \(ceiling \$500\.00\)/);
    const atMost = Number(/at most per day +│ \$([\d,.]+)/.exec(r.stdout)![1]!.replace(/,/g, ""));
    expect(atMost).toBeGreaterThan(500);
    expect(r.stdout).toContain("To fix: `manage capacity --stack contest --profile contest --users 599 --apply --allow-over-ceiling` records the recommendation, above the stack's cost ceiling (costCeilingPerDay)");
  });

  test("the ceiling judges the worst end of the sessions-per-node range: 270 people fit $500 at 28 a node, not at 24, and the fix says so", async () => {
    const r = await manageInProcess(["capacity", "--stack", "contest", "--users", "270"], { project });
    const [, assumed, worst] = /at most per day +│ \$([\d.]+); \$([\d.]+) at 24 per node, the range's worst, which the ceiling judges \(ceiling \$500\.00\)/.exec(r.stdout)!;
    expect(Number(assumed)).toBeLessThan(500);
    expect(Number(worst)).toBeGreaterThan(500);
    expect(r.stdout).toContain("To fix: `manage capacity --stack contest --profile contest --users 270 --apply --allow-over-ceiling` records the recommendation, above the stack's cost ceiling");
  });

  test("the hand-run deployment's sizing (max 50, 5 ready) fails, and capacity exits 1 saying how to fix it", async () => {
    writeFileSync(
      join(project, "Pulumi.contest.yaml"),
      snapshot(project)["Pulumi.contest.yaml"] + "  coding-engine:profileOverrides:\n    contest:\n      maxSessions: 50\n      readySessions: 5\n",
    );
    const r = await manageInProcess(["capacity", "--users", "200", "--stack", "contest"], { project });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("FAIL max 50 < 200 participants: with per-user identifiers every participant holds a session after the opening burst, so 150 of them get 404");
    expect(r.stdout).toMatch(/FAIL 5 ready sessions: .* of new sessions wait for a 10 s cold start .*95% of contests need 48 \(52 fit in the nodes they take\)/);
    expect(r.stdout).toContain("To fix: `manage capacity --stack contest --profile contest --users 200 --apply` records the recommendation");
    expect(r.stderr).toContain("manage: the contest profile as configured fails 2 check(s) for 200 participants");
  });

  test("per-execution identifiers need a cap at the tail (1202 for 200 people), above the pool's session ceiling", async () => {
    const r = await manageInProcess(["capacity", "--stack", "contest", "--identifier", "per-execution", "--json"], { project });
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout);
    const plan = planCapacity({ ...DEFAULT_PARTICIPANTS, strategy: { kind: "per-execution" }, cooldownSeconds: 300 });
    expect(out.plan).toMatchObject({ maxSessions: 1202, readySessions: plan.readySessions });
    expect(out.plan.meanHeld).toBeCloseTo(1006.67, 2);
    expect(out.checks.find((c: { message: string }) => c.message.includes("maxSessionsLimit 600")).ok).toBe(false);
    // --max-404-rate names the tail: 1% of requests gives the 99th percentile + 1.
    const loose = JSON.parse((await manageInProcess(["capacity", "--stack", "contest", "--identifier", "per-execution", "--max-404-rate", "0.01", "--json"], { project })).stdout);
    expect(loose.plan.maxSessions).toBe(smallestWithTailAtMost(shifted(poisson((200 / 60) * (302 - 30)), 200), 0.01));
  });

  test("a load test that measured a 15 s cold start changes the plan and names the measurement (stack-failures.test.ts: --apply records it)", async () => {
    // One load-test record as manage load-test writes it: 200 first runs against 52 ready, so some waited for a cold start.
    const summary = (count: number, ms: number, max = ms) => ({ count, p50: ms, p95: max, p99: max, max });
    const record = {
      v: 1,
      stack: "contest",
      command: "load-test",
      endpoint: "https://example.invalid",
      start: "2026-11-22T09:00:00.000Z",
      end: "2026-11-22T09:10:00.000Z",
      ok: true,
      executions: 2000,
      failed: 0,
      latency: summary(2000, 900, 15_800),
      outcomes: { ok: 2000 },
      causes: {},
      measured: {
        languages: { python: { first: summary(120, 1_200, 15_500), warm: summary(1000, 500, 900) }, java: { first: summary(80, 2_000, 15_900), warm: summary(800, 900, 1_400) } },
        firstRuns: 200,
        readySessions: 52,
      },
    };
    mkdirSync(join(project, ".manage", "runs"), { recursive: true });
    writeFileSync(join(project, ".manage", "runs", "contest.ndjson"), JSON.stringify(record) + "\n");
    const r = await manageInProcess(["capacity", "--stack", "contest", "--json"], { project });
    const out = JSON.parse(r.stdout);
    // The slowest first run less its language's warm median: 15.9 s - 0.9 s; the warm medians weighted by runs: 0.7 s.
    expect(out.inputs.coldStartSeconds).toEqual({ value: 15, source: "measured", by: "load-test 2026-11-22 09:10 UTC, 200 first runs (52 ready)" });
    expect(out.inputs.runSeconds).toMatchObject({ value: 0.7, source: "measured" });
    const plan = planCapacity({ ...DEFAULT_PARTICIPANTS, coldStartSeconds: 15, runSeconds: 0.7, cooldownSeconds: 300 });
    expect(out.plan.readySessions).toBe(plan.readySessions);
    expect(out.plan.readyNeeded.average).toBe(60);
    // The profile as configured (52 ready, sized for the 10 s assumption) now fails, saying why.
    expect(r.exitCode).toBe(1);
    const human = await manageInProcess(["capacity", "--stack", "contest"], { project });
    expect(human.stdout).toContain("- inputs: cold start 15 s (measured: load-test 2026-11-22 09:10 UTC, 200 first runs (52 ready); not yet in the stack's config)");
    expect(human.stdout).toMatch(/FAIL 52 ready sessions: .* wait for a 15 s cold start/);
    expect(human.stdout).toContain("--apply records these measurements there");
  });

  test("a run log it cannot fully read: each line not planned with is a warning naming the file and the fix; the rest still counts", async () => {
    const summary = (count: number, ms: number, max = ms) => ({ count, p50: ms, p95: max, p99: max, max });
    const record = (warmMs: number, end: string) => ({
      ...{ v: 1, stack: "contest", command: "load-test", endpoint: "https://x", start: end.replace("09:10", "09:00"), end, ok: true, executions: 1000, failed: 0 },
      ...{ latency: summary(1000, 600, 900), outcomes: { ok: 1000 }, causes: {} },
      measured: { languages: { python: { first: summary(200, 1_000, 15_500), warm: summary(800, warmMs, 900) } }, firstRuns: 200, readySessions: 52 },
    });
    mkdirSync(join(project, ".manage", "runs"), { recursive: true });
    // A good record, a newer one whose run time is negative, and a torn last line.
    const lines = [JSON.stringify(record(500, "2026-11-21T09:10:00.000Z")), JSON.stringify(record(-300, "2026-11-22T09:10:00.000Z")), '{"v":1,"stack":"con'];
    writeFileSync(join(project, ".manage", "runs", "contest.ndjson"), lines.join("\n") + "\n");
    const r = await manageInProcess(["capacity", "--stack", "contest", "--json"], { project });
    expect(r.stderr).toContain("warning: .manage/runs/contest.ndjson:3: not JSON: not planned with. Fix: delete that line from .manage/runs/contest.ndjson");
    expect(r.stderr).toContain("warning: .manage/runs/contest.ndjson: the load-test record of 2026-11-22 09:10 UTC measured a run time of -0.3 s, outside 0.01-600 s");
    expect(JSON.parse(r.stdout).inputs.runSeconds).toMatchObject({ value: 0.5, source: "measured", by: "load-test 2026-11-21 09:10 UTC, 800 warm runs" });
  });

  test("--json carries the plan, the checks and the window's cost", async () => {
    const r = await manageInProcess(["capacity", "--users", "60", "--identifier", "shared:10", "--json"], { project });
    const out = JSON.parse(r.stdout);
    expect(out.plan.maxSessions).toBe(10);
    expect(out.checks[0].ok).toBe(true);
    expect(out.estimate.window).toBeGreaterThan(0);
    // The query keeps the JSON keys scripts read, whatever the planner calls its inputs.
    expect(out.query).toMatchObject({ users: 60, runsPerUserPerMinute: 1, avgExecSeconds: 2, strategy: "shared:10" });
    for (const renamed of ["participants", "runsPerParticipantPerMinute", "runSeconds"]) expect(out.query).not.toHaveProperty(renamed);
  });

  test("--simulate runs the contest: 404s, waits, peak nodes, a terminal chart and an SVG file", async () => {
    // As a process: the chart's path is relative to manage's folder (a test worker has one folder for all).
    const r = await manage(["capacity", "--stack", "contest", "--simulate", "--chart", "sim.svg"], { project });
    expect(r.exitCode).toBe(0);
    // The spread over 200 contests, then one of them charted.
    expect(r.stdout).toMatch(/Simulated contests: the first 10 minutes of 200 \(seeds 1-200; the plan is sized for the 95th percentile\):/);
    expect(r.stdout).toMatch(/opening burst, runs that waited: p50 \/ p95 contest +│ [\d.]+% \/ [\d.]+% \(target <= 5%\)/);
    expect(r.stdout).toMatch(/contests meeting both targets +│ (19\d|200) of 200/);
    expect(r.stdout).toMatch(/One of them, charted \(seed 1; 2 h, [\d,]+ runs\):/);
    expect(r.stdout).toMatch(/requests answered 404 +│ 0 \(0%; target <= 0\.10%\)/);
    expect(r.stdout).toMatch(/peak sessions held \/ E16 nodes +│ 200 \/ 9/);
    expect(r.stdout).toContain("lines from top: node capacity (nodes x 28), sessions held, ready sessions");
    const svg = readFileSync(join(project, "sim.svg"), "utf8");
    expect(svg).toMatch(/^<svg[\s\S]*sessions held[\s\S]*E16 nodes[\s\S]*<\/svg>$/);
    const json = JSON.parse((await manage(["capacity", "--stack", "contest", "--simulate", "--chart", "sim.svg", "--json"], { project })).stdout);
    expect(json.simulation.configured).toMatchObject({ rejected: 0, peak: { held: 200, nodes: 9 } });
    expect(json.simulation.spread.configured.seeds).toBe(200);
    expect(json.simulation.spread.configured.metTargets).toBeGreaterThanOrEqual(190);
  });

  test("--live-prices offline falls back to the embedded table and says so", async () => {
    const r = await manageInProcess(["capacity", "--stack", "contest", "--live-prices"], {
      project,
      env: { MANAGE_RETAIL_PRICES_URL: "http://127.0.0.1:9/api/retail/prices" },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/live prices unavailable .*using the embedded table/);
  });
});

describe("manage plan", () => {
  test("the dev stack's desired resources with their settings, and the cost", async () => {
    const idle = await manageInProcess(["plan"], { project });
    expect(idle.stdout).toContain("Stack dev, profile idle: 7 resources");
    const r = await manageInProcess(["plan", "--profile", "testing"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Stack dev, profile testing: 9 resources");
    expect(r.stdout).toContain("not a diff against the cloud");
    expect(r.stdout).toMatch(/codeengdevpool .*max 5, ready 1, cooldown 300 s, 0.5 vCPU\/1Gi, EgressDisabled/);
    expect(r.stdout).toMatch(/Cost \(eastus, prices as of 2026-11\): \$[\d.]+\/hour/);
    // dev is open by choice (Pulumi.dev.yaml): said in the plan, and warned about.
    expect(r.stdout).toContain("Access: open: anyone on the internet who finds the backend's URL can run code.");
    expect(r.stderr).toMatch(/warning: stack dev is in accessMode open: anyone on the internet/);
  });

  test("a profile over the stack's cost ceiling is still planned (a plan changes nothing); the change itself is refused", async () => {
    const file = join(project, "Pulumi.contest.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("config:\n", "config:\n  coding-engine:costCeilingPerDay: 50\n"));
    const r = await manageInProcess(["plan", "--stack", "contest", "--profile", "contest"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Stack contest, profile contest: \d+ resources/);
    const up = await manageInProcess(["scale", "--stack", "contest", "--profile", "contest", "--no-wait"], { project });
    expect(up.exitCode).toBe(2);
    expect(up.stderr).toMatch(/above stack contest's cost ceiling of \$50\.00\/day/);
  });

  test("the contest stack (token, the default): with a pool, the gateway in front of a backend that allows only it; idle, no gateway and the registry floor", async () => {
    const r = await manageInProcess(["plan", "--stack", "contest", "--profile", "contest"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/gateway +│ apimanagement:ApiManagementService +│ codeeng-contest-gw +│ Basic, https:\/\/codeeng-contest-gw\.azure-api\.net/);
    expect(r.stdout).toMatch(/backend .*only the gateway's IP \(192\.0\.2\.\d+\/32\)/);
    expect(r.stdout).toMatch(/gateway-policy .*60 calls per 60 s per caller/);
    expect(r.stdout).toContain("Access: token: API Management (Basic) in front, a subscription key (Ocp-Apim-Subscription-Key) required");
    expect(r.stdout).toMatch(/Gateway: \$0\.20\/hour while the pool runs \(API Management Basic, 1 unit/);
    // The plan of an idle token stack declares no gateway: it lives with the pool.
    const idle = await manageInProcess(["plan", "--stack", "contest", "--profile", "idle"], { project });
    expect(idle.exitCode).toBe(0);
    expect(idle.stdout).not.toMatch(/apimanagement:/);
    expect(idle.stdout).toContain("Gateway: none in idle (the gate lives with the pool: a profile with one brings it up).");
    // ...and its backend is internal (ingress external: false), said the same way in the table and the access line.
    expect(idle.stdout).toMatch(/backend .*https only, internal: nothing outside its environment reaches it/);
    expect(idle.stdout).not.toContain("open to all IPs");
    expect(idle.stdout).toContain("Access: token: no gateway while no pool runs (it comes up with the pool: API Management (Basic), a subscription key (Ocp-Apim-Subscription-Key) required, 60 calls a minute per caller); until then the backend's ingress is internal: nothing outside its environment reaches it.");
    expect(idle.stdout).not.toContain("accepts only the gateway's IPs");
    const json = JSON.parse((await manageInProcess(["cost-estimate", "--stack", "contest", "--json"], { project })).stdout);
    for (const e of json.estimates)
      if (e.profile === "idle") expect(e.lines.map((l: { resource: string }) => l.resource)).not.toContain("gateway");
      else expect(e.lines).toContainEqual(expect.objectContaining({ resource: "gateway", part: "always-on", perHour: 147.17 / 730 }));
    // Idle is the registry floor.
    expect(json.estimates[0].perDay).toBeCloseTo(0.167, 6);
    const detail = await manageInProcess(["cost-estimate", "--stack", "contest", "--profile", "contest"], { project });
    expect(detail.stdout).toMatch(/gateway +│ always-on +│ \$0\.20 +│ \$4\.84 +│ \$0\.91 +│ API Management Basic/);
    expect(detail.stdout).toMatch(/At most \$[\d,.]+\/day \(.*, the Basic gateway\)/);
  });

  test("--from idle --to contest: what changes and the cost difference", async () => {
    const r = await manageInProcess(["plan", "--stack", "contest", "--from", "idle", "--to", "contest"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("+ create session-pool");
    expect(r.stdout).toContain("template.scale.minReplicas: 0 -> 1");
    expect(r.stdout).toMatch(/Cost: \$[\d.]+\/day -> \$[\d,.]+\/day \(\+\$[\d,.]+\/day\)/);
    const json = JSON.parse((await manageInProcess(["plan", "--stack", "contest", "--from", "contest", "--to", "idle", "--json"], { project })).stdout);
    expect(json.changes).toContainEqual(expect.objectContaining({ name: "session-pool", change: "remove" }));
    expect(json.cost.perDayDifference).toBeLessThan(0);
  });

  test("--json lists the resources exactly as evaluated", async () => {
    const out = JSON.parse((await manageInProcess(["plan", "--stack", "contest", "--profile", "idle", "--json"], { project })).stdout);
    expect(out.resources.map((r: { name: string }) => r.name)).not.toContain("session-pool");
    expect(out.outputs.sessionPoolDeployed).toBe(false);
  });

  test("--json records the operation at manage's clock (MANAGE_NOW when rehearsing), as a change would", async () => {
    for (const at of ["2026-11-22T17:00:00Z", TEST_NOW]) {
      const out = JSON.parse((await manageInProcess(["plan", "--stack", "dev", "--json"], { project, env: { MANAGE_NOW: at } })).stdout);
      expect(new Date(out.outputs.operations.at).getTime()).toBe(new Date(at).getTime());
    }
  });
});
