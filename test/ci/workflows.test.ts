// The GitHub workflows, checked like code: valid YAML, every action pinned to a full commit SHA
// (with the version it is in a comment), least-privilege permissions, Azure by OIDC only, and the
// commands they run are the ones the README documents.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, test } from "vitest";
import { ROOT } from "../helpers/program.js";

const DIR = join(ROOT, ".github", "workflows");
const FILES = readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const README = readFileSync(join(ROOT, "README.md"), "utf8");

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = { permissions?: Record<string, string>; steps: Step[]; environment?: string; if?: string };
type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> };
const parse = (f: string) => load(readFileSync(join(DIR, f), "utf8")) as Workflow;

describe.each(FILES)("%s", (file) => {
  const text = readFileSync(join(DIR, file), "utf8");
  const wf = parse(file);

  test("is valid YAML with jobs and steps", () => {
    expect(Object.keys(wf.jobs).length).toBeGreaterThan(0);
    for (const job of Object.values(wf.jobs)) expect(job.steps.length).toBeGreaterThan(0);
  });

  test("every action is pinned to a full commit SHA with its version in a comment", () => {
    const uses = text.split("\n").filter((l) => /^\s*(- )?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test("least privilege: read-only by default, OIDC token only for jobs that sign in to Azure", () => {
    expect(wf.permissions).toEqual({ contents: "read" });
    for (const [name, job] of Object.entries(wf.jobs)) {
      const signsIn = job.steps.some((s) => s.uses?.startsWith("azure/login@"));
      expect(job.permissions?.["id-token"] === "write", `${file}:${name}`).toBe(signsIn);
      for (const [scope, level] of Object.entries(job.permissions ?? {}))
        expect(["contents:read", "id-token:write", "pull-requests:write"], `${file}:${name}`).toContain(`${scope}:${level}`);
    }
  });

  test("no secrets in the repository: Azure by OIDC from variables, never a client secret", () => {
    expect(text).not.toMatch(/secrets\.AZURE|client-secret|ARM_CLIENT_SECRET|creds:/);
    for (const job of Object.values(wf.jobs))
      for (const step of job.steps.filter((s) => s.uses?.startsWith("azure/login@")))
        expect(step.with).toEqual({
          "client-id": "${{ vars.AZURE_CLIENT_ID }}",
          "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
          "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
        });
  });

  test("the commands it runs are the README's", () => {
    for (const job of Object.values(wf.jobs))
      for (const step of job.steps.filter((s) => s.run && !s.run.startsWith("printf")))
        for (const command of step.run!.split("\n").map((l) => l.trim()).filter(Boolean).filter((l) => !l.startsWith("echo")))
          // README tables escape the pipe; the pinned version is a variable in the workflow.
          expect(README.replaceAll("\\|", "|"), `README should document: ${command}`).toContain(command.replace(/"\$PULUMI_VERSION"/, "<version>"));
  });
});

describe("what runs when", () => {
  test("pull requests: npm ci and npm test, then a preview of each stack with the policy pack where Azure is configured", () => {
    const ci = parse("ci.yml");
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(["pull_request"]));
    expect(ci.jobs.test!.steps.map((s) => s.run).filter(Boolean)).toEqual(["npm ci", "npm test"]);
    const preview = ci.jobs.preview!;
    expect(preview.if).toContain("vars.AZURE_CLIENT_ID != ''");
    const step = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect(step.with).toMatchObject({ command: "preview", policyPacks: "infra/policy-pack", policyPackConfigs: "infra/policy-pack/config.json" });
    expect(JSON.stringify(preview)).toContain("GITHUB_STEP_SUMMARY");
  });

  test("main deploys dev; contest only by manual dispatch through its approval environment", () => {
    const deploy = parse("deploy.yml");
    expect(deploy.on).toMatchObject({ push: { branches: ["main"] }, workflow_dispatch: { inputs: { stack: { options: ["dev", "contest"] } } } });
    const up = deploy.jobs.up!;
    expect(up.environment).toBe("${{ github.event_name == 'workflow_dispatch' && inputs.stack || 'dev' }}");
    expect(up.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!.with).toMatchObject({ command: "up", policyPacks: "infra/policy-pack", policyPackConfigs: "infra/policy-pack/config.json" });
  });

  test("the return to idle runs on a UTC schedule with the CLI's own command", () => {
    const expiry = parse("expiry.yml") as Workflow & { on: { schedule: Array<{ cron: string }> } };
    expect(expiry.on.schedule).toEqual([{ cron: "*/30 * * * *" }]);
    expect(expiry.jobs["enforce-expiry"]!.steps.at(-1)!.run).toBe("npx manage enforce-expiry --yes --json");
  });
});
