// `manage capacity`: the sessions, ready sessions, nodes and waits a contest needs for the backend's
// identifier strategy, checked against the profile as configured, and what the window costs.

import { PROFILES, resolveProfile, type ProfileName } from "../../infra/profiles.js";
import {
  CAPACITY_DEFAULTS,
  checkAgainstProfile,
  parseIdentifierStrategy,
  planCapacity,
  strategyLabel,
} from "../costing/capacity.js";
import { UsageError } from "../errors.js";
import { heading, money, printJson, table, warn } from "../output.js";
import { defaultStack } from "../project.js";
import { stackSettings } from "../settings.js";
import { estimateFor, priceBookFor } from "./cost-estimate.js";
import type { GlobalOptions, StackChange } from "../change.js";
import { overrideConfigKey } from "../../infra/profiles.js";

/**
 * The recommendation as the profile's overrides. The profile in effect is not changed: recording
 * contest numbers on an idle stack must not start a pool. When the profile is in effect, applying
 * the change resizes it (the same path as `manage scale`).
 */
export function capacityChange(stack: string, profile: ProfileName, maxSessions: number, readySessions: number): StackChange {
  return {
    stack,
    intent: `record ${profile} capacity: max ${maxSessions} sessions, ${readySessions} ready`,
    config: {
      [overrideConfigKey(profile, "maxSessions")]: String(maxSessions),
      [overrideConfigKey(profile, "readySessions")]: String(readySessions),
    },
  };
}

export interface CapacityOptions extends GlobalOptions {
  stack?: string;
  users: number;
  runsPerUserPerMinute?: number;
  avgExecSeconds?: number;
  identifier: string;
  p95WaitSeconds?: number;
  hours?: number;
  burstSeconds?: number;
  coldStartSeconds?: number;
  sessionsPerNode?: number;
  region?: string;
  profile?: ProfileName;
  apply?: boolean;
}

export async function run(o: CapacityOptions): Promise<void> {
  const strategy = parseIdentifierStrategy(o.identifier);
  if (!strategy)
    throw new UsageError(`unknown identifier strategy "${o.identifier}": use per-user, per-execution or shared:K (K a whole number, e.g. shared:20)`);
  const stack = o.stack ?? defaultStack();
  const settings = stackSettings(stack);
  const profileName = o.profile ?? "contest";
  const configured = resolveProfile(profileName, settings.overrides[profileName]);
  if (!PROFILES[profileName].pool) throw new UsageError(`the ${profileName} profile has no session pool to size; use --profile contest or testing`);
  const cooldown = configured.pool!.cooldownSeconds;
  const hours = o.hours ?? CAPACITY_DEFAULTS.hours;
  const query = {
    users: o.users,
    runsPerUserPerMinute: o.runsPerUserPerMinute ?? CAPACITY_DEFAULTS.runsPerUserPerMinute,
    avgExecSeconds: o.avgExecSeconds ?? CAPACITY_DEFAULTS.avgExecSeconds,
    strategy,
    cooldownSeconds: cooldown,
    p95WaitSeconds: o.p95WaitSeconds ?? CAPACITY_DEFAULTS.p95WaitSeconds,
    openingBurstSeconds: o.burstSeconds ?? CAPACITY_DEFAULTS.openingBurstSeconds,
    coldStartSeconds: o.coldStartSeconds ?? CAPACITY_DEFAULTS.coldStartSeconds,
  };
  const plan = planCapacity(query);
  const checks = checkAgainstProfile(plan, strategy, configured.pool, profileName);

  // The window's cost with the recommended sizing and this load.
  const book = await priceBookFor(o.region ?? settings.location, false);
  const recommended = {
    ...configured,
    pool: { ...configured.pool!, maxSessions: plan.maxSessions, readySessions: Math.min(plan.readySessions, plan.maxSessions) },
  };
  const executions = Math.round(plan.arrivalPerSecond * hours * 3600);
  const estimate = estimateFor(book, settings, profileName, hours, {
    profileOverride: recommended,
    sessionsPerNode: o.sessionsPerNode,
    load: {
      executions,
      avgExecSeconds: query.avgExecSeconds,
      heldSessions: Math.max(0, plan.sessionsHeld - recommended.pool.readySessions),
    },
  });
  for (const w of book.warnings) warn(w);

  if (o.apply) {
    // The report goes to stderr; the change prints its own outcome (or JSON document) on stdout.
    process.stderr.write(`Recommendation for ${o.users} users: max ${plan.maxSessions} sessions, ${recommended.pool.readySessions} ready.\n`);
    // The change path (pulumi, execa) loads only when a change is made.
    const { applyStackChange } = await import("../change.js");
    await applyStackChange(capacityChange(stack, profileName, plan.maxSessions, recommended.pool.readySessions), o);
    return;
  }
  if (o.json) {
    printJson({ stack, profile: profileName, query: { ...query, strategy: strategyLabel(strategy), hours }, plan, checks, nodes: estimate.nodes, estimate });
    return;
  }
  console.log(heading(`Capacity for ${o.users} users, ${strategyLabel(strategy)} identifiers, ${query.runsPerUserPerMinute} run/min each, ${query.avgExecSeconds} s per run`));
  console.log(
    table(
      ["", "value"],
      [
        ["executions per second", plan.arrivalPerSecond.toFixed(2)],
        ["sessions held (maxSessions)", plan.maxSessions],
        ["ready sessions for the opening burst", plan.readySessions],
        ["E16 nodes (ready / peak)", `${estimate.nodes.ready} / ${estimate.nodes.peak} (${estimate.sessionsPerNode} sessions per node)`],
        ["executions that wait", `${(plan.probabilityOfWaiting * 100).toFixed(1)}%`],
        ["p95 wait", Number.isFinite(plan.p95WaitSeconds) ? `${plan.p95WaitSeconds.toFixed(2)} s` : "unbounded (too few sessions)"],
        [`cost of the ${hours} h window`, money(estimate.window) + (estimate.complete ? "" : " (incomplete: prices missing)")],
      ],
    ),
  );
  for (const note of plan.notes) console.log(`- ${note}`);
  console.log(heading(`With the ${profileName} profile as configured (max ${configured.pool!.maxSessions}, ready ${configured.pool!.readySessions}):`));
  for (const check of checks) console.log(`${check.ok ? "ok  " : "FAIL"} ${check.message}`);
  if (checks.some((c) => !c.ok))
    console.log(
      `To fix: manage scale --stack ${stack} --profile ${profileName} --max-sessions ${plan.maxSessions} --ready-sessions ${recommended.pool.readySessions}`,
    );
}
