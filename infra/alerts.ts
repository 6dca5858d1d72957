// alertEmails: an action group that mails them, the metric alerts that matter on contest day (the
// rules, thresholds and why: infra/monitoring.ts), and a monthly budget on the resource group. None
// of these exist without addresses.
//
// API shapes, checked against Azure/azure-rest-api-specs:
//   action group  specification/monitor/resource-manager/Microsoft.Insights/preview/2024-10-01-preview/actionGroups_API.json
//                 (azure-native 3.28 `monitor.ActionGroup` sends 2024-10-01-preview; location "Global",
//                 groupShortName at most 12 characters, email receivers named uniquely)
//   metric alert  specification/monitor/resource-manager/Microsoft.Insights/stable/2018-03-01/metricAlert_API.json
//                 (`monitor.MetricAlert`, 2018-03-01; location "global"; SingleResourceMultipleMetricCriteria
//                 with StaticThresholdCriterion, windowSize/evaluationFrequency as ISO 8601 durations)
//   budget        specification/consumption/resource-manager/Microsoft.Consumption/stable/2024-08-01/consumption.json
//                 (`consumption.Budget`, 2024-08-01; scope = the resource group's ID, category Cost,
//                 timeGrain Monthly, up to five notifications, thresholds in percent, Actual or Forecasted)
//
// The budget's amount defaults to the cost model's planned month (infra/costing/budget.ts): the
// program imports that pure module, never anything of the CLI that does I/O.

import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor/index.js";
import * as consumption from "@pulumi/azure-native/consumption/index.js";
import { ConfigError, type DeploymentSettings } from "./config.js";
import type { Foundation } from "./foundation.js";
import { ALERT_WINDOW, alertRulesFor, BUDGET_NOTIFICATIONS, budgetStartDate, METRIC_NAMESPACES, monitoringNames, type AlertTarget } from "./monitoring.js";
import { tagsFor } from "./tags.js";
import { BudgetError, monthlyBudget } from "./costing/budget.js";
import { embeddedPriceBook, isKnownRegion } from "./costing/prices.js";

/**
 * The budget's amount, decided before any resource is declared: a stack whose budget cannot be
 * computed (no embedded prices for its region) stops naming the key that fixes it. null without
 * alertEmails.
 */
export function budgetAmount(settings: DeploymentSettings): number | null {
  if (settings.monitoring.alertEmails.length === 0) return null;
  try {
    return monthlyBudget(isKnownRegion(settings.location) ? embeddedPriceBook(settings.location) : null, settings).amount;
  } catch (err) {
    // Refused as any other key is (settingsFromStack makes it the RunError Pulumi prints).
    if (err instanceof BudgetError) throw new ConfigError([{ key: "monthlyBudgetUsd", message: err.message }], settings.stack);
    throw err;
  }
}

export function declareAlerts(
  settings: DeploymentSettings,
  foundation: Foundation,
  targets: Record<AlertTarget, pulumi.Output<string> | undefined>,
  amount: number | null,
): void {
  const emails = settings.monitoring.alertEmails;
  if (emails.length === 0 || amount === null) return;
  const names = monitoringNames(settings.names.resourceGroup, settings.stack);
  const tags = tagsFor(settings, "always-on");

  const group = new monitor.ActionGroup("alert-action-group", {
    actionGroupName: names.actionGroup,
    resourceGroupName: foundation.resourceGroupName,
    location: "Global",
    groupShortName: names.actionGroupShort,
    enabled: true,
    emailReceivers: emails.map((emailAddress, i) => ({ name: `email-${i + 1}`, emailAddress, useCommonAlertSchema: true })),
    tags,
  });

  // A pool's rules only where the profile has a pool (alertRulesFor), which is where the program declares one.
  for (const rule of alertRulesFor(settings.profile, emails)) {
    new monitor.MetricAlert(rule.key, {
      ruleName: names.rule(rule.key),
      resourceGroupName: foundation.resourceGroupName,
      location: "global",
      description: rule.description,
      severity: rule.severity,
      enabled: true,
      scopes: [targets[rule.target]!],
      ...ALERT_WINDOW,
      // Resolves itself when the condition clears: one mail when it starts, one when it ends.
      autoMitigate: true,
      criteria: {
        odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
        allOf: [
          {
            criterionType: "StaticThresholdCriterion",
            name: rule.metricName,
            metricNamespace: METRIC_NAMESPACES[rule.target],
            metricName: rule.metricName,
            timeAggregation: rule.timeAggregation,
            operator: rule.operator,
            threshold: rule.threshold,
            ...(rule.dimensions ? { dimensions: rule.dimensions } : {}),
          },
        ],
      },
      actions: [{ actionGroupId: group.id }],
      tags,
    });
  }

  new consumption.Budget(
    "budget",
    {
      budgetName: names.budget,
      scope: foundation.resourceGroupId,
      amount,
      category: "Cost",
      timeGrain: "Monthly",
      timePeriod: { startDate: budgetStartDate(new Date()) },
      notifications: Object.fromEntries(
        BUDGET_NOTIFICATIONS.map((n) => [n.key, { enabled: true, operator: "GreaterThan", threshold: n.threshold, thresholdType: n.thresholdType, contactEmails: emails }]),
      ),
    },
    // The start date is the month of the first deployment: rewriting it each month would be churn.
    { ignoreChanges: ["timePeriod.startDate"] },
  );
}
