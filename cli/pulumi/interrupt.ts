// Ctrl-C while pulumi changes a stack. The real CLI cancels gracefully on its first SIGINT (it lets
// the Azure operations in flight finish and records them) and terminates at once on a second, leaving
// its lock and pending operations (pulumi/pulumi#17467; pkg/cmd/pulumi/main.go installs the handler).
// pulumi runs in its own process group (./runner.ts), so it gets exactly what manage forwards:
// one SIGINT for the person's first Ctrl-C (or a SIGTERM from a CI runner), and the second only when
// the person presses Ctrl-C again, which is their explicit choice to abandon.

import { interruptPulumi } from "./runner.js";
import { pulumiHint, settleCommand } from "./failures.js";
import { reportFailure } from "../output.js";

/** The change stopped at the person's request: exit 130, as a shell reports SIGINT. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  readonly exitCode = 130;
}

export async function withInterrupts<T>(stack: string, work: () => Promise<T>): Promise<T> {
  let count = 0;
  const onSignal = () => {
    count++;
    if (count === 1) {
      if (interruptPulumi())
        process.stderr.write(
          "\nStopping: pulumi finishes the Azure operations in flight and records them in the state (this can take a minute).\n" +
            "Press Ctrl-C again to abandon it instead: that leaves the stack locked with pending operations.\n",
        );
      return;
    }
    interruptPulumi();
    process.stderr.write("\n");
    reportFailure({
      message: `abandoned: pulumi was told to stop at once. Stack ${stack} may be locked, with operations Azure finished that the state does not know.`,
      fix: `settle it: \`${pulumiHint(`cancel --stack ${stack} --yes`)}\`, then \`${settleCommand(stack)}\``,
      exitCode: 130,
    });
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await work();
    if (count) throw stopped(stack);
    return result;
  } catch (err) {
    throw count ? stopped(stack) : err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

const stopped = (stack: string) =>
  new InterruptedError(
    `stopped at your request: pulumi canceled cleanly and the state records what it did. ` +
      `\`manage status --stack ${stack}\` shows what runs now; run the command again to finish the change.`,
  );
