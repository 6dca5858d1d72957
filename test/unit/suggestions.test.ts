// Every command manage suggests works as pasted. The code paths that print a fix ("Fix: `manage ...`",
// "To fix: ...", "run ...") are driven here over the stacks, profiles and cases they handle; every
// command line they render (cli/suggest.ts records each one) and every command in backticks in
// their texts is run through the real parser (cli/main.ts's buildProgram, actions replaced: parse
// only), and any unknown or invalid option fails the test. A placeholder ("<n>") stands for the
// option's own example value, as its type declares it. A flag offered on its own ("pass
// --allow-over-ceiling", "--no-wait skips this") must be one the running command takes.
import { join } from "node:path";
import { CommanderError, type CommandUnknownOpts as Command } from "@commander-js/extra-typings";
import { afterEach, describe, expect, test } from "vitest";
import { buildProgram, commandPath, declaredFlags } from "../../cli/main.js";
import { OPTION_EXAMPLES, TYPES } from "../../cli/options.js";
import { now } from "../../cli/clock.js";
import { noteRunningCommand, PLACEHOLDER, suggestionsMade } from "../../cli/suggest.js";
import { ceilingRefusal } from "../../cli/cost-ceiling.js";
import { waitingLine } from "../../cli/change.js";
import { watchWarnings } from "../../cli/watch/warnings.js";
import { capacityFix, overLimitFix } from "../../cli/commands/capacity.js";
import { nextStep } from "../../cli/commands/images.js";
import { diagnose } from "../../cli/execution/diagnose.js";
import { credentialHint } from "../../cli/execution/credentials.js";
import { explainFailure } from "../../cli/pulumi/failures.js";
import { imageCommands } from "../../cli/images-guard.js";
import { planWindow } from "../../cli/schedule.js";
import { stackSettings } from "../../cli/settings.js";
import { interruptOutcome } from "../../cli/interrupted.js";
import { parseIdentifierStrategy, sessionsPerNode } from "../../infra/capacity.js";
import { SESSIONS_PER_E16_NODE } from "../../infra/ceilings.cjs";
import type { ProfileName } from "../../infra/profiles.js";
import type { Sample } from "../../cli/azure/metrics.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** Words the way a shell splits them (single and double quotes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : (m[2] ?? m[3]!));
  return words;
}

/** Placeholders inside a value or for a positional argument: what a person would type there. */
const SAMPLES: Record<string, string> = { "<source-registry>": "myregistry.azurecr.io", "<context-dir>": "." };

/** The program with every action replaced: parsing only, errors thrown, nothing printed. */
function parser(): Command {
  const program = buildProgram();
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
    if (c.parent) c.action(() => {});
    c.commands.forEach(quiet);
  };
  quiet(program);
  return program;
}

const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];

/** Why the parser refuses a suggested command line, or null when it takes it. */
async function refusal(line: string): Promise<string | null> {
  const words = shellWords(line);
  if (words[0] !== "manage") return `does not start with manage: ${line}`;
  const program = parser();
  let command = program;
  const argv: string[] = [];
  for (let i = 1; i < words.length; i++) {
    let word = words[i]!;
    const sub = !word.startsWith("-") && command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub && argv.every((a) => !a.startsWith("-"))) command = sub;
    if (word === "--") {
      argv.push(...words.slice(i));
      break;
    }
    if (PLACEHOLDER.test(word) && words[i - 1]?.startsWith("--")) {
      const flag = words[i - 1]!;
      const option = [command, ...all(program)].flatMap((c) => c.options).find((o) => o.long === flag);
      const example = option && OPTION_EXAMPLES.get(option);
      if (!example) return `${line}: placeholder ${word} for ${flag}, which has no declared type to take an example from`;
      word = example;
    } else if (/<[^<>]+>/.test(word)) {
      for (const [placeholder, sample] of Object.entries(SAMPLES)) word = word.replace(placeholder, sample);
      if (/<[^<>]+>/.test(word)) return `${line}: no sample for the placeholder in ${word}`;
    }
    argv.push(word);
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return null;
  } catch (err) {
    return `${line}: ${err instanceof CommanderError || err instanceof Error ? err.message : String(err)}`;
  }
}

/** The commands in backticks in a text: each must be manage's (never a bare `pulumi` or `az`). */
function backticked(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((t) => /^(manage|pulumi|az)\s/.test(t));
}

/** Flags a text names outside a command line: each must be the running command's. */
function bareFlags(text: string): string[] {
  return [...text.replace(/`[^`]*`/g, "").matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
}

const texts: string[] = [];
const say = (...t: Array<string | undefined>) => {
  for (const x of t) if (x) texts.push(x);
};

/** Every text collected so far: its commands parse, none is a bare tool. */
async function expectAllParse(): Promise<void> {
  const lines = [...new Set([...suggestionsMade(), ...texts.flatMap(backticked)])];
  const refused = (await Promise.all(lines.map(refusal))).filter((r): r is string => r !== null);
  expect(refused).toEqual([]);
}

const settings = (stack: string) => stackSettings(stack, {}, ROOT);
/** Six minutes of samples, oldest first, from per-field arrays. */
const minutes = (fields: Partial<Record<"executing" | "pending" | "ready" | "replicas" | "notFound", number[]>>): Sample[] =>
  Array.from({ length: 6 }, (_, i) => {
    const s: Sample = { at: Date.parse("2026-11-22T14:00:00Z") + i * 60_000 };
    for (const [f, v] of Object.entries(fields)) s[f as keyof typeof fields] = v[i];
    return s;
  });

afterEach(() => noteRunningCommand("", []));

describe("every suggestion parses", () => {
  const program = buildProgram();
  const commands = all(program).filter((c) => c.parent && c.commands.length === 0);

  test.each(commands.map((c) => [commandPath(c).join(" "), c] as const))("texts shared by every command offer only %s's own flags", async (_name, command) => {
    const flags = declaredFlags(command);
    noteRunningCommand(commandPath(command).join(" "), flags);
    const shared = [
      ceilingRefusal({ message: "at most $600.00/day (...), above stack contest's cost ceiling of $500.00/day (costCeilingPerDay)" }, "contest"),
      waitingLine("https://backend.example.com", 30 * 60_000),
      ...(["prompt", "pulumi", "waiting", "smoke", "load-test"] as const).map((phase) => interruptOutcome({ stack: "contest", phase, runs: { profile: "contest", perDay: 79, expiresAt: "2026-12-05T11:00:00Z" } }).fix),
    ];
    say(...shared);
    expect(shared.flatMap(bareFlags).filter((f) => !flags.includes(f))).toEqual([]);
  });

  test("the readiness gate offers --no-wait where it is declared, and reconcile (which has none) does not", () => {
    noteRunningCommand("scale", declaredFlags(commands.find((c) => c.name() === "scale")!));
    expect(waitingLine("https://b", 60_000)).toContain("--no-wait skips this");
    noteRunningCommand("reconcile", declaredFlags(commands.find((c) => c.name() === "reconcile")!));
    expect(waitingLine("https://b", 60_000)).not.toContain("--no-wait");
    noteRunningCommand("schedule", declaredFlags(commands.find((c) => c.name() === "schedule")!));
    expect(ceilingRefusal({ message: "at most $1.00/day" }, "contest")).not.toContain("--allow-over-ceiling");
  });

  test("watch's fixes as pasted at either end of a window: during a 7 d window's warm-up the --for is at most the 7 d scale takes; after its end, a stop and no scale", async () => {
    const samples = minutes({ executing: [190, 190, 190, 190, 190, 190], pending: [5, 5, 5, 5, 5, 5], ready: [0, 0, 0, 0, 0, 0], replicas: [10, 10, 10, 10, 10, 10], notFound: [0, 0, 0, 3, 3, 3] });
    const now = new Date(samples.at(-1)!.at);
    const fixes = (expiresAt: Date) => watchWarnings({ samples, pool: { maxSessions: 200, readySessions: 10 }, backendMaxReplicas: 10, stack: "contest", profile: "contest", expiresAt, now }).map((w) => w.fix);
    // Warm-up of a 7 d window: 7 d 30 min left, more than scale's --for takes.
    const warmup = fixes(new Date(now.getTime() + (7 * 24 * 60 + 30) * 60_000));
    const scales = warmup.flatMap(backticked).filter((l) => l.startsWith("manage scale"));
    expect(scales.length).toBeGreaterThanOrEqual(4);
    for (const line of scales) {
      expect(line).toContain("--for 10080m");
      expect(await refusal(line)).toBeNull();
    }
    // Ended (a second ago): a scale without --for would keep the pool with no expiry; stop instead.
    const after = fixes(new Date(now.getTime() - 1000));
    for (const fix of after) {
      expect(backticked(fix).filter((l) => l.startsWith("manage scale"))).toEqual([]);
      expect(fix).toContain("`manage stop --stack contest`");
    }
    say(...warmup, ...after);
    await expectAllParse();
  });

  test("watch's fixes scale within the profile in effect: never a switch to contest on a stack resting at testing", async () => {
    const samples = minutes({ executing: [190, 190, 190, 190, 190, 190], pending: [5, 5, 5, 5, 5, 5], ready: [0, 0, 0, 0, 0, 0], replicas: [10, 10, 10, 10, 10, 10], notFound: [0, 0, 0, 3, 3, 3] });
    for (const stack of ["dev", "contest"])
      for (const profile of ["idle", "testing", "contest"] as ProfileName[]) {
        const warnings = watchWarnings({ samples, pool: profile === "idle" ? null : { maxSessions: 200, readySessions: 10 }, backendMaxReplicas: 10, stack, profile });
        expect(warnings.length).toBeGreaterThan(0);
        for (const w of warnings) {
          say(w.fix);
          for (const line of backticked(w.fix).filter((l) => l.startsWith("manage scale") || l.startsWith("manage capacity")))
            expect(line).toContain(`--profile ${profile}`);
        }
      }
    await expectAllParse();
  });

  test("capacity's fix records the plan only where a change can; above the session ceiling it says what does", async () => {
    const plan = (maxSessions: number) => ({ maxSessions, readySessions: 43 });
    for (const strategy of ["per-user", "per-execution", "shared:20"])
      for (const [maxSessions, overCeiling, inEffect, users] of [
        [200, false, true, 200],
        [200, true, false, undefined],
        [1000, false, true, 1000],
        [1107, true, false, undefined],
      ] as const) {
        const fix = capacityFix({ stack: "contest", profile: "contest", users, plan: plan(maxSessions), limit: 600, strategy: parseIdentifierStrategy(strategy)!, overCeiling, inEffect });
        say(fix);
        if (maxSessions > 600) {
          expect(fix).not.toContain("--apply");
          expect(fix).toMatch(/no profile fits within maxSessionsLimit 600/);
        } else expect(fix).toContain("--apply");
        if (overCeiling && maxSessions <= 600) expect(fix).toContain("--allow-over-ceiling");
        // `manage scale --profile contest` would switch a stack that rests at another profile.
        if (!inEffect) expect(fix).not.toContain("manage scale");
      }
    // 1000 participants with per-user identifiers already use them: that is not the advice.
    // The same question as asked: the participants and the identifier given carry over.
    expect(overLimitFix("contest", parseIdentifierStrategy("per-execution")!, 600, 1000)).toContain("`manage capacity --stack contest --users 1000 --identifier per-user`");
    expect(
      capacityFix({ stack: "dev", profile: "contest", users: 1000, identifier: "shared:600", plan: plan(600), limit: 600, strategy: parseIdentifierStrategy("shared:600")!, overCeiling: true, inEffect: false }),
    ).toContain("`manage capacity --stack dev --profile contest --users 1000 --identifier shared:600 --apply --allow-over-ceiling`");
    expect(overLimitFix("contest", parseIdentifierStrategy("per-user")!, 600)).not.toMatch(/per-user/);
    expect(overLimitFix("contest", parseIdentifierStrategy("per-execution")!, 600)).toMatch(/per-user identifiers/);
    await expectAllParse();
  });

  test("images: the backend's image goes in backendImage, through manage pulumi; a missing image names both ways in", async () => {
    const dev = settings("dev");
    const backend = nextStep("dev", "coding-engine/backend:v7", dev);
    const session = nextStep("dev", "coding-engine/session:v7", dev);
    expect(backend).toContain("`manage pulumi -- config set backendImage coding-engine/backend:v7 --stack dev`");
    expect(session).toContain("`manage pulumi -- config set sessionImage coding-engine/session:v7 --stack dev`");
    // The image the stack already names (a first deployment's): nothing to set, only to deploy.
    const named = nextStep("dev", dev.backend.image, dev);
    expect(named).toBe("The stack's backendImage already names it: `manage up --stack dev` deploys it.");
    say(backend, session, named, imageCommands(dev, [dev.backend.image, dev.session.image]));
    await expectAllParse();
  });

  test("failures explained (the backend's answers, pulumi's failures, schedule's refusals) suggest commands that parse", async () => {
    for (const stack of ["dev", "contest", undefined])
      for (const [status, text] of [
        [0, ""],
        [401, "Access denied due to missing subscription key"],
        [401, "wrong audience"],
        [403, ""],
        [404, "session limit reached"],
        [404, ""],
        [400, "api-version"],
        [400, ""],
        [429, ""],
        [502, ""],
        [500, ""],
        [418, ""],
      ] as const) {
        // With Retry-After and without it (a 429 is the rate limit or the concurrency limit).
        for (const retryAfter of [5, undefined]) say(diagnose({ status, text, retryAfter }, stack).fix);
      }
    say(credentialHint("dev"));
    const input = { command: "up", stack: "contest", exitCode: 1, stderr: "", errors: [], policyViolations: [] };
    for (const f of [
      { ...input, concurrent: true },
      { ...input, stackNotFound: true },
      { ...input, stderr: "error: the current deployment has 1 resource(s) with pending operations" },
      { ...input, errors: ["the stack changed after manage read it"] },
      { ...input, errors: ["Azure said no"] },
    ])
      say(explainFailure(f).fix);
    const now = new Date("2026-12-01T00:00:00Z");
    const request = { profile: "contest" as const, start: new Date("2026-12-05T09:00:00Z"), forMs: 3 * 3600_000, warmupMs: 1800_000, users: null, stack: "contest" };
    const booked = planWindow(request, [], now, "test");
    for (const attempt of [() => planWindow({ ...request, start: new Date("2026-11-30T09:00:00Z") }, [], now, "t"), () => planWindow(request, [booked], now, "t")])
      expect(() => say((attempt(), ""))).toThrow(/manage (scale|schedule) --stack contest/);
    for (const attempt of [() => planWindow({ ...request, start: new Date("2026-11-30T09:00:00Z") }, [], now, "t"), () => planWindow(request, [booked], now, "t")])
      try {
        attempt();
      } catch (err) {
        say((err as Error).message);
      }
    await expectAllParse();
  });

  test("every example in every command's help parses", async () => {
    const examples: string[] = [];
    for (const command of all(buildProgram())) {
      let help = "";
      command.configureOutput({ writeOut: (t) => void (help += t) });
      command.outputHelp();
      // "$ manage ... --json > contest.ndjson   # a comment": the command, without the shell's part.
      for (const m of help.matchAll(/^\s+\$ (manage .*)$/gm)) examples.push(m[1]!.replace(/\s+#.*$/, "").replace(/\s+>\s*\S+$/, ""));
    }
    expect(examples.length).toBeGreaterThan(40);
    const refused = (await Promise.all([...new Set(examples)].map(refusal))).filter((r) => r !== null);
    expect(refused).toEqual([]);
  });

  test("schedule's help: every --at it shows is ahead of now, so a pasted example is not refused as past", () => {
    const command = all(buildProgram()).find((c) => c.name() === "schedule")!;
    let help = "";
    command.configureOutput({ writeOut: (t) => void (help += t) });
    command.outputHelp();
    const shown = [...help.replace(/\s+/g, " ").matchAll(/--at (\d\S+)|e\.g\. (\d\S+?)\)/g)].map((m) => m[1] ?? m[2]!);
    expect(shown.length).toBeGreaterThanOrEqual(2);
    for (const at of shown) expect(TYPES.startsAt.read(at).getTime(), at).toBeGreaterThan(now().getTime());
  });

  test("every command line rendered in this file's cases parses (and none is a bare pulumi or az)", async () => {
    expect(suggestionsMade().length).toBeGreaterThan(40);
    expect(texts.flatMap(backticked).filter((t) => !t.startsWith("manage "))).toEqual([]);
    await expectAllParse();
  });
});

test("the policy advisory's sessions per node is the planner's, at the stack defaults", () => {
  const defaults = stackSettings("dev", {}, ROOT).session;
  expect(SESSIONS_PER_E16_NODE).toBe(sessionsPerNode({ cpu: defaults.cpu, memoryGi: Number.parseFloat(defaults.memory) }));
});
