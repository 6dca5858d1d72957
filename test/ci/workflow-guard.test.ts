// Nothing runs on a guess in a workflow (cli/workflow.ts): in a GitHub Actions run a missing backend
// URL, an empty variable the workflow passes or an empty passphrase is refused, naming the variable
// and where to set it; outside one, manage keeps its laptop defaults. doctor checks the same first.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { workflowRefusal, inWorkflowRun } from "../../cli/workflow.js";
import { chooseBackend } from "../../cli/pulumi/backend.js";
import { workflowCheck } from "../../cli/commands/doctor.js";
import { makeProject, manage } from "../helpers/cli.js";

// A workflow run sets no MANAGE_NOW (the suite's clock is refused there: cli/clock.ts).
const RUN = { GITHUB_ACTIONS: "true", MANAGE_NOW: "" };
const CONFIGURED = { ...RUN, PULUMI_BACKEND_URL: "azblob://pulumi-state?storage_account=codeengstate", ARM_CLIENT_ID: "c", ARM_TENANT_ID: "t", ARM_SUBSCRIPTION_ID: "s" };

describe("workflowRefusal", () => {
  test.each([
    ["no backend URL", RUN, null, "PULUMI_BACKEND_URL", /PULUMI_BACKEND_URL is not set in this GitHub Actions run/],
    ["an empty backend URL (a repository variable that does not exist)", { ...RUN, PULUMI_BACKEND_URL: "" }, null, "PULUMI_BACKEND_URL", /is empty/],
    ["an empty subscription", { ...CONFIGURED, ARM_SUBSCRIPTION_ID: "" }, null, "ARM_SUBSCRIPTION_ID", /Azure CLI's default one/],
    ["an empty client ID", { ...CONFIGURED, ARM_CLIENT_ID: "" }, null, "ARM_CLIENT_ID", /client ID is missing/],
    ["an empty passphrase (a secret that does not exist)", { ...CONFIGURED, PULUMI_CONFIG_PASSPHRASE: "" }, null, "PULUMI_CONFIG_PASSPHRASE", /empty string as the stack's passphrase/],
  ])("refused: %s", (_what, env, login, variable, message) => {
    const r = workflowRefusal(env, login);
    expect(r).toMatchObject({ variable, message: expect.stringMatching(message) });
    expect(r!.fix).toMatch(/Settings → Secrets and variables → Actions/);
  });

  test.each([
    ["not a workflow run: the laptop's embedded backend", {}, null],
    ["GITHUB_ACTIONS set to anything but true", { GITHUB_ACTIONS: "false" }, null],
    ["every variable configured", CONFIGURED, null],
    ["a pulumi login instead of a backend URL", RUN, "https://api.pulumi.com"],
    ["a passphrase file instead of a passphrase", { ...CONFIGURED, PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: "/run/secrets/p" }, null],
  ])("allowed: %s", (_what, env, login) => {
    expect(workflowRefusal(env, login)).toBeNull();
  });

  test("the backend choice refuses in a workflow run and keeps the embedded default elsewhere", () => {
    expect(() => chooseBackend(RUN, "/proj", null)).toThrow(/PULUMI_BACKEND_URL is not set in this GitHub Actions run[\s\S]*Fix: set the repository variable PULUMI_BACKEND_URL/);
    expect(chooseBackend({}, "/proj", null)).toMatchObject({ embedded: true });
    expect(chooseBackend(CONFIGURED, "/proj", null)).toMatchObject({ embedded: false });
    expect(inWorkflowRun(process.env)).toBe(process.env.GITHUB_ACTIONS === "true");
  });
});

describe("manage doctor in a workflow run", () => {
  test("names the missing variable first, exit 2, and runs no pulumi", async () => {
    const project = makeProject();
    const r = await manage(["doctor", "--json"], { project, env: RUN });
    expect(r.exitCode).toBe(2);
    const report = JSON.parse(r.stdout) as { error: { exitCode: number }; checks: Array<{ name: string; verdict: string; detail: string; fix?: string }> };
    const checks = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(checks["workflow variables"]).toMatchObject({ verdict: "fail", detail: expect.stringMatching(/PULUMI_BACKEND_URL is not set/), fix: expect.stringMatching(/repository variable PULUMI_BACKEND_URL/) });
    expect(checks["pulumi"]).toMatchObject({ verdict: "skip" });
    expect(report.error.exitCode).toBe(2);
    expect(r.stderr).toMatch(/manage: doctor: 1 check\(s\) failed: workflow variables; set the repository variable PULUMI_BACKEND_URL/);
    expect(existsSync(join(project, ".pulumi-state"))).toBe(false);
  });

  test("the check: ok with the variables set, absent outside a workflow run", () => {
    expect(workflowCheck(CONFIGURED, null)).toMatchObject({ verdict: "ok", detail: expect.stringContaining("PULUMI_BACKEND_URL, ARM_CLIENT_ID") });
    expect(workflowCheck({}, null)).toBeNull();
  });
});
