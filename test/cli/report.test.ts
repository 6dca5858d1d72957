// manage report end to end: the stack's state through the stand-in pulumi (a real idle deployment,
// then a scheduled window written into its checkpoint as manage schedule's update would record it),
// metrics through the real @azure/arm-monitor client and the bill through the real
// @azure/arm-costmanagement client against the local ARM server (scripted), run logs on disk. The
// HTML page is opened in headless Chromium (the build @sparticuz/chromium ships inside its npm
// package, so `npm ci` installs it with no root and no download; driven by playwright-core): the
// charts are there and drawn, the window's numbers are on the page. One deployment, one browser.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { BrowserContext } from "playwright-core";
import { expectRefusal, makeProject, manageDecision, prepare, type StateResource } from "../helpers/cli.js";
import { ARM_TOKEN, startArmServer, type ArmServer } from "../arm-server/server.js";
import type { CostRow } from "../arm-server/cost-management.js";
import { parseSettings, PROJECT } from "../../infra/config.js";
import type { Window } from "../../infra/operations.js";
import { readStackConfig } from "../../cli/stack-files.js";
import { ROOT } from "../helpers/program.js";
import { embeddedPriceBook } from "../../infra/costing/prices.js";
import { estimateForHours, hoursRun } from "../../cli/costing/spend.js";
import { costDays } from "../../cli/report/period.js";
import { windowRun } from "../../cli/schedule.js";
import { CONTEST_DAY_RUNS, runRecord } from "../helpers/run-records.js";

const NOW = "2026-12-05T12:00:00Z";
const WINDOW: Window = { id: "w-20261205-0900", profile: "contest", start: "2026-12-05T09:00:00Z", end: "2026-12-05T11:00:00Z", warmupMinutes: 30, users: 200, by: "alice@laptop", at: "2026-12-01T10:00:00Z" };

let project: string;
let arm: ArmServer;
let browser: BrowserContext;
let out: string;
/** The subscription the stand-in deployed into (the stack's outputs carry it). */
let sub: string;

const env = () => ({ MANAGE_ARM_ENDPOINT: arm.url, MANAGE_ARM_TOKEN: ARM_TOKEN, NODE_EXTRA_CA_CERTS: arm.caFile, MANAGE_NOW: NOW });

/**
 * The Chromium the test opens the page in: a fresh profile, nothing that reaches the network. The
 * binary is the one @sparticuz/chromium ships (brotli-compressed in the package, unpacked into the
 * temp folder on first use), launched with the package's own flags for running without a GPU or a
 * sandbox, less the two that relax web security (the page needs neither), plus the flags that keep
 * Chromium off the network (this machine refuses its background connections).
 */
async function launchChromium(dir: string): Promise<BrowserContext> {
  const { default: packaged } = await import("@sparticuz/chromium");
  const { chromium } = await import("playwright-core");
  const relaxed = new Set(["--disable-web-security", "--allow-running-insecure-content"]);
  // launchPersistentContext is Playwright's way to give Chromium its --user-data-dir (launch() refuses the flag).
  return chromium.launchPersistentContext(join(dir, "chromium-profile"), {
    executablePath: await packaged.executablePath(),
    headless: true,
    args: [...packaged.args.filter((a) => !relaxed.has(a)), "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1100, height: 900 },
  });
}

// ---- the contest, scripted ---------------------------------------------------------------------

const minuteOf = (iso: string) => Date.parse(iso) / 60_000;
const FIRST = minuteOf("2026-12-05T08:00:00Z");
const LAST = minuteOf(NOW);
/** One value a minute from 08:00 to now (the monitor stand-in's last value is the current minute). */
const timeline = (f: (hhmm: string) => number | null) => Array.from({ length: LAST - FIRST + 1 }, (_, i) => f(new Date((FIRST + i) * 60_000).toISOString().slice(11, 16)));
const during = (from: string, to: string, v: number, otherwise: number | null = null) => (t: string) => (t >= from && t < to ? v : otherwise);

/**
 * Warm-up 08:30-09:00 (43 ready, nothing running), the opening burst at 09:00 (sessions pending, the
 * ready ones used up, 502s from cold starts, a 404), then 180 running until 11:00; no pool outside.
 */
const SCRIPT = {
  PoolExecutingPodCount: timeline((t) => (t < "08:30" || t >= "11:00" ? null : t < "09:00" ? 0 : t < "09:03" ? 190 : 180)),
  PoolPendingPodCount: timeline((t) => (t < "08:30" || t >= "11:00" ? null : t >= "09:01" && t < "09:04" ? 6 : 0)),
  PoolReadyPodCount: timeline((t) => (t < "08:30" || t >= "11:00" ? null : t < "09:00" ? 43 : t < "09:05" ? 0 : 16)),
  Replicas: timeline((t) => (t < "08:30" || t >= "11:00" ? 0 : t < "09:00" ? 1 : 10)),
  Requests: {
    "200": timeline((t) => (t < "08:30" || t >= "11:00" ? 0 : t < "09:00" ? 5 : 900)),
    "502": timeline(during("09:01", "09:04", 3, 0)),
    "404": timeline(during("09:02", "09:03", 2, 0)),
  },
};

// The contest stack's baseline (a real idle deployment leaves it in effect).
const settings = parseSettings(readStackConfig(ROOT, "contest"), "contest", PROJECT);
const rg = () => `/subscriptions/${sub}/resourceGroups/${settings.names.resourceGroup}/providers`;
const ids = (): Record<string, [string, string]> => ({
  "session pool": [`${rg()}/Microsoft.App/sessionPools/${settings.names.sessionPool}`, "Dedicated vCPU Usage"],
  backend: [`${rg()}/Microsoft.App/containerApps/${settings.names.backendApp}`, "Standard vCPU Idle Usage"],
  registry: [`${rg()}/Microsoft.ContainerRegistry/registries/${settings.names.registry}`, "Basic Registry Unit"],
  "log analytics": [`${rg()}/Microsoft.OperationalInsights/workspaces/${settings.names.workspace}`, "Analytics Logs Data Ingestion"],
  gateway: [`${rg()}/Microsoft.ApiManagement/service/${settings.names.gateway}`, "Developer Units"],
});
// The model for 2026-12-05: the window (warm-up included) at contest, the rest of the day idle.
const MODEL = estimateForHours(embeddedPriceBook("eastus"), settings, hoursRun(costDays(windowRun(WINDOW, new Date(WINDOW.end))!), { operation: null, windows: [WINDOW] }, settings)).byResource;
const modelDay = [...MODEL.values()].reduce((a, b) => a + b, 0);
/** The day billed as the model prices it, the pool `poolFactor` times its model. */
const billed = (poolFactor = 1): CostRow[] =>
  [...MODEL].map(([resource, usd]) => ({ date: "2026-12-05", resourceId: ids()[resource]![0], meter: ids()[resource]![1], cost: resource === "session pool" ? usd * poolFactor : usd }));

const record = runRecord;
const { smoke: SMOKE, openingLoad: LOAD } = CONTEST_DAY_RUNS;
const YESTERDAY = record({ command: "smoke", start: "2026-12-04T08:40:00.000Z", end: "2026-12-04T08:40:31.000Z" });
const CI_SMOKE = record({ command: "smoke", start: "2026-12-05T10:30:00.000Z", end: "2026-12-05T10:30:29.000Z", endpoint: "https://ci.example" });

beforeAll(async () => {
  const scratch = mkdtempSync(join(tmpdir(), "manage-report-"));
  out = scratch;
  const launching = launchChromium(scratch);
  project = makeProject();
  arm = await startArmServer();
  arm.metrics.now = () => Date.parse(NOW);
  await prepare(project, "contest");
  // A real deployment of the idle contest stack: outputs, the operation, the gateway.
  const up = await manageDecision(["up", "--stack", "contest"], { project });
  expect(up.exitCode).toBe(0);
  // The window as manage schedule's update records it in the root stack's `operations` output.
  const file = join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "contest.json");
  const checkpoint = JSON.parse(readFileSync(file, "utf8"));
  const root = (checkpoint.checkpoint.latest.resources as StateResource[]).find((r) => r.type === "pulumi:pulumi:Stack")!;
  root.outputs.operations.windows = [WINDOW];
  sub = /^\/subscriptions\/([^/]+)\//.exec(root.outputs.identityId)![1]!;
  writeFileSync(file, JSON.stringify(checkpoint, null, 4));

  const group = `/subscriptions/${sub}/resourceGroups/${settings.names.resourceGroup}/providers/Microsoft.App`;
  const [poolId, appId] = [`${group}/sessionPools/${settings.names.sessionPool}`, `${group}/containerApps/${settings.names.backendApp}`];
  for (const name of ["PoolExecutingPodCount", "PoolPendingPodCount", "PoolReadyPodCount"] as const) arm.metrics.script(poolId, name, SCRIPT[name]);
  arm.metrics.script(appId, "Replicas", SCRIPT.Replicas);
  arm.metrics.script(appId, "Requests", SCRIPT.Requests);

  // This machine's run log (a run the day before, the smoke before the contest, the opening load, a torn last line) and a CI artifact.
  mkdirSync(join(project, ".manage", "runs"), { recursive: true });
  writeFileSync(join(project, ".manage", "runs", "contest.ndjson"), [YESTERDAY, SMOKE, LOAD].map((r) => JSON.stringify(r)).join("\n") + '\n{"v":1,"stack":"con');
  writeFileSync(join(scratch, "ci-runs.ndjson"), [SMOKE, CI_SMOKE].map((r) => JSON.stringify(r)).join("\n") + "\n");
  browser = await launching;
});
afterAll(async () => {
  await browser?.close();
  await arm?.close();
  rmSync(out, { recursive: true, force: true });
});

describe("manage report", () => {
  test("--window: a self-contained HTML page with the timeline, the runs and the cost, rendered by Chromium", async () => {
    arm.costs.rows.splice(0, Infinity, ...billed());
    const html = join(out, "contest.html");
    const r = await manageDecision(["report", "--stack", "contest", "--window", WINDOW.id, "--out", html, "--runs", join(out, "ci-runs.ndjson")], { project, env: env() });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`warning: run log line skipped: ${join(project, ".manage", "runs", "contest.ndjson")}:4: not JSON`);
    expect(r.stdout).toContain("Stack contest: window w-20261205-0900 (contest, 200 participants), 2026-12-05 08:30 UTC to 2026-12-05 11:00 UTC");
    expect(r.stdout).toMatch(/^peak sessions executing: +190 of max 200$/m);
    expect(r.stdout).toMatch(/^requests: +108,161 \(2xx 108,150, 4xx 2, 5xx 9\); 404: 2$/m);
    expect(r.stdout).toMatch(/^recorded runs: +3 \(1 failed\): 452 executions, 9 failed; worst p95 1\.9 s$/m);
    expect(r.stdout).toContain(`$${modelDay.toFixed(2)} actual against $${modelDay.toFixed(2)} estimated ($0.00, +0%): in line`);
    expect(r.stdout).toContain(`Wrote ${html} (5 charts, self-contained`);

    const page = readFileSync(html, "utf8");
    // Self-contained: no script, nothing fetched.
    expect(page).not.toMatch(/<script|<link|@import|url\(http/i);
    const tab = await browser.newPage();
    const fetched: string[] = [];
    tab.on("request", (q) => fetched.push(q.url()));
    await tab.goto(pathToFileURL(html).href);
    const charts = await tab.$$eval("figure[data-chart]", (figures) =>
      figures.map((f) => {
        const svg = f.querySelector("svg")!;
        const box = svg.getBoundingClientRect();
        return {
          id: f.getAttribute("data-chart"),
          series: Number(f.getAttribute("data-series")),
          caption: f.getAttribute("aria-label"),
          texts: [...svg.querySelectorAll("text")].map((t) => t.textContent),
          paths: svg.querySelectorAll("path").length,
          drawn: box.width > 500 && box.height > 100,
        };
      }),
    );
    expect(charts.map((c) => [c.id, c.series, c.caption])).toEqual([
      ["sessions", 4, "Sessions"],
      ["capacity", 2, "Nodes and backend replicas"],
      ["requests", 3, "Requests by status class"],
      ["cost", 2, "Cost: actual against the model"],
      ["runs", 3, "Latency of recorded runs"],
    ]);
    for (const c of charts) {
      expect(c.drawn, c.id!).toBe(true);
      expect(c.paths, c.id!).toBeGreaterThan(c.series);
      // ECharts drew the title and one legend entry per series.
      expect(c.texts, c.id!).toContain(c.caption);
    }
    expect(charts[0]!.texts).toEqual(expect.arrayContaining(["executing", "pending", "ready", "maxSessions"]));
    expect(charts[2]!.texts).toEqual(expect.arrayContaining(["2xx", "4xx", "5xx"]));
    const text = await tab.innerText("body");
    expect(text).toContain("Stack contest: window w-20261205-0900 (contest, 200 participants)");
    expect(await tab.innerText("#n-peak-executing")).toMatch(/190 of max 200/);
    expect(await tab.innerText("#n-pending")).toMatch(/peak 6, in 3 of 150 PT1M buckets/);
    // The contest profile's ready sessions as the planner sizes them for 200 (95% of contests, rounded up to whole nodes: manage capacity).
    expect(await tab.innerText("#n-min-ready")).toMatch(/0 \(the profile keeps 52\)/);
    expect(await tab.innerText("#n-peak-replicas")).toMatch(/10 of max 10/);
    expect(text).toMatch(/load-test\s+2026-12-05 09:00 UTC\s+FAIL\s+400\s+9\s+480 ms\s+1\.9 s\s+2\.6 s\s+ok 391, 502 9/);
    expect(text).toContain("the session container is not listening yet (cold start) (1)");
    expect(text).not.toContain("2026-12-04");
    await tab.screenshot({ path: join(tmpdir(), "manage-report-screenshot.png"), fullPage: true });
    await tab.close();
    expect(fetched.every((u) => u.startsWith("file://"))).toBe(true);
  });

  test("--from/--to and --json: the same data as one document; the state's windows still price their hours; a gap is flagged", async () => {
    arm.costs.rows.splice(0, Infinity, ...billed(1.5));
    arm.costs.queries.length = 0;
    arm.metrics.queries.length = 0;
    const r = await manageDecision(["report", "--stack", "contest", "--from", "2026-12-05T08:30:00Z", "--to", "2026-12-05T11:00:00Z", "--json"], { project, env: env() });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      stack: "contest",
      period: { from: "2026-12-05T08:30:00.000Z", to: "2026-12-05T11:00:00.000Z", hours: 2.5, inProgress: false },
      window: null,
      profile: { name: "idle" },
      summary: { peakExecuting: 190, peakPending: 6, bucketsPending: 3, minReady: 0, peakReplicas: 10, requests: { total: 108161, byClass: { "2xx": 108150, "4xx": 2, "5xx": 9 }, notFound: 2 } },
      runs: { count: 2, failedRuns: 1, executions: 426 },
      cost: { days: { from: "2026-12-05T00:00:00.000Z", to: "2026-12-06T00:00:00.000Z" }, currency: "USD", gap: { flagged: true } },
    });
    expect(doc.summary.peakNodes).toBe(7); // 196 sessions held or ready, 28 a node
    expect(doc.timeline.interval).toBe("PT1M");
    expect(doc.timeline.points).toHaveLength(150);
    expect(doc.cost.profiles).toEqual([
      { profile: "idle", hours: 21.5 },
      { profile: "contest", hours: 2.5 },
    ]);
    expect(doc.cost.estimate).toBeCloseTo(modelDay, 6);
    expect(doc.cost.gap.causes[0]).toMatch(/the pool cost .* ran past its window/);
    expect(doc).not.toHaveProperty("html");
    // The real SDKs asked for the period: metrics at PT1M from 08:30, the bill for the whole day.
    expect(arm.metrics.queries.map((q) => new URLSearchParams(q.split("|")[1]).get("timespan"))).toContain("2026-12-05T08:30:00Z/2026-12-05T11:00:00Z");
    expect(arm.costs.queries[0]!.body.timePeriod).toEqual({ from: "2026-12-05T00:00:00.000Z", to: "2026-12-05T23:59:59.000Z" });
  });

  test("--out whose folder is removed while the report is made: the numbers are still printed, then the failure (exit 1)", async () => {
    const folder = mkdtempSync(join(tmpdir(), "manage-report-out-"));
    // The path is checked before the queries; the folder goes while the bill is being asked for.
    arm.costs.onQuery = () => rmSync(folder, { recursive: true, force: true });
    try {
      const r = await manageDecision(["report", "--stack", "contest", "--window", WINDOW.id, "--out", join(folder, "r.html"), "--json"], { project, env: env() });
      expect(r.exitCode).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ stack: "contest", html: null, summary: { peakExecuting: 190 }, error: { exitCode: 1 } });
      expect(doc.error.message).toContain(`the report was made, but could not be written to ${join(folder, "r.html")}: ENOENT`);
      const text = await manageDecision(["report", "--stack", "contest", "--window", WINDOW.id, "--out", join(folder, "r.html")], { project, env: env() });
      expect(text.exitCode).toBe(2); // the folder is gone before this run starts: bad input, nothing asked
    } finally {
      arm.costs.onQuery = undefined;
    }
  });

  test("a window no longer in the state, or a --runs file that is not there: exit 2 naming the option", async () => {
    const gone = await manageDecision(["report", "--stack", "contest", "--window", "w-20261128-0900"], { project, env: env() });
    expect(gone.exitCode).toBe(2);
    expect(gone.stderr).toContain("manage: --window w-20261128-0900: window w-20261128-0900 is not in stack contest's state (it has w-20261205-0900): ended windows stay 60 days");
    expect(gone.stderr).toContain("or use --from/--to with the window's times");
    const missing = await manageDecision(["report", "--stack", "contest", "--window", WINDOW.id, "--json", "--runs", join(out, "nope.ndjson")], { project, env: env() });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`manage: --runs ${join(out, "nope.ndjson")}: no such file`);
  });

  test.each([
    [["report", "--stack", "contest"], /a report needs a period: --window ID .* or --from and --to/],
    [["report", "--stack", "contest", "--from", "2026-12-05T11:00:00Z", "--to", "2026-12-05T08:30:00Z"], /--from 2026-12-05T11:00:00Z is not before --to 2026-12-05T08:30:00Z/],
    [["report", "--stack", "contest", "--from", "2026-12-05T08:30:00Z"], /--from 2026-12-05T08:30:00Z needs --to/],
    [["report", "--stack", "contest", "--window", "W 1"], /--window "W 1" is not a window ID/],
    [["report", "--stack", "contest", "--window", WINDOW.id, "--from", "2026-12-05"], /give either --window or --from\/--to, not both/],
    [["report", "--stack", "contest", "--window", WINDOW.id, "--out", "report.pdf"], /--out "report\.pdf" is not an \.html file name/],
  ])("bad input is refused before anything is read: %j", async (args, message) => {
    await expectRefusal(makeProject(), args, message, { MANAGE_NOW: NOW });
  });
});
