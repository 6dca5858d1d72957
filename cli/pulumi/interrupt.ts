// Ctrl-C while pulumi changes a stack. The real CLI cancels gracefully on its first SIGINT (it lets
// the Azure operations in flight finish and records them) and terminates at once on a second, leaving
// its lock and pending operations (pulumi/pulumi#17467; pkg/cmd/pulumi/main.go installs the handler).
// pulumi runs in its own process group (./runner.ts), so it gets exactly what manage forwards:
// one SIGINT for the person's first Ctrl-C (or a SIGTERM from a CI runner), and the second only when
// the person presses Ctrl-C again, which is their explicit choice to abandon.

import { interruptPulumi } from "./process.js";
import { cancelCommand, settleCommand } from "./failures.js";
import { isJson } from "../output.js";
import { InterruptedError, interruptOutcome, reportInterrupted, whileRunning, type InterruptFacts } from "../interrupted.js";

/** `costs`: the facts of interruptOutcome beyond the stack and phase (what ran before the change, what it was to run), said when pulumi is stopped part-way. */
export async function withInterrupts<T>(stack: string, work: () => Promise<T>, costs: () => Omit<InterruptFacts, "stack" | "phase"> = () => ({ runs: null })): Promise<T> {
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
    const settle = [cancelCommand(stack), settleCommand(stack)];
    const told = interruptOutcome({ stack, phase: "pulumi", ...costs() });
    reportInterrupted(
      {
        message: `abandoned: pulumi was told to stop at once. Stack ${stack} may be locked, with operations Azure finished that the state does not know`,
        fix: `settle it: \`${settle[0]}\`, then \`${settle[1]}\`; then ${told.fix}`,
        interrupted: { ...told.interrupted, next: [...settle, ...told.interrupted.next] },
      },
      isJson(),
    );
    process.exit(130);
  };
  // Stopped by the first Ctrl-C, the change ends as interrupted whether pulumi then failed or not.
  const interrupted = () => new InterruptedError(interruptOutcome({ stack, phase: "pulumi", ...costs() }));
  const result = await whileRunning(onSignal, work).catch((err) => {
    throw count ? interrupted() : err;
  });
  if (count) throw interrupted();
  return result;
}
