// Where Pulumi keeps state when manage runs it. An explicit PULUMI_BACKEND_URL or a `pulumi login`
// always wins; with neither, state goes to a local file backend inside the project (no account, no
// server), with the passphrase secrets provider reading a passphrase file beside it, created on first
// use. Teams and CI use azblob:// (README, "Deploying for real"). In a GitHub Actions run there is
// no default: a missing backend URL or an empty variable the workflow passes is refused (exit 2,
// ../workflow.ts), before pulumi touches any state.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { workflowRefusal } from "../workflow.js";

export const EMBEDDED_STATE_DIR = ".pulumi-state";
export const PASSPHRASE_FILE = "passphrase";

export interface BackendChoice {
  /** Variables to add to pulumi's environment. */
  env: Record<string, string>;
  /** Said in --verbose output and by status. */
  description: string;
  /** Secrets provider for `pulumi stack init`, when manage has to create the stack. */
  secretsProvider?: string;
  embedded: boolean;
}

/** Whether `pulumi login` has recorded a current backend (~/.pulumi/credentials.json, or $PULUMI_HOME). */
export function loggedInBackend(env: NodeJS.ProcessEnv): string | null {
  const file = join(env.PULUMI_HOME || join(homedir(), ".pulumi"), "credentials.json");
  try {
    const current = (JSON.parse(readFileSync(file, "utf8")) as { current?: string }).current;
    return current || null;
  } catch {
    return null;
  }
}

/** Pure: the choice, given the environment and whether a login exists; in a workflow run, never a guess. */
export function chooseBackend(env: NodeJS.ProcessEnv, projectDir: string, login: string | null): BackendChoice {
  const refusal = workflowRefusal(env, login);
  if (refusal) throw new UsageError(`${refusal.message}\n  Fix: ${refusal.fix}`);
  if (env.PULUMI_BACKEND_URL)
    return { env: {}, description: `state in ${env.PULUMI_BACKEND_URL} (PULUMI_BACKEND_URL)`, embedded: false };
  if (login) return { env: {}, description: `state in ${login} (pulumi login)`, embedded: false };
  const dir = join(projectDir, EMBEDDED_STATE_DIR);
  const passphrase: Record<string, string> =
    env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE
      ? {}
      : { PULUMI_CONFIG_PASSPHRASE_FILE: join(dir, PASSPHRASE_FILE) };
  return {
    env: { PULUMI_BACKEND_URL: `file://${dir}`, ...passphrase },
    description: `state in ${dir} (embedded local backend; passphrase from ${passphrase.PULUMI_CONFIG_PASSPHRASE_FILE ?? "your environment"})`,
    secretsProvider: "passphrase",
    embedded: true,
  };
}

/** The embedded backend's directory (its file:// URL's path). */
const embeddedDir = (choice: BackendChoice) => choice.env.PULUMI_BACKEND_URL!.replace(/^file:\/\//, "");

/**
 * The embedded backend holds no stack yet, so no state can exist in it: the DIY backend keeps each
 * stack at <dir>/.pulumi/stacks/<project>/<stack>.json (pkg/backend/diy/store.go), so no such
 * folder, no stack. An empty state directory (made by hand, or left by a refused first change)
 * counts as empty too, so the change is judged before anything is written into it.
 */
export const embeddedBackendEmpty = (choice: BackendChoice): boolean => choice.embedded && !existsSync(join(embeddedDir(choice), ".pulumi", "stacks"));

/** Creates the embedded state directory and its passphrase file the first time they are needed. */
export function prepareEmbeddedBackend(choice: BackendChoice): void {
  if (!choice.embedded) return;
  const dir = embeddedDir(choice);
  mkdirSync(dir, { recursive: true });
  const file = choice.env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (file && !existsSync(file)) writeFileSync(file, randomBytes(24).toString("base64url") + "\n", { mode: 0o600 });
}
