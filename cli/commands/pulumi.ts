// `manage pulumi -- <args>`: the pulumi CLI with this project's state backend and passphrase, from
// the project directory. Every pulumi command manage prints as a fix (cancel, refresh, stack output)
// is given in this form, so it works when pasted into a fresh shell: plain `pulumi` there knows
// neither the embedded backend URL nor its passphrase file.

import { execa } from "execa";
import { UsageError } from "../errors.js";
import { projectDir } from "../project.js";
import { chooseBackend, loggedInBackend, prepareEmbeddedBackend } from "../pulumi/backend.js";
import { INSTALL_HINT } from "../pulumi/argv.js";

export async function run(args: string[]): Promise<void> {
  if (args.length === 0) throw new UsageError("give pulumi's arguments after --, e.g. `manage pulumi -- stack ls`");
  const dir = projectDir();
  const backend = chooseBackend(process.env, dir, loggedInBackend(process.env));
  prepareEmbeddedBackend(backend);
  const r = await execa("pulumi", args, { cwd: dir, env: backend.env, stdio: "inherit", reject: false });
  if ((r as { code?: string }).code === "ENOENT" || (r.failed && r.exitCode === undefined && /ENOENT/.test(String(r.message))))
    throw new UsageError(`pulumi is not installed: ${INSTALL_HINT}, then run again`);
  process.exitCode = r.exitCode ?? 1;
}
