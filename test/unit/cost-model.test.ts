// The cost model against hand-computed numbers (round test prices) and the billing rules of
// shared/azure-facts.md: whole E16 nodes for ready + active sessions, a management fee while any
// node exists, idle Consumption rates for replicas kept by minReplicas.
import { describe, expect, test } from "vitest";
import { derivedSessionsPerNode, estimateCost, type CostQuery } from "../../cli/costing/model.js";
import { embeddedPriceBook, EMBEDDED_PRICES, EMBEDDED_REGIONS, METERS } from "../../cli/costing/prices.js";
import { resolveProfile } from "../../infra/profiles.js";
import { bookOf, ROUND_PRICES } from "../helpers/prices.js";
import { OLD_SHEET_RATES, OLD_SHEET_SCENARIOS, sheetCost } from "../../cli/costing/old-sheet.js";

const query = (over: Partial<CostQuery> = {}): CostQuery => ({
  profile: resolveProfile("testing"),
  session: { cpu: 0.5, memoryGi: 1 },
  backend: { cpu: 0.5, memoryGi: 1, concurrentRequests: 20 },
  registrySku: "Basic",
  windowHours: 2,
  logGbPerDay: 0.1,
  ...over,
});

// With ROUND_PRICES: node-hour = 16*0.05 + 128*0.005 = 1.44; management 0.10/h;
// backend replica idle = 3600*(0.5*0.000002 + 1*0.000002) = 0.0108/h; registry 0.24/24 = 0.01/h;
// logs 0.1 GB/day * 2.4 / 24 = 0.01/h.
const NODE_HOUR = 1.44;
const BASE = 0.01 + 0.01;

describe("cost model", () => {
  test("an E16 node-hour is 16 vCPU-hours plus 128 GiB-hours (about $1.55 at the recorded koreacentral rates)", () => {
    expect(estimateCost(ROUND_PRICES, query()).nodeHourUsd).toBeCloseTo(NODE_HOUR, 10);
    expect(estimateCost(embeddedPriceBook("koreacentral"), query()).nodeHourUsd).toBeCloseTo(1.550416, 6);
  });

  test("testing: one ready session costs a whole node plus the management fee", () => {
    const e = estimateCost(ROUND_PRICES, query());
    expect(e.nodes).toEqual({ ready: 1, peak: 1 });
    expect(e.perHour).toBeCloseTo(NODE_HOUR + 0.1 + 0.0108 + BASE, 10);
    expect(e.perDay).toBeCloseTo(e.perHour * 24, 10);
    expect(e.perMonth).toBeCloseTo(e.perHour * 730, 10);
    expect(e.window).toBeCloseTo(e.perHour * 2, 10);
    expect(e.complete).toBe(true);
  });

  test("idle: no pool, no node, no management fee, backend at zero: registry and logs only", () => {
    const e = estimateCost(ROUND_PRICES, query({ profile: resolveProfile("idle") }));
    expect(e.nodes).toEqual({ ready: 0, peak: 0 });
    expect(e.perHour).toBeCloseTo(BASE, 10);
    expect(e.lines.find((l) => l.resource === "session pool")).toBeUndefined();
  });

  test("ready sessions beyond one node's worth cost a second whole node", () => {
    const e = estimateCost(ROUND_PRICES, query({ profile: resolveProfile("contest", { readySessions: 33, maxSessions: 60 }) }));
    expect(e.sessionsPerNode).toBe(32);
    expect(e.nodes.ready).toBe(2);
    expect(e.lines[0]!.perHour).toBeCloseTo(2 * NODE_HOUR + 0.1, 10);
  });

  test("a pool with no ready sessions and no load has no node, so no management fee", () => {
    const e = estimateCost(ROUND_PRICES, query({ profile: resolveProfile("testing", { readySessions: 0 }) }));
    expect(e.lines[0]!.perHour).toBe(0);
  });

  test("load adds nodes for the sessions it holds (run + cooldown each), never beyond maxSessions", () => {
    // 7200 executions in 2 h, 10 s each, cooldown 300 s: 7200*310/7200 = 310 sessions held on average.
    const contest = resolveProfile("contest"); // max 50 -> at most 2 nodes
    const e = estimateCost(ROUND_PRICES, query({ profile: contest, load: { executions: 7200, avgExecSeconds: 10 } }));
    expect(e.nodes).toEqual({ ready: 1, peak: 2 });
    const usage = e.lines.find((l) => l.resource === "session pool" && l.part === "usage")!;
    expect(usage.windowUsd).toBeCloseTo(1 * NODE_HOUR * 2, 10);
    // Backend: 7200*10/20 = 3600 busy replica-seconds at (active - idle) + 7200 requests.
    const backend = e.lines.find((l) => l.resource === "backend" && l.part === "usage")!;
    expect(backend.windowUsd).toBeCloseTo(3600 * (0.5 * 0.000018 + 0) + (7200 / 1e6) * 0.4, 10);
  });

  test("the marginal execution pays its share of a node for run + cooldown, backend time and the request", () => {
    const e = estimateCost(ROUND_PRICES, query({ load: { executions: 100, avgExecSeconds: 4 } }));
    const session = ((4 + 300) / 3600) * NODE_HOUR / 32;
    const backend = (4 / 20) * (0.5 * 0.00002 + 1 * 0.000002);
    expect(e.marginalPerExecution).toBeCloseTo(session + backend + 0.4 / 1e6, 12);
  });

  test("sessions per node follow the session size (the tighter of CPU and memory)", () => {
    expect(derivedSessionsPerNode({ cpu: 0.5, memoryGi: 1 })).toBe(32);
    expect(derivedSessionsPerNode({ cpu: 2, memoryGi: 4 })).toBe(8);
    expect(derivedSessionsPerNode({ cpu: 0.25, memoryGi: 4 })).toBe(32);
    expect(estimateCost(ROUND_PRICES, query({ sessionsPerNode: 10, profile: resolveProfile("contest") })).nodes.ready).toBe(1);
  });

  test("a missing price is reported as missing, never filled in", () => {
    // koreacentral has recorded Dedicated rates but no Consumption ones.
    const e = estimateCost(embeddedPriceBook("koreacentral"), query());
    expect(e.complete).toBe(false);
    expect(e.missing).toEqual(expect.arrayContaining(["consumptionVcpuIdleSecond", "logIngestionGb"]));
    const backend = e.lines.find((l) => l.resource === "backend")!;
    expect(backend.perHour).toBeNull();
    expect(e.lines.find((l) => l.resource === "session pool")!.perHour).toBeCloseTo(1.550416 + 0.1, 6);
    expect(Number.isFinite(e.perHour)).toBe(true);
  });

  test("the registry costs its SKU's daily fee", () => {
    const book = bookOf({ registryStandardDay: 0.72 });
    const e = estimateCost(book, query({ profile: resolveProfile("idle"), registrySku: "Standard" }));
    expect(e.lines.find((l) => l.resource === "registry")!.perHour).toBeCloseTo(0.03, 10);
  });
});

describe("embedded prices", () => {
  test("cover at least eastus, eastus2 and westeurope, each price with its date, source and confidence", () => {
    expect(EMBEDDED_REGIONS).toEqual(expect.arrayContaining(["eastus", "eastus2", "westeurope"]));
    for (const region of EMBEDDED_REGIONS)
      for (const [key, price] of Object.entries(EMBEDDED_PRICES[region]!)) {
        expect(Object.keys(METERS)).toContain(key);
        expect(price.usd).toBeGreaterThan(0);
        expect(price.asOf).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
        expect(price.source.length).toBeGreaterThan(10);
        expect(["recorded", "unverified"]).toContain(price.confidence);
      }
  });

  test("the recorded koreacentral rates are azure-facts.md's, and unverified ones are announced", () => {
    const kc = embeddedPriceBook("koreacentral");
    expect(kc.prices.dedicatedVcpuHour?.usd).toBe(0.057077);
    expect(kc.prices.dedicatedMemoryGibHour?.usd).toBe(0.004978);
    expect(kc.prices.dedicatedManagementHour?.usd).toBe(0.1);
    expect(kc.warnings).toEqual([]);
    expect(embeddedPriceBook("eastus").warnings[0]).toMatch(/unverified.*--live-prices/);
  });
});

describe("the hand-run deployment's cost sheet, recomputed", () => {
  test("from its own unit rates under its own rules it gives its own totals: $5.82/day, $0.27/day, $2.39 per contest", () => {
    const { testingDay, idleDay, contestTwoHours } = OLD_SHEET_SCENARIOS;
    expect(sheetCost(OLD_SHEET_RATES, testingDay)).toEqual({ readySessions: 4.9, executions: 0, backend: 0.65, fixed: 0.27, total: 5.82 });
    expect(sheetCost(OLD_SHEET_RATES, idleDay).total).toBe(0.27);
    expect(sheetCost(OLD_SHEET_RATES, contestTwoHours)).toEqual({ readySessions: 2.04, executions: 0.08, backend: 0.27, fixed: 0, total: 2.39 });
  });

  test("the same arithmetic with Azure's billed unit, a whole E16 node per ready session, is what moves the total", () => {
    const testing = OLD_SHEET_SCENARIOS.testingDay;
    // 16 vCPU x 86,400 s x $0.000024 = $33.18 and 128 GiB x 86,400 s x $0.000003 = $33.18, plus the $3.60 overhead.
    const asNode = sheetCost(OLD_SHEET_RATES, { ...testing, session: { cpu: 16, memoryGi: 128 } });
    expect(asNode.readySessions).toBeCloseTo(69.96, 2);
    expect(asNode.total).toBeCloseTo(70.88, 2);
    // This project's model (Azure's rules, its own embedded prices) lands with the node, not with the sheet.
    const real = estimateCost(embeddedPriceBook("eastus2"), query({ windowHours: 24 }));
    expect(real.nodes.ready).toBe(1);
    expect(real.perDay).toBeGreaterThan(6 * sheetCost(OLD_SHEET_RATES, testing).total);
  });
});
