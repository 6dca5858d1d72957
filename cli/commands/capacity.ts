// `manage capacity`: the sessions, ready sessions, nodes and waits a contest needs for the backend's
// identifier strategy (infra/capacity.ts, the same planner that sizes the contest profile), checked
// against the profile as configured, the pool's limits and the stack's cost ceiling; what the
// window costs; and, with --simulate, a seeded simulation of the contest that checks the formulas.
// Exits 1 when the profile as configured fails a check.

import { writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { existsSync } from "node:fs";
import { overrideConfigKey, PROFILES, type ProfileName, type ResolvedProfile } from "../../infra/profiles.js";
import { parseSettings, participantConfig, profileOf, type DeploymentSettings, type RawConfig } from "../../infra/config.js";
import {
  checkPool,
  planCapacity,
  strategyLabel,
  type CapacityPlan,
  type CapacityQuery,
  type IdentifierStrategy,
  type ProfileCheck,
} from "../../infra/capacity.js";
import { OperationError, UsageError } from "../errors.js";
import { dim, heading, money, printJson, table, warn } from "../output.js";
import { defaultStack, projectDir } from "../project.js";
import { stackFile, stackSettings } from "../settings.js";
import { formatMs } from "../execution/stats.js";
import {
  assumptionNotes,
  estimateFor,
  priceBookFor,
  rangeText,
  warnAboutPrices,
  warnMissingPrices,
  windowLabel,
  windowRange,
} from "../costing/estimate.js";
import type { OptionsFor } from "../main.js";
import { describeInput, latestCalibration, measuredByText, plannerInputs, type PlannerInput } from "../costing/calibration.js";
import { ceilingAllows, ceilingVerdict, worstAtMost } from "../../infra/costing/ceiling.js";
import { ceilingRefusal } from "../cost-ceiling.js";
import type { StackChange } from "../change.js";
import type { OperationOverrides } from "../../infra/operations.js";
import { percentText, sessionsPerNode } from "../../infra/capacity.js";
import { gibibytes } from "../../infra/costing/query.js";
import { runLogPath } from "../execution/run-log.js";
import { suggest } from "../suggest.js";
import { DEFAULT_CHART_FILE, MAX_SEED, readOption, TYPES } from "../options.js";

type CapacityOptions = OptionsFor<"capacity">;

/** The planner's question from the options given, the stack's participant model filling in the rest. */
export function capacityQuery(
  o: Partial<CapacityOptions>,
  settings: DeploymentSettings,
  cooldownSeconds: number,
  inputs: { coldStartSeconds: PlannerInput; runSeconds: PlannerInput } = plannerInputs(o, settings, { coldStartSeconds: null, runSeconds: null }),
): CapacityQuery {
  const p = settings.participantModel;
  const strategy = o.identifier ?? p.strategy;
  const burst = o.burstSeconds ?? p.openingBurstSeconds;
  if (burst > cooldownSeconds)
    throw new UsageError(
      o.burstSeconds !== undefined
        ? `--burst-seconds ${burst} is longer than the cooldown (${cooldownSeconds} s): a burst longer than a cooldown is not an opening burst; give at most ${cooldownSeconds}`
        : `the stack's openingBurstSeconds (${burst}) is longer than the cooldown (${cooldownSeconds} s); give --burst-seconds at most ${cooldownSeconds}`,
    );
  return {
    participants: o.users ?? p.participants,
    runsPerParticipantPerMinute: o.runsPerUserPerMinute ?? p.runsPerParticipantPerMinute,
    runSeconds: inputs.runSeconds.value,
    strategy,
    openingBurstSeconds: burst,
    coldStartSeconds: inputs.coldStartSeconds.value,
    max404Rate: o.max404Rate ?? p.max404Rate,
    p95WaitSeconds: o.p95WaitSeconds ?? p.p95WaitSeconds,
    confidence: o.confidence ?? p.confidence,
    // The sessions per node the cost figures use (--sessions-per-node, else the session size net of
    // --node-reserved-share, else the stack's): whole nodes are filled with the nodes they bill.
    sessionsPerNode:
      o.sessionsPerNode ??
      (o.nodeReservedShare !== undefined ? sessionsPerNode({ cpu: settings.session.cpu, memoryGi: gibibytes(settings.session.memory) }, o.nodeReservedShare) : p.sessionsPerNode),
    cooldownSeconds,
  };
}

/**
 * What `--apply` records. For the contest profile, whose numbers follow from the participants, it
 * records the participant model (and drops number overrides) when that alone reproduces the
 * recommendation; otherwise (other assumptions, or a fixed profile) the numbers as overrides. The
 * profile in effect is not changed: recording contest numbers on an idle stack starts nothing.
 */
export function capacityChange(
  stack: string,
  profile: ProfileName,
  raw: RawConfig,
  q: CapacityQuery,
  plan: CapacityPlan,
  applyConfig: (raw: Record<string, string>, config: StackChange["config"]) => Record<string, string>,
  /** Which runs measured the cold start and run time the plan used ("" when none did). */
  measuredBy = "",
): StackChange {
  const maxKey = overrideConfigKey(profile, "maxSessions");
  const readyKey = overrideConfigKey(profile, "readySessions");
  // The state's overrides win over the file's (an earlier scale's --max-sessions, kept by a stop):
  // left there, the sizing recorded here would never run. They go, for this profile's two numbers.
  const operation: StackChange["operation"] = (current) => {
    const { maxSessions: _max, readySessions: _ready, ...rest } = current.overrides[profile] ?? {};
    return { ...current, overrides: { ...current.overrides, [profile]: rest } };
  };
  // ...and the change line says which it replaces.
  const replacing = (intent: string) => (current: { overrides: OperationOverrides }) => {
    const kept = current.overrides[profile] ?? {};
    const dropped = [["max-sessions", kept.maxSessions], ["ready-sessions", kept.readySessions]].filter(([, v]) => v !== undefined);
    return dropped.length ? `${intent} (replacing the kept ${dropped.map(([flag, v]) => `${flag} ${v}`).join(", ")})` : intent;
  };
  if (PROFILES[profile].planned) {
    const config: StackChange["config"] = {};
    const current = parseSettings(raw, stack);
    const wanted = participantConfig(q, measuredBy);
    const now = participantConfig(current.participantModel, current.measuredBy);
    for (const [key, value] of Object.entries(wanted)) if (now[key] !== value) config[key] = value;
    // Drop number overrides the plan replaces (asked of the parsed settings, not of how they are stored).
    if (current.overrides[profile].maxSessions !== undefined) config[maxKey] = null;
    if (current.overrides[profile].readySessions !== undefined) config[readyKey] = null;
    let reproduces = false;
    try {
      const pool = profileOf(parseSettings(applyConfig({ ...raw }, config), stack), profile).pool;
      reproduces = pool?.maxSessions === plan.maxSessions && pool.readySessions === plan.readySessions;
    } catch {
      reproduces = true; // the change's own validation will name what is wrong
    }
    if (reproduces) {
      const intent =
        `size ${profile} for ${q.participants} participants (${strategyLabel(q.strategy)}): max ${plan.maxSessions} sessions, ${plan.readySessions} ready` +
        (config.coldStartSeconds !== undefined || config.runSeconds !== undefined ? `, with a ${q.coldStartSeconds} s cold start and ${q.runSeconds} s runs${measuredBy ? ` (measured: ${measuredBy})` : ""}` : "");
      return { stack, intent, intentFrom: replacing(intent), config, operation };
    }
  }
  const intent = `record ${profile} capacity: max ${plan.maxSessions} sessions, ${plan.readySessions} ready`;
  return { stack, intent, intentFrom: replacing(intent), config: { [maxKey]: String(plan.maxSessions), [readyKey]: String(plan.readySessions) }, operation };
}

/**
 * What fixes a load above the pool's session ceiling (no recording of the plan can: the change
 * would be refused). Per-user identifiers are advised only to a contest that does not use them.
 */
export function overLimitFix(stack: string, strategy: IdentifierStrategy | null, limit: number, users?: number): string {
  // The same question with another identifier: the participants asked about, not the stack's.
  const check = (identifier: string) => `\`${suggest("capacity", { stack, users, identifier })}\``;
  return [
    ...(strategy?.kind === "per-user" ? [] : [`per-user identifiers (${check("per-user")} checks them)`]),
    ...(strategy?.kind === "shared" ? [] : [`sessions shared by everyone, with waits (${check(`shared:${limit}`)} checks them)`]),
    "the contest split over two stacks",
    "maxSessionsLimit raised once Azure accepts more",
  ].join(", or ");
}

/**
 * The "To fix" of a profile that fails its checks, for the stack and profile at hand: record the
 * recommendation (--apply, with --allow-over-ceiling when it costs more than the stack's ceiling),
 * or, when the recommendation is above the pool's session ceiling, what fixes that instead (an
 * --apply would be refused). `manage scale` is offered only for the profile in effect: for any
 * other it would switch profile (and cost), not fix one.
 */
export function capacityFix(c: {
  stack: string;
  profile: ProfileName;
  /** --users as given (the stack's participants are the default). */
  users?: number;
  /** --identifier as given (the stack's sessionIdentifier is the default): the fix answers the same question. */
  identifier?: string;
  plan: Pick<CapacityPlan, "maxSessions" | "readySessions">;
  limit: number;
  strategy: IdentifierStrategy;
  overCeiling: boolean;
  inEffect: boolean;
}): string {
  if (c.plan.maxSessions > c.limit)
    return `no profile fits within maxSessionsLimit ${c.limit} (the load needs max ${c.plan.maxSessions}): ${overLimitFix(c.stack, c.strategy, c.limit, c.users)}`;
  const apply = suggest("capacity", { stack: c.stack, profile: c.profile, users: c.users, identifier: c.identifier, apply: true, "allow-over-ceiling": c.overCeiling });
  const scale = c.inEffect
    ? ` (or \`${suggest("scale", { stack: c.stack, profile: c.profile, "max-sessions": c.plan.maxSessions, "ready-sessions": c.plan.readySessions, "allow-over-ceiling": c.overCeiling })}\`)`
    : "";
  return `\`${apply}\` records the recommendation${c.overCeiling ? ", above the stack's cost ceiling (costCeilingPerDay)" : ""}${scale}`;
}

/**
 * The sizing --apply records, held to the stack's cost ceiling as a scale to it is: refused (exit 2,
 * before anything is written) unless --allow-over-ceiling, or unless it lowers what the profile can
 * cost. The change path judges only the profile in effect, so a contest sizing recorded on an idle
 * stack would pass there and be refused only by the scale (or window) that starts it.
 */
function recordedWithinCeiling(stack: string, profile: ProfileName, raw: Record<string, string>, before: DeploymentSettings, configured: ResolvedProfile, o: CapacityOptions): void {
  let after: DeploymentSettings;
  try {
    after = parseSettings(raw, stack);
  } catch {
    return; // the change's own validation names what is wrong, and the option it came from
  }
  const verdict = ceilingVerdict(after, profileOf(after, profile));
  if (!verdict || ceilingAllows(verdict, verdict.ok ? null : ceilingVerdict(before, configured))) return;
  // The same words as the change path's (warn says a line once).
  if (o.allowOverCeiling) warn(`this change can cost ${verdict.message}; going ahead (--allow-over-ceiling)`);
  else throw new UsageError(ceilingRefusal(verdict, stack));
}

/** The checks beyond the pool's own: the session ceiling and the stack's cost ceiling. */
function limitChecks(plan: CapacityPlan, settings: DeploymentSettings, configured: ResolvedProfile, strategy: IdentifierStrategy, users?: number): ProfileCheck[] {
  const checks: ProfileCheck[] = [];
  const limit = settings.limits.maxSessions;
  checks.push(
    plan.maxSessions <= limit
      ? { ok: true, message: `max ${plan.maxSessions} is within the pool's session ceiling (maxSessionsLimit ${limit})` }
      : {
          ok: false,
          message:
            `the load needs max ${plan.maxSessions}, above the pool's session ceiling (maxSessionsLimit ${limit}; unconfirmed for custom containers): ` +
            overLimitFix(settings.stack, strategy, limit, users),
        },
  );
  const verdict = ceilingVerdict(settings, configured);
  if (verdict) checks.push({ ok: verdict.ok, message: verdict.message });
  return checks;
}

/** 95 -> "95th". */
const ordinal = (share: number) => {
  const n = +(share * 100).toFixed(1);
  const last = Math.floor(n) % 10;
  const teen = Math.floor(n) % 100 >= 11 && Math.floor(n) % 100 <= 13;
  return `${n}${Number.isInteger(n) && !teen && last >= 1 && last <= 3 ? ["st", "nd", "rd"][last - 1] : "th"}`;
};

/**
 * "52 (48 needed, 43 for the average contest; the 4 more fit in the 2 ready / 9 contest / 9 peak
 * nodes, paid for either way: …)"; "fill the K ready nodes" only when they do.
 */
function readyText(plan: CapacityPlan, nodes: { ready: number; window: number; peak: number }, perNode: number): string {
  const needed = plan.readyNeeded.atConfidence;
  const average = plan.readyNeeded.average === needed ? "" : `, ${plan.readyNeeded.average} for the average contest`;
  if (plan.readySessions === needed) return `${plan.readySessions} (${needed} needed${average})`;
  const more = plan.readySessions - needed;
  const buys = `mean wait share ${percentText(plan.coldStartShareIfNeeded.mean)} -> ${percentText(plan.coldStartShare)}`;
  const fills = plan.readySessions === nodes.ready * perNode;
  const where = fills
    ? `${more === 1 ? "fills" : "fill"} the ${nodes.ready} ready node${nodes.ready === 1 ? "" : "s"}`
    : `${more === 1 ? "fits" : "fit"} in the same ${nodes.ready} ready / ${nodes.window} contest / ${nodes.peak} peak nodes`;
  return `${plan.readySessions} (${needed} needed${average}; the ${more} more ${where}, paid for either way: ${buys})`;
}

export async function run(o: CapacityOptions): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const settings = stackSettings(stack);
  if (o.simulate) {
    // The spread runs SPREAD_SEEDS contests from --seed on: past the largest seed they would wrap.
    const { SPREAD_SEEDS } = await import("../costing/contest-sim.js");
    const most = MAX_SEED - (SPREAD_SEEDS - 1);
    if (o.seed > most) throw new UsageError(`--seed ${o.seed} is above ${most}: --simulate runs ${SPREAD_SEEDS} contests from it, and seeds end at ${MAX_SEED}; give at most ${most}`);
  }
  if (!PROFILES[o.profile].pool) throw new UsageError(`the ${o.profile} profile has no session pool to size; use --profile contest or testing`);
  // The chart's path is checked before the simulation runs: a given --chart was when it was read,
  // the default (which commander does not read) is here.
  if (o.simulate && o.chart === DEFAULT_CHART_FILE) readOption("--chart", TYPES.chart, o.chart);
  const configured = profileOf(settings, o.profile);
  const pool = configured.pool!;
  const calibration = latestCalibration(projectDir(), stack);
  for (const w of calibration.warnings ?? []) warn(w);
  const inputs = plannerInputs(o, settings, calibration);
  const q = capacityQuery(o, settings, pool.cooldownSeconds, inputs);
  const plan = planCapacity(q);

  const checks = [...checkPool(q, plan, pool), ...limitChecks(plan, settings, configured, q.strategy, o.users)];
  const book = await priceBookFor(o, settings);
  const recommended: ResolvedProfile = { ...configured, pool: { ...pool, maxSessions: plan.maxSessions, readySessions: plan.readySessions } };
  const load = { executions: Math.round(plan.arrivalPerSecond * o.hours * 3600), runSeconds: q.runSeconds, heldSessions: plan.meanHeld };
  const estimate = estimateFor(book, settings, o.profile, o.hours, { ...o, profileOverride: recommended, load });
  const costRange = windowRange(book, settings, o.profile, o.hours, { ...o, profileOverride: recommended, load });
  warnAboutPrices(book);
  if (!estimate.complete) warnMissingPrices(book.region, estimate.missing);

  if (o.apply) {
    // The report goes to stderr; the change prints its own outcome (or JSON document) on stdout.
    process.stderr.write(`Recommendation for ${q.participants} participants: max ${plan.maxSessions} sessions, ${plan.readySessions} ready.\n`);
    // The change path (pulumi, execa) loads only when a change is made.
    const { applyStackChange, applyConfig } = await import("../change.js");
    // Each input's run named apart: a cold start still assumed is never labelled measured.
    const measuredBy = measuredByText({ coldStartSeconds: inputs.coldStartSeconds.by, runSeconds: inputs.runSeconds.by });
    const change = capacityChange(stack, o.profile, stackFile(stack).raw, q, plan, applyConfig, measuredBy);
    // A refused value names the option it came from.
    const given: Array<[string, string, unknown]> = [
      ["participants", "--users", o.users],
      ["runsPerParticipantPerMinute", "--runs-per-user-per-minute", o.runsPerUserPerMinute],
      ["sessionIdentifier", "--identifier", o.identifier && strategyLabel(o.identifier)],
      ["openingBurstSeconds", "--burst-seconds", o.burstSeconds],
      ["coldStartSeconds", "--cold-start-seconds", o.coldStartSeconds],
      ["runSeconds", "--avg-exec-seconds", o.avgExecSeconds],
    ];
    change.sources = Object.fromEntries(given.filter(([, , v]) => v !== undefined).map(([key, flag, v]) => [key, `${flag} ${v}`]));
    // ...and a measured one the run log it came from, not the stack file.
    const log = runLogPath(".", stack).replace(/^\.\//, "");
    for (const [key, x] of [["coldStartSeconds", inputs.coldStartSeconds], ["runSeconds", inputs.runSeconds]] as const)
      if (x.source === "measured") change.sources[key] = `${log} (${x.by})`;
    recordedWithinCeiling(stack, o.profile, applyConfig(stackFile(stack).raw, change.config), settings, configured, o);
    await applyStackChange(change, o);
    return;
  }

  const simulations = o.simulate ? await simulate(o, q, settings, estimate.sessionsPerNode, pool, plan) : null;
  const confidence = `${+(q.confidence * 100).toFixed(1)}%`;
  const failed = checks.filter((c) => !c.ok);
  const fix = capacityFix({
    stack,
    profile: o.profile,
    users: o.users,
    identifier: o.identifier && strategyLabel(o.identifier),
    plan,
    limit: settings.limits.maxSessions,
    strategy: q.strategy,
    overCeiling: ceilingVerdict(settings, recommended)?.ok === false,
    inEffect: settings.profile.name === o.profile,
  });
  // Once the results are out: a chart that could not be written (exit 1: the work ran), and the failed checks.
  const finish = () => {
    if (simulations?.chartError && failed.length) warn(simulations.chartError);
    else if (simulations?.chartError) throw new OperationError(simulations.chartError);
    if (failed.length) throw new OperationError(`the ${o.profile} profile as configured fails ${failed.length} check(s) for ${q.participants} participants: ${fix}`);
  };

  if (o.json) {
    // The query under the JSON keys it has always had (scripts read them), not the stack keys' names the planner now uses.
    const { participants: users, runsPerParticipantPerMinute: runsPerUserPerMinute, runSeconds: avgExecSeconds, ...asked } = q;
    printJson({
      stack,
      profile: o.profile,
      query: { users, runsPerUserPerMinute, avgExecSeconds, ...asked, strategy: strategyLabel(q.strategy), hours: o.hours },
      inputs,
      plan,
      costRange,
      configured: pool,
      checks,
      nodes: estimate.nodes,
      estimate,
      simulation: simulations && {
        configured: simulations.configured.result,
        recommended: simulations.recommended?.result ?? null,
        spread: { configured: simulations.configured.spread, recommended: simulations.recommended?.spread ?? null },
        chart: simulations.chart,
      },
    });
    finish();
    return;
  }

  const worst = estimate.atMost.complete ? worstAtMost(book, settings, recommended, o) : null;
  console.log(
    heading(
      `Capacity for ${q.participants} participants${o.users === undefined ? " (the stack's)" : ""}, ${strategyLabel(q.strategy)} identifiers, ${q.runsPerParticipantPerMinute} run/min each, ` +
        `${q.runSeconds} s per run, cooldown ${q.cooldownSeconds} s`,
    ),
  );
  const rows: Array<[string, string | number]> = [
    ["executions per second", plan.arrivalPerSecond.toFixed(2)],
    ["sessions held on average", plan.meanHeld.toFixed(1)],
    [`maxSessions (at most ${percentText(q.max404Rate)} of requests can find it full)`, `${plan.maxSessions} (${percentText(plan.fullPoolRate)})`],
    [`ready sessions (at most 5% of new sessions wait ${q.coldStartSeconds} s, in ${confidence} of contests)`, readyText(plan, estimate.nodes, estimate.sessionsPerNode)],
    [`new sessions that wait: mean / the ${ordinal(q.confidence)}-percentile contest`, `${percentText(plan.coldStartShare)} / ${percentText(plan.coldStartShareAtConfidence)}`],
    ["E16 nodes: ready / contest / peak", `${estimate.nodes.ready} / ${estimate.nodes.window} / ${estimate.nodes.peak} (held + ready, ${estimate.sessionsPerNode} per node)`],
  ];
  if (q.strategy.kind === "shared")
    rows.push(
      ["executions that wait", `${(plan.probabilityOfWaiting * 100).toFixed(1)}%`],
      ["p95 wait", Number.isFinite(plan.p95WaitSeconds) ? `${plan.p95WaitSeconds.toFixed(2)} s` : "unbounded (too few sessions)"],
    );
  rows.push(
    [
      `cost of the ${windowLabel(o.hours, estimate)}`,
      estimate.complete
        ? money(estimate.window) +
          (costRange ? ` (${rangeText(costRange)}; ${estimate.sessionsPerNode} assumed)` : "") +
          (estimate.managementFee.window > 0 ? `; ${money(estimate.window - estimate.managementFee.window)} without the management fee` : "")
        : "n/a (prices missing)",
    ],
    [
      "at most per day",
      `${estimate.atMost.complete ? money(estimate.atMost.perDay) : "n/a (prices missing)"}` +
        (worst ? `; ${money(worst.perDay)} at ${worst.sessionsPerNode} per node, the range's worst, which the ceiling judges` : "") +
        ` (ceiling ${money(settings.costCeilingPerDay)})`,
    ],
  );
  console.log(table(["", "recommended"], rows));
  for (const note of plan.notes) console.log(`- ${note}`);
  console.log(`- inputs: cold start ${describeInput(inputs.coldStartSeconds)}; run time ${describeInput(inputs.runSeconds)}`);
  if ([inputs.coldStartSeconds, inputs.runSeconds].some((x) => x.source === "measured"))
    console.log(
      PROFILES[o.profile].planned
        ? `- the program sizes the ${o.profile} profile from the stack's config: --apply records these measurements there`
        : `- the ${o.profile} profile's numbers are fixed: --apply records this plan's max and ready as its overrides, not the measurements ` +
            `(the contest profile is sized from them: \`${suggest("capacity", { stack, profile: "contest", apply: true })}\` records them)`,
    );
  console.log(
    heading(`With the ${o.profile} profile as configured (max ${pool.maxSessions}, ready ${pool.readySessions}`) +
      heading(configured.sizedFor && !configured.overridden.some((f) => f === "maxSessions" || f === "readySessions") ? `; sized for ${configured.sizedFor.participants} participants):` : "):"),
  );
  for (const check of checks) console.log(`${check.ok ? "ok  " : "FAIL"} ${check.message}`);
  if (failed.length) console.log(`To fix: ${fix}`);
  if (simulations) printSimulations(simulations, q, o.hours);
  for (const note of assumptionNotes(estimate)) console.log(dim(note));
  finish();
}

// ---- --simulate -------------------------------------------------------------------------------

async function simulate(
  o: CapacityOptions,
  q: CapacityQuery,
  settings: DeploymentSettings,
  sessionsPerNode: number,
  pool: { maxSessions: number; readySessions: number },
  plan: CapacityPlan,
) {
  const { simulateContest, simulateSpread, OPENING_MINUTES } = await import("../costing/contest-sim.js");
  const run = (name: string, maxSessions: number, readySessions: number) => ({
    name,
    maxSessions,
    readySessions,
    // The charted contest (--seed).
    result: simulateContest({ ...q, hours: o.hours, maxSessions, readySessions, sessionsPerNode, seed: o.seed }),
    // The same configuration over SPREAD_SEEDS contests: one contest is one draw.
    // Over each contest's opening minutes (the burst, the first cooldown, the peak of sessions held:
    // where waits and 404s happen; a 404 share over them is larger than over the whole contest),
    // which keeps 200 contests within the 2 s budget. The spread's seeds follow the charted one.
    spread: simulateSpread({ ...q, hours: Math.min(o.hours, OPENING_MINUTES / 60), maxSessions, readySessions, sessionsPerNode }, { firstSeed: o.seed, max404Rate: q.max404Rate }),
  });
  const configured = run("as configured", pool.maxSessions, pool.readySessions);
  const recommended = pool.maxSessions === plan.maxSessions && pool.readySessions === plan.readySessions ? null : run("recommended", plan.maxSessions, plan.readySessions);
  const { svgChart, terminalChart } = await import("../costing/sim-chart.js");
  const chart = resolve(o.chart);
  const labels = {
    title: `Simulated contest: ${q.participants} participants, ${strategyLabel(q.strategy)} identifiers, ${o.hours} h (seed ${o.seed})`,
    subtitle: `max ${pool.maxSessions}, ${pool.readySessions} ready, cooldown ${q.cooldownSeconds} s, ${sessionsPerNode} sessions per E16 node; stack ${settings.stack}`,
    maxSessions: pool.maxSessions,
    sessionsPerNode,
  };
  // The path was checked before the simulation; if the write still fails (its folder removed
  // meanwhile), the results are printed all the same and the failure said after them.
  let chartError: string | undefined;
  // Drawn first: only the write is what "could not be written" is about.
  const svg = await svgChart(configured.result, labels);
  try {
    await writeFile(chart, svg);
  } catch (err) {
    chartError = `the simulation ran, but its chart could not be written to ${chart} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}${existsSync(dirname(chart)) ? "" : `: ${dirname(chart)} no longer exists`})\n  Fix: run it again with --chart in a folder that exists`;
  }
  // The chart written; null when the write failed (chartError says why).
  return { configured, recommended, chart: chartError ? null : chart, chartError, terminal: terminalChart(configured.result, labels), seed: o.seed, openingMinutes: OPENING_MINUTES };
}

function printSimulations(
  s: Awaited<ReturnType<typeof simulate>>,
  q: CapacityQuery,
  hours: number,
): void {
  const runs = [s.configured, ...(s.recommended ? [s.recommended] : [])];
  const seconds = (x: number) => formatMs(x * 1000);
  const spread = runs[0]!.spread;
  console.log(
    heading(
      `Simulated contests: the first ${Math.round(Math.min(hours * 60, s.openingMinutes))} minutes of ${spread.seeds} (seeds ${s.seed}-${s.seed + spread.seeds - 1}; the plan is sized for the ${ordinal(q.confidence)} percentile):`,
    ),
  );
  const pair = (x: { p50: number; p95: number }) => `${percentText(x.p50)} / ${percentText(x.p95)}`;
  console.log(
    table(
      ["", ...runs.map((r) => `${r.name} (max ${r.maxSessions}, ready ${r.readySessions})`)],
      [
        ["opening burst, runs that waited: p50 / p95 contest", ...runs.map((r) => `${pair(r.spread.burstWaited)} (target <= 5%)`)],
        ["requests answered 404: p50 / p95 contest", ...runs.map((r) => `${pair(r.spread.rejected)} (target <= ${percentText(q.max404Rate)})`)],
        ["contests meeting both targets", ...runs.map((r) => `${r.spread.metTargets} of ${r.spread.seeds} (${percentText(r.spread.metTargets / r.spread.seeds)}; sized for ${percentText(q.confidence)})`)],
      ],
    ),
  );
  console.log(heading(`One of them, charted (seed ${s.seed}; ${hours} h, ${runs[0]!.result.requests.toLocaleString("en-US")} runs):`));
  console.log(
    table(
      ["", ...runs.map((r) => `${r.name} (max ${r.maxSessions}, ready ${r.readySessions})`)],
      [
        ["requests answered 404", ...runs.map((r) => `${r.result.rejected} (${percentText(r.result.rejectedRate)}; target <= ${percentText(q.max404Rate)})`)],
        ["wait p50 / p95 / p99", ...runs.map((r) => [r.result.waits.p50, r.result.waits.p95, r.result.waits.p99].map(seconds).join(" / "))],
        ["opening burst: runs that waited, p95", ...runs.map((r) => `${percentText(r.result.burst.waitedShare)}, ${seconds(r.result.burst.waits.p95)} (target ${q.p95WaitSeconds} s)`)],
        ["peak sessions held / E16 nodes", ...runs.map((r) => `${r.result.peak.held} / ${r.result.peak.nodes}`)],
        ["E16 node-hours", ...runs.map((r) => r.result.nodeHours.toFixed(1))],
      ],
    ),
  );
  console.log(`Sessions over the contest, as configured:\n${s.terminal}`);
  if (s.chart) console.log(`Chart: ${s.chart}`);
}
