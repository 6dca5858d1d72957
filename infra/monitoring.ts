// What the program watches and whom it tells (alertEmails): the metric alerts that matter on contest
// day, the monthly budget's thresholds, and their names. Pure (no Pulumi): the program declares
// these (infra/alerts.ts), the cost model prices the alerts (infra/costing/model.ts), and the tests
// read both from here.
//
// Metric names and dimensions: shared/azure-facts.md (Azure Monitor, namespace
// Microsoft.App/sessionPools, PT1M; container apps: Requests by statusCodeCategory, Replicas).

import type { ResolvedProfile } from "./profiles.js";

/** What a rule watches: the session pool (only in profiles with a pool) or the backend app. */
export type AlertTarget = "pool" | "backend";

export interface AlertRule {
  /** Pulumi logical name, and the rule name's suffix in Azure. */
  key: string;
  /** What it watches, which also says the metric's namespace (METRIC_NAMESPACES). */
  target: AlertTarget;
  metricName: string;
  timeAggregation: "Average" | "Minimum" | "Maximum" | "Total" | "Count";
  operator: "GreaterThan" | "GreaterThanOrEqual" | "LessThan" | "LessThanOrEqual";
  threshold: number;
  dimensions?: Array<{ name: string; operator: "Include" | "Exclude"; values: string[] }>;
  /** 0 critical .. 4 verbose. */
  severity: 0 | 1 | 2 | 3 | 4;
  /** What the mail says: what happened and what to do first. */
  description: string;
}

/** The metric namespace of each target: a rule's is its target's. */
export const METRIC_NAMESPACES: Readonly<Record<AlertTarget, string>> = { pool: "Microsoft.App/sessionPools", backend: "Microsoft.App/containerApps" };

/**
 * 5xx a backend may answer in five minutes before someone is mailed. Metric alerts compare one
 * series with a number (they cannot divide 5xx by all requests), so the "rate" is a count per
 * window: 10 in 5 minutes is one failure every 30 s, well above a cold start's odd 502.
 */
export const BACKEND_5XX_PER_5_MINUTES = 10;

/**
 * Every rule looks at the last 5 minutes, every minute (their descriptions say "for 5 minutes"):
 * ISO 8601 durations, as the MetricAlert API takes them.
 */
export const ALERT_WINDOW = { windowSize: "PT5M", evaluationFrequency: "PT1M" } as const;

/** Every rule, for the docs and the tests (alertRulesFor picks a profile's). */
export const ALL_ALERT_RULES: readonly AlertRule[] = [
  {
    key: "alert-pool-pending",
    target: "pool",
    metricName: "PoolPendingPodCount",
    timeAggregation: "Minimum",
    operator: "GreaterThan",
    threshold: 0,
    severity: 2,
    description:
      "Sessions have been pending (being created) for 5 minutes without a break: the pool is short of ready sessions or at maxSessions. " +
      "Raise readySessions or maxSessions (manage scale --ready-sessions/--max-sessions), and check `manage status`.",
  },
  {
    key: "alert-pool-no-ready",
    target: "pool",
    metricName: "PoolReadyPodCount",
    timeAggregation: "Maximum",
    operator: "LessThan",
    threshold: 1,
    severity: 1,
    description:
      "No ready session for 5 minutes while the pool runs: every new participant waits for a cold start. " +
      "Raise readySessions (manage scale --ready-sessions), or check the pool's image and provisioning state (manage doctor).",
  },
  {
    key: "alert-backend-5xx",
    target: "backend",
    metricName: "Requests",
    timeAggregation: "Total",
    operator: "GreaterThan",
    threshold: BACKEND_5XX_PER_5_MINUTES,
    dimensions: [{ name: "statusCodeCategory", operator: "Include", values: ["5xx"] }],
    severity: 1,
    description:
      `The backend answered more than ${BACKEND_5XX_PER_5_MINUTES} server errors (5xx) in 5 minutes: executions are failing. ` +
      "Run `manage smoke` and `manage doctor` for the cause and its fix.",
  },
  {
    key: "alert-backend-down",
    target: "backend",
    metricName: "Replicas",
    timeAggregation: "Maximum",
    operator: "LessThan",
    threshold: 1,
    severity: 0,
    description:
      "The backend has had no running replica for 5 minutes although its profile keeps at least one: nobody can run code. " +
      "Check the backend app's revision and image (manage doctor), then `manage up`.",
  },
];

/**
 * The rules that apply to a profile: the pool's only where a pool exists (a rule scoped to a deleted
 * resource fails to deploy), "backend down" only where the profile keeps a replica (idle scales to
 * zero on purpose). None without addresses to tell.
 */
export function alertRulesFor(profile: Pick<ResolvedProfile, "pool" | "backend">, alertEmails: readonly string[]): AlertRule[] {
  if (alertEmails.length === 0) return [];
  return ALL_ALERT_RULES.filter((r) => (r.target === "pool" ? profile.pool !== null && profile.pool !== undefined : true)).filter(
    (r) => r.key !== "alert-backend-down" || profile.backend.minReplicas >= 1,
  );
}

/**
 * The budget's notifications (at most five per budget): 80% and 100% of the month's amount spent,
 * and a forecast of 100% (the month is on course to exceed the plan: a pool left running).
 */
export const BUDGET_NOTIFICATIONS = [
  { key: "actual80", thresholdType: "Actual", threshold: 80 },
  { key: "actual100", thresholdType: "Actual", threshold: 100 },
  { key: "forecast100", thresholdType: "Forecasted", threshold: 100 },
] as const;

/**
 * A Monthly budget starts on the first day of a month, not more than twelve months ahead and, in
 * the past, within the current month (Microsoft.Consumption/budgets, BudgetTimePeriod): the current
 * month's first day, in UTC. The program ignores later changes of it, so the budget is not
 * rewritten every month.
 */
export function budgetStartDate(now: Date): string {
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, "0")}-01T00:00:00Z`;
}

/** Names of the monitoring resources, from the stack's resource group name (unique per stack). */
export function monitoringNames(resourceGroup: string, stack: string) {
  const base = resourceGroup.replace(/-rg$/, "");
  return {
    actionGroup: `${base}-alerts`,
    // Shown in SMS and mails; at most 12 characters (actionGroups API, groupShortName).
    actionGroupShort: stack.slice(0, 12),
    budget: `${base}-budget`,
    rule: (key: string) => `${base}-${key.replace(/^alert-/, "")}`,
  };
}
