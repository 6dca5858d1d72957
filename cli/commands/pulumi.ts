// `manage pulumi -- <args>`: the pulumi CLI with this project's state backend and passphrase, from
// the project directory. Every pulumi command manage prints as a fix (cancel, refresh, stack output)
// is given in this form, so it works when pasted into a fresh shell: plain `pulumi` there knows
// neither the embedded backend URL nor its passphrase file.

import { UsageError } from "../errors.js";
import { projectDir } from "../project.js";
import { chooseBackend, loggedInBackend, prepareEmbeddedBackend } from "../pulumi/backend.js";
import { NOT_INSTALLED } from "../pulumi/argv.js";
import { interruptPulumi, pulumiCli } from "../pulumi/process.js";
import { whileRunning } from "../interrupted.js";

export async function run(args: string[]): Promise<void> {
  if (args.length === 0) throw new UsageError("give pulumi's arguments after --, e.g. `manage pulumi -- stack ls`");
  const dir = projectDir();
  const backend = chooseBackend(process.env, dir, loggedInBackend(process.env));
  prepareEmbeddedBackend(backend);
  // pulumi runs in manage's process group, on its terminal: a Ctrl-C reaches it from the terminal,
  // and manage waits for it to end, as a shell does. Dying at the SIGINT, node would have execa's
  // clean-up send pulumi a SIGTERM on the way out, which pulumi takes as a second signal: terminate
  // at once, leaving its lock and pending operations (../pulumi/interrupt.ts). A CI runner's SIGTERM
  // reaches manage alone: pulumi is told once, with the SIGINT that cancels cleanly.
  const r = await whileRunning((signal?: NodeJS.Signals) => void (signal === "SIGTERM" && interruptPulumi()), () =>
    pulumiCli.run({ args, cwd: dir, env: backend.env, attached: true }),
  );
  if (r.notFound) throw new UsageError(NOT_INSTALLED);
  // pulumi's own exit code, or a signal's 128+N as the shell shows it (../pulumi/process.ts); a start
  // that failed otherwise is manage's failure (exit 1).
  process.exitCode = r.exitCode >= 0 ? r.exitCode : 1;
}
