// The two ways a command ends badly, and the exit codes the team's scripts rely on:
// 2 = bad usage or input (nothing was touched), 1 = the operation itself failed.

/** What each exit code means, the same for every command (listed in `manage --help` and the README). */
export const EXIT_CODES: ReadonlyArray<[number, string]> = [
  [0, "done (a check: everything passed)"],
  [1, "the operation failed, or a check found a problem (pulumi, Azure, the backend, a failed check)"],
  [2, "bad usage or input, or a tool missing (pulumi, az): nothing was touched"],
  [130, "interrupted (Ctrl-C): it says what runs now, what it costs and what to run next (pulumi stops cleanly)"],
];

/** Bad usage or input, caught before anything in the cloud or the stack files changed. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = 2;
}

/** The operation started and failed (pulumi, Azure, the network). */
export class OperationError extends Error {
  override name = "OperationError";
  readonly exitCode = 1;
}

/** 2 for bad usage or input, 130 for an interrupted change, 1 for anything else; an error carries its own (UsageError's 2, a pulumi failure's). */
export function exitCodeOf(err: unknown): number {
  const own = (err as { exitCode?: unknown } | null)?.exitCode;
  return own === 2 || own === 130 ? own : 1;
}
