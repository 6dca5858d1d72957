// `manage report --stack S (--window ID | --from ISO --to ISO) [--out report.html] [--json] [--runs FILE...]`:
// after a contest, how it ran and what it cost, as one self-contained HTML page (or --json: the same
// data as one document). It reads the stack's state (its windows, outputs; one `pulumi stack
// export`), Azure Monitor's metrics over the period (../azure/metrics.ts), Cost Management's bill for
// the days it touches (../azure/spend.ts) and the smoke/load-test run logs (../report/runs.ts);
// everything else is pure: ../report/period.ts (which period, which hours at which profile),
// ../costing/spend.ts (the model's estimate and the gap, as manage spend), ../report/data.ts,
// ../report/charts.ts (ECharts, server-side SVG) and ../report/html.ts.

import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { OptionsFor } from "../main.js";
import { now as clock } from "../clock.js";
import { OperationError, UsageError } from "../errors.js";
import { heading, printJson, warn } from "../output.js";
import { defaultStack, projectDir } from "../project.js";
import { stackSettings } from "../settings.js";
import { readStackRuntime, settingsInEffect } from "../operations.js";
import { embeddedPriceBook, isKnownRegion } from "../../infra/costing/prices.js";
import { compareSpend, estimateForHours, hoursRun } from "../costing/spend.js";
import { runLogPath } from "../execution/run-log.js";
import { readOption, TYPES } from "../options.js";
import { costDays, periodRequest, resolvePeriod } from "../report/period.js";
import { readRunLogs, runsIn } from "../report/runs.js";
import { buildReport } from "../report/data.js";
import { keyNumbers, renderHtml, reportTitle } from "../report/html.js";

/** report-contest-w-20261205-0900.html, or report-dev-20261205T0830Z.html for a range. */
const defaultOut = (stack: string, id: string | null, from: Date) => `report-${stack}-${id ?? `${from.toISOString().slice(0, 16).replace(/[-:]/g, "")}Z`}.html`;

export async function run(o: OptionsFor<"report">): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const now = clock();
  // Bad input is refused before anything is read.
  const request = periodRequest(o, now);
  const fileSettings = stackSettings(stack);
  const dir = projectDir();

  // Run logs first: a --runs file that is not there is bad input, refused before anything is read.
  const logs = readRunLogs(runLogPath(dir, stack), o.runs ?? []);
  for (const s of logs.skipped.slice(0, 5)) warn(`run log line skipped: ${s}`);
  const file = o.out ?? (o.json ? null : undefined);

  // The Azure SDKs and the chart library load while pulumi answers.
  const azure = Promise.all([import("../azure/live.js"), import("../azure/metrics.js"), import("../azure/spend.js")]);
  const drawing = file !== null ? Promise.all([import("../report/charts.js"), import("echarts")]) : null;
  drawing?.catch(() => {});
  const { PulumiReader } = await import("../pulumi/reader.js");
  const pulumi = await PulumiReader.connect(dir, o.verbose);
  // One pulumi call for a deployed stack; the list of stacks only to explain a failure.
  const runtime = await readStackRuntime(pulumi, stack).catch(async (err) => {
    if (!(await pulumi.stacks()).includes(stack))
      throw new UsageError(`stack ${stack} has not been deployed (${pulumi.backend.description}): there is nothing to report\n  Fix: check --stack`);
    throw err;
  });
  const windows = runtime.operation?.windows ?? [];
  const period = resolvePeriod(request, windows, stack, now);
  const html = file === null ? null : (file ?? defaultOut(stack, period.window?.id ?? null, period.from));
  // The default file's path is checked before Azure is queried, as a given --out was when it was read.
  if (html) readOption("--out", TYPES.htmlFile, html);
  const settings = settingsInEffect(stack, runtime.operation);
  const [{ subscriptionOf, explainAzureError }, { readMetrics, grainFor }, { queryActualCost }] = await azure;

  const out = runtime.outputs;
  const subscriptionId = process.env.AZURE_SUBSCRIPTION_ID || subscriptionOf(String(out.identityId ?? ""));
  if (!subscriptionId) throw new OperationError(`the outputs of stack ${stack} carry no resource IDs (was it deployed by this program?)\n  Fix: set AZURE_SUBSCRIPTION_ID`);
  const resourceGroup = String(out.resourceGroupName ?? settings.names.resourceGroup);
  const group = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.App`;
  const poolName = String(out.sessionPoolName ?? settings.names.sessionPool);
  const appName = String(out.backendAppName ?? settings.names.backendApp);
  const days = costDays(period);
  const unavailable: string[] = [];

  const [timeline, bill] = await Promise.all([
    readMetrics({
      subscriptionId,
      poolId: `${group}/sessionPools/${poolName}`,
      appId: `${group}/containerApps/${appName}`,
      from: period.from,
      to: period.to,
      interval: grainFor(period.to.getTime() - period.from.getTime()),
    }).catch((err) => {
      unavailable.push(`metrics: ${explainAzureError(err, `the metrics of ${poolName} and ${appName}`)}`);
      return null;
    }),
    // Cost Management's period is inclusive of its last day: end a second before the next midnight.
    queryActualCost({ subscriptionId, resourceGroup, from: days.from, to: new Date(days.to.getTime() - 1000) }),
  ]);
  if (!bill.available) unavailable.push(`cost: ${bill.reason} (the cost needs Reader or Cost Management Reader on resource group ${resourceGroup})`);

  const book = isKnownRegion(settings.location) ? embeddedPriceBook(settings.location) : null;
  if (!book) warn(`no embedded prices for ${settings.location}: the report shows the bill without the model's estimate`);
  let cost = null;
  if (bill.available) {
    // What ran, as spend reads it too (one account: the state's operation and windows, each window at its own sizing),
    // over the whole days the bill covers: the estimate prices the same days, so it has no `now` cut
    // (a bill queried the same day is short by Cost Management's delay, which the gap names).
    const hours = hoursRun(days, { operation: runtime.operation, windows }, fileSettings);
    const estimate = book ? estimateForHours(book, fileSettings, hours) : { total: null, byResource: new Map() };
    cost = { days, comparison: compareSpend(bill.rows, estimate, hours, days, now) };
  }

  const data = buildReport({ stack, generatedAt: now, period, settings, timeline, runs: runsIn(logs.records, stack, period), runSources: logs.sources, cost, unavailable });
  let charts = 0;
  // The path was checked before the queries; one that fails now (its folder removed meanwhile) still
  // leaves the report's numbers printed, and the failure said after them (exit 1: the work ran).
  let writeError: OperationError | undefined;
  if (html && drawing) {
    const [{ chartSpecs, renderCharts }] = await drawing;
    const rendered = await renderCharts(chartSpecs(data));
    charts = rendered.length;
    // Rendered first: only the write is what "could not be written" is about.
    const page = renderHtml(data, rendered);
    try {
      writeFileSync(html, page);
    } catch (err) {
      writeError = new OperationError(`the report was made, but could not be written to ${html}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n  Fix: run it again with --out in a folder that exists and you may write`);
    }
  }
  for (const u of unavailable) warn(`not in the report: ${u}`);

  if (o.json) printJson({ ...data, ...(html ? { html: writeError ? null : resolve(html) } : {}) });
  else {
    console.log(heading(reportTitle(data)));
    for (const [label, value] of keyNumbers(data)) console.log(`${`${label}:`.padEnd(32)} ${value}`);
    for (const cause of data.cost?.gap.causes ?? []) console.log(`  likely: ${cause}`);
    if (!writeError) console.log(`Wrote ${html} (${charts} chart${charts === 1 ? "" : "s"}, self-contained: open it in any browser).`);
  }
  if (writeError) throw writeError;
}
