// The monthly budget the program declares when a stack sets alertEmails but no monthlyBudgetUsd: what
// the cost model says the planned month costs, a month idle plus the planned contests, each at the
// contest profile with its warm-up, tail and the participants' runs. Pure, with no I/O and no
// Pulumi, so the program (infra/alerts.ts) and the CLI price a stack the same way: this is the one
// cost model (infra/costing/model.ts over the embedded price book), not a second formula.

import { profileOf, type DeploymentSettings } from "../config.js";
import { CAPACITY_DEFAULTS } from "../capacity.js";
import { describeMeter, estimateCost, HOURS_PER_MONTH, type Estimate } from "./model.js";
import type { PriceBook } from "./prices.js";
import { costQuery } from "./query.js";

/** The month the stack plans: idle all month, plus each planned contest's cost above idle. */
export function plannedMonth(book: PriceBook, settings: DeploymentSettings) {
  const contests = settings.monitoring.plannedContestsPerMonth;
  const idle = estimateCost(book, costQuery(settings, profileOf(settings, "idle"), HOURS_PER_MONTH));
  const p = settings.participantModel;
  const executions = Math.round(p.participants * p.runsPerParticipantPerMinute * 60 * CAPACITY_DEFAULTS.hours);
  const contest: Estimate = estimateCost(
    book,
    costQuery(settings, profileOf(settings, "contest"), CAPACITY_DEFAULTS.hours, { load: { executions, runSeconds: p.runSeconds } }),
  );
  // What one contest adds to the idle month: its window (with warm-up, tail and runs) less idle for those hours.
  const perContest = contest.window - idle.perHour * contest.billedHours;
  const missing = [...new Set([...idle.missing, ...contest.missing])].map(describeMeter);
  // usd: what the month is planned to cost (not rounded); missing: the prices the book lacks, in words, when incomplete.
  return { usd: idle.perMonth + contests * perContest, complete: missing.length === 0, missing };
}

/** The budget amount: the stack's monthlyBudgetUsd, or the planned month rounded up to a whole unit. */
export function monthlyBudget(book: PriceBook | null, settings: DeploymentSettings): { amount: number; computed: boolean } {
  if (settings.monitoring.monthlyBudgetUsd !== null) return { amount: settings.monitoring.monthlyBudgetUsd, computed: false };
  if (!book) throw new BudgetError(`no embedded prices for ${settings.location} to compute the monthly budget from`);
  const month = plannedMonth(book, settings);
  if (!month.complete) throw new BudgetError(`the ${settings.location} prices of ${month.missing.join(", ")} are missing, so the monthly budget cannot be computed`);
  return { amount: Math.ceil(month.usd), computed: true };
}

/** The budget could not be computed: the stack must state monthlyBudgetUsd. */
export class BudgetError extends Error {
  override name = "BudgetError";
  constructor(reason: string) {
    super(`${reason}: set monthlyBudgetUsd in the stack file (a whole amount a month), or remove alertEmails`);
  }
}
