// The two ways a command ends badly, and the exit codes the team's scripts rely on:
// 2 = bad usage or input (nothing was touched), 1 = the operation itself failed.

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

export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}
