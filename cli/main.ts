#!/usr/bin/env node
// `manage`: the ops CLI. This entry only declares commands, their options (each value read by its
// declared type, ./options.ts) and their help; each command's module (and whatever heavy library it
// needs: @pulumi/pulumi, the Azure SDK) is imported when that command runs, so `manage --help`
// starts about as fast as node itself. Every run ends here: exit 0, or one error in one style
// (./output.ts reportFailure) with the exit code its cause has everywhere (./errors.ts).

import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Argument, Command, CommanderError, Help, type CommandUnknownOpts, type OptionValues } from "@commander-js/extra-typings";
import { EXIT_CODES, exitCodeOf } from "./errors.js";
import { packageJson } from "./package.js";
import { now } from "./clock.js";
import { DEFAULT_CHART_FILE, DEFAULT_LOAD_MAX_REQUESTS, DEFAULT_SEED, DEFAULT_SMOKE_CONCURRENCY, DEFAULT_SPEND_SINCE_MS, DEFAULT_WAIT_MINUTES, DEFAULT_WARMUP_MINUTES, DEFAULT_WATCH_INTERVAL_MS, TYPES, typedOption } from "./options.js";
import { OPTION_RANGES } from "../infra/limits.js";
import { CAPACITY_DEFAULTS, NODE_RESERVED_SHARE } from "../infra/capacity.js";
import { LIMITS as PROFILE_LIMITS, type ProfileName } from "../infra/profiles.js";
import { COST_ASSUMPTIONS } from "../infra/costing/model.js";
import { GATEWAY_CREATE_MINUTES } from "../infra/access-mode.js";

/** Makes the run's output settings known before a command prints anything. */
async function prepareRun(command: CommandUnknownOpts): Promise<Record<string, unknown>> {
  const o = command.optsWithGlobals();
  // What the command takes, so a text it prints offers only its own flags (./suggest.ts).
  const { noteRunningCommand } = await import("./suggest.js");
  noteRunningCommand(commandPath(command).join(" "), declaredFlags(command));
  // Loaded here, not at the top: the project module reads the stack config's module (valibot), which --help does not need.
  const { noteStackOption } = await import("./project.js");
  noteStackOption(o.stack !== undefined);
  const { configureOutput } = await import("./output.js");
  configureOutput({ json: Boolean(o.json), verbose: Boolean(o.verbose), color: o.color as boolean | undefined });
  return o;
}

/** A command's names from below the root: ["images", "import"]. */
export function commandPath(command: CommandUnknownOpts): string[] {
  return command.parent ? [...commandPath(command.parent), command.name()] : [];
}

/** Every long flag a command takes, its ancestors' (the global options) included. */
export function declaredFlags(command: CommandUnknownOpts): string[] {
  const flags: string[] = [];
  for (let c: CommandUnknownOpts | null = command; c; c = c.parent) for (const option of c.options) if (option.long) flags.push(option.long);
  return flags;
}

// ---- what a command's module receives, derived from its declaration ------------------------------
// Commander's typed companion (@commander-js/extra-typings) infers each option's value type from its
// declaration: the flag (--max-sessions -> maxSessions), the type's parser (./options.ts typedOption),
// a mandatory or negated flag. A command module names its options' type `OptionsFor<"scale">`, not an
// interface of its own, so a field no option declares, or of another type, fails the type check.

/** What commander hands a command's action: its own options and its ancestors' (the global ones). */
export type OptionsOf<C extends CommandUnknownOpts> = ReturnType<C["optsWithGlobals"]>;
/** A declared command's positional arguments, typed by their declaration. */
type ArgumentsOf<C> = C extends Command<infer A, infer _O, infer _G> ? A : never;

/** The names a module exports that can run a command with these arguments: functions returning a promise. */
type Runners<M, P extends unknown[]> = { [K in keyof M]: M[K] extends (...args: P) => Promise<void> ? K : never }[keyof M] & string;

/**
 * Runs a command by importing its module only when the command runs. The module is a static
 * `import()` and the function one of its exports taking the command's positionals and options as
 * declared, so a misspelt command or function, or one expecting an option the command does not
 * declare, fails the type check (tsc), not a user's run. Commander passes the positional arguments
 * first, then the options and the command: the function gets them in that order.
 */
function runs<C extends CommandUnknownOpts, M>(command: C, load: () => Promise<M>, exported: Runners<M, [...ArgumentsOf<C>, OptionsOf<C>]>): C {
  command.action(async (...args: unknown[]) => {
    const positionals = args.slice(0, -2);
    const o = await prepareRun(command);
    const mod = await load();
    await (mod[exported] as unknown as (...a: unknown[]) => Promise<void>)(...positionals, o);
  });
  return command;
}

/** Two or three real examples under a command's help. */
function examples<C extends CommandUnknownOpts>(command: C, lines: string[]): C {
  return command.addHelpText("after", `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`);
}

// An option group: options several commands take, added to a command with their types kept.

/** The readiness gate: a command that brings up a pool is done when code runs through the backend. */
function withReadinessGate<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>) {
  return command
    .option("--no-wait", "do not wait until a probe execution succeeds end to end")
    .addOption(typedOption("--wait-timeout <duration>", `how long to wait for code to run (default ${DEFAULT_WAIT_MINUTES}m: role propagation)`, TYPES.waitTimeout));
}

/** A command that calls the backend: through the gateway (accessMode token) it needs a credential. */
function withGatewayCredential<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>) {
  return command
    .option("--gateway-key <key>", "the gateway's subscription key (default: $MANAGE_GATEWAY_KEY, else the stack's own); never printed")
    .option("--gateway-token <jwt>", "a JWT for a gateway with gatewayJwtIssuer (default: $MANAGE_GATEWAY_TOKEN); never printed");
}

/** A command that records a change the stack's cost ceiling (costCeilingPerDay) applies to. */
function withCostCeiling<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>) {
  return command.option("--allow-over-ceiling", "go ahead even if the change can cost more per day than the stack's costCeilingPerDay");
}

/** The cost model's named assumptions (docs/costs.md) and where prices come from, for the commands that estimate costs. */
function withCostAssumptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>) {
  return command
    .addOption(typedOption("--region <region>", "price region (default: the stack's location)", TYPES.region))
    .option("--live-prices", "fetch current prices from the Azure Retail Prices API (cached on disk)")
    .addOption(typedOption("--sessions-per-node <n>", "sessions that fit on one E16 node (default: derived from session size, net of the reserved share)", TYPES.sessionsPerNode))
    .addOption(typedOption("--node-reserved-share <share>", `share of each node the runtime keeps for itself (default ${NODE_RESERVED_SHARE}, unconfirmed)`, TYPES.share))
    .addOption(typedOption("--log-gb-per-1000-runs <gb>", `Log Analytics GB per 1000 executions (default ${COST_ASSUMPTIONS.logGbPer1000Runs})`, TYPES.logGbPer1000Runs))
    .addOption(typedOption("--log-gb-per-replica-hour <gb>", `Log Analytics GB per backend replica-hour (default ${COST_ASSUMPTIONS.logGbPerReplicaHour})`, TYPES.logGbPerReplicaHour))
    .addOption(typedOption("--registry-gb <gb>", `GB of images the registry stores (default ${COST_ASSUMPTIONS.registryStoredGb})`, TYPES.registryGb))
    .addOption(typedOption("--warm-up-hours <h>", `hours the pool runs before a contest window (default ${COST_ASSUMPTIONS.warmUpHours})`, TYPES.marginHours))
    .addOption(typedOption("--tail-hours <h>", `hours the pool runs after a contest window (default ${COST_ASSUMPTIONS.tailHours})`, TYPES.marginHours))
    .option("--no-management-fee", "leave out the Dedicated Plan Management fee (assumed to apply; unconfirmed for a pool alone)");
}

/** The options a group adds, as a module that takes them reads them. */
type GroupOptions<F extends (command: Command) => CommandUnknownOpts> = OptionsOf<ReturnType<F>>;
/** --no-wait, --wait-timeout. */
export type GateOptions = GroupOptions<typeof withReadinessGate<[], {}, {}>>;
/** --gateway-key, --gateway-token. */
export type CredentialOptions = GroupOptions<typeof withGatewayCredential<[], {}, {}>>;
/** --allow-over-ceiling. */
export type CeilingOptions = GroupOptions<typeof withCostCeiling<[], {}, {}>>;
/** The cost model's assumptions and the price region. */
export type CostAssumptionFlags = GroupOptions<typeof withCostAssumptions<[], {}, {}>>;

/** cost-estimate's and capacity's: the run time of one execution. */
const avgExecSecondsOption = () => typedOption("--avg-exec-seconds <s>", `average run time of one execution (default ${CAPACITY_DEFAULTS.runSeconds})`, TYPES.execSeconds);

/** doctor's direct pool probe: the route the session image serves for Python. */
const DEFAULT_POOL_PATH = "/python/execute";

const profileOption = (description: string) => typedOption("-p, --profile <profile>", description, TYPES.profile);
/** --profile with a default: the help says it and commander applies it, from the one value. */
const profileOptionDefault = (description: string, profile: ProfileName) => profileOption(`${description} (default ${profile})`).default(profile);

/** Every environment variable manage reads (the README's "Environment" lists the same; a test holds them together). */
export const ENVIRONMENT: ReadonlyArray<[string, string]> = [
  ["MANAGE_STACK", "the stack when --stack is not given (default dev)"],
  ["MANAGE_PROJECT_DIR", "the project directory (default: the nearest one above the working directory holding Pulumi.yaml)"],
  ["MANAGE_DEBUG", "set to print a stack trace with an unexpected error"],
  ["MANAGE_NOW", "an ISO 8601 time manage takes as now (rehearsing a contest day with --dry-run, tests); a change on it needs MANAGE_REHEARSAL=1, and a workflow run refuses it"],
  ["MANAGE_REHEARSAL", "set to 1 beside MANAGE_NOW to change a stack on that clock deliberately (a warning says how far it is from the real one)"],
  ["MANAGE_RETAIL_PRICES_URL", "the Azure Retail Prices API to ask with --live-prices (tests, proxies)"],
  ["MANAGE_ARM_ENDPOINT", "Azure Resource Manager's endpoint (sovereign clouds, tests)"],
  ["MANAGE_ARM_TOKEN, MANAGE_SESSIONS_TOKEN", "bearer tokens for ARM and the session pools' data plane, instead of a login"],
  ["MANAGE_GATEWAY_KEY, MANAGE_GATEWAY_TOKEN", "the gateway's subscription key, or a JWT, for calls through it (accessMode token; default: the stack's own key); never printed"],
  ["AZURE_SUBSCRIPTION_ID", "the subscription `manage spend` and `manage report` query (default: the one in the stack's outputs)"],
  ["AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET", "an Azure identity instead of `az login` (workload identity, service principal)"],
  ["PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, PULUMI_CONFIG_PASSPHRASE_FILE, PULUMI_HOME", "pulumi's state backend, secrets passphrase and home (default: the embedded backend in .pulumi-state/)"],
  ["NO_COLOR, FORCE_COLOR", "colour off (NO_COLOR) or forced (FORCE_COLOR=1..3), as --no-color and --color"],
  ["COLUMNS", "the width tables fit (default: the terminal's)"],
  ["GITHUB_ACTIONS, GITHUB_WORKFLOW, GITHUB_ACTOR", "in GitHub Actions: who a change is recorded as in the stack's state (default: user@host); GITHUB_ACTIONS=true refuses MANAGE_NOW (a workflow runs on the real clock)"],
];

function rootHelp(): string {
  return (
    "\nExamples:\n" +
    "  $ manage plan --stack contest --from idle --to contest\n" +
    "  $ manage scale --stack contest --profile contest --for 3h\n" +
    "  $ manage stop --stack contest --yes\n" +
    "\nExit codes:\n" +
    EXIT_CODES.map(([code, meaning]) => `  ${String(code).padEnd(4)}${meaning}`).join("\n") +
    "\n\nEnvironment:\n" +
    ENVIRONMENT.map(([name, meaning]) => `  ${name}\n      ${meaning}`).join("\n") +
    "\n\nShell completion: `manage completion bash|zsh|fish` prints the script (e.g. `manage completion bash >> ~/.bashrc`).\n"
  );
}

/** The program and its global options, which every command takes. */
function rootCommand() {
  return (
    new Command("manage")
      .description("Run the coding-engine deployment: Pulumi stacks, profiles, costs and checks.")
      .version(packageJson()?.version ?? "unknown", "-V, --version", "print manage's version")
      .configureHelp({
        showGlobalOptions: true,
        // An option with a default states it in its help text, in words and from the same constant
        // (`default 10s`, `default 10000`): commander's own "(default: 10000)" would repeat it.
        optionDescription(option) {
          return Help.prototype.optionDescription.call(this, Object.create(option, { defaultValue: { value: undefined } }) as typeof option);
        },
      })
      .addOption(typedOption("-s, --stack <name>", "stack to work on (default: $MANAGE_STACK, else dev)", TYPES.stack))
      .option("--json", "print one JSON document on stdout (also on failure: {\"error\": {...}}); progress goes to stderr")
      .option("-y, --yes", "do not ask before changes (required when no terminal is attached)")
      .option("-v, --verbose", "show what runs underneath, and the details of warnings")
      .option("--color", "colour even when stdout is not a terminal")
      .option("--no-color", "no colour (also NO_COLOR=1)")
      .showSuggestionAfterError()
      .addHelpText("after", rootHelp)
      // Commander's own error text is rewritten in manage's style by main().
      .configureOutput({ outputError: () => {} })
  );
}
type Program = ReturnType<typeof rootCommand>;
/** --stack, --json, --yes, --verbose, --color: what every command receives. */
export type GlobalOptions = OptionsOf<Program>;

function imagesCommand(program: Program) {
  return program.command("images").description("put the backend and session images in the stack's registry (no local Docker)");
}

/**
 * Every command with its options, help and examples: the one declaration of each option. A command
 * module's options type is derived from its entry here (`OptionsFor<"scale">`); buildProgram
 * attaches each to the program in help's order and gives it the module that runs it.
 */
const COMMANDS = {
  up: (program: Program) =>
    examples(withCostCeiling(program.command("up").description("apply the stack as configured in its stack file")), [
      "manage up --stack dev",
      "manage up --stack contest --yes --json",
    ]),

  // start-session-pool and start are the same command: the pool only exists inside a profile, and
  // the backend that forwards to it comes with it.
  start: (program: Program, name: "start-session-pool" | "start", description: string) =>
    examples(
      withCostCeiling(withReadinessGate(program.command(name).description(description).addOption(profileOptionDefault("profile with a pool", "testing")))),
      [`manage ${name} --stack dev`, `manage ${name} --stack contest --profile contest --wait-timeout 45m`, `manage ${name} --stack dev --no-wait --json`],
    ),

  "start-backend": (program: Program) =>
    examples(withCostCeiling(program.command("start-backend")), ["manage start-backend --stack contest", "manage start-backend --stack dev --json"]).description(
      "make sure a backend replica runs, keeping the current profile",
    ),

  stop: (program: Program) =>
    examples(program.command("stop").description("down to the idle cost: deletes the pool, keeps registry, images, identity and settings"), [
      "manage stop --stack contest",
      "manage stop --stack contest --yes   # no terminal (CI, a script)",
    ]),

  scale: (program: Program) =>
    examples(withCostCeiling(withReadinessGate(program.command("scale"))), [
      "manage scale --stack contest --profile contest --for 3h",
      "manage scale --stack contest --profile contest --max-sessions 230 --ready-sessions 52",
      "manage scale --stack dev --profile testing --cooldown 600 --no-wait",
    ])
      .description("run a profile (with overrides, and an expiry), recorded in the stack's state where every machine sees it")
      .addOption(profileOption("idle, testing or contest").makeOptionMandatory())
      .addOption(typedOption("--max-sessions <n>", "override the profile's maximum concurrent sessions (at most the stack's maxSessionsLimit)", TYPES.maxSessions))
      .addOption(typedOption("--ready-sessions <n>", "override the profile's ready (warm) sessions", TYPES.readySessions))
      .addOption(typedOption("--cooldown <seconds>", `override the session cooldown (${PROFILE_LIMITS.cooldownSeconds.min}-${PROFILE_LIMITS.cooldownSeconds.max} s)`, TYPES.cooldown))
      .addOption(typedOption("--backend-min <n>", "override the backend's minimum replicas", TYPES.backendMin))
      .addOption(typedOption("--backend-max <n>", "override the backend's maximum replicas", TYPES.backendMax))
      .addOption(typedOption("--for <duration>", `return to idle after this long, e.g. 3h or 90m (recorded as an expiry, at most ${OPTION_RANGES.expiryHours.max / 24}d)`, TYPES.expiry)),

  "images import": (images: ReturnType<typeof imagesCommand>) =>
    examples(images.command("import"), [
      "manage images import --stack dev --from myregistry.azurecr.io/coding-engine/session:2026-11-22",
      "manage images import --stack contest --from myregistry.azurecr.io/coding-engine/backend:v7 --tag v7-contest",
    ])
      .description("copy an image from another registry (az acr import)")
      .addOption(typedOption("--from <image>", "full source reference", TYPES.sourceImage).makeOptionMandatory())
      .addOption(typedOption("--name <repository>", "repository in the stack's registry (default: the source's)", TYPES.repository))
      .addOption(typedOption("--tag <tag>", "tag in the stack's registry (default: the source's)", TYPES.tag))
      .option("--force", "overwrite a tag that already exists (the pool would keep the old image)"),

  "images build": (images: ReturnType<typeof imagesCommand>) =>
    examples(images.command("build <context-dir>"), [
      "manage images build ./session --stack dev --name coding-engine/session",
      "manage images build . --stack contest --name coding-engine/backend --file backend/Dockerfile --tag 2026-11-22",
    ])
      .description("build an image in the registry from a Dockerfile (az acr build)")
      .addOption(typedOption("--name <repository>", "repository", TYPES.repository).makeOptionMandatory())
      .addOption(typedOption("--tag <tag>", "tag (default: the current UTC time, a new tag per rollout)", TYPES.tag))
      .option("--file <dockerfile>", "Dockerfile inside the context (default Dockerfile)")
      .option("--force", "overwrite a tag that already exists"),

  reconcile: (program: Program) =>
    examples(program.command("reconcile").alias("enforce-expiry"), [
      "manage reconcile --dry-run",
      "manage reconcile --yes --json   # what the scheduled workflow runs, every 5 minutes",
    ])
      .description("the scheduled job: start each window at its warm-up (proved with smoke), return expired windows and `--for` expiries to idle, stop a pool a failed stop left (idempotent)")
      .option("--dry-run", "say what would be started or stopped, change nothing")
      .addOption(typedOption("--wait-timeout <duration>", `how long a started window may take until code runs (default ${DEFAULT_WAIT_MINUTES}m)`, TYPES.waitTimeout)),

  schedule: (program: Program) => {
    // A week from now(), as the refusals' example: a fixed date would be in the past one day, refused as pasted.
    const at = TYPES.startsAt.example;
    return examples(program.command("schedule"), [
      `manage schedule --stack contest --profile contest --at ${at} --for 3h --warmup ${GATEWAY_CREATE_MINUTES}m --users 220`,
      "manage schedule --stack contest --list",
      "manage schedule --stack contest --cancel w-20261205-0800",
    ])
      .description("record a contest window in the stack's state: the scheduled job starts it at its warm-up and returns it to idle at its end")
      .addOption(profileOptionDefault("profile the window runs", "contest"))
      .addOption(typedOption("--at <time>", `when the contest starts (ISO 8601 with a zone, e.g. ${at})`, TYPES.startsAt))
      .addOption(typedOption("--for <duration>", "how long it runs, e.g. 3h", TYPES.expiry))
      .addOption(typedOption("--warmup <duration>", `how long before --at the pool comes up (default ${DEFAULT_WARMUP_MINUTES}m; on a token stack at least and by default ${GATEWAY_CREATE_MINUTES}m, the gateway's creation time)`, TYPES.warmup))
      .addOption(typedOption("--users <n>", "participants: the planner sizes the pool for them (default: the stack's participants)", TYPES.users))
      .option("--list", "the windows recorded, in UTC and local time")
      .addOption(typedOption("--cancel <id>", "remove a window (a running one runs to its end: `manage stop` ends it now)", TYPES.windowId));
  },

  keys: (program: Program) =>
    examples(program.command("keys"), [
      "manage keys issue --stack contest --name team-a",
      "manage keys list --stack contest",
      "manage keys revoke --stack contest --name team-a",
    ])
      .description("participants' keys for a token stack's gateway: kept in the stack's state, taken over by every window's gateway")
      .addArgument(new Argument("<action>", "issue, list or revoke").choices(["issue", "list", "revoke"]))
      .addOption(typedOption("--name <name>", "the participant or team (issue, revoke)", TYPES.caller))
      .option("--show-keys", "list: print the keys themselves (they are secrets)"),

  pulumi: (program: Program) =>
    examples(program.command("pulumi"), ["manage pulumi -- stack ls", "manage pulumi -- cancel --stack dev --yes", "manage pulumi -- refresh --stack dev --yes --clear-pending-creates"])
      .description("run pulumi with this project's state backend and passphrase, e.g. `manage pulumi -- cancel --stack dev --yes`")
      .argument("<args...>", "pulumi's arguments, after --")
      .allowUnknownOption(),

  status: (program: Program) =>
    examples(program.command("status"), ["manage status --stack contest", "manage status --stack dev --json"]).description(
      "what runs now, in which profile and until when, its burn rate, and drift from the stack",
    ),

  watch: (program: Program) =>
    examples(program.command("watch"), ["manage watch --stack contest", "manage watch --stack contest --interval 30s --json > contest.ndjson", "manage watch --stack contest --once"])
      .description("during a contest: sessions against the cap, backend answers by status class, cost so far and burn rate, warnings; refreshed live")
      .addOption(typedOption("--interval <duration>", `time between refreshes (default ${DEFAULT_WATCH_INTERVAL_MS / 1000}s)`, TYPES.watchInterval).default(DEFAULT_WATCH_INTERVAL_MS))
      .option("--once", "one snapshot, then exit (with --json: one document)"),

  spend: (program: Program) =>
    examples(program.command("spend"), [
      "manage spend --stack contest --since 7d",
      "manage spend --stack contest --from 2026-11-20 --to 2026-11-22T00:00:00Z",
      "manage spend --stack dev --since 30d --json",
    ])
      .description("what the stack's resource group really cost (Cost Management), by resource and meter, against the cost model for the same hours")
      .addOption(typedOption("--since <duration>", `the period: back from now this long, e.g. 30d (default ${DEFAULT_SPEND_SINCE_MS / 86_400_000}d)`, TYPES.since))
      .addOption(typedOption("--from <time>", "the period's start (ISO 8601), instead of --since", TYPES.instant))
      .addOption(typedOption("--to <time>", "the period's end (ISO 8601; default now)", TYPES.instant))
      .addOption(typedOption("--window <id>", "the period a scheduled window ran (manage schedule --list), at its profile", TYPES.windowId)),

  report: (program: Program) =>
    examples(program.command("report"), [
      "manage report --stack contest --window w-20261205-0900",
      "manage report --stack contest --from 2026-12-05T08:30:00Z --to 2026-12-05T11:00:00Z --out contest.html",
      "manage report --stack contest --window w-20261205-0900 --runs ci-smoke-runs.ndjson --json",
    ])
      .description("after a contest: a self-contained HTML report of sessions, nodes, replicas and requests over the window, the smoke/load-test runs recorded in it, and its cost against the model")
      .addOption(typedOption("--window <id>", "a scheduled window in the stack's state (manage schedule): its warm-up to its end", TYPES.windowId))
      .addOption(typedOption("--from <time>", "the period's start (ISO 8601), with --to, instead of --window", TYPES.instant))
      .addOption(typedOption("--to <time>", "the period's end (ISO 8601)", TYPES.instant))
      .addOption(typedOption("--out <file>", "the HTML file to write (default report-<stack>-<window>.html; with --json, none unless given)", TYPES.htmlFile))
      .option("--runs <files...>", "more run logs to read (e.g. a CI artifact of the scheduled job's smoke runs), besides .manage/runs/<stack>.ndjson"),

  smoke: (program: Program) =>
    examples(withGatewayCredential(program.command("smoke")), ["manage smoke --stack contest", "manage smoke --stack dev --full", "manage smoke --endpoint https://backend.example.com --concurrency 16"])
      .description("prove code runs: every language's cases against the backend, with cold/warm latency and the cause of any failure")
      .addOption(typedOption("--endpoint <url>", "a backend URL instead of the stack's own", TYPES.endpoint))
      .option("--full", "add the slow cases: time limit and large output")
      .addOption(typedOption("--concurrency <n>", `parallel runs in the concurrency case (default ${DEFAULT_SMOKE_CONCURRENCY})`, TYPES.concurrency)),

  doctor: (program: Program) =>
    examples(withGatewayCredential(program.command("doctor")), ["manage doctor --stack contest", "manage doctor --stack dev --json", "manage doctor --stack dev --pool-path /run"])
      .description("check everything code needs to run (tools, logins, roles, images, pool, backend, a probe execution), each with its fix")
      .addOption(typedOption("--pool-path <path>", `the session container's route for the direct pool probe (default ${DEFAULT_POOL_PATH})`, TYPES.poolPath).default(DEFAULT_POOL_PATH)),

  "load-test": (program: Program) =>
    examples(withGatewayCredential(program.command("load-test")), [
      "manage load-test --stack contest --users 200 --duration 5m",
      "manage load-test --stack contest --users 50 --duration 2m --rate 5 --mix python:70,cpp:30",
      "manage load-test --endpoint https://backend.example.com --users 20 --duration 30s --json",
    ])
      .description("a contest-shaped load (opening burst, then steady arrivals) against the stack's backend: latency, throughput, errors")
      .addOption(typedOption("--users <n>", "people taking part; each one's first run lands in the opening burst", TYPES.users).makeOptionMandatory())
      .addOption(typedOption("--duration <duration>", `how long to send, e.g. 2m (at most ${OPTION_RANGES.loadTestMinutes.max}m)`, TYPES.loadDuration).makeOptionMandatory())
      .addOption(typedOption("--rate <r>", "steady executions per second after the burst (default: users x runs per minute / 60)", TYPES.rate))
      .addOption(typedOption("--runs-per-user-per-minute <r>", `how often each person runs code (default ${CAPACITY_DEFAULTS.runsPerParticipantPerMinute})`, TYPES.runsPerUserPerMinute))
      .addOption(typedOption("--burst-seconds <s>", `the opening burst's length (default: a quarter of the duration, at most ${CAPACITY_DEFAULTS.openingBurstSeconds})`, TYPES.burstSeconds))
      .option("--mix <weights>", "languages and weights, e.g. python:60,cpp:20,java:10,js:10")
      .addOption(typedOption("--max-requests <n>", `refuse a load larger than this (default ${DEFAULT_LOAD_MAX_REQUESTS}; at most ${OPTION_RANGES.loadRequests.max})`, TYPES.maxRequests).default(DEFAULT_LOAD_MAX_REQUESTS))
      .addOption(typedOption("--seed <n>", `seed of the arrival schedule (same seed, same load; default ${DEFAULT_SEED})`, TYPES.seed).default(DEFAULT_SEED))
      .addOption(typedOption("--endpoint <url>", "a backend URL instead of the stack's own (required to aim anywhere else)", TYPES.endpoint)),

  plan: (program: Program) =>
    examples(program.command("plan"), ["manage plan --stack dev", "manage plan --stack contest --from idle --to contest", "manage plan --stack contest --profile contest --json"])
      .description("offline: the resources the program declares for a stack and profile, and their cost")
      .addOption(profileOption("profile to plan (default: the stack's current one)"))
      .addOption(typedOption("--from <profile>", "compare two profiles: from this one...", TYPES.profile))
      .addOption(typedOption("--to <profile>", "...to this one", TYPES.profile)),

  "cost-estimate": (program: Program) =>
    examples(
      withCostAssumptions(
        program
          .command("cost-estimate")
          .description("offline: what each profile costs per hour, day, month and window, per resource, and at most per day")
          .addOption(profileOption("one profile in detail (default: all side by side)"))
          .addOption(typedOption("--hours <h>", `window length in hours (default ${CAPACITY_DEFAULTS.hours}: a contest)`, TYPES.hours))
          .addOption(typedOption("--days <d>", "window length in days", TYPES.days))
          .addOption(typedOption("--executions <n>", "executions during the window", TYPES.executions))
          .addOption(avgExecSecondsOption()),
      ),
      ["manage cost-estimate --stack contest", "manage cost-estimate --stack contest --profile contest --hours 3 --executions 36000", "manage cost-estimate --region eastus2 --live-prices"],
    ),

  capacity: (program: Program) =>
    examples(
      withCostCeiling(
        withCostAssumptions(
          program
            .command("capacity")
            .description("offline: sessions, ready sessions, nodes and waits a contest needs, checked against the profile; what it costs; --simulate runs the contest")
            .addOption(typedOption("--users <n>", "people taking part (default: the stack's participants)", TYPES.users))
            .addOption(typedOption("--runs-per-user-per-minute <r>", "how often each person runs code (default: the stack's runsPerParticipantPerMinute)", TYPES.runsPerUserPerMinute))
            .addOption(avgExecSecondsOption())
            .addOption(typedOption("--identifier <strategy>", "how the backend picks session identifiers (default: the stack's sessionIdentifier)", TYPES.identifier))
            .addOption(typedOption("--max-404-rate <share>", `the most requests that may find the pool full (default ${CAPACITY_DEFAULTS.max404Rate}: ${CAPACITY_DEFAULTS.max404Rate * 100}%)`, TYPES.max404Rate))
            .addOption(typedOption("--p95-wait-seconds <w>", `acceptable wait for 95% of executions (default ${CAPACITY_DEFAULTS.p95WaitSeconds})`, TYPES.waitSeconds))
            .addOption(typedOption("--hours <h>", `contest length in hours (default ${CAPACITY_DEFAULTS.hours})`, TYPES.hours).default(CAPACITY_DEFAULTS.hours))
            .addOption(typedOption("--burst-seconds <s>", "everyone's first run lands within this many seconds of the start (default: the stack's openingBurstSeconds)", TYPES.burstSeconds))
            .addOption(typedOption("--cold-start-seconds <s>", `time to bring up a session that was not ready (default: the stack's latest measurement, else ${CAPACITY_DEFAULTS.coldStartSeconds}, assumed)`, TYPES.coldStartSeconds))
            .addOption(typedOption("--confidence <share>", `share of contests that must meet the wait and 404 targets (default ${CAPACITY_DEFAULTS.confidence * 100}%)`, TYPES.confidence))
            .addOption(profileOptionDefault("profile to check the plan against", "contest"))
            .option("--simulate", "run a seeded simulation of the contest: 404s, waits, peak nodes, and a chart (SVG file and terminal)")
            .addOption(typedOption("--seed <n>", `seed of the simulated contest (default ${DEFAULT_SEED})`, TYPES.seed).default(DEFAULT_SEED))
            .addOption(typedOption("--chart <file>", `where --simulate writes its SVG chart (default ${DEFAULT_CHART_FILE})`, TYPES.chart).default(DEFAULT_CHART_FILE))
            .option("--apply", "record the recommendation for that profile (applied if the profile is in effect)"),
        ),
      ),
      ["manage capacity --stack contest --users 220", "manage capacity --stack contest --identifier per-execution --simulate --chart contest.svg", "manage capacity --stack contest --users 220 --apply"],
    ),
};

/** The options a command's module receives, as its declaration above says: `run(o: OptionsFor<"scale">)`. */
export type OptionsFor<K extends keyof typeof COMMANDS> = OptionsOf<ReturnType<(typeof COMMANDS)[K]>>;
/** Its positional arguments, as declared: `ArgumentsFor<"keys">[0]` is "issue" | "list" | "revoke". */
export type ArgumentsFor<K extends keyof typeof COMMANDS> = ArgumentsOf<ReturnType<(typeof COMMANDS)[K]>>;

export function buildProgram(): Program {
  const program = rootCommand();
  runs(COMMANDS.up(program), () => import("./commands/apply.js"), "up");
  runs(COMMANDS.start(program, "start-session-pool", "bring up the session pool (testing profile unless told otherwise)"), () => import("./commands/apply.js"), "startPool");
  runs(COMMANDS.start(program, "start", "bring up the pool and the backend (testing profile unless told otherwise)"), () => import("./commands/apply.js"), "startPool");
  runs(COMMANDS["start-backend"](program), () => import("./commands/apply.js"), "startBackend");
  runs(COMMANDS.stop(program), () => import("./commands/apply.js"), "stop");
  runs(COMMANDS.scale(program), () => import("./commands/apply.js"), "scale");
  const images = imagesCommand(program);
  runs(COMMANDS["images import"](images), () => import("./commands/images.js"), "runImport");
  runs(COMMANDS["images build"](images), () => import("./commands/images.js"), "runBuild");
  runs(COMMANDS.reconcile(program), () => import("./commands/reconcile.js"), "run");
  runs(COMMANDS.schedule(program), () => import("./commands/schedule.js"), "run");
  runs(COMMANDS.keys(program), () => import("./commands/keys.js"), "run");
  runs(COMMANDS.pulumi(program), () => import("./commands/pulumi.js"), "run");
  runs(COMMANDS.status(program), () => import("./commands/status.js"), "run");
  runs(COMMANDS.watch(program), () => import("./commands/watch.js"), "run");
  runs(COMMANDS.spend(program), () => import("./commands/spend.js"), "run");
  runs(COMMANDS.report(program), () => import("./commands/report.js"), "run");
  runs(COMMANDS.smoke(program), () => import("./commands/smoke.js"), "run");
  runs(COMMANDS.doctor(program), () => import("./commands/doctor.js"), "run");
  runs(COMMANDS["load-test"](program), () => import("./commands/load-test.js"), "run");
  runs(COMMANDS.plan(program), () => import("./commands/plan.js"), "run");
  runs(COMMANDS["cost-estimate"](program), () => import("./commands/cost-estimate.js"), "run");
  runs(COMMANDS.capacity(program), () => import("./commands/capacity.js"), "run");

  // Listed in help; the completion library replaces it when completion is asked for (see main()).
  program
    .command("completion")
    .description("print the shell completion script: `manage completion bash >> ~/.bashrc` (also zsh, fish)")
    .argument("<shell>", "bash, zsh or fish");

  return program;
}

/** The commands' names from the root down to the one that raised a commander error, for its fix. */
function markCommands(command: CommandUnknownOpts): void {
  command.exitOverride((err) => {
    throw Object.assign(err, { commandPath: commandPath(command) });
  });
  for (const sub of command.commands) markCommands(sub);
}

/** Commander's refusal in manage's words: what was wrong and where to look. */
export function commanderFailure(err: CommanderError & { commandPath?: string[] }): { message: string; fix: string } {
  const help = `manage ${[...(err.commandPath ?? []), "--help"].join(" ")}`;
  const message = err.message.replace(/^error: /, "").replace(/\n?\(Did you mean (.*)\?\)/, " (did you mean $1?)");
  if (err.code === "commander.excessArguments")
    return { message, fix: `quote a value that has spaces (--for "3 hours", or --for 3h); \`${help}\` lists what the command takes` };
  if (err.code === "commander.unknownCommand") return { message, fix: `\`${help}\` lists the commands` };
  return { message, fix: `\`${help}\` lists the command's options, with examples` };
}

/**
 * The bash completion script declares its constants readonly; sourced a second time (a new shell
 * reading ~/.bashrc twice, `source ~/.bashrc`), each declaration fails. Declared only when unset.
 */
export function sourceableTwice(script: string): string {
  return script.replace(/^readonly (\w+)=(.*)$/gm, "[[ -v $1 ]] || readonly $1=$2");
}

/**
 * Output to a closed pipe (`manage --help | head -1`) ends quietly: the reader has what it wanted,
 * so the rest is dropped and the run ends with its exit code (no EPIPE stack trace).
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      process.exit(Number(process.exitCode ?? 0));
    });
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.slice(2, argv.includes("--") ? argv.indexOf("--") : undefined).includes("--json");
  // The first word that is not an option: the command a run is for.
  const word = argv.slice(2).find((a) => !a.startsWith("-"));
  if (word === "completion" || word === "complete") {
    // The completion library builds its script and suggestions from the whole command tree.
    (program.commands as CommandUnknownOpts[]).splice(program.commands.findIndex((c) => c.name() === "completion"), 1);
    const { default: tab } = await import("@bomb.sh/tab/commander");
    // The same commander object: the library is typed against commander's own (untyped-options) Command.
    tab(program as unknown as import("commander").Command, { completionCommandName: "completion" });
    // The library prints the script with console.log; bash's is made safe to source twice.
    const log = console.log;
    console.log = (...parts: unknown[]) => log(...parts.map((p) => (typeof p === "string" ? sourceableTwice(p) : p)));
  }
  markCommands(program);
  // A workflow run acts on the real clock only (cli/clock.ts): refused before any command's action,
  // so one that never reads the clock (keys list, doctor) does not run beside a misplaced MANAGE_NOW either.
  program.hook("preAction", () => {
    if (process.env.GITHUB_ACTIONS === "true" && process.env.MANAGE_NOW) now();
  });
  try {
    // Bare `manage`: the help, on stdout, as gh and az do.
    if (argv.length <= 2) program.outputHelp();
    else await program.parseAsync(argv);
    if (json) {
      const { jsonDocument, writeJson } = await import("./output.js");
      const document = jsonDocument();
      if (document !== undefined) writeJson(document);
    }
    return Number(process.exitCode ?? 0);
  } catch (err) {
    const { reportFailure, splitFix } = await import("./output.js");
    if (err instanceof CommanderError) {
      // Help and version are successes; everything else commander refuses is bad usage.
      if (["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code)) return 0;
      reportFailure({ ...commanderFailure(err), exitCode: 2, code: err.code }, json);
      return 2;
    }
    const outcome = (err as { outcome?: import("./interrupted.js").InterruptOutcome } | null)?.outcome;
    if (outcome) {
      // Interrupted (Ctrl-C at a prompt or during pulumi): what runs now, its cost, what to run next.
      const { reportInterrupted } = await import("./interrupted.js");
      reportInterrupted(outcome, json);
      return 130;
    }
    const exitCode = exitCodeOf(err);
    const text = err instanceof Error ? err.message : String(err);
    const kind = (err as { failure?: { kind?: string } }).failure?.kind;
    reportFailure({ ...splitFix(text), exitCode, ...(kind ? { code: kind } : {}) }, json);
    if (process.env.MANAGE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return exitCode;
  }
}

// Run when this file is the program (node dist/cli/main.js, or the `manage` bin linked to it), not
// when a test imports buildProgram to parse the commands manage suggests.
function isEntry(): boolean {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? "")).href;
  } catch {
    return false;
  }
}
if (isEntry()) {
  quietOnClosedPipe();
  process.exitCode = await main(process.argv);
}
