// `manage plan`: evaluates the real Pulumi program offline (runtime mocks) for a stack and profile
// and prints the desired resources, their key settings and the cost; --from/--to prints what
// changes between two profiles. This is the desired state, not a diff against the cloud.

import { PROJECT } from "../../infra/config.js";
import type { ProfileName } from "../../infra/profiles.js";
import type { OptionsFor } from "../main.js";
import { describeResource, diffSimulations, shortType, azureName, type ResourceDiff } from "../offline/describe.js";
import type { Simulation } from "../offline/simulate.js";
import { UsageError } from "../errors.js";
import { dim, heading, money, printJson, table, warn } from "../output.js";
import { defaultStack } from "../project.js";
import { stackFile, stackSettings } from "../settings.js";
import { estimateFor, warnAboutPrices } from "../costing/estimate.js";
import { CAPACITY_DEFAULTS } from "../../infra/capacity.js";
import { embeddedPriceBook, isKnownRegion, priceDate } from "../../infra/costing/prices.js";
import { describeAccess, openAccessWarning } from "../../infra/access-mode.js";
import { redactOutputs } from "../execution/credentials.js";
import { suggest } from "../suggest.js";

const LABEL = "desired state from an offline evaluation of the program, not a diff against the cloud";

export async function run(o: OptionsFor<"plan">): Promise<void> {
  const stack = o.stack ?? defaultStack();
  if ((o.from === undefined) !== (o.to === undefined)) throw new UsageError("--from and --to go together: give both profiles");
  if (o.from && o.profile) throw new UsageError("give either --profile or --from/--to, not both");
  // Validate everything before loading Pulumi: a bad stack file is a usage error, in milliseconds.
  const settings = stackSettings(stack, o.profile ? { profile: o.profile } : {});
  // plan shows the resources whatever the region; the cost only where the embedded table has prices.
  const book = isKnownRegion(settings.location) ? embeddedPriceBook(settings.location) : null;
  const cost = (profile: ProfileName) => (book ? estimateFor(book, stackSettings(stack, { profile }), profile, CAPACITY_DEFAULTS.hours) : null);
  const noPrices = `no embedded prices for ${settings.location}: \`${suggest("cost-estimate", { stack, "live-prices": true })}\` prices it`;
  const { simulate } = await import("../offline/simulate.js");
  const evaluate = (profile: ProfileName) =>
    // A plan changes nothing: it shows a configuration over the cost ceiling too (the change itself is refused).
    simulate({ project: PROJECT, stack, config: { ...stackFile(stack).raw, profile }, enforceCeiling: false });
  if (book) warnAboutPrices(book);

  if (o.from && o.to) {
    const [from, to] = [await evaluate(o.from), await evaluate(o.to)];
    const diffs = diffSimulations(from, to);
    const [costFrom, costTo] = [cost(o.from), cost(o.to)];
    const known = costFrom?.complete && costTo?.complete ? { from: costFrom.perDay, to: costTo.perDay } : null;
    if (o.json) {
      printJson({ stack, label: LABEL, from: o.from, to: o.to, changes: diffs, cost: known && { ...known, perDayDifference: known.to - known.from } });
      return;
    }
    console.log(heading(`Stack ${stack}: ${o.from} -> ${o.to}`) + dim(` (${LABEL})`));
    printDiffs(diffs);
    const delta = known ? known.to - known.from : 0;
    console.log(known ? `Cost: ${money(known.from)}/day -> ${money(known.to)}/day (${delta >= 0 ? "+" : "-"}${money(Math.abs(delta))}/day).` : `Cost: ${noPrices}.`);
    return;
  }

  const profile = settings.profile.name;
  const sim = await evaluate(profile);
  const estimate = cost(profile);
  if (o.json) {
    printJson({ stack, profile, label: LABEL, access: settings.access, resources: sim.resources, outputs: redactOutputs(sim.outputs), cost: estimate });
    return;
  }
  printResources(sim, stack, profile);
  // As the program declares it for the profile planned: in token mode, no gateway (and an internal backend) without a pool.
  console.log(`Access: ${describeAccess(settings.access, Boolean(settings.profile.pool))}.`);
  const gateway = estimate?.lines.find((l) => l.resource === "gateway");
  if (gateway) console.log(`Gateway: ${gateway.perHour === null ? "no price" : `${money(gateway.perHour)}/hour`} while the pool runs (${gateway.basis}).`);
  else if (settings.access.mode === "token") console.log(`Gateway: none in ${profile} (the gate lives with the pool: a profile with one brings it up).`);
  console.log(
    !book || !estimate
      ? `Cost: ${noPrices}.`
      : estimate.complete
        ? `Cost (${book.region}, prices as of ${priceDate(book)}): ${money(estimate.perHour)}/hour, ${money(estimate.perDay)}/day, ${money(estimate.perMonth)}/month. Details: manage cost-estimate.`
        : `Cost (${book.region}): n/a, prices missing for part of it. Details: manage cost-estimate.`,
  );
  for (const w of settings.warnings) warn(w);
  if (settings.access.mode === "open" && settings.profile.pool) warn(openAccessWarning(stack));
}

function printResources(sim: Simulation, stack: string, profile: string): void {
  console.log(heading(`Stack ${stack}, profile ${profile}: ${sim.resources.length} resources`) + dim(` (${LABEL})`));
  console.log(
    table(
      ["resource", "type", "Azure name", "settings"],
      sim.resources.map((r) => [r.name, shortType(r.type), azureName(r), describeResource(r)]),
    ),
  );
}

function printDiffs(diffs: ResourceDiff[]): void {
  if (diffs.length === 0) {
    console.log("No changes.");
    return;
  }
  const symbol = { add: "+ create", remove: "- delete", update: "~ update" } as const;
  for (const d of diffs) {
    console.log(`${symbol[d.change]} ${d.name} (${shortType(d.type)})`);
    for (const p of d.properties) console.log(`    ${p.path}: ${JSON.stringify(p.from)} -> ${JSON.stringify(p.to)}`);
  }
}
