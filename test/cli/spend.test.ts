// manage spend end to end: the real @azure/arm-costmanagement client against the local ARM server's
// Cost Management query (test/arm-server/cost-management.ts), rows scripted from the cost model, so
// "actual" and "estimate" can be made to agree, or not. No pulumi: AZURE_SUBSCRIPTION_ID names the
// subscription. The server's own contract (spec shapes, errors) is checked over plain HTTPS too.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "node:https";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { expectRefusal, makeProject, manageDecision } from "../helpers/cli.js";
import { ARM_TOKEN, startArmServer, type ArmServer } from "../arm-server/server.js";
import type { CostRow } from "../arm-server/cost-management.js";
import { parseSettings, PROJECT } from "../../infra/config.js";
import { readStackConfig } from "../../cli/stack-files.js";
import { ROOT } from "../helpers/program.js";
import { embeddedPriceBook } from "../../infra/costing/prices.js";
import { estimateForHours } from "../../cli/costing/spend.js";

const SUB = "11111111-2222-4333-8444-555555555555";
let arm: ArmServer;
let project: string;
beforeAll(async () => {
  arm = await startArmServer();
  project = makeProject();
  // Never deployed, so the stack file's profile is what the model prices: testing here (the
  // committed dev file rests idle).
  const file = join(project, "Pulumi.dev.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace("coding-engine:profile: idle", "coding-engine:profile: testing"));
});
afterAll(() => arm.close());
beforeEach(() => {
  arm.costs.rows.length = 0;
  arm.costs.queries.length = 0;
  arm.costs.pageSize = 1000;
});

const env = () => ({ MANAGE_ARM_ENDPOINT: arm.url, MANAGE_ARM_TOKEN: ARM_TOKEN, NODE_EXTRA_CA_CERTS: arm.caFile, AZURE_SUBSCRIPTION_ID: SUB });

// The dev stack (testing profile, open: no gateway), billed for 7 whole days exactly as the model says.
const settings = parseSettings({ ...readStackConfig(ROOT, "dev"), profile: "testing" }, "dev", PROJECT);
const rg = `/subscriptions/${SUB}/resourceGroups/${settings.names.resourceGroup}/providers`;
const IDS = {
  pool: `${rg}/Microsoft.App/sessionPools/${settings.names.sessionPool}`,
  backend: `${rg}/Microsoft.App/containerApps/${settings.names.backendApp}`,
  registry: `${rg}/Microsoft.ContainerRegistry/registries/${settings.names.registry}`,
  logs: `${rg}/Microsoft.OperationalInsights/workspaces/${settings.names.workspace}`,
};
const DAYS = ["2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13", "2026-11-14", "2026-11-15", "2026-11-16"];
const PERIOD = ["--from", "2026-11-10", "--to", "2026-11-17"];
const perDay = estimateForHours(embeddedPriceBook("eastus"), settings, [{ profile: "testing", hours: 24 }]).byResource;
const modelWeek = [...perDay.values()].reduce((a, b) => a + b, 0) * 7;

/** A week billed as the model prices it: the pool on its three meters, the others on one each. */
function billedAsModelled(): CostRow[] {
  const pool = perDay.get("session pool")!;
  const fee = 0.1 * 24;
  return DAYS.flatMap((date) => [
    { date, resourceId: IDS.pool, meter: "Dedicated vCPU Usage", cost: (pool - fee) * 0.6 },
    { date, resourceId: IDS.pool, meter: "Dedicated Memory Usage", cost: (pool - fee) * 0.4 },
    { date, resourceId: IDS.pool, meter: "Dedicated Plan Management", cost: fee },
    { date, resourceId: IDS.backend, meter: "Standard vCPU Idle Usage", cost: perDay.get("backend")! },
    { date, resourceId: IDS.registry, meter: "Basic Registry Unit", cost: perDay.get("registry")! },
    { date, resourceId: IDS.logs, meter: "Analytics Logs Data Ingestion", cost: perDay.get("log analytics")! },
  ]);
}

describe("manage spend", () => {
  test("actual and estimate line up: the bill by resource and meter, every page followed, the query as the spec has it", async () => {
    arm.costs.rows.push(...billedAsModelled());
    arm.costs.pageSize = 10; // 42 rows: five pages
    const r = await manageDecision(["spend", "--stack", "dev", ...PERIOD], { project, env: env() });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Spend of stack dev (resource group codeeng-dev-rg) from 2026-11-10 00:00 UTC to 2026-11-17 00:00 UTC");
    expect(r.stdout).toMatch(/codeengdevpool\s+│\s+Microsoft\.App\/sessionPools\s+│\s+Dedicated vCPU Usage/);
    expect(r.stdout).toContain(`in line: actual $${modelWeek.toFixed(2)} against the model's $${modelWeek.toFixed(2)} for the same 168 h (+0%).`);
    expect(r.stdout).not.toContain("likely:");
    // One query, then its nextLinks with the same body.
    expect(arm.costs.queries.map((q) => q.skipToken)).toEqual([null, "10", "20", "30", "40"]);
    for (const q of arm.costs.queries) {
      expect(q.scope).toBe(`/subscriptions/${SUB}/resourceGroups/codeeng-dev-rg`);
      expect(q.apiVersion).toBe("2022-10-01");
      expect(q.body).toEqual({
        type: "ActualCost",
        timeframe: "Custom",
        timePeriod: { from: "2026-11-10T00:00:00.000Z", to: "2026-11-17T00:00:00.000Z" },
        dataset: {
          granularity: "Daily",
          aggregation: { totalCost: { name: "Cost", function: "Sum" } },
          grouping: [
            { type: "Dimension", name: "ResourceId" },
            { type: "Dimension", name: "Meter" },
          ],
        },
      });
    }
  });

  test("a 40% gap is flagged with its likely cause (the pool ran past its window), in words and in --json", async () => {
    arm.costs.rows.push(...billedAsModelled(), { date: "2026-11-16", resourceId: IDS.pool, meter: "Dedicated vCPU Usage", cost: 0.4 * modelWeek });
    const human = await manageDecision(["spend", "--stack", "dev", ...PERIOD], { project, env: env() });
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toContain(`GAP: actual $${(1.4 * modelWeek).toFixed(2)} against the model's $${modelWeek.toFixed(2)} for the same 168 h (+40%).`);
    expect(human.stdout).toMatch(/likely: the pool cost \$[\d.]+ against \$[\d.]+ for its ready sessions: it ran past its window/);

    const r = await manageDecision(["spend", "--stack", "dev", ...PERIOD, "--json"], { project, env: env() });
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      stack: "dev",
      resourceGroup: "codeeng-dev-rg",
      period: { from: "2026-11-10T00:00:00.000Z", to: "2026-11-17T00:00:00.000Z", hours: 168 },
      profiles: [{ profile: "testing", hours: 168 }],
      currency: "USD",
      estimate: { basis: "the profiles' always-on parts for the hours run", prices: { region: "eastus", origin: "embedded" } },
      gap: { flagged: true },
      assumptions: { gapShare: 0.15, billingDelayHours: 24 },
    });
    expect(out.actual.total).toBeCloseTo(1.4 * modelWeek, 6);
    expect(out.estimate.total).toBeCloseTo(modelWeek, 6);
    expect(out.gap.share).toBeCloseTo(0.4, 6);
    expect(out.gap.causes[0]).toMatch(/ran past its window/);
    expect(out.actual.days).toEqual(DAYS);
    expect(out.actual.byResourceAndMeter[0]).toMatchObject({ resourceId: IDS.pool, resource: "codeengdevpool", type: "Microsoft.App/sessionPools", meter: "Dedicated vCPU Usage" });
    expect(out.byResource.map((b: { resource: string }) => b.resource).sort()).toEqual(["backend", "log analytics", "registry", "session pool"]);
  });

  test.each([
    [["--since", "7"], /--since "7" has no unit .*e\.g\. --since 7d/],
    [["--since", "-7d"], /--since "-7d" is negative/],
    [["--from", "2026-11-20", "--to", "2026-11-10"], /--from 2026-11-20T00:00:00Z is not before --to 2026-11-10T00:00:00Z/],
    [["--from", "2026-11-20", "--to", "2099-01-01"], /--to 2099-01-01T00:00:00Z is in the future/],
    [["--since", "7d", "--from", "2026-11-01"], /give either --since or --from\/--to, not both/],
    [["--from", "20 Nov"], /--from "20 Nov" is not an ISO 8601 date or time/],
  ])("bad input %j: exit 2, one message naming the option, nothing asked of Azure", async (args, message) => {
    // A project of its own: refusals must leave no state backend behind, and the others' runs made one.
    await expectRefusal(makeProject(), ["spend", "--stack", "dev", ...args], message, env());
    expect(arm.costs.queries).toEqual([]);
  });

  test("Azure refusing the query is exit 1 with the reason and the role that reads costs", async () => {
    const r = await manageDecision(["spend", "--stack", "dev", ...PERIOD], { project, env: { ...env(), MANAGE_ARM_TOKEN: "wrong" } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Azure refused the token \(401 AuthenticationFailed\)[\s\S]*Fix: .*Cost Management Reader/);
  });
});

describe("the local Cost Management query holds clients to the spec", () => {
  function post(path: string, body: unknown, token = ARM_TOKEN): Promise<{ status: number; json: any }> {
    return new Promise((resolve, reject) => {
      const req = request(`${arm.url}${path}`, { method: "POST", ca: readFileSync(arm.caFile), headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
      });
      req.on("error", reject);
      req.end(typeof body === "string" ? body : JSON.stringify(body));
    });
  }
  const scope = `/subscriptions/${SUB}/resourceGroups/codeeng-dev-rg/providers/Microsoft.CostManagement/query`;
  const good = { type: "ActualCost", timeframe: "Custom", timePeriod: { from: "2026-11-10T00:00:00Z", to: "2026-11-11T00:00:00Z" }, dataset: { granularity: "Daily", aggregation: { totalCost: { name: "Cost", function: "Sum" } } } };

  test("a bearer token and a known api-version are required; errors come in ARM's envelope", async () => {
    expect(await post(`${scope}?api-version=2022-10-01`, good, "nope")).toMatchObject({ status: 401, json: { error: { code: "AuthenticationFailed" } } });
    expect(await post(scope, good)).toMatchObject({ status: 400, json: { error: { code: "MissingApiVersionParameter" } } });
    expect(await post(`${scope}?api-version=2019-01-01`, good)).toMatchObject({ status: 400, json: { error: { code: "NoRegisteredProviderFound" } } });
  });

  test.each([
    ["not JSON", "{", /not valid JSON/],
    ["an unknown type", { ...good, type: "Forecast" }, /Invalid query type/],
    ["Custom without a timePeriod", { ...good, timePeriod: undefined }, /timePeriod with from and to is required/],
    ["from after to", { ...good, timePeriod: { from: "2026-11-12T00:00:00Z", to: "2026-11-11T00:00:00Z" } }, /is after to/],
    ["hourly granularity (the spec has Daily only)", { ...good, dataset: { ...good.dataset, granularity: "Hourly" } }, /Invalid granularity 'Hourly'/],
    ["three groupings", { ...good, dataset: { ...good.dataset, grouping: ["ResourceId", "Meter", "MeterCategory"].map((name) => ({ type: "Dimension", name })) } }, /up to 2 group by clauses/],
    ["an aggregation other than Sum", { ...good, dataset: { ...good.dataset, aggregation: { totalCost: { name: "Cost", function: "Avg" } } } }, /function Sum/],
  ])("refuses %s with 400 BadRequest", async (_what, body, message) => {
    const r = await post(`${scope}?api-version=2022-10-01`, body);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("BadRequest");
    expect(r.json.error.message).toMatch(message);
  });

  test("answers columns and rows, summed per day within the scope and period, with the spec's column names", async () => {
    arm.costs.rows.push(
      { date: "2026-11-10", resourceId: IDS.pool, meter: "Dedicated vCPU Usage", cost: 1 },
      { date: "2026-11-10", resourceId: IDS.pool, meter: "Dedicated Memory Usage", cost: 2 },
      { date: "2026-11-12", resourceId: IDS.pool, meter: "Dedicated vCPU Usage", cost: 4 },
      { date: "2026-11-10", resourceId: `/subscriptions/${SUB}/resourceGroups/other-rg/providers/Microsoft.App/sessionPools/x`, meter: "Dedicated vCPU Usage", cost: 8 },
    );
    const r = await post(`${scope}?api-version=2022-10-01`, good);
    expect(r.status).toBe(200);
    expect(r.json.properties).toEqual({
      nextLink: null,
      columns: [
        { name: "Cost", type: "Number" },
        { name: "UsageDate", type: "Number" },
        { name: "Currency", type: "String" },
      ],
      rows: [[3, 20261110, "USD"]],
    });
  });
});
