// `manage cost-estimate`: what each profile costs per hour, day, month and window, per resource.
// Offline by default (embedded prices); --live-prices asks the Azure Retail Prices API.

import { PROFILE_NAMES, type ProfileName } from "../../infra/profiles.js";
import { describeMeter, FREE_GRANT_PER_MONTH, HOURS_PER_DAY, HOURS_PER_MONTH, type Load } from "../../infra/costing/model.js";
import { priceDate } from "../../infra/costing/prices.js";
import { UsageError } from "../errors.js";
import { dim, heading, money, printJson, table, warn } from "../output.js";
import { defaultStack, projectDir } from "../project.js";
import { latestCalibration, sizingNote } from "../costing/calibration.js";
import { worstAtMost } from "../../infra/costing/ceiling.js";
import { profileOf } from "../../infra/config.js";
import { stackSettings } from "../settings.js";
import { CAPACITY_DEFAULTS } from "../../infra/capacity.js";
import {
  assumptionNotes,
  biggestLever,
  estimateFor,
  priceBookFor,
  rangeText,
  total,
  warnAboutPrices,
  warnMissingPrices,
  windowHours,
  windowLabel,
  windowRange,
} from "../costing/estimate.js";
import type { OptionsFor } from "../main.js";

export async function run(o: OptionsFor<"cost-estimate">): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const hours = windowHours(o);
  const settings = stackSettings(stack);
  const book = await priceBookFor(o, settings);
  const region = book.region;
  const load: Load | undefined =
    o.executions !== undefined ? { executions: o.executions, runSeconds: o.avgExecSeconds ?? CAPACITY_DEFAULTS.runSeconds } : undefined;
  if (o.avgExecSeconds !== undefined && o.executions === undefined)
    throw new UsageError("--avg-exec-seconds describes a load: give --executions too");
  const extra = { ...o, load };

  const profiles: readonly ProfileName[] = o.profile ? [o.profile] : PROFILE_NAMES;
  const estimates = profiles.map((p) => estimateFor(book, settings, p, hours, extra));
  const idle = estimates.find((e) => e.profile === "idle") ?? estimateFor(book, settings, "idle", hours, extra);
  const lever = biggestLever(estimates, idle);
  warnAboutPrices(book);
  const missing = [...new Set(estimates.flatMap((e) => e.missing))];
  if (missing.length) warnMissingPrices(region, missing);

  if (o.json) {
    printJson({
      stack,
      region,
      prices: { origin: book.origin, asOf: priceDate(book), warnings: book.warnings, used: book.prices },
      windowHours: hours,
      currentProfile: settings.profile.name,
      estimates,
      lever,
    });
    return;
  }

  const window = `${hours} h window`;
  const withPool = estimates.find((e) => e.billedHours > e.windowHours);
  console.log(heading(`Cost estimate for stack ${stack} in ${region}`) + dim(` (prices as of ${priceDate(book)}, ${book.origin})`));
  if (estimates.length > 1) {
    console.log(
      table(
        ["profile", "per hour", "per day", `per month (${HOURS_PER_MONTH} h)`, withPool ? windowLabel(hours, withPool) : window, "at most per day", "E16 nodes", "per execution"],
        estimates.map((e) => [
          e.profile + (e.profile === settings.profile.name ? " (current)" : ""),
          total(e, e.perHour),
          total(e, e.perDay),
          total(e, e.perMonth),
          total(e, e.window),
          e.atMost.complete ? money(e.atMost.perDay) : "n/a",
          e.nodes.peak === e.nodes.ready ? String(e.nodes.ready) : `${e.nodes.ready}-${e.nodes.peak}`,
          money(e.marginalPerExecution),
        ]),
        // On a narrow terminal: the per-execution and nodes columns go first, then the month.
        { droppable: [7, 6, 3] },
      ),
    );
  }
  for (const e of estimates.length === 1 ? estimates : []) {
    console.log(
      table(
        ["resource", "part", "per hour", "per day", windowLabel(hours, e), "basis"],
        e.lines.map((l) => [
          l.resource,
          l.part,
          ...[1, HOURS_PER_DAY].map((h) => (l.perHour === null ? (l.part === "usage" ? "-" : "n/a") : money(l.perHour * h))),
          l.windowUsd === null ? "n/a" : money(l.windowUsd),
          l.basis,
        ]),
      ),
    );
    console.log(
      e.complete
        ? `${e.profile}: ${money(e.perHour)}/hour, ${money(e.perDay)}/day, ${money(e.perMonth)}/month; ${money(e.window)} for the ${windowLabel(hours, e)}`
        : `${e.profile}: no total: the ${region} prices of ${e.missing.map(describeMeter).join(", ")} are missing (the parts above with a price are correct)`,
    );
    if (e.atMost.complete) {
      // Sessions per node are assumed: the ceiling judges the range's worst end (infra/costing/ceiling.ts).
      const worst = worstAtMost(book, settings, profileOf(settings, e.profile as ProfileName), extra);
      console.log(
        `At most ${money(e.atMost.perDay)}/day (${e.atMost.basis})` +
          (worst ? `, ${money(worst.perDay)} at ${worst.sessionsPerNode} sessions per node (the assumed range's worst, which the ceiling judges)` : "") +
          `; the stack's ceiling is ${money(settings.costCeilingPerDay)}/day.`,
      );
    }
    if (e.marginalPerExecution !== null)
      console.log(`Each execution adds about ${money(e.marginalPerExecution)} (its session is held for the run plus the cooldown).`);
  }
  if (lever) console.log(`Biggest lever: idle instead of ${lever.from} saves ${money(lever.savesPerDay)}/day.`);
  // Sessions per node are assumed until measured: every window with a pool as the range it spans.
  const ranges = estimates.flatMap((e) => {
    const r = windowRange(book, settings, e.profile as ProfileName, hours, extra);
    return r ? [`${e.profile} ${rangeText(r)}`] : [];
  });
  if (ranges.length) console.log(`The ${windowLabel(hours, withPool ?? estimates[0]!)} until sessions per node are measured: ${ranges.join("; ")} (${estimates[0]!.sessionsPerNode} assumed).`);
  if (estimates.some((e) => e.profile === "contest")) {
    // A run log that could not be read, or a record not planned with, is said (the stack's config stands).
    const calibration = latestCalibration(projectDir(), stack);
    for (const w of calibration.warnings ?? []) warn(w);
    console.log(dim(sizingNote(settings, calibration)));
  }
  if (withPool)
    console.log(
      dim(`Windows include ${+(withPool.billedHours - withPool.windowHours).toFixed(2)} h of warm-up before and tail after the contest (profiles with a pool; --warm-up-hours, --tail-hours).`),
    );
  const grant = estimates[0]?.freeGrantUsd ?? null;
  console.log(
    dim(
      `Not subtracted: the Consumption free grant per subscription and month (${FREE_GRANT_PER_MONTH.vcpuSeconds.toLocaleString("en-US")} vCPU-s, ` +
        `${FREE_GRANT_PER_MONTH.gibSeconds.toLocaleString("en-US")} GiB-s, ${FREE_GRANT_PER_MONTH.requests / 1e6}M requests${grant === null ? "" : `, worth ${money(grant)}`}), ` +
        "nor Log Analytics' 5 GB a month per billing account.",
    ),
  );
  for (const note of assumptionNotes(estimates[0]!, estimates.slice(1))) console.log(dim(note));
}
