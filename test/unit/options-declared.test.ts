// Each option is declared once (cli/main.ts COMMANDS, with its value type from cli/options.ts) and a
// command module's options type is derived from that declaration (OptionsFor<"scale">). The type
// assertions below are checked by the type check (`npm run build:checked`, which covers test/): if
// the derivation fell back to commander's untyped Record<string, unknown> or to strings, or a
// declared field disappeared, they fail there. The runtime test checks that what commander hands a
// command is what the type says.
import { expectTypeOf, test, expect } from "vitest";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { buildProgram, type ArgumentsFor, type GlobalOptions, type OptionsFor } from "../../cli/main.js";

test("a command's options type is its declaration's: value types, mandatory and negated flags, nothing undeclared", () => {
  expectTypeOf<OptionsFor<"scale">["profile"]>().toEqualTypeOf<"idle" | "testing" | "contest">();
  expectTypeOf<OptionsFor<"scale">["maxSessions"]>().toEqualTypeOf<number | undefined>();
  expectTypeOf<OptionsFor<"scale">["for"]>().toEqualTypeOf<number | undefined>();
  expectTypeOf<OptionsFor<"scale">["wait"]>().toEqualTypeOf<boolean>();
  expectTypeOf<OptionsFor<"spend">["from"]>().toEqualTypeOf<Date | undefined>();
  expectTypeOf<OptionsFor<"load-test">["users"]>().toEqualTypeOf<number>();
  expectTypeOf<OptionsFor<"report">["runs"]>().toEqualTypeOf<string[] | undefined>();
  expectTypeOf<GlobalOptions["stack"]>().toEqualTypeOf<string | undefined>();
  expectTypeOf<ArgumentsFor<"keys">[0]>().toEqualTypeOf<"issue" | "list" | "revoke">();
  // Every command has the global options; only the ones that declare it have --allow-over-ceiling.
  expectTypeOf<OptionsFor<"status">>().toHaveProperty("json");
  expectTypeOf<OptionsFor<"stop">>().not.toHaveProperty("allowOverCeiling");
  expectTypeOf<OptionsFor<"capacity">>().not.toHaveProperty("days");
  // @ts-expect-error a field no option of scale declares is a type error, not undefined at run time
  expectTypeOf<OptionsFor<"scale">["maxSesions"]>().toBeUnknown();
});

test("what commander hands a command is what its type says: typed values, not the text typed", async () => {
  const program = buildProgram();
  let got: unknown;
  const scale = program.commands.find((c) => c.name() === "scale") as CommandUnknownOpts;
  scale.action(() => {
    got = scale.optsWithGlobals();
  });
  await program.parseAsync(["node", "manage", "scale", "--stack", "contest", "--profile", "contest", "--for", "90m", "--max-sessions", "230", "--no-wait"]);
  expect(got).toEqual({ stack: "contest", profile: "contest", for: 90 * 60_000, maxSessions: 230, wait: false });
});

test("a default is applied once, by commander, from the constant the help text states", async () => {
  const { DEFAULT_CHART_FILE, DEFAULT_LOAD_MAX_REQUESTS, DEFAULT_SEED, DEFAULT_WATCH_INTERVAL_MS } = await import("../../cli/options.js");
  const parsed = async (...argv: string[]) => {
    const program = buildProgram();
    let got: Record<string, unknown> = {};
    for (const c of program.commands as CommandUnknownOpts[]) c.action(() => void (got = c.optsWithGlobals()));
    await program.parseAsync(["node", "manage", ...argv]);
    return got;
  };
  expect(await parsed("watch")).toMatchObject({ interval: DEFAULT_WATCH_INTERVAL_MS });
  expect(await parsed("load-test", "--users", "10", "--duration", "1m")).toMatchObject({ maxRequests: DEFAULT_LOAD_MAX_REQUESTS, seed: DEFAULT_SEED });
  const { CAPACITY_DEFAULTS } = await import("../../infra/capacity.js");
  expect(await parsed("capacity")).toMatchObject({ seed: DEFAULT_SEED, chart: DEFAULT_CHART_FILE, hours: CAPACITY_DEFAULTS.hours, profile: "contest" });
  expect(await parsed("schedule")).toMatchObject({ profile: "contest" });
  expect(await parsed("start")).toMatchObject({ profile: "testing" });
  expect(await parsed("doctor")).toMatchObject({ poolPath: "/python/execute" });
  // Given, the value typed wins.
  expect(await parsed("watch", "--interval", "30s")).toMatchObject({ interval: 30_000 });
});

test("help states each default once, in the option's own words: commander does not add its \"(default: 10000)\"", () => {
  const all = (c: CommandUnknownOpts): CommandUnknownOpts[] => [c, ...c.commands.flatMap(all)];
  const defaulted = all(buildProgram()).flatMap((c) => c.options.filter((o) => o.defaultValue !== undefined && !o.negate).map((o) => [c, o] as const));
  expect(defaulted.length).toBeGreaterThan(0);
  for (const [command, option] of defaulted) {
    const help = command.helpInformation().replace(/\s+/g, " ");
    expect(help).toContain(option.description.replace(/\s+/g, " "));
    expect(help).not.toContain(`default: ${JSON.stringify(option.defaultValue)}`);
  }
});
