// test/helpers/spawner.ts: programs a test runs to their end start from a helper process. What a
// caller sees must be what execa in the worker gave it, failures included.
import { expect, test } from "vitest";
import { runToEnd, type RunOptions } from "../helpers/spawner.js";

const env = { PATH: process.env.PATH! };

test("an option execa refuses fails that call with execa's words, as in the worker; a program running beside it, and the next, are not touched", async () => {
  const beside = runToEnd("sh", ["-c", "sleep 0.3; echo beside"], { env });
  // A negative time-out: execa throws before it starts anything (lib/terminate/timeout.js).
  await expect(runToEnd("node", ["-v"], { env, timeout: -5 } as RunOptions)).rejects.toThrow(/Expected the `timeout` option to be a non-negative integer, got `-5`/);
  expect((await beside).stdout).toBe("beside");
  expect((await runToEnd("sh", ["-c", "echo next"], { env })).stdout).toBe("next");
});
