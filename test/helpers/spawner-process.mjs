// The far side of ./spawner.ts: a small process that starts programs for a test worker and sends back
// how each ended. Plain JavaScript, so node starts it without a TypeScript loader.
import { execa } from "execa";

process.on("message", async ({ id, file, args, options }) => {
  const r = await execa(file, args, { ...options, reject: false });
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
