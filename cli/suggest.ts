// Every command line manage tells a person to run ("Fix: `manage scale ...`", "To fix: ...") is
// rendered here, from option names as commands declare them (./main.ts), so a person can paste it
// and the parser takes it: test/unit/suggestions.test.ts enumerates the suggestions the code paths
// produce and runs each through the real parser. A flag suggested on its own ("or pass
// --allow-over-ceiling") is offered only when the command that runs declares it (`offers`), so a
// text shared by many commands (the cost ceiling's refusal, the readiness gate's wait) never names
// an option the command at hand would refuse. Loaded on every run: no imports.

/** An option's value: a text (a placeholder like "<n>" stands for one the person picks), or true for a flag. */
export type SuggestedValue = string | number | boolean | null | undefined;

/** A placeholder in a suggestion: the person picks the value ("<n>", "<length>"). */
export const PLACEHOLDER = /^<[^<>\s]+>$/;

const made: string[] = [];

/** Shell-safe as typed: a value with spaces or shell characters is single-quoted. */
const quote = (text: string) => (PLACEHOLDER.test(text) || /^[\w@%+=:,./<>-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/**
 * `manage <command> [positionals] --option value...`: `options` by long name without the dashes
 * ("max-sessions"), in the order given; undefined, null and false leave an option out, true gives
 * a bare flag.
 */
export function suggest(command: string, options: Record<string, SuggestedValue> = {}, positionals: string[] = []): string {
  const parts = ["manage", command, ...positionals.map(quote)];
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || value === null || value === false) continue;
    parts.push(`--${name}`);
    if (value !== true) parts.push(quote(String(value)));
  }
  const line = parts.join(" ");
  made.push(line);
  return line;
}

/** `manage pulumi -- <args>`: pulumi with this project's state backend and passphrase (never bare `pulumi`). */
export function suggestPulumi(args: string): string {
  const line = `manage pulumi -- ${args}`;
  made.push(line);
  return line;
}

/** Every suggestion rendered in this process, oldest first (for the test that parses them all). */
export const suggestionsMade = (): readonly string[] => made;

// ---- the command that runs ----------------------------------------------------------------------

let running: { path: string; flags: ReadonlySet<string> } | null = null;

/** Called by main.ts before a command runs: its name ("images import") and every long flag it takes (global ones included). */
export function noteRunningCommand(path: string, flags: Iterable<string>): void {
  running = { path, flags: new Set(flags) };
}

/**
 * Whether the running command takes `flag` ("--no-wait"): a text offers a flag on its own only
 * then. Outside a command run (a library call, a test), nothing is offered.
 */
export const offers = (flag: string): boolean => running?.flags.has(flag) ?? false;
