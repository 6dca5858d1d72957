// Every number a help text states comes from the constant the command applies (issue 22): the
// defaults and limits of watch, spend, smoke and load-test, read from `manage <command> --help`
// against the constants the commands use. A number typed into the help by hand would still say
// the old value after the constant changes; this fails then.
import { expect, test } from "vitest";
import { makeProject, manage } from "../helpers/cli.js";
import { DEFAULT_LOAD_MAX_REQUESTS, DEFAULT_SMOKE_CONCURRENCY, DEFAULT_SPEND_SINCE_MS, DEFAULT_WATCH_INTERVAL_MS } from "../../cli/options.js";
import { OPTION_RANGES } from "../../infra/limits.js";
import { CAPACITY_DEFAULTS } from "../../infra/capacity.js";
import { loadShape } from "../../cli/commands/load-test.js";

test("watch, spend, smoke and load-test --help state the defaults and limits the commands apply", async () => {
  const project = makeProject();
  const help = async (command: string) => (await manage([command, "--help"], { project, env: { COLUMNS: "400" } })).stdout.replace(/\s+/g, " ");
  const [watch, spend, smoke, load] = await Promise.all(["watch", "spend", "smoke", "load-test"].map(help));
  expect(watch).toContain(`time between refreshes (default ${DEFAULT_WATCH_INTERVAL_MS / 1000}s)`);
  expect(spend).toContain(`(default ${DEFAULT_SPEND_SINCE_MS / 86_400_000}d)`);
  expect(smoke).toContain(`parallel runs in the concurrency case (default ${DEFAULT_SMOKE_CONCURRENCY})`);
  expect(load).toContain(`how long to send, e.g. 2m (at most ${OPTION_RANGES.loadTestMinutes.max}m)`);
  expect(load).toContain(`how often each person runs code (default ${CAPACITY_DEFAULTS.runsPerParticipantPerMinute})`);
  expect(load).toContain(`a quarter of the duration, at most ${CAPACITY_DEFAULTS.openingBurstSeconds})`);
  expect(load).toContain(`refuse a load larger than this (default ${DEFAULT_LOAD_MAX_REQUESTS}; at most ${OPTION_RANGES.loadRequests.max})`);
  // ...and the load applies them: a long load's burst is the contest's opening burst, one run a minute each.
  const shape = loadShape({ users: 60, duration: 10 * 60_000 } as Parameters<typeof loadShape>[0]);
  expect(shape.burstMs).toBe(CAPACITY_DEFAULTS.openingBurstSeconds * 1000);
  expect(shape.ratePerSecond).toBe((60 * CAPACITY_DEFAULTS.runsPerParticipantPerMinute) / 60);
});

test("cost-estimate and capacity --help state the cost model's and the planner's defaults, and the one seed both seeded commands use", async () => {
  const { COST_ASSUMPTIONS } = await import("../../infra/costing/model.js");
  const { NODE_RESERVED_SHARE } = await import("../../infra/capacity.js");
  const { DEFAULT_SEED, DEFAULT_WAIT_MINUTES } = await import("../../cli/options.js");
  const project = makeProject();
  const help = async (command: string) => (await manage([command, "--help"], { project, env: { COLUMNS: "400" } })).stdout.replace(/\s+/g, " ");
  const [cost, capacity, load, scale] = await Promise.all(["cost-estimate", "capacity", "load-test", "scale"].map(help));
  for (const text of [cost, capacity]) {
    expect(text).toContain(`keeps for itself (default ${NODE_RESERVED_SHARE}, unconfirmed)`);
    expect(text).toContain(`GB per 1000 executions (default ${COST_ASSUMPTIONS.logGbPer1000Runs})`);
    expect(text).toContain(`GB per backend replica-hour (default ${COST_ASSUMPTIONS.logGbPerReplicaHour})`);
    expect(text).toContain(`the registry stores (default ${COST_ASSUMPTIONS.registryStoredGb})`);
    expect(text).toContain(`before a contest window (default ${COST_ASSUMPTIONS.warmUpHours})`);
    expect(text).toContain(`after a contest window (default ${COST_ASSUMPTIONS.tailHours})`);
    expect(text).toContain(`run time of one execution (default ${CAPACITY_DEFAULTS.runSeconds})`);
  }
  expect(cost).toContain(`window length in hours (default ${CAPACITY_DEFAULTS.hours}: a contest)`);
  expect(capacity).toContain(`find the pool full (default ${CAPACITY_DEFAULTS.max404Rate}: ${CAPACITY_DEFAULTS.max404Rate * 100}%)`);
  expect(capacity).toContain(`for 95% of executions (default ${CAPACITY_DEFAULTS.p95WaitSeconds})`);
  expect(capacity).toContain(`contest length in hours (default ${CAPACITY_DEFAULTS.hours})`);
  expect(capacity).toContain(`seed of the simulated contest (default ${DEFAULT_SEED})`);
  expect(load).toContain(`same seed, same load; default ${DEFAULT_SEED})`);
  expect(scale).toContain(`(default ${DEFAULT_WAIT_MINUTES}m: role propagation)`);
  const { LIMITS: PROFILE_LIMITS } = await import("../../infra/profiles.js");
  expect(scale).toContain(`override the session cooldown (${PROFILE_LIMITS.cooldownSeconds.min}-${PROFILE_LIMITS.cooldownSeconds.max} s)`);
  expect(scale).toContain(`(recorded as an expiry, at most ${OPTION_RANGES.expiryHours.max / 24}d)`);
});
