// The offline commands end to end through the built binary: what a user sees, exit codes, and
// that refused input leaves every stack file as it was.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, test } from "vitest";
import { expectRefusal, makeProject, manage, snapshot } from "../helpers/cli.js";

let project: string;
beforeEach(() => {
  project = makeProject();
});

describe("manage --help", () => {
  test("lists the commands and exits 0", async () => {
    const r = await manage(["--help"], { project });
    expect(r.exitCode).toBe(0);
    for (const c of ["plan", "cost-estimate", "capacity"]) expect(r.stdout).toContain(c);
  });
});

describe("manage cost-estimate", () => {
  test("every profile side by side; a forgotten testing pool costs an order of magnitude more than idle", async () => {
    const r = await manage(["cost-estimate", "--json"], { project });
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.stack).toBe("dev");
    expect(out.currentProfile).toBe("testing");
    const perDay = Object.fromEntries(out.estimates.map((e: { profile: string; perDay: number }) => [e.profile, e.perDay]));
    expect(Object.keys(perDay)).toEqual(["idle", "testing", "contest"]);
    expect(perDay.testing).toBeGreaterThan(10 * perDay.idle);
    expect(out.lever).toMatchObject({ from: "testing" });
    expect(out.prices).toMatchObject({ origin: "embedded", asOf: "2026-05" });
    expect(r.stderr).toMatch(/unverified.*--live-prices/);
  });

  test("one profile in detail: per-resource always-on and usage parts, totals, marginal cost, lever", async () => {
    const r = await manage(["cost-estimate", "--stack", "contest", "--profile", "contest", "--hours", "3", "--executions", "36000"], { project });
    expect(r.exitCode).toBe(0);
    for (const text of ["session pool", "always-on", "usage", "backend", "registry", "log analytics", "3 h window", "Each execution adds about", "Biggest lever: idle instead of contest saves"])
      expect(r.stdout).toContain(text);
  });

  test("stack overrides change the estimate", async () => {
    const file = join(project, "Pulumi.contest.yaml");
    const before = JSON.parse((await manage(["cost-estimate", "--stack", "contest", "--profile", "contest", "--json"], { project })).stdout);
    writeFileSync(file, snapshot(project)["Pulumi.contest.yaml"] + "  coding-engine:profileOverrides:\n    contest:\n      readySessions: 40\n");
    const after = JSON.parse((await manage(["cost-estimate", "--stack", "contest", "--profile", "contest", "--json"], { project })).stdout);
    expect(after.estimates[0].nodes.ready).toBe(2);
    expect(after.estimates[0].perHour).toBeGreaterThan(before.estimates[0].perHour);
  });

  test("--live-prices offline falls back to the embedded table and says so", async () => {
    const r = await manage(["cost-estimate", "--live-prices", "--json"], {
      project,
      env: { MANAGE_RETAIL_PRICES_URL: "http://127.0.0.1:9/api/retail/prices" },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/live prices unavailable .*using the embedded table/);
    expect(JSON.parse(r.stdout).prices.origin).toBe("embedded");
  });

  test("a region the table has only part of: missing prices are named, not invented", async () => {
    const r = await manage(["cost-estimate", "--region", "westeurope", "--profile", "testing"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/no westeurope price for Dedicated vCPU Usage/);
    expect(r.stdout).toContain("incomplete: prices missing");
  });
});

describe("manage capacity", () => {
  test("says what happens with the contest profile as configured", async () => {
    const r = await manage(["capacity", "--users", "200", "--runs-per-user-per-minute", "2"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("200 per-user sessions > max 50: requests beyond it will get 404");
    expect(r.stdout).toMatch(/manage scale --stack dev --profile contest --max-sessions 200 --ready-sessions \d+/);
  });

  test("--json carries the plan, the checks and the window's cost", async () => {
    const r = await manage(["capacity", "--users", "60", "--identifier", "shared:10", "--json"], { project });
    const out = JSON.parse(r.stdout);
    expect(out.plan.sessionsHeld).toBe(10);
    expect(out.checks[0].ok).toBe(true);
    expect(out.estimate.window).toBeGreaterThan(0);
  });
});

describe("manage plan", () => {
  test("the dev stack's desired resources with their settings, and the cost", async () => {
    const r = await manage(["plan"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Stack dev, profile testing: 9 resources");
    expect(r.stdout).toContain("not a diff against the cloud");
    expect(r.stdout).toMatch(/codeengdevpool .*max 5, ready 1, cooldown 300 s, 0.5 vCPU\/1Gi, EgressDisabled/);
    expect(r.stdout).toMatch(/Cost \(eastus, prices as of 2026-05\): \$[\d.]+\/hour/);
  });

  test("--from idle --to contest: what changes and the cost difference", async () => {
    const r = await manage(["plan", "--stack", "contest", "--from", "idle", "--to", "contest"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("+ create session-pool");
    expect(r.stdout).toContain("template.scale.minReplicas: 0 -> 1");
    expect(r.stdout).toMatch(/Cost: \$[\d.]+\/day -> \$[\d,.]+\/day \(\+\$[\d,.]+\/day\)/);
    const json = JSON.parse((await manage(["plan", "--stack", "contest", "--from", "contest", "--to", "idle", "--json"], { project })).stdout);
    expect(json.changes).toContainEqual(expect.objectContaining({ name: "session-pool", change: "remove" }));
    expect(json.cost.perDayDifference).toBeLessThan(0);
  });

  test("--json lists the resources exactly as evaluated", async () => {
    const out = JSON.parse((await manage(["plan", "--stack", "contest", "--profile", "idle", "--json"], { project })).stdout);
    expect(out.resources.map((r: { name: string }) => r.name)).not.toContain("session-pool");
    expect(out.outputs.sessionPoolDeployed).toBe(false);
  });
});

describe("bad input: one clear message, exit 2, nothing touched", () => {
  test.each([
    [["cost-estimate", "--profile", "party"], /argument 'party' is invalid. It must be one of: idle, testing, contest/],
    [["cost-estimate", "--hours", "2", "--days", "1"], /give either --hours or --days, not both/],
    [["cost-estimate", "--hours", "abc"], /argument 'abc' is invalid. It must be a number greater than 0/],
    [["cost-estimate", "--executions", "-5"], /argument '-5' is invalid/],
    [["cost-estimate", "--region", "mars"], /no embedded prices for region "mars" \(embedded: eastus, eastus2, koreacentral, westeurope\)/],
    [["cost-estimate", "--avg-exec-seconds", "3"], /give --executions too/],
    [["cost-estimate", "--stack", "prod"], /unknown stack "prod".*\(stacks here: contest, dev\)/],
    [["capacity", "--users", "200", "--identifier", "round-robin"], /unknown identifier strategy "round-robin"/],
    [["capacity"], /required option '--users <n>' not specified/],
    [["capacity", "--users", "2.5"], /It must be a whole number greater than 0/],
    [["plan", "--from", "idle"], /--from and --to go together/],
    [["plan", "--profile", "contest", "--from", "idle", "--to", "testing"], /either --profile or --from\/--to/],
    [["no-such-command"], /unknown command 'no-such-command'/],
  ])("manage %j", async (args, message) => {
    await expectRefusal(project, args, message);
  });

  test("a stack file with a broken value names the key and exits 2", async () => {
    writeFileSync(join(project, "Pulumi.dev.yaml"), snapshot(project)["Pulumi.dev.yaml"]!.replace("profile: testing", "profile: turbo"));
    const before = snapshot(project);
    const r = await manage(["plan"], { project });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("coding-engine:profile must be one of idle, testing, contest");
    expect(r.stderr).toContain("fix Pulumi.dev.yaml");
    expect(snapshot(project)).toEqual(before);
  });
});
