// Each option is declared once (cli/main.ts COMMANDS, with its value type from cli/options.ts) and a
// command module's options type is derived from that declaration (OptionsFor<"scale">). The type
// assertions below are checked by the type check (`npm run build:checked`, which covers test/): if
// the derivation fell back to commander's untyped Record<string, unknown> or to strings, or a
// declared field disappeared, they fail there. The runtime test checks that what commander hands a
// command is what the type says.
import { expectTypeOf, test, expect } from "vitest";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { buildProgram, type GlobalOptions, type OptionsFor } from "../../cli/main.js";

test("a command's options type is its declaration's: value types, mandatory and negated flags, nothing undeclared", () => {
  expectTypeOf<OptionsFor<"scale">["profile"]>().toEqualTypeOf<"idle" | "testing" | "contest">();
  expectTypeOf<OptionsFor<"scale">["maxSessions"]>().toEqualTypeOf<number | undefined>();
  expectTypeOf<OptionsFor<"scale">["for"]>().toEqualTypeOf<number | undefined>();
  expectTypeOf<OptionsFor<"scale">["wait"]>().toEqualTypeOf<boolean>();
  expectTypeOf<OptionsFor<"spend">["from"]>().toEqualTypeOf<Date | undefined>();
  expectTypeOf<OptionsFor<"load-test">["users"]>().toEqualTypeOf<number>();
  expectTypeOf<OptionsFor<"report">["runs"]>().toEqualTypeOf<string[] | undefined>();
  expectTypeOf<GlobalOptions["stack"]>().toEqualTypeOf<string | undefined>();
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
