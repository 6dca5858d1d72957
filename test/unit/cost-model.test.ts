// The cost model against hand-computed numbers (round test prices) and the billing rules of
// shared/azure-facts.md: whole E16 nodes for held + ready sessions, a management fee while any
// node exists (assumed), idle Consumption rates for replicas kept by minReplicas, logs that follow
// the work up to a daily cap, registry storage beyond the SKU's, warm-up and tail around a window.
import { describe, expect, test } from "vitest";
import { COST_ASSUMPTIONS, estimateCost, GATEWAY_METERS, HOURS_PER_MONTH, liveBurnPerHour, type CostQuery } from "../../infra/costing/model.js";
import { GATEWAY_CREATE_MINUTES } from "../../infra/access-mode.js";
import { CONFIG_KEYS } from "../../infra/config.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/program.js";
import { embeddedPriceBook, EMBEDDED_PRICES, EMBEDDED_REGIONS, METERS } from "../../infra/costing/prices.js";
import { resolveProfile } from "../../infra/profiles.js";
import { DEFAULT_PARTICIPANTS } from "../../infra/capacity.js";
import { bookOf, ROUND_PRICES } from "../helpers/prices.js";

const query = (over: Partial<CostQuery> = {}): CostQuery => ({
  profile: resolveProfile("testing"),
  session: { cpu: 0.5, memoryGi: 1 },
  backend: { cpu: 0.5, memoryGi: 1, concurrentRequests: 20 },
  registrySku: "Basic",
  windowHours: 2,
  warmUpHours: 0,
  tailHours: 0,
  ...over,
});

// With ROUND_PRICES: node-hour = 16*0.05 + 128*0.005 = 1.44; management 0.10/h;
// backend replica idle = 3600*(0.5*0.000002 + 1*0.000002) = 0.0108/h; registry 0.24/24 = 0.01/h;
// logs of one replica: 0.001 GB/h * 2.4 = 0.0024/h.
const NODE_HOUR = 1.44;
const REPLICA = 0.0108;
const REGISTRY = 0.01;
const REPLICA_LOGS = 0.0024;

describe("cost model", () => {
  test("an E16 node-hour is 16 vCPU-hours plus 128 GiB-hours (about $1.55 at the recorded koreacentral rates)", () => {
    expect(estimateCost(ROUND_PRICES, query()).nodeHourUsd).toBeCloseTo(NODE_HOUR, 10);
    expect(estimateCost(embeddedPriceBook("koreacentral"), query()).nodeHourUsd).toBeCloseTo(1.550416, 6);
  });

  test("testing: one ready session costs a whole node plus the management fee", () => {
    const e = estimateCost(ROUND_PRICES, query());
    expect(e.nodes).toEqual({ ready: 1, window: 1, peak: 1 });
    expect(e.perHour).toBeCloseTo(NODE_HOUR + 0.1 + REPLICA + REGISTRY + REPLICA_LOGS, 10);
    expect(e.perDay).toBeCloseTo(e.perHour * 24, 10);
    expect(e.perMonth).toBeCloseTo(e.perHour * 730, 10);
    expect(e.window).toBeCloseTo(e.perHour * 2, 10);
    expect(e.complete).toBe(true);
  });

  test("idle costs the registry floor: no pool, no replica, so no node, no fee and nothing logged", () => {
    const e = estimateCost(ROUND_PRICES, query({ profile: resolveProfile("idle") }));
    expect(e.nodes).toEqual({ ready: 0, window: 0, peak: 0 });
    expect(e.perDay).toBeCloseTo(0.24, 10);
    expect(e.lines.find((l) => l.resource === "log analytics")).toMatchObject({ perHour: 0, basis: "nothing runs, nothing logs" });
    // The eastus floor is the Basic registry's $0.167/day.
    expect(estimateCost(embeddedPriceBook("eastus"), query({ profile: resolveProfile("idle") })).perDay).toBeCloseTo(0.167, 10);
  });

  test("ready sessions beyond one node's worth cost a second whole node (28 sessions per node net of the reserved share)", () => {
    const e = estimateCost(ROUND_PRICES, query({ profile: resolveProfile("contest", { readySessions: 29, maxSessions: 60 }) }));
    expect(e.sessionsPerNode).toBe(28);
    expect(e.nodes.ready).toBe(2);
    expect(e.lines[0]!.perHour).toBeCloseTo(2 * NODE_HOUR + 0.1, 10);
  });

  test("a pool with no ready sessions and no load has no node, so no management fee", () => {
    const e = estimateCost(ROUND_PRICES, query({ profile: resolveProfile("testing", { readySessions: 0 }) }));
    expect(e.lines[0]!.perHour).toBe(0);
  });

  test("ready sessions come on top of held ones: 200 held + 43 ready at 32 a node is 8 peak nodes, not 7", () => {
    const contest = resolveProfile("contest", { maxSessions: 200, readySessions: 43 });
    const e = estimateCost(ROUND_PRICES, query({ profile: contest, sessionsPerNode: 32, load: { executions: 24_000, runSeconds: 2, heldSessions: 199 } }));
    expect(e.nodes).toEqual({ ready: 2, window: 8, peak: 8 });
    const usage = e.lines.find((l) => l.resource === "session pool" && l.part === "usage")!;
    expect(usage.windowUsd).toBeCloseTo(6 * NODE_HOUR * 2, 10);
  });

  test("a load beyond maxSessions is capped there (404s cost nothing), with the ready sessions still on top", () => {
    // 7200 executions in 2 h, 10 s each, per-execution: 310 held on average, capped at max 200.
    const contest = resolveProfile("contest", { maxSessions: 200, readySessions: 43 });
    const e = estimateCost(ROUND_PRICES, query({ profile: contest, load: { executions: 7200, runSeconds: 10 } }));
    expect(e.nodes).toEqual({ ready: 2, window: 9, peak: 9 });
    expect(e.lines.find((l) => l.part === "usage" && l.resource === "session pool")!.basis).toContain("capped at max 200");
    // Backend: 7200*10/20 = 3600 busy replica-seconds at (active - idle) + 7200 requests.
    const backend = e.lines.find((l) => l.resource === "backend" && l.part === "usage")!;
    expect(backend.windowUsd).toBeCloseTo(3600 * (0.5 * 0.000018 + 0) + (7200 / 1e6) * 0.4, 10);
  });

  test("with the stack's participants, executions turn into the sessions their identifier strategy holds", () => {
    const contest = resolveProfile("contest");
    const perUser = estimateCost(ROUND_PRICES, query({ profile: contest, participantModel: DEFAULT_PARTICIPANTS, load: { executions: 24_000, runSeconds: 2 } }));
    // 200 users at 1 run/min each: 200 * (1 - e^-(302/60)) = 198.7 held.
    expect(perUser.lines.find((l) => l.part === "usage" && l.resource === "session pool")!.basis).toContain("~199 sessions held");
  });

  test("logs follow the work: 0.01 GB per 1000 runs, cut by the daily cap", () => {
    const load = { executions: 24_000, runSeconds: 2 };
    const runs = (e: ReturnType<typeof estimateCost>) => e.lines.find((l) => l.resource === "log analytics" && l.part === "usage")!;
    expect(runs(estimateCost(ROUND_PRICES, query({ load }))).windowUsd).toBeCloseTo(24 * 0.01 * 2.4, 10);
    // A 0.1 GB/day cap: the replica logs 0.001 GB/h * 2 h, the runs get the rest of the day's 0.1 GB.
    const capped = runs(estimateCost(ROUND_PRICES, query({ load, logs: { dailyCapGb: 0.1 } })));
    expect(capped.windowUsd).toBeCloseTo((0.1 - 0.002) * 2.4, 10);
    expect(capped.basis).toContain("cut by the daily cap");
  });

  test("registry storage beyond the SKU's included 10 GB is billed per GB-month", () => {
    const e = estimateCost(ROUND_PRICES, query({ profile: resolveProfile("idle"), registryStoredGb: 25 }));
    expect(e.perHour).toBeCloseTo(REGISTRY + (15 * 0.73) / 730, 10);
    expect(e.lines.find((l) => l.resource === "registry")!.basis).toContain("15.0 GB beyond the 10 GB included");
    expect(estimateCost(ROUND_PRICES, query({ profile: resolveProfile("idle") })).perHour).toBeCloseTo(REGISTRY, 10);
  });

  test("a contest window bills the warm-up before it and the tail after it (profiles with a pool)", () => {
    const e = estimateCost(ROUND_PRICES, query({ warmUpHours: undefined, tailHours: undefined }));
    expect(e.billedHours).toBe(3.5);
    expect(e.window).toBeCloseTo(e.perHour * 3.5, 10);
    expect(estimateCost(ROUND_PRICES, query({ profile: resolveProfile("idle"), warmUpHours: undefined, tailHours: undefined })).billedHours).toBe(2);
  });

  test("the management fee is a named assumption: both figures are there", () => {
    const withFee = estimateCost(ROUND_PRICES, query());
    const without = estimateCost(ROUND_PRICES, query({ managementFee: false }));
    expect(withFee.managementFee).toEqual({ assumed: true, perHour: 0.1, window: 0.2 });
    expect(withFee.perHour - without.perHour).toBeCloseTo(0.1, 10);
    expect(without.managementFee.perHour).toBe(0);
  });

  test("at most per day: every session held with the ready ones on top, the backend busy at its maximum, logs at the cap", () => {
    const e = estimateCost(ROUND_PRICES, query({ logs: { dailyCapGb: 1 } }));
    // testing: ceil((5 + 1) / 28) = 1 node; 5 replicas busy all day; 1 GB of logs.
    const backend = 5 * 86_400 * (0.5 * 0.00002 + 1 * 0.000002);
    expect(e.atMost.perDay).toBeCloseTo(24 * (NODE_HOUR + 0.1) + backend + 0.24 + 2.4, 10);
    const big = estimateCost(ROUND_PRICES, query({ profile: resolveProfile("contest", { maxSessions: 600, readySessions: 600 }) }));
    expect(big.atMost.nodes).toBe(43);
  });

  test("the marginal execution pays its share of a node for run + cooldown, backend time, the request and its logs", () => {
    const e = estimateCost(ROUND_PRICES, query({ load: { executions: 100, runSeconds: 4 } }));
    const session = (((4 + 300) / 3600) * NODE_HOUR) / 28;
    const backend = (4 / 20) * (0.5 * 0.00002 + 1 * 0.000002);
    expect(e.marginalPerExecution).toBeCloseTo(session + backend + 0.4 / 1e6 + 0.00001 * 2.4, 12);
  });

  test("a missing price is reported as missing, never filled in", () => {
    // koreacentral has recorded Dedicated rates but no Consumption ones.
    const e = estimateCost(embeddedPriceBook("koreacentral"), query());
    expect(e.complete).toBe(false);
    expect(e.missing).toEqual(expect.arrayContaining(["consumptionVcpuIdleSecond", "logIngestionGb"]));
    expect(e.lines.find((l) => l.resource === "backend")!.perHour).toBeNull();
    expect(e.lines.find((l) => l.resource === "session pool")!.perHour).toBeCloseTo(1.550416 + 0.1, 6);
    expect(Number.isFinite(e.perHour)).toBe(true);
    expect(e.atMost.complete).toBe(false);
  });

  test("the registry costs its SKU's daily fee", () => {
    const book = bookOf({ registryStandardDay: 0.72 });
    const e = estimateCost(book, query({ profile: resolveProfile("idle"), registrySku: "Standard" }));
    expect(e.lines.find((l) => l.resource === "registry")!.perHour).toBeCloseTo(0.03, 10);
  });

  test("the live burn rate: nodes and replicas as Azure reports them, and the logs those replicas write", () => {
    const idle = liveBurnPerHour(ROUND_PRICES, { backend: query().backend, registrySku: "Basic", nodeCount: 0, backendReplicas: 0 });
    expect(idle.perHour).toBeCloseTo(REGISTRY, 10);
    const busy = liveBurnPerHour(ROUND_PRICES, { backend: query().backend, registrySku: "Basic", nodeCount: 2, backendReplicas: 3 });
    expect(busy.perHour).toBeCloseTo(2 * NODE_HOUR + 0.1 + 3 * REPLICA + REGISTRY + 3 * REPLICA_LOGS, 10);
  });
});

describe("the gateway (accessMode token)", () => {
  const GATEWAY_BOOK = bookOf({ ...Object.fromEntries(Object.entries(ROUND_PRICES.prices).map(([k, p]) => [k, p!.usd])), apimDeveloperHour: 0.05, apimBasicHour: 0.2 });

  test("the gate lives with the pool: nothing at idle; with a pool one unit an hour, over a warm-up long enough to create it", () => {
    // Idle: no gateway line, the registry floor.
    const idle = estimateCost(GATEWAY_BOOK, query({ profile: resolveProfile("idle"), gateway: { sku: "Developer" } }));
    expect(idle.lines.map((l) => l.resource)).not.toContain("gateway");
    expect(idle.perDay).toBeCloseTo(estimateCost(GATEWAY_BOOK, query({ profile: resolveProfile("idle") })).perDay, 10);
    expect(idle.atMost.perDay).toBeCloseTo(estimateCost(GATEWAY_BOOK, query({ profile: resolveProfile("idle") })).atMost.perDay, 10);
    for (const profile of ["testing", "contest"] as const) {
      const without = estimateCost(GATEWAY_BOOK, query({ profile: resolveProfile(profile) }));
      const withGateway = estimateCost(GATEWAY_BOOK, query({ profile: resolveProfile(profile), gateway: { sku: "Developer" } }));
      expect(withGateway.perHour - without.perHour).toBeCloseTo(0.05, 10);
      // A window with a gateway warms up for its creation (GATEWAY_CREATE_MINUTES): the query asks for no warm-up at all.
      expect(withGateway.billedHours - without.billedHours).toBeCloseTo(GATEWAY_CREATE_MINUTES / 60, 10);
      expect(withGateway.lines.find((l) => l.resource === "gateway")!.windowUsd).toBeCloseTo(0.05 * withGateway.billedHours, 10);
      expect(withGateway.atMost.perDay - without.atMost.perDay).toBeCloseTo(0.05 * 24, 10);
      expect(withGateway.lines.find((l) => l.resource === "gateway")).toMatchObject({ part: "always-on", perHour: 0.05 });
    }
    expect(estimateCost(GATEWAY_BOOK, query({ gateway: { sku: "Basic" } })).lines.find((l) => l.resource === "gateway")!.perHour).toBe(0.2);
    const live = liveBurnPerHour(GATEWAY_BOOK, { backend: query().backend, registrySku: "Basic", nodeCount: 0, backendReplicas: 0, gateway: { sku: "Developer" } });
    expect(live.perHour).toBeCloseTo(REGISTRY + 0.05, 10);
  });

  test("the contest's tier is the config's default, and docs/costs.md shows what a window costs at each offered tier", () => {
    const book = embeddedPriceBook("eastus");
    // What one 2-hour contest bills the gateway: warm-up for its creation, the window, the tail.
    const hours = 2 + GATEWAY_CREATE_MINUTES / 60 + COST_ASSUMPTIONS.tailHours;
    const perWindow = (sku: keyof typeof GATEWAY_METERS) => book.prices[GATEWAY_METERS[sku]]!.usd * hours;
    expect(perWindow("Developer")).toBeCloseTo((48.03 / 730) * hours, 6);
    expect(perWindow("Basic")).toBeCloseTo((147.17 / 730) * hours, 6);
    const doc = readFileSync(join(ROOT, "docs", "costs.md"), "utf8");
    expect(doc).toContain(`**The choice for the contest: API Management ${CONFIG_KEYS.gatewaySku!.default}**`);
    for (const sku of ["Developer", "Basic"] as const) expect(doc, sku).toContain(`| API Management ${sku} | $${perWindow(sku).toFixed(2)} per ${hours} h window |`);
  });

  test("a region without a gateway price says so instead of leaving it out silently", () => {
    const e = estimateCost(ROUND_PRICES, query({ gateway: { sku: "Developer" } }));
    expect(e.complete).toBe(false);
    expect(e.missing).toEqual(["apimDeveloperHour"]);
  });

  test("the offered tiers are the ones the comparison in docs/costs.md keeps, priced there at the embedded month", () => {
    const book = embeddedPriceBook("eastus");
    expect(Object.keys(GATEWAY_METERS)).toEqual(["Developer", "Basic"]);
    const doc = readFileSync(join(ROOT, "docs", "costs.md"), "utf8");
    for (const [sku, meter] of Object.entries(GATEWAY_METERS)) expect(doc, sku).toContain(`| API Management ${sku} | $${(book.prices[meter]!.usd * HOURS_PER_MONTH).toFixed(2)} |`);
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

  test("the gateway's prices are a named, dated assumption, marked unverified", () => {
    const named = { asOf: "2026-11", confidence: "unverified", source: expect.stringMatching(/^ASSUMPTION gateway-list-prices-2026-11: /) };
    for (const key of ["apimDeveloperHour", "apimBasicHour"] as const) expect(embeddedPriceBook("eastus").prices[key]).toMatchObject(named);
  });

  test("Log Analytics is recorded per region: eastus $2.30/GB, eastus2 $2.76/GB", () => {
    expect(embeddedPriceBook("eastus").prices.logIngestionGb).toMatchObject({ usd: 2.3, confidence: "recorded" });
    expect(embeddedPriceBook("eastus2").prices.logIngestionGb).toMatchObject({ usd: 2.76, confidence: "recorded" });
  });
});
