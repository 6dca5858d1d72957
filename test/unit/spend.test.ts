// The decisions behind `manage spend`: the period, the hours at each profile (the seam that will
// read the shared profile history), which model resource a billed row is, and the reading of a gap.
import { describe, expect, test } from "vitest";
import { compareSpend, explainGap, modelResourceOf, profileHours, spendPeriod, SPEND_ASSUMPTIONS } from "../../cli/costing/spend.js";
import { rowsOf, queryDefinition, scopeOf } from "../../cli/azure/spend.js";
import { PROFILES } from "../../infra/profiles.js";

const H = 3_600_000;
const now = new Date("2026-11-23T12:00:00Z");

describe("the period", () => {
  test("7 days back from now by default; --since; --from alone ends now", () => {
    expect(spendPeriod({}, now)).toEqual({ from: new Date(now.getTime() - 168 * H), to: now });
    expect(spendPeriod({ since: 2 * H }, now).from).toEqual(new Date("2026-11-23T10:00:00Z"));
    expect(spendPeriod({ from: new Date("2026-11-20T00:00:00Z") }, now)).toEqual({ from: new Date("2026-11-20T00:00:00Z"), to: now });
  });

  test("refusals name the option and the fix", () => {
    expect(() => spendPeriod({ to: new Date("2026-11-20T00:00:00Z") }, now)).toThrow(/--to 2026-11-20T00:00:00Z needs --from/);
    expect(() => spendPeriod({ from: new Date("2026-11-24T00:00:00Z") }, now)).toThrow(/--from 2026-11-24T00:00:00Z is in the future/);
    expect(() => spendPeriod({ from: new Date("2025-01-01T00:00:00Z") }, now)).toThrow(/longer than a year/);
  });
});

describe("the hours at each profile (from the stack file, for now)", () => {
  const period = { from: new Date("2026-11-20T00:00:00Z"), to: new Date("2026-11-21T00:00:00Z") };
  test("the stack file's profile the whole period", () => {
    expect(profileHours({ profile: PROFILES.testing, profileExpiresAt: null }, period)).toEqual([{ profile: "testing", hours: 24 }]);
  });
  test("an expiry inside the period returns it to idle there; one before it, idle all along", () => {
    expect(profileHours({ profile: PROFILES.contest, profileExpiresAt: new Date("2026-11-20T03:00:00Z") }, period)).toEqual([
      { profile: "contest", hours: 3 },
      { profile: "idle", hours: 21 },
    ]);
    expect(profileHours({ profile: PROFILES.contest, profileExpiresAt: new Date("2026-11-19T00:00:00Z") }, period)).toEqual([{ profile: "idle", hours: 24 }]);
  });
});

describe("billed rows and the model", () => {
  const rg = "/subscriptions/s/resourceGroups/codeeng-contest-rg/providers";
  test("each row is the model resource its type (or a Dedicated meter) says; others are not in the model", () => {
    expect(modelResourceOf(`${rg}/Microsoft.App/sessionPools/p`, "Dedicated vCPU Usage")).toBe("session pool");
    expect(modelResourceOf(`${rg}/Microsoft.App/managedEnvironments/e`, "Dedicated Plan Management")).toBe("session pool");
    expect(modelResourceOf(`${rg}/microsoft.app/containerapps/b`, "Standard vCPU Idle Usage")).toBe("backend");
    expect(modelResourceOf(`${rg}/Microsoft.ApiManagement/service/g`, "Developer Units")).toBe("gateway");
    expect(modelResourceOf(`${rg}/Microsoft.Insights/metricAlerts/a`, "Alerts")).toBe("alerts");
    expect(modelResourceOf(`${rg}/Microsoft.Network/publicIPAddresses/ip`, "Standard IPv4 Static Public IP")).toBeNull();
  });

  const period = { from: new Date("2026-11-16T00:00:00Z"), to: new Date("2026-11-23T00:00:00Z") };
  const estimate = { total: 100, byResource: new Map([["session pool", 90], ["registry", 10]] as const) };
  const hours = [{ profile: "testing" as const, hours: 168 }];

  test("meters the model lacks are named when they explain the gap", () => {
    const c = compareSpend(
      [
        { resourceId: `${rg}/Microsoft.App/sessionPools/p`, meter: "Dedicated vCPU Usage", cost: 90, currency: "USD" },
        { resourceId: `${rg}/Microsoft.ContainerRegistry/registries/r`, meter: "Basic Registry Unit", cost: 10, currency: "USD" },
        { resourceId: `${rg}/Microsoft.Network/publicIPAddresses/ip`, meter: "Standard IPv4 Static Public IP", cost: 30, currency: "USD" },
      ],
      estimate,
      hours,
      period,
      new Date("2026-11-23T12:00:00Z"),
    );
    expect(c.gap).toMatchObject({ usd: 30, share: 0.3, flagged: true });
    expect(c.gap.causes).toEqual(["meters not in the model: Standard IPv4 Static Public IP on ip ($30.00)"]);
    expect(c.byResource).toContainEqual({ resource: "not in the model", actual: 30, estimate: null });
  });

  test("a shortfall in a period that just ended is most likely the billing delay", () => {
    const base = { actual: 60, estimate: 100, currency: "USD", hours, unmodelled: [], byResource: [{ resource: "session pool" as const, actual: 55, estimate: 90 }] };
    const recent = explainGap(base, period, new Date(period.to.getTime() + (SPEND_ASSUMPTIONS.billingDelayHours - 1) * H));
    expect(recent.causes[0]).toMatch(/^billing delay: .* up to ~24 h/);
    const later = explainGap(base, period, new Date(period.to.getTime() + 48 * H));
    expect(later.causes).toEqual([expect.stringMatching(/ran less than the stack file says/)]);
    expect(explainGap({ ...base, actual: 90 }, period, now)).toMatchObject({ flagged: false, causes: [] });
  });
});

describe("the Cost Management query (cli/azure/spend.ts)", () => {
  test("scope without a leading slash, as the spec's examples give it; the body groups by resource and meter, daily", () => {
    expect(scopeOf({ subscriptionId: "s", resourceGroup: "rg" })).toBe("subscriptions/s/resourceGroups/rg");
    const q = queryDefinition(new Date("2026-11-01T00:00:00Z"), new Date("2026-11-02T00:00:00Z"));
    expect(q.dataset.grouping?.map((g) => g.name)).toEqual(["ResourceId", "Meter"]);
    expect(q.dataset.granularity).toBe("Daily");
  });

  test("rows are read by column name, in any order; UsageDate becomes a date", () => {
    expect(
      rowsOf({
        columns: [{ name: "Meter" }, { name: "UsageDate" }, { name: "PreTaxCost" }, { name: "ResourceId" }, { name: "Currency" }],
        rows: [["Basic Registry Unit", 20261120, 0.167, "/x/registries/r", "EUR"]],
      }),
    ).toEqual([{ date: "2026-11-20", resourceId: "/x/registries/r", meter: "Basic Registry Unit", cost: 0.167, currency: "EUR" }]);
    expect(() => rowsOf({ columns: [{ name: "Cost" }], rows: [] })).toThrow(/without cost, ResourceId and Meter/);
  });
});
