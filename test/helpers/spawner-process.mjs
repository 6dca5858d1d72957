// The far side of ./spawner.ts: a small process that starts programs for a test worker and sends back
// how each ended. Plain JavaScript, so node starts it without a TypeScript loader.
import { execa } from "execa";

process.on("message", async ({ id, file, args, options }) => {
  let r;
  try {
    r = await execa(file, args, { ...options, reject: false });
  } catch (err) {
    // An option execa refuses (a negative timeout, say) throws, as it would in the worker: that call
    // fails with execa's words, and this process and the programs it runs for others go on.
    process.send?.({ id, error: err instanceof Error ? err.message : String(err) });
    return;
  }
  process.send?.({
    id,
    result: {
      stdout: r.stdout,
      stderr: r.stderr,
      all: r.all,
      exitCode: r.exitCode,
      signal: r.signal,
      timedOut: r.timedOut,
      code: r.code,
    },
  });
});
// The worker that started it is gone (or done with it): nothing is left to run for.
process.on("disconnect", () => process.exit(0));
