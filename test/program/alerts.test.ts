// alertEmails: the action group, the metric alerts that matter on contest day and the monthly budget,
// evaluated under mocks from the real stack files; none of them without addresses. The budget's
// default is the cost model's planned month (infra/costing/budget.ts), held here to the model itself.
import { describe, expect, test } from "vitest";
import { get, resource, simulateStack, STACKS } from "../helpers/program.js";
import { parseSettings, PROJECT } from "../../infra/config.js";
import { readStackConfig } from "../../cli/stack-files.js";
import { ROOT } from "../helpers/program.js";
import { alertRulesFor, ALL_ALERT_RULES, BACKEND_5XX_PER_5_MINUTES, budgetStartDate } from "../../infra/monitoring.js";
import { monthlyBudget, plannedMonth } from "../../infra/costing/budget.js";
import { embeddedPriceBook } from "../../infra/costing/prices.js";
import { estimateCost, HOURS_PER_MONTH } from "../../infra/costing/model.js";
import { costQuery } from "../../infra/costing/query.js";
import { profileOf } from "../../infra/config.js";
import { PROFILES } from "../../infra/profiles.js";

const EMAILS = ["ops@example.com", "oncall@example.org"];
const withEmails = { alertEmails: JSON.stringify(EMAILS) };
const MONITORING = /azure-native:(monitor|consumption):/;
const settingsOf = (stack: string, extra: Record<string, string> = {}) => parseSettings({ ...readStackConfig(ROOT, stack), ...extra }, stack, PROJECT);

describe("alerts and budget in the program", () => {
  test("the contest stack at contest: an action group mailing alertEmails, four alerts on the pool and backend, a budget on the group", async () => {
    const sim = await simulateStack("contest", { ...withEmails, profile: "contest" });
    const group = resource(sim, "alert-action-group");
    expect(group.inputs).toMatchObject({
      actionGroupName: "codeeng-contest-alerts",
      location: "Global",
      enabled: true,
      emailReceivers: EMAILS.map((emailAddress, i) => ({ name: `email-${i + 1}`, emailAddress, useCommonAlertSchema: true })),
    });
    expect(String(group.inputs.groupShortName).length).toBeLessThanOrEqual(12);

    const pool = resource(sim, "session-pool").id;
    const backend = resource(sim, "backend").id;
    const alerts = sim.resources.filter((r) => r.type === "azure-native:monitor:MetricAlert");
    expect(alerts.map((a) => a.name).sort()).toEqual(["alert-backend-5xx", "alert-backend-down", "alert-pool-no-ready", "alert-pool-pending"]);
    const criterion = (name: string) => get(resource(sim, name).inputs, "criteria.allOf.0");
    // The pool's metrics (shared/azure-facts.md): pending sessions, and ready sessions at zero.
    expect(resource(sim, "alert-pool-pending").inputs.scopes).toEqual([pool]);
    expect(criterion("alert-pool-pending")).toMatchObject({ metricNamespace: "Microsoft.App/sessionPools", metricName: "PoolPendingPodCount", operator: "GreaterThan", threshold: 0, timeAggregation: "Minimum" });
    expect(resource(sim, "alert-pool-no-ready").inputs.scopes).toEqual([pool]);
    expect(criterion("alert-pool-no-ready")).toMatchObject({ metricName: "PoolReadyPodCount", operator: "LessThan", threshold: 1, timeAggregation: "Maximum" });
    // The backend's: 5xx requests (by statusCodeCategory) and no replica.
    expect(resource(sim, "alert-backend-5xx").inputs.scopes).toEqual([backend]);
    expect(criterion("alert-backend-5xx")).toMatchObject({
      metricNamespace: "Microsoft.App/containerApps",
      metricName: "Requests",
      threshold: BACKEND_5XX_PER_5_MINUTES,
      timeAggregation: "Total",
      dimensions: [{ name: "statusCodeCategory", operator: "Include", values: ["5xx"] }],
    });
    expect(resource(sim, "alert-backend-down").inputs.scopes).toEqual([backend]);
    expect(criterion("alert-backend-down")).toMatchObject({ metricName: "Replicas", operator: "LessThan", threshold: 1 });
    for (const a of alerts) {
      expect(a.inputs).toMatchObject({
        location: "global",
        enabled: true,
        windowSize: "PT5M",
        evaluationFrequency: "PT1M",
        autoMitigate: true,
        actions: [{ actionGroupId: group.id }],
        criteria: { odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria" },
      });
      expect(a.dependsOn).toContain("alert-action-group");
    }

    const budget = resource(sim, "budget");
    expect(budget.inputs).toMatchObject({ scope: resource(sim, "resource-group").id, category: "Cost", timeGrain: "Monthly", budgetName: "codeeng-contest-budget" });
    expect(get(budget.inputs, "timePeriod.startDate")).toBe(budgetStartDate(new Date()));
    expect(budget.inputs.notifications).toEqual({
      actual80: { enabled: true, operator: "GreaterThan", threshold: 80, thresholdType: "Actual", contactEmails: EMAILS },
      actual100: { enabled: true, operator: "GreaterThan", threshold: 100, thresholdType: "Actual", contactEmails: EMAILS },
      forecast100: { enabled: true, operator: "GreaterThan", threshold: 100, thresholdType: "Forecasted", contactEmails: EMAILS },
    });
    expect(budget.inputs.amount).toBe(monthlyBudget(embeddedPriceBook("eastus"), settingsOf("contest", withEmails)).amount);
  });

  test("idle: no pool, so no pool alerts; the backend scales to zero on purpose, so no 'down' alert; the budget stays (monthlyBudgetUsd wins over the computed amount)", async () => {
    const sim = await simulateStack("contest", { ...withEmails, profile: "idle", monthlyBudgetUsd: "250" });
    expect(sim.resources.filter((r) => MONITORING.test(r.type)).map((r) => r.name).sort()).toEqual(["alert-action-group", "alert-backend-5xx", "budget"]);
    expect(resource(sim, "budget").inputs.amount).toBe(250);
  });

  test.each(STACKS.map((stack, i) => [stack, i === 0 ? {} : { alertEmails: "[]" }] as [string, Record<string, string>]))(
    "%s without alertEmails (%j): no action group, no alert, no budget",
    async (stack, extra) => {
      const sim = await simulateStack(stack, { ...extra, profile: "contest" });
      expect(sim.resources.filter((r) => MONITORING.test(r.type))).toEqual([]);
    },
  );

  test("a region without embedded prices cannot compute the budget: the program stops naming monthlyBudgetUsd", async () => {
    await expect(simulateStack("dev", { ...withEmails, location: "westus2" })).rejects.toThrow(/coding-engine:monthlyBudgetUsd no embedded prices for westus2.*set monthlyBudgetUsd/);
    // Stated, it needs no prices (the test above shows a stated amount is taken as it is).
    expect(monthlyBudget(null, settingsOf("dev", { ...withEmails, location: "westus2", monthlyBudgetUsd: "100" }))).toEqual({ amount: 100, computed: false });
  });

  test("bad addresses are refused, naming the key", async () => {
    await expect(simulateStack("dev", { alertEmails: '["ops@example.com","not-an-address"]' })).rejects.toThrow(/coding-engine:alertEmails must be an email address/);
  });
});

describe("the budget's default follows the one cost model", () => {
  const book = embeddedPriceBook("eastus");

  test("a month idle plus each planned contest above idle, rounded up", () => {
    const settings = settingsOf("contest", withEmails);
    const idle = estimateCost(book, costQuery(settings, profileOf(settings, "idle"), HOURS_PER_MONTH));
    const contest = estimateCost(
      book,
      costQuery(settings, profileOf(settings, "contest"), 2, { load: { executions: 200 * 60 * 2, runSeconds: 2 } }),
    );
    const month = plannedMonth(book, settings);
    expect(month.usd).toBeCloseTo(idle.perMonth + 2 * (contest.window - idle.perHour * contest.billedHours), 9);
    expect(monthlyBudget(book, settings)).toEqual({ amount: Math.ceil(month.usd), computed: true });
    // The idle month is the registry, the gateway and the one alert idle keeps (the 5xx rule).
    expect(idle.lines.find((l) => l.resource === "alerts")?.perHour).toBeCloseTo(0.1 / HOURS_PER_MONTH, 12);
  });

  test("more contests or more participants raise it; none leaves the idle month", () => {
    const base = monthlyBudget(book, settingsOf("contest", withEmails)).amount;
    expect(monthlyBudget(book, settingsOf("contest", { ...withEmails, plannedContestsPerMonth: "4" })).amount).toBeGreaterThan(base);
    expect(monthlyBudget(book, settingsOf("contest", { ...withEmails, participants: "400", maxSessionsLimit: "600" })).amount).toBeGreaterThan(base);
    const none = settingsOf("contest", { ...withEmails, plannedContestsPerMonth: "0" });
    expect(monthlyBudget(book, none).amount).toBe(Math.ceil(estimateCost(book, costQuery(none, profileOf(none, "idle"), HOURS_PER_MONTH)).perMonth));
  });

  test("the alert rules per profile, and what they cost in the model", () => {
    expect(alertRulesFor(PROFILES.contest, [])).toEqual([]);
    expect(alertRulesFor(PROFILES.idle, EMAILS).map((r) => r.key)).toEqual(["alert-backend-5xx"]);
    expect(alertRulesFor(PROFILES.testing, EMAILS)).toHaveLength(ALL_ALERT_RULES.length);
    const settings = settingsOf("contest", withEmails);
    const e = estimateCost(book, costQuery(settings, profileOf(settings, "contest"), 2));
    const line = e.lines.find((l) => l.resource === "alerts")!;
    expect(line.basis).toMatch(/^4 metric alert rules/);
    expect(line.perHour).toBeCloseTo((4 * 0.1) / HOURS_PER_MONTH, 12);
    const without = estimateCost(book, costQuery(settingsOf("contest"), profileOf(settings, "contest"), 2));
    expect(without.lines.some((l) => l.resource === "alerts")).toBe(false);
    expect(e.perHour - without.perHour).toBeCloseTo(line.perHour!, 12);
  });

  test("a monthly budget starts on the first of the current month (UTC)", () => {
    expect(budgetStartDate(new Date("2026-11-22T23:30:00-05:00"))).toBe("2026-11-01T00:00:00Z");
    expect(budgetStartDate(new Date("2026-12-31T23:59:59Z"))).toBe("2026-12-01T00:00:00Z");
  });
});
