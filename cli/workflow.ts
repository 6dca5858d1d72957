// manage inside a GitHub Actions run: nothing runs on a guess there. On a laptop a missing backend
// URL means "use the embedded local state" and a missing passphrase means "make one"; in a workflow
// the same gaps mean a repository variable is not configured (or misspelt), and guessing would act
// on a fresh, empty state in the runner's checkout and report success every run while the real
// stack is never touched. So in a workflow run those gaps are refused (exit 2), naming the variable
// and where to set it. Pure: the caller passes the environment and whether `pulumi login` recorded
// a backend. The job time limits the workflows use are here too, next to the facts they rest on.

import { GATEWAY_CREATE_MINUTES } from "../infra/access-mode.js";
import { DEFAULT_WAIT_MINUTES } from "./options.js";

/**
 * GitHub sets GITHUB_ACTIONS=true for every step of a workflow run ("Always set to true when GitHub
 * Actions is running the workflow", docs.github.com/en/actions/reference/variables-reference,
 * "Default environment variables").
 */
export const inWorkflowRun = (env: NodeJS.ProcessEnv): boolean => env.GITHUB_ACTIONS === "true";

/** Where a repository variable is set (docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/use-variables). */
export const REPOSITORY_VARIABLES = "Settings → Secrets and variables → Actions → Variables";
const REPOSITORY_SECRETS = "Settings → Secrets and variables → Actions → Secrets";

/**
 * What each variable a workflow hands manage comes from (the workflows' `env:`, docs/ci.md step 5).
 * `${{ vars.X }}` of a variable that does not exist is the empty string, so an empty value is a
 * missing repository variable, never a choice.
 */
export const WORKFLOW_VARIABLES: ReadonlyArray<{ env: string; from: string; what: string }> = [
  { env: "PULUMI_BACKEND_URL", from: "PULUMI_BACKEND_URL", what: "the shared state backend (azblob://...)" },
  { env: "ARM_CLIENT_ID", from: "AZURE_CLIENT_ID", what: "the deploy identity's client ID" },
  { env: "ARM_TENANT_ID", from: "AZURE_TENANT_ID", what: "the Azure tenant" },
  { env: "ARM_SUBSCRIPTION_ID", from: "AZURE_SUBSCRIPTION_ID", what: "the subscription (empty, Pulumi's provider would use the Azure CLI's default one)" },
];

/**
 * Null when a command may run pulumi here: not a workflow run, or every variable the workflow needs
 * is set. Otherwise the first gap, naming the variable and where to set it.
 */
export function workflowRefusal(env: NodeJS.ProcessEnv, login: string | null) {
  if (!inWorkflowRun(env)) return null;
  const backend = WORKFLOW_VARIABLES[0]!;
  if (!env.PULUMI_BACKEND_URL && !login)
    return {
      variable: backend.env,
      message: `${backend.env} is ${env.PULUMI_BACKEND_URL === undefined ? "not set" : "empty"} in this GitHub Actions run: manage will not fall back to a local state in the runner's checkout, which would act on an empty state and never touch the real stack`,
      fix: `set the repository variable ${backend.from} to ${backend.what} (${REPOSITORY_VARIABLES}) and pass it to the job as \`${backend.env}: \${{ vars.${backend.from} }}\` (docs/ci.md)`,
    };
  for (const v of WORKFLOW_VARIABLES.slice(1))
    if (env[v.env] === "")
      return {
        variable: v.env,
        message: `${v.env} is empty in this GitHub Actions run: ${v.what} is missing`,
        fix: `set the repository variable ${v.from} (${REPOSITORY_VARIABLES}); the workflow passes it as ${v.env} (docs/ci.md)`,
      };
  // `${{ secrets.X }}` of a secret that does not exist is empty too, and pulumi takes an empty
  // passphrase as a real one: a stack would be encrypted with "".
  if (env.PULUMI_CONFIG_PASSPHRASE === "" && !env.PULUMI_CONFIG_PASSPHRASE_FILE)
    return {
      variable: "PULUMI_CONFIG_PASSPHRASE",
      message: "PULUMI_CONFIG_PASSPHRASE is empty in this GitHub Actions run: pulumi would take the empty string as the stack's passphrase",
      fix: `set it as a repository secret (${REPOSITORY_SECRETS}), or use the Key Vault secrets provider (docs/ci.md, step 2) and drop the variable`,
    };
  return null;
}

/** Checkout, npm ci, build and the pulumi CLI before the change starts, and the smoke run after the gate. */
export const JOB_OVERHEAD_MINUTES = 15;
/**
 * timeout-minutes of every workflow job that changes a stack (the tests hold the workflows to it):
 * the slowest creation a deployment can include, an API Management gateway's (GATEWAY_CREATE_MINUTES),
 * then the readiness gate's whole default wait (a window's start waits until code runs), then the
 * rest of the job. A job that runs `pulumi up` or reconcile must outlive them: a job killed at its
 * timeout-minutes leaves pulumi's lock and a pending create (docs.github.com
 * jobs.<job_id>.timeout-minutes; pulumi#17467).
 */
export const CHANGE_JOB_TIMEOUT_MINUTES = GATEWAY_CREATE_MINUTES + DEFAULT_WAIT_MINUTES + JOB_OVERHEAD_MINUTES;

/**
 * Whether a stack lock taken at `sinceMs` has outlived every workflow job: older than the longest a
 * job may run, so GitHub has killed whatever took it and the lock stays behind (nothing removes it
 * but `pulumi cancel`). Younger, it may be a running update. Wall-clock times both (the lock's is
 * the locking machine's clock), never manage's rehearsal clock. Pure.
 */
export const lockOutlivedJobs = (sinceMs: number, wallNowMs: number): boolean => wallNowMs - sinceMs >= CHANGE_JOB_TIMEOUT_MINUTES * 60_000;

/**
 * The Node line the jobs that run pulumi use. Pulumi's cmd/run reports a program's error with
 * util.inspect(err, { colors: true }) (sdk/nodejs/cmd/run/error.ts defaultErrorMessage), and the
 * stack lines source-map-support gives it name files like node_modules/@pulumi/resource.ts: a scoped
 * path with no second separator, on which Node's markNodeModules (lib/internal/util/inspect.js)
 * searches from -1 again and loops forever, growing a string until the process runs out of memory.
 * Measured here (2026-12-06): Node 20.20.2 and 22.23.3 loop, 24.21.0 does not. A failing program
 * would then hang the job until its time limit instead of failing it. The program's own refusals
 * are RunErrors, which cmd/run prints without inspect (test/cli/fake-pulumi.test.ts proves one
 * through the real cmd/run); this keeps the rest (a bug, a provider error) from hanging CI.
 */
export const PULUMI_NODE_LINE = 24;
