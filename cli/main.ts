#!/usr/bin/env node
// `manage`: the ops CLI. This entry only declares commands and their options; each command's
// module (and whatever heavy library it needs: @pulumi/pulumi, the Azure SDK) is imported when
// that command runs, so `manage --help` starts about as fast as node itself.

import { Command, CommanderError, Option } from "commander";
import { PROFILE_NAMES } from "../infra/profiles.js";
import { exitCodeOf } from "./errors.js";
import { duration, nonNegativeInteger, nonNegativeNumber, oneOf, positiveInteger, positiveNumber, share } from "./options.js";

type Run = (options: Record<string, unknown>) => Promise<void>;

/** An action that imports ./commands/<module>.js only when the command runs. */
function lazy(module: string, exported = "run") {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const mod = (await import(`./commands/${module}.js`)) as Record<string, Run>;
    await mod[exported]!(command.optsWithGlobals());
  };
}

/** Like lazy, for commands with positional arguments: they come first, then the options. */
function lazyWithArgs(module: string, exported: string) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const positionals = args.slice(0, -2);
    const mod = (await import(`./commands/${module}.js`)) as Record<string, (...a: unknown[]) => Promise<void>>;
    await mod[exported]!(...positionals, command.optsWithGlobals());
  };
}

/** The readiness gate: a command that brings up a pool is done when code runs through the backend. */
function withReadinessGate(command: Command): Command {
  return command
    .option("--no-wait", "do not wait until a probe execution succeeds end to end")
    .option("--wait-timeout <duration>", "how long to wait for code to run, e.g. 10m (default 30m: role propagation)", duration);
}

/** A command that calls the backend: through the gateway (accessMode token) it needs a credential. */
function withGatewayCredential(command: Command): Command {
  return command
    .option("--gateway-key <key>", "the gateway's subscription key (default: $MANAGE_GATEWAY_KEY, else the stack's own); never printed")
    .option("--gateway-token <jwt>", "a JWT for a gateway with gatewayJwtIssuer (default: $MANAGE_GATEWAY_TOKEN); never printed");
}

/** A command that records a change the stack's cost ceiling (costCeilingPerDay) applies to. */
function withCostCeiling(command: Command): Command {
  return command.option("--allow-over-ceiling", "go ahead even if the change can cost more per day than the stack's costCeilingPerDay");
}

/** The cost model's named assumptions (docs/costs.md) and where prices come from, for the commands that estimate costs. */
function withCostAssumptions(command: Command): Command {
  return command
    .option("--region <region>", "price region (default: the stack's location)")
    .option("--live-prices", "fetch current prices from the Azure Retail Prices API (cached on disk)")
    .option("--sessions-per-node <n>", "sessions that fit on one E16 node (default: derived from session size, net of the reserved share)", positiveInteger)
    .option("--node-reserved-share <share>", "share of each node the runtime keeps for itself (default 0.125, unconfirmed)", share)
    .option("--log-gb-per-1000-runs <gb>", "Log Analytics GB per 1000 executions (default 0.01)", nonNegativeNumber)
    .option("--log-gb-per-replica-hour <gb>", "Log Analytics GB per backend replica-hour (default 0.001)", nonNegativeNumber)
    .option("--registry-gb <gb>", "GB of images the registry stores (default 8)", nonNegativeNumber)
    .option("--warm-up-hours <h>", "hours the pool runs before a contest window (default 0.5)", nonNegativeNumber)
    .option("--tail-hours <h>", "hours the pool runs after a contest window (default 1)", nonNegativeNumber)
    .option("--no-management-fee", "leave out the Dedicated Plan Management fee (assumed to apply; unconfirmed for a pool alone)");
}

const profileOption = (description: string) =>
  new Option("-p, --profile <profile>", description).argParser(oneOf(PROFILE_NAMES));

export function buildProgram(): Command {
  const program = new Command("manage")
    .description("Run the coding-engine deployment: Pulumi stacks, profiles, costs and checks.")
    .option("-s, --stack <name>", "stack to work on (default: $MANAGE_STACK, else dev)")
    .option("--json", "print one JSON document instead of tables")
    .option("-y, --yes", "do not ask before changes (required when no terminal is attached)")
    .option("-v, --verbose", "show what runs underneath")
    .showSuggestionAfterError()
    .exitOverride();

  withCostCeiling(program.command("up").description("apply the stack as configured in its stack file")).action(lazy("up"));

  // start-session-pool and start are the same command: the pool only exists inside a profile, and
  // the backend that forwards to it comes with it.
  for (const [name, description] of [
    ["start-session-pool", "bring up the session pool (testing profile unless told otherwise)"],
    ["start", "bring up the pool and the backend (testing profile unless told otherwise)"],
  ] as const)
    withCostCeiling(
      withReadinessGate(program.command(name).description(description).addOption(profileOption("profile with a pool (default testing)"))),
    ).action(lazy("start", "runPool"));
  withCostCeiling(program.command("start-backend"))
    .description("make sure a backend replica runs, keeping the current profile")
    .action(lazy("start", "runBackend"));
  program
    .command("stop")
    .description("down to the idle cost: deletes the pool, keeps registry, images, identity and settings")
    .action(lazy("stop"));
  withCostCeiling(withReadinessGate(program.command("scale")))
    .description("record a profile (and overrides, and an expiry) in the stack config, then apply")
    .addOption(profileOption("idle, testing or contest").makeOptionMandatory())
    .option("--max-sessions <n>", "override the profile's maximum concurrent sessions", positiveInteger)
    .option("--ready-sessions <n>", "override the profile's ready (warm) sessions", nonNegativeInteger)
    .option("--cooldown <seconds>", "override the session cooldown (300-3600)", positiveInteger)
    .option("--backend-min <n>", "override the backend's minimum replicas", nonNegativeInteger)
    .option("--backend-max <n>", "override the backend's maximum replicas", positiveInteger)
    .option("--for <duration>", "return to idle after this long, e.g. 3h (recorded as an expiry)")
    .action(lazy("scale"));

  const images = program.command("images").description("put the backend and session images in the stack's registry (no local Docker)");
  images
    .command("import")
    .description("copy an image from another registry (az acr import)")
    .requiredOption("--from <image>", "full source reference, e.g. myregistry.azurecr.io/coding-engine/session:2026-11-22")
    .option("--name <repository>", "repository in the stack's registry (default: the source's)")
    .option("--tag <tag>", "tag in the stack's registry (default: the source's)")
    .option("--force", "overwrite a tag that already exists (the pool would keep the old image)")
    .action(lazyWithArgs("images", "runImport"));
  images
    .command("build <context-dir>")
    .description("build an image in the registry from a Dockerfile (az acr build)")
    .requiredOption("--name <repository>", "repository, e.g. coding-engine/session")
    .option("--tag <tag>", "tag (default: the current UTC time, a new tag per rollout)")
    .option("--file <dockerfile>", "Dockerfile inside the context (default Dockerfile)")
    .option("--force", "overwrite a tag that already exists")
    .action(lazyWithArgs("images", "runBuild"));

  program
    .command("enforce-expiry")
    .description("return every stack whose `scale --for` expiry has passed to idle (idempotent; run on a schedule)")
    .option("--dry-run", "say what would be stopped, change nothing")
    .action(lazy("enforce-expiry"));

  program
    .command("pulumi")
    .description("run pulumi with this project's state backend and passphrase, e.g. `manage pulumi -- cancel --stack dev --yes`")
    .argument("<args...>", "pulumi's arguments, after --")
    .allowUnknownOption()
    .action(async (args: string[]) => {
      const mod = await import("./commands/pulumi.js");
      await mod.run(args);
    });

  program
    .command("status")
    .description("what runs now, in which profile and until when, its burn rate, and drift from the stack")
    .action(lazy("status"));

  withGatewayCredential(program.command("smoke"))
    .description("prove code runs: every language's cases against the backend, with cold/warm latency and the cause of any failure")
    .option("--endpoint <url>", "a backend URL instead of the stack's own")
    .option("--full", "add the slow cases: time limit and large output")
    .option("--concurrency <n>", `parallel runs in the concurrency case (default 8)`, positiveInteger)
    .action(lazy("smoke"));

  withGatewayCredential(program.command("doctor"))
    .description("check everything code needs to run (tools, logins, roles, images, pool, backend, a probe execution), each with its fix")
    .option("--pool-path <path>", "the session container's route for the direct pool probe (default /python/execute)")
    .action(lazy("doctor"));

  withGatewayCredential(program.command("load-test"))
    .description("a contest-shaped load (opening burst, then steady arrivals) against the stack's backend: latency, throughput, errors")
    .requiredOption("--users <n>", "people taking part; each one's first run lands in the opening burst", positiveInteger)
    .requiredOption("--duration <duration>", "how long to send, e.g. 2m (at most 30m)", duration)
    .option("--rate <r>", "steady executions per second after the burst (default: users x runs per minute / 60)", nonNegativeNumber)
    .option("--runs-per-user-per-minute <r>", "how often each person runs code (default 1)", positiveNumber)
    .option("--burst-seconds <s>", "the opening burst's length (default: a quarter of the duration, at most 60)", positiveNumber)
    .option("--mix <weights>", "languages and weights, e.g. python:60,cpp:20,java:10,js:10")
    .option("--max-requests <n>", "refuse a load larger than this (default 10000)", positiveInteger)
    .option("--seed <n>", "seed of the arrival schedule (same seed, same load)", nonNegativeInteger)
    .option("--endpoint <url>", "a backend URL instead of the stack's own (required to aim anywhere else)")
    .action(lazy("load-test"));

  program
    .command("plan")
    .description("offline: the resources the program declares for a stack and profile, and their cost")
    .addOption(profileOption("profile to plan (default: the stack's current one)"))
    .addOption(new Option("--from <profile>", "compare two profiles: from this one...").argParser(oneOf(PROFILE_NAMES)))
    .addOption(new Option("--to <profile>", "...to this one").argParser(oneOf(PROFILE_NAMES)))
    .action(lazy("plan"));

  withCostAssumptions(
    program
      .command("cost-estimate")
      .description("offline: what each profile costs per hour, day, month and window, per resource, and at most per day")
      .addOption(profileOption("one profile in detail (default: all side by side)"))
      .option("--hours <h>", "window length in hours (default 2: a contest)", positiveNumber)
      .option("--days <d>", "window length in days", positiveNumber)
      .option("--executions <n>", "executions during the window", nonNegativeInteger)
      .option("--avg-exec-seconds <s>", "average run time of one execution (default 2)", positiveNumber),
  ).action(lazy("cost-estimate"));

  withCostCeiling(
    withCostAssumptions(
      program
        .command("capacity")
        .description("offline: sessions, ready sessions, nodes and waits a contest needs, checked against the profile; what it costs; --simulate runs the contest")
        .option("--users <n>", "people taking part (default: the stack's participants)", positiveInteger)
        .option("--runs-per-user-per-minute <r>", "how often each person runs code (default: the stack's runsPerParticipantPerMinute)", positiveNumber)
        .option("--avg-exec-seconds <s>", "average run time of one execution (default 2)", positiveNumber)
        .option("--identifier <strategy>", "how the backend picks session identifiers: per-user, per-execution or shared:K (default: the stack's sessionIdentifier)")
        .option("--max-404-rate <share>", "the most requests that may find the pool full (default 0.001: 0.1%)", positiveNumber)
        .option("--p95-wait-seconds <w>", "acceptable wait for 95% of executions (default 2)", positiveNumber)
        .option("--hours <h>", "contest length in hours (default 2)", positiveNumber)
        .option("--burst-seconds <s>", "everyone's first run lands within this many seconds of the start (default: the stack's openingBurstSeconds)", positiveNumber)
        .option("--cold-start-seconds <s>", "time to bring up a session that was not ready (default 10, unconfirmed)", positiveNumber)
        .addOption(profileOption("profile to check the plan against (default contest)"))
        .option("--simulate", "run a seeded simulation of the contest: 404s, waits, peak nodes, and a chart (SVG file and terminal)")
        .option("--seed <n>", "seed of the simulated contest (default 1)", nonNegativeInteger)
        .option("--chart <file>", "where --simulate writes its SVG chart (default capacity-simulation.svg)")
        .option("--apply", "record the recommendation for that profile (applied if the profile is in effect)"),
    ),
  ).action(lazy("capacity"));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; everything else commander refuses is bad usage.
      return err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help" ? 0 : 2;
    }
    process.stderr.write(`manage: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.MANAGE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return exitCodeOf(err);
  }
}

process.exitCode = await main(process.argv);
