// `manage capacity`: the sessions, ready sessions, nodes and waits a contest needs for the backend's
// identifier strategy (infra/capacity.ts, the same planner that sizes the contest profile), checked
// against the profile as configured, the pool's limits and the stack's cost ceiling; what the
// window costs; and, with --simulate, a seeded simulation of the contest that checks the formulas.
// Exits 1 when the profile as configured fails a check.

import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { overrideConfigKey, PROFILES, type ProfileName, type ResolvedProfile } from "../../infra/profiles.js";
import { parseSettings, profileOf, type DeploymentSettings, type RawConfig } from "../../infra/config.js";
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
import { dim, heading, money, printJson, table } from "../output.js";
import { defaultStack } from "../project.js";
import { stackRawConfig, stackSettings } from "../settings.js";
import { formatMs } from "../execution/stats.js";
import { assumptionNotes, estimateFor, priceBookFor, warnAboutPrices, warnMissingPrices, windowLabel, type CostAssumptionOptions } from "../costing/estimate.js";
import { ceilingVerdict } from "../costing/ceiling.js";
import type { GlobalOptions, StackChange } from "../change.js";
import type { SimulationResult } from "../costing/contest-sim.js";
import { CAPACITY_DEFAULTS } from "../../infra/capacity.js";

export interface CapacityOptions extends GlobalOptions, CostAssumptionOptions {
  stack?: string;
  users?: number;
  runsPerUserPerMinute?: number;
  avgExecSeconds?: number;
  /** --identifier, read by its type (../options.ts). */
  identifier?: IdentifierStrategy;
  p95WaitSeconds?: number;
  hours?: number;
  burstSeconds?: number;
  coldStartSeconds?: number;
  max404Rate?: number;
  region?: string;
  livePrices?: boolean;
  profile?: ProfileName;
  apply?: boolean;
  simulate?: boolean;
  seed?: number;
  chart?: string;
}

/** The planner's question from the options, the stack's participant model filling in the rest. */
export function capacityQuery(o: CapacityOptions, settings: DeploymentSettings, cooldownSeconds: number): CapacityQuery {
  const p = settings.participants;
  const strategy = o.identifier ?? p.strategy;
  const burst = o.burstSeconds ?? p.openingBurstSeconds;
  if (burst > cooldownSeconds)
    throw new UsageError(
      o.burstSeconds !== undefined
        ? `--burst-seconds ${burst} is longer than the cooldown (${cooldownSeconds} s): a burst longer than a cooldown is not an opening burst; give at most ${cooldownSeconds}`
        : `the stack's openingBurstSeconds (${burst}) is longer than the cooldown (${cooldownSeconds} s); give --burst-seconds at most ${cooldownSeconds}`,
    );
  return {
    users: o.users ?? p.users,
    runsPerUserPerMinute: o.runsPerUserPerMinute ?? p.runsPerUserPerMinute,
    avgExecSeconds: o.avgExecSeconds ?? p.avgExecSeconds,
    strategy,
    openingBurstSeconds: burst,
    coldStartSeconds: o.coldStartSeconds ?? p.coldStartSeconds,
    max404Rate: o.max404Rate ?? p.max404Rate,
    p95WaitSeconds: o.p95WaitSeconds ?? p.p95WaitSeconds,
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
): StackChange {
  const maxKey = overrideConfigKey(profile, "maxSessions");
  const readyKey = overrideConfigKey(profile, "readySessions");
  if (PROFILES[profile].planned) {
    const config: StackChange["config"] = {};
    const wanted: Record<string, string> = {
      participants: String(q.users),
      runsPerParticipantPerMinute: String(q.runsPerUserPerMinute),
      sessionIdentifier: strategyLabel(q.strategy),
      openingBurstSeconds: String(q.openingBurstSeconds),
    };
    const current = parseSettings(raw, stack);
    const now: Record<string, string> = {
      participants: String(current.participants.users),
      runsPerParticipantPerMinute: String(current.participants.runsPerUserPerMinute),
      sessionIdentifier: strategyLabel(current.participants.strategy),
      openingBurstSeconds: String(current.participants.openingBurstSeconds),
    };
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
    if (reproduces)
      return {
        stack,
        intent: `size ${profile} for ${q.users} participants (${strategyLabel(q.strategy)}): max ${plan.maxSessions} sessions, ${plan.readySessions} ready`,
        config,
      };
  }
  return {
    stack,
    intent: `record ${profile} capacity: max ${plan.maxSessions} sessions, ${plan.readySessions} ready`,
    config: { [maxKey]: String(plan.maxSessions), [readyKey]: String(plan.readySessions) },
  };
}

/** The checks beyond the pool's own: the session ceiling and the stack's cost ceiling. */
function limitChecks(plan: CapacityPlan, settings: DeploymentSettings, configured: ResolvedProfile): ProfileCheck[] {
  const checks: ProfileCheck[] = [];
  const limit = settings.limits.maxSessions;
  checks.push(
    plan.maxSessions <= limit
      ? { ok: true, message: `max ${plan.maxSessions} is within the pool's session ceiling (maxSessionsLimit ${limit})` }
      : {
          ok: false,
          message:
            `the load needs max ${plan.maxSessions}, above the pool's session ceiling (maxSessionsLimit ${limit}; unconfirmed for custom containers): ` +
            "use per-user identifiers, split the contest over two pools, or raise maxSessionsLimit once Azure accepts more",
        },
  );
  const verdict = ceilingVerdict({ ...settings, profile: configured });
  if (verdict) checks.push({ ok: verdict.ok, message: verdict.message });
  return checks;
}

const percent = (share: number) => `${(share * 100).toFixed(share && share < 0.001 ? 3 : share < 0.1 ? 2 : 1)}%`;

export async function run(o: CapacityOptions): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const settings = stackSettings(stack);
  const profileName = o.profile ?? "contest";
  if (!PROFILES[profileName].pool) throw new UsageError(`the ${profileName} profile has no session pool to size; use --profile contest or testing`);
  const configured = profileOf(settings, profileName);
  const pool = configured.pool!;
  const q = capacityQuery(o, settings, pool.cooldownSeconds);
  const plan = planCapacity(q);
  const hours = o.hours ?? CAPACITY_DEFAULTS.hours;

  const checks = [...checkPool(q, plan, pool, profileName), ...limitChecks(plan, settings, configured)];
  const book = await priceBookFor(o.region ?? settings.location, o.livePrices ?? false, o.region !== undefined ? { option: true } : { option: false, stack });
  const recommended: ResolvedProfile = { ...configured, pool: { ...pool, maxSessions: plan.maxSessions, readySessions: plan.readySessions } };
  const executions = Math.round(plan.arrivalPerSecond * hours * 3600);
  const load = { executions, avgExecSeconds: q.avgExecSeconds, heldSessions: plan.meanHeld };
  const estimate = estimateFor(book, settings, profileName, hours, { ...o, profileOverride: recommended, load });
  warnAboutPrices(book);
  if (!estimate.complete) warnMissingPrices(book.region, estimate.missing);

  if (o.apply) {
    // The report goes to stderr; the change prints its own outcome (or JSON document) on stdout.
    process.stderr.write(`Recommendation for ${q.users} participants: max ${plan.maxSessions} sessions, ${plan.readySessions} ready.\n`);
    // The change path (pulumi, execa) loads only when a change is made.
    const { applyStackChange, applyConfig } = await import("../change.js");
    const change = capacityChange(stack, profileName, stackRawConfig(stack), q, plan, applyConfig);
    // A refused value names the option it came from.
    const given: Array<[string, string, unknown]> = [
      ["participants", "--users", o.users],
      ["runsPerParticipantPerMinute", "--runs-per-user-per-minute", o.runsPerUserPerMinute],
      ["sessionIdentifier", "--identifier", o.identifier && strategyLabel(o.identifier)],
      ["openingBurstSeconds", "--burst-seconds", o.burstSeconds],
    ];
    change.sources = Object.fromEntries(given.filter(([, , v]) => v !== undefined).map(([key, flag, v]) => [key, `${flag} ${v}`]));
    await applyStackChange(change, o);
    return;
  }

  const simulations = o.simulate ? await simulate(o, q, settings, estimate.sessionsPerNode, hours, pool, plan) : null;
  const failed = checks.filter((c) => !c.ok);
  const failure = () =>
    new OperationError(
      `the ${profileName} profile as configured fails ${failed.length} check(s) for ${q.users} participants: ` +
        `manage capacity --stack ${stack} --profile ${profileName}${o.users !== undefined ? ` --users ${q.users}` : ""} --apply records the fix`,
    );

  if (o.json) {
    printJson({
      stack,
      profile: profileName,
      query: { ...q, strategy: strategyLabel(q.strategy), hours },
      plan,
      configured: pool,
      checks,
      nodes: estimate.nodes,
      estimate,
      simulation: simulations && { configured: simulations.configured.result, recommended: simulations.recommended?.result ?? null, chart: simulations.chart },
    });
    if (failed.length) throw failure();
    return;
  }

  const label = strategyLabel(q.strategy);
  console.log(
    heading(
      `Capacity for ${q.users} participants${o.users === undefined ? " (the stack's)" : ""}, ${label} identifiers, ${q.runsPerUserPerMinute} run/min each, ` +
        `${q.avgExecSeconds} s per run, cooldown ${q.cooldownSeconds} s`,
    ),
  );
  const rows: Array<[string, string | number]> = [
    ["executions per second", plan.arrivalPerSecond.toFixed(2)],
    ["sessions held on average", plan.meanHeld.toFixed(1)],
    [`maxSessions (at most ${percent(q.max404Rate)} of requests can find it full)`, `${plan.maxSessions} (${percent(plan.fullPoolRate)})`],
    [`ready sessions (at most 5% of new sessions wait ${q.coldStartSeconds} s)`, `${plan.readySessions} (${percent(plan.coldStartShare)} wait)`],
    ["E16 nodes: ready / contest / peak", `${estimate.nodes.ready} / ${estimate.nodes.window} / ${estimate.nodes.peak} (held + ready, ${estimate.sessionsPerNode} per node)`],
  ];
  if (q.strategy.kind === "shared")
    rows.push(
      ["executions that wait", `${(plan.probabilityOfWaiting * 100).toFixed(1)}%`],
      ["p95 wait", Number.isFinite(plan.p95WaitSeconds) ? `${plan.p95WaitSeconds.toFixed(2)} s` : "unbounded (too few sessions)"],
    );
  rows.push(
    [
      `cost of the ${windowLabel(hours, estimate)}`,
      estimate.complete
        ? money(estimate.window) + (estimate.managementFee.window > 0 ? `; ${money(estimate.window - estimate.managementFee.window)} without the management fee` : "")
        : "n/a (prices missing)",
    ],
    ["at most per day", `${estimate.atMost.complete ? money(estimate.atMost.perDay) : "n/a (prices missing)"} (ceiling ${money(settings.costCeilingPerDay)})`],
  );
  console.log(table(["", "recommended"], rows));
  for (const note of plan.notes) console.log(`- ${note}`);
  console.log(
    heading(`With the ${profileName} profile as configured (max ${pool.maxSessions}, ready ${pool.readySessions}`) +
      heading(configured.sizedFor && !configured.overridden.some((f) => f === "maxSessions" || f === "readySessions") ? `; sized for ${configured.sizedFor.users} participants):` : "):"),
  );
  for (const check of checks) console.log(`${check.ok ? "ok  " : "FAIL"} ${check.message}`);
  if (failed.length)
    console.log(
      `To fix: manage capacity --stack ${stack} --profile ${profileName}${o.users !== undefined ? ` --users ${q.users}` : ""} --apply` +
        ` (or manage scale --stack ${stack} --profile ${profileName} --max-sessions ${plan.maxSessions} --ready-sessions ${plan.readySessions})`,
    );
  if (simulations) printSimulations(simulations, q, hours);
  for (const note of assumptionNotes(estimate)) console.log(dim(note));
  if (failed.length) throw failure();
}

// ---- --simulate -------------------------------------------------------------------------------

interface Simulated {
  name: string;
  maxSessions: number;
  readySessions: number;
  result: SimulationResult;
}

async function simulate(
  o: CapacityOptions,
  q: CapacityQuery,
  settings: DeploymentSettings,
  sessionsPerNode: number,
  hours: number,
  pool: { maxSessions: number; readySessions: number },
  plan: CapacityPlan,
): Promise<{ configured: Simulated; recommended: Simulated | null; chart: string; terminal: string }> {
  const { simulateContest } = await import("../costing/contest-sim.js");
  const seed = o.seed ?? 1;
  const run = (name: string, maxSessions: number, readySessions: number): Simulated => ({
    name,
    maxSessions,
    readySessions,
    result: simulateContest({ ...q, hours, maxSessions, readySessions, sessionsPerNode, seed }),
  });
  const configured = run("as configured", pool.maxSessions, pool.readySessions);
  const same = pool.maxSessions === plan.maxSessions && pool.readySessions === plan.readySessions;
  const recommended = same ? null : run("recommended", plan.maxSessions, plan.readySessions);
  const { svgChart, terminalChart } = await import("../costing/sim-chart.js");
  const chart = resolve(o.chart ?? "capacity-simulation.svg");
  const labels = {
    title: `Simulated contest: ${q.users} participants, ${strategyLabel(q.strategy)} identifiers, ${hours} h (seed ${seed})`,
    subtitle: `max ${pool.maxSessions}, ${pool.readySessions} ready, cooldown ${q.cooldownSeconds} s, ${sessionsPerNode} sessions per E16 node; stack ${settings.stack}`,
    maxSessions: pool.maxSessions,
    sessionsPerNode,
  };
  await writeFile(chart, await svgChart(configured.result, labels));
  return { configured, recommended, chart, terminal: terminalChart(configured.result, labels) };
}

function printSimulations(s: { configured: Simulated; recommended: Simulated | null; chart: string; terminal: string }, q: CapacityQuery, hours: number): void {
  const runs = [s.configured, ...(s.recommended ? [s.recommended] : [])];
  const seconds = (x: number) => formatMs(x * 1000);
  console.log(heading(`Simulated contest (${hours} h, ${runs[0]!.result.requests.toLocaleString("en-US")} runs):`));
  console.log(
    table(
      ["", ...runs.map((r) => `${r.name} (max ${r.maxSessions}, ready ${r.readySessions})`)],
      [
        ["requests answered 404", ...runs.map((r) => `${r.result.rejected} (${percent(r.result.rejectedRate)}; target <= ${percent(q.max404Rate)})`)],
        ["wait p50 / p95 / p99", ...runs.map((r) => [r.result.waits.p50, r.result.waits.p95, r.result.waits.p99].map(seconds).join(" / "))],
        ["opening burst: runs that waited, p95", ...runs.map((r) => `${percent(r.result.burst.waitedShare)}, ${seconds(r.result.burst.waits.p95)} (target ${q.p95WaitSeconds} s)`)],
        ["peak sessions held / E16 nodes", ...runs.map((r) => `${r.result.peak.held} / ${r.result.peak.nodes}`)],
        ["E16 node-hours", ...runs.map((r) => r.result.nodeHours.toFixed(1))],
      ],
    ),
  );
  console.log(`Sessions over the contest, as configured:\n${s.terminal}`);
  console.log(`Chart: ${s.chart}`);
}
