// The GitHub workflows, checked like code: valid YAML, every action pinned to a full commit SHA
// (with the version it is in a comment), least-privilege permissions, Azure by OIDC only, and the
// commands they run are the ones the README documents.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import semver from "semver";
import { describe, expect, test } from "vitest";
import { ROOT } from "../helpers/program.js";

const DIR = join(ROOT, ".github", "workflows");
const FILES = readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const README = readFileSync(join(ROOT, "README.md"), "utf8");

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = { permissions?: Record<string, string>; steps: Step[]; environment?: string; if?: string; strategy?: { matrix?: Record<string, unknown[]> } };
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
    for (const [name, job] of Object.entries(wf.jobs))
      for (const step of job.steps.filter((s) => s.uses?.startsWith("azure/login@")))
        expect(step.with).toEqual({
          // Pull requests' code only ever gets the read-only preview identity.
          "client-id": name === "preview" ? "${{ vars.AZURE_PREVIEW_CLIENT_ID }}" : "${{ vars.AZURE_CLIENT_ID }}",
          "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
          "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
        });
  });

  test("a job that can get an Azure token names an environment, runs no install scripts, and no tests", () => {
    for (const [name, job] of Object.entries(wf.jobs).filter(([, j]) => j.permissions?.["id-token"] === "write")) {
      expect(job.environment, `${file}:${name}`).toBeTruthy();
      const runs = job.steps.map((s) => s.run ?? "");
      expect(runs, `${file}:${name}`).toContain("npm ci --ignore-scripts");
      expect(runs, `${file}:${name}`).not.toContain("npm ci");
      expect(runs, `${file}:${name}`).not.toContain("npm test");
      // The one pinned pulumi, checksum-verified, before any pulumi runs.
      expect(runs, `${file}:${name}`).toContain(".github/scripts/install-pulumi.sh");
      expect(job.steps.some((s) => s.uses?.startsWith("pulumi/actions@")), `${file}:${name}`).toBe(false);
    }
  });

  test("the commands it runs are the README's", () => {
    for (const job of Object.values(wf.jobs))
      for (const step of job.steps.filter((s) => s.run && !s.run.startsWith("printf")))
        for (const command of step.run!.split("\n").map((l) => l.trim()).filter(Boolean).filter((l) => !l.startsWith("echo") && !l.startsWith("printf")))
          // README tables escape the pipe; the pinned version is a variable in the workflow.
          expect(README.replaceAll("\\|", "|"), `README should document: ${command}`).toContain(command.replace(/"\$PULUMI_VERSION"/, "<version>"));
  });
});

describe("what runs when", () => {
  test("pull requests: npm ci and npm test with no token, then a read-only preview of each stack with the policy pack", () => {
    const ci = parse("ci.yml");
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(["pull_request"]));
    expect(ci.jobs.test!.steps.map((s) => s.run).filter(Boolean)).toEqual(["npm ci", "npm test"]);
    expect(ci.jobs.test!.permissions?.["id-token"]).toBeUndefined();
    const preview = ci.jobs.preview!;
    expect(preview.environment).toBe("preview");
    // Same-repository pull requests only (forks get no OIDC anyway), and only with the read-only identity.
    expect(preview.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(preview.if).toContain("vars.AZURE_PREVIEW_CLIENT_ID != ''");
    expect(JSON.stringify(preview)).toContain("pulumi preview --stack \\\"$STACK\\\" --policy-pack infra/policy-pack --policy-pack-config infra/policy-pack/config.json");
    expect(JSON.stringify(preview)).toContain("GITHUB_STEP_SUMMARY");
  });

  test("main deploys dev; contest only by manual dispatch through its approval environment", () => {
    const deploy = parse("deploy.yml");
    expect(deploy.on).toMatchObject({ push: { branches: ["main"] }, workflow_dispatch: { inputs: { stack: { options: ["dev", "contest"] } } } });
    const up = deploy.jobs.up!;
    expect(up.environment).toBe("${{ github.event_name == 'workflow_dispatch' && inputs.stack || 'dev' }}");
    expect((up as { needs?: string }).needs).toBe("test");
    expect(up.steps.map((s) => s.run ?? "").join("\n")).toContain('pulumi up --stack "$STACK" --yes --policy-pack infra/policy-pack --policy-pack-config infra/policy-pack/config.json --non-interactive');
  });

  test("a stack's deploys and its return to idle share one concurrency group, never cancelled midway", () => {
    type WithConcurrency = Job & { concurrency: { group: string; "cancel-in-progress": boolean } };
    const up = parse("deploy.yml").jobs.up as WithConcurrency;
    const expiry = parse("reconcile.yml").jobs["reconcile"] as WithConcurrency;
    expect(up.concurrency).toEqual({ group: "stack-${{ github.event_name == 'workflow_dispatch' && inputs.stack || 'dev' }}", "cancel-in-progress": false });
    expect(expiry.concurrency).toEqual({ group: "stack-${{ matrix.stack }}", "cancel-in-progress": false });
    expect(expiry.strategy!.matrix!.stack).toEqual(["dev", "contest"]);
  });

  test("one pulumi version everywhere: the file the stand-in is held to, installed against its checksums", async () => {
    const { PINNED_PULUMI_VERSION } = await import("../../cli/pulumi/argv.js");
    expect(readFileSync(join(ROOT, ".github", "pulumi-version"), "utf8").trim()).toBe(PINNED_PULUMI_VERSION);
    const script = readFileSync(join(ROOT, ".github", "scripts", "install-pulumi.sh"), "utf8");
    expect(script).toContain("sha256sum -c");
    expect(script.indexOf("sha256sum -c")).toBeLessThan(script.indexOf("tar -xzf"));
    for (const file of FILES) expect(readFileSync(join(DIR, file), "utf8")).not.toMatch(/get\.pulumi\.com|PULUMI_VERSION|pulumi-version:/);
  });

  test("the return to idle runs on a UTC schedule with the CLI's own command", () => {
    const expiry = parse("reconcile.yml") as Workflow & { on: { schedule: Array<{ cron: string }> } };
    expect(expiry.on.schedule).toEqual([{ cron: "*/5 * * * *" }]);
    expect(expiry.jobs["reconcile"]!.steps.at(-1)!.run).toBe('npx manage reconcile --stack "$STACK" --yes --json');
  });
});

describe("the Node lines users run", () => {
  const engines = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
  const nodeVersions = (job: Job): string[] => {
    const setup = job.steps.find((s) => s.uses?.startsWith("actions/setup-node@"))!;
    const version = String(setup.with!["node-version"]);
    return version === "${{ matrix.node }}" ? job.strategy!.matrix!.node!.map(String) : [version];
  };

  test("the tests run on 22 and 24 (the LTS lines) and 20 (this machine's), each accepted by package.json's engines", () => {
    const lines = nodeVersions(parse("ci.yml").jobs.test!);
    expect(lines).toEqual(["20", "22", "24"]);
    // The newest release of each line that engines accepts exists (20.19+, 22.13+, any 24).
    for (const line of lines) expect(semver.intersects(`^${line}`, engines), `Node ${line} vs engines ${engines}`).toBe(true);
    // Node 20 before 20.19 fails dependencies' engines (EBADENGINE), so engines says so.
    expect(semver.satisfies("20.5.0", engines)).toBe(false);
    expect(semver.satisfies(process.versions.node, engines)).toBe(true);
  });

  test("every workflow that installs runs a Node line engines accepts", () => {
    for (const file of FILES)
      for (const job of Object.values(parse(file).jobs).filter((j) => j.steps.some((s) => s.uses?.startsWith("actions/setup-node@"))))
        for (const line of nodeVersions(job)) expect(semver.intersects(`^${line}`, engines), `${file}: Node ${line}`).toBe(true);
  });

  test("no dependency in the lock file asks for a Node that engines allows but it does not support (no EBADENGINE)", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { engines?: { node?: string } | string[]; version?: string }> };
    const bad = Object.entries(lock.packages)
      .filter(([path, p]) => path !== "" && p.engines && !Array.isArray(p.engines) && p.engines.node)
      .filter(([, p]) => !semver.subset(engines, (p.engines as { node: string }).node))
      .map(([path, p]) => `${path}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    expect(bad).toEqual([]);
  });
});
