// `manage spend`: what the stack's resource group really cost over a period (Cost Management), by
// resource and meter, beside what the cost model says the same hours cost, with a gap over 15%
// flagged and its likely cause. The decisions are cli/costing/spend.ts's; the Azure call is
// cli/azure/spend.ts's.

import { embeddedPriceBook, isKnownRegion } from "../../infra/costing/prices.js";
import { compareSpend, estimateForHours, hoursRun, spendPeriod, SPEND_ASSUMPTIONS, type SpendComparison } from "../costing/spend.js";
import { OperationError, UsageError } from "../errors.js";
import { dim, heading, money, printJson, signedMoney, table, warn } from "../output.js";
import { defaultStack } from "../project.js";
import { stackSettings } from "../settings.js";
import { now as clock, utcMinute } from "../clock.js";
import { deployedRuntime, settingsInEffect, type StackRuntime } from "../operations.js";
import { warmupStart, windowRun } from "../schedule.js";
import type { SpendRow } from "../azure/spend.js";
import type { OptionsFor } from "../main.js";
import { suggest } from "../suggest.js";

/**
 * The subscription the resource group is in: AZURE_SUBSCRIPTION_ID (CI sets it; so can a person),
 * else the stack's own outputs (its resource IDs carry it).
 */
async function subscriptionOf(stack: string, state: StackRuntime | null): Promise<string> {
  const fromEnv = process.env.AZURE_SUBSCRIPTION_ID;
  if (fromEnv) return fromEnv;
  if (!state) throw new UsageError(`stack ${stack} has not been deployed, so its subscription is unknown\n  Fix: set AZURE_SUBSCRIPTION_ID to the subscription its resource group is in`);
  const { subscriptionOf: fromId } = await import("../azure/live.js");
  const id = fromId(String(state.outputs.identityId ?? ""));
  if (!id) throw new UsageError(`stack ${stack}'s outputs carry no resource IDs\n  Fix: set AZURE_SUBSCRIPTION_ID to the subscription its resource group is in`);
  return id;
}

export async function run(o: OptionsFor<"spend">): Promise<void> {
  const stack = o.stack ?? defaultStack();
  // A stack file that does not parse is refused here, before pulumi or Azure is asked anything.
  const file = stackSettings(stack);
  const now = clock();
  if (o.window && (o.since !== undefined || o.from || o.to)) throw new UsageError("give either --window or a period (--since, --from/--to), not both");
  // Bad periods are refused before anything is asked of pulumi or Azure.
  const asked = o.window ? null : spendPeriod(o, now);
  const state = await deployedRuntime(stack, o.verbose);
  // What ran: the operation the stack's state records (every machine sees the same), on the file's baseline.
  const settings = settingsInEffect(stack, state?.operation ?? null);
  let period = asked!;
  if (o.window) {
    const windows = state?.operation?.windows ?? [];
    const w = windows.find((x) => x.id === o.window);
    if (!w)
      throw new UsageError(`no window ${o.window} on ${stack}${windows.length ? ` (windows: ${windows.map((x) => x.id).join(", ")})` : " (none recorded)"}\n  Fix: \`${suggest("schedule", { list: true, stack })}\`, or give the period with --from/--to`);
    const run = windowRun(w, now);
    if (!run) throw new UsageError(`window ${w.id} has not started yet (warm-up from ${warmupStart(w).toISOString()}): nothing is billed for it yet`);
    period = { from: run.from, to: run.to };
  }
  const resourceGroup = settings.names.resourceGroup;
  const subscriptionId = await subscriptionOf(stack, state);

  const { queryActualCost } = await import("../azure/spend.js");
  const result = await queryActualCost({ subscriptionId, resourceGroup, from: period.from, to: period.to });
  if (!result.available) throw new OperationError(`${result.reason}\n  Fix: the cost needs Reader (or Cost Management Reader) on resource group ${resourceGroup}; nothing was changed`);

  // What ran, hour by hour, as report reads it too: the state's operation and windows, each
  // window at its own sizing (hoursRun); a stack never deployed, its file's profile.
  const hours = hoursRun(period, { operation: state?.operation ?? null, windows: state?.operation?.windows ?? [] }, file, now);
  const book = isKnownRegion(settings.location) ? embeddedPriceBook(settings.location) : null;
  if (!book) warn(`no embedded prices for ${settings.location}: spend shows the bill without the model's estimate`);
  const estimate = book ? estimateForHours(book, file, hours) : { total: null, byResource: new Map() };
  const comparison = compareSpend(result.rows, estimate, hours, period, now);
  const byMeter = sumByResourceAndMeter(result.rows);

  if (o.json) {
    printJson({
      stack,
      resourceGroup,
      period: { from: period.from.toISOString(), to: period.to.toISOString(), hours: totalHours(comparison) },
      profiles: hours,
      currency: comparison.currency,
      actual: { total: comparison.actual, byResourceAndMeter: byMeter, days: [...new Set(result.rows.map((r) => r.date))].sort() },
      estimate: comparison.estimate === null ? null : { total: comparison.estimate, basis: "the profiles' always-on parts for the hours run", prices: book && { region: book.region, origin: book.origin } },
      byResource: comparison.byResource,
      gap: comparison.gap,
      assumptions: SPEND_ASSUMPTIONS,
    });
    return;
  }

  console.log(heading(`Spend of stack ${stack} (resource group ${resourceGroup})`) + ` from ${utcMinute(period.from)} to ${utcMinute(period.to)}`);
  if (byMeter.length === 0) console.log("Cost Management has no cost for this period (yet: its data lags by up to a day).");
  else
    console.log(
      table(
        ["resource", "type", "meter", "actual"],
        byMeter.map((r) => [r.resource, r.type, r.meter, money(r.cost)]),
        { droppable: [1] },
      ),
    );
  if (comparison.estimate !== null) {
    console.log(
      table(
        ["model resource", "actual", "model", "gap"],
        comparison.byResource.map((r) => [r.resource, money(r.actual), r.estimate === null ? "-" : money(r.estimate), r.estimate === null ? "-" : signedMoney(r.actual - r.estimate)]),
      ),
    );
  }
  console.log(summary(comparison));
  for (const cause of comparison.gap.causes) console.log(`  likely: ${cause}`);
  console.log(
    dim(
      `Model: ${hours.map((h) => `${h.profile}${h.overrides ? " (sized)" : ""} ${+h.hours.toFixed(1)} h`).join(", ")} (${state?.operation ? "from the stack's state: its operation and windows" : `from the stack file's profile${settings.profileExpiresAt ? " and expiry" : ""}`}), ` +
        `always-on parts only; a gap beyond ${SPEND_ASSUMPTIONS.gapShare * 100}% is flagged; Cost Management lags by up to ~${SPEND_ASSUMPTIONS.billingDelayHours} h.`,
    ),
  );
}

const totalHours = (c: SpendComparison) => +c.hours.reduce((a, h) => a + h.hours, 0).toFixed(2);

function summary(c: SpendComparison): string {
  const actual = `${money(c.actual)}${c.currency === "USD" ? "" : ` ${c.currency}`}`;
  if (c.estimate === null) return `Actual ${actual}; no model estimate (prices missing).`;
  const pct = c.gap.share === null ? null : Math.round(c.gap.share * 100);
  const share = pct === null ? "" : ` (${pct >= 0 ? "+" : ""}${pct === 0 ? 0 : pct}%)`;
  const verdict = c.gap.flagged ? "GAP" : "in line";
  return `${verdict}: actual ${actual} against the model's ${money(c.estimate)} for the same ${totalHours(c)} h${share}.`;
}

/** Rows summed over the days: one per resource and meter, costliest first. */
function sumByResourceAndMeter(rows: SpendRow[]) {
  const sums = new Map<string, { resourceId: string; resource: string; type: string; meter: string; cost: number }>();
  for (const r of rows) {
    const key = `${r.resourceId.toLowerCase()}|${r.meter}`;
    const parts = r.resourceId.split("/");
    const entry = sums.get(key) ?? { resourceId: r.resourceId, resource: parts.at(-1) ?? r.resourceId, type: parts.slice(-3, -1).join("/"), meter: r.meter, cost: 0 };
    entry.cost += r.cost;
    sums.set(key, entry);
  }
  return [...sums.values()].sort((a, b) => b.cost - a.cost);
}
