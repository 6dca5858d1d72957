// The stand-in for pulumi is only worth something if it is strict: what the real CLI would refuse,
// it refuses, so manage cannot pass its tests with command lines the real pulumi would reject.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, test } from "vitest";
import { FAKE_PULUMI_BIN, makeProject } from "../helpers/cli.js";

async function pulumi(project: string, args: string[], env: Record<string, string> = {}) {
  return execa(join(FAKE_PULUMI_BIN, "pulumi"), args, {
    cwd: project,
    reject: false,
    env: { PULUMI_BACKEND_URL: `file://${join(project, "state")}`, PULUMI_CONFIG_PASSPHRASE: "x", ...env },
  });
}

describe("the pulumi stand-in", () => {
  const project = makeProject();
  test.each([
    [["up", "--stack", "dev", "--yes", "--json", "--force"], /unknown flag: --force/],
    // backenderr.NoStackSelectedError (exit 6); commands this stand-in does not simulate fail loudly.
    [["config", "set", "profile", "contest"], /no stack selected; specify a stack name with --stack/],
    [["preview", "--stack", "dev", "--event-log", "/tmp/x"], /unknown flag: --event-log/],
    [["destroy", "--stack", "dev"], /command destroy is not simulated/],
    [["up", "--stack", "nosuch", "--yes", "--json"], /no stack named 'nosuch' found/],
  ])("refuses %j", async (args, message) => {
    const r = await pulumi(project, args);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  test("up without --yes in non-interactive mode exits 2, as pulumi does", async () => {
    const dir = makeProject();
    await pulumi(dir, ["stack", "init", "dev", "--non-interactive"]);
    const r = await pulumi(dir, ["up", "--stack", "dev", "--non-interactive", "--json"]);
    expect(r.exitCode).toBe(2);
    // backenderr.NoConfirmationInNonInteractiveError, v3.230's text.
    expect(r.stderr).toContain("--yes or --skip-preview or --preview-only must be passed in to proceed when running in non-interactive mode");
  });

  test("a passphrase stack refuses to run without a passphrase", async () => {
    const dir = makeProject();
    await pulumi(dir, ["stack", "init", "dev", "--secrets-provider", "passphrase", "--non-interactive"]);
    const r = await pulumi(dir, ["preview", "--stack", "dev", "--json"], { PULUMI_CONFIG_PASSPHRASE: "" });
    // An empty passphrase is a passphrase; only its absence is refused.
    expect(r.exitCode).toBe(0);
    const noPass = await execa(join(FAKE_PULUMI_BIN, "pulumi"), ["preview", "--stack", "dev", "--json"], {
      cwd: dir,
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH, PULUMI_BACKEND_URL: `file://${join(dir, "state")}` },
    });
    expect(noPass.stderr).toContain("passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE");
  });

  test("--policy-pack-config: the committed file lets dev (open) through; levels and config per policy name, strictly", async () => {
    const dir = makeProject();
    await pulumi(dir, ["stack", "init", "dev", "--non-interactive"]);
    const preview = (...extra: string[]) =>
      pulumi(dir, ["preview", "--stack", "dev", "--non-interactive", "--policy-pack", "infra/policy-pack", "--event-log", join(dir, "events.jsonl"), ...extra], { PULUMI_DEBUG_COMMANDS: "true" });
    const policyEvents = () =>
      readFileSync(join(dir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.policyEvent).map((e) => e.policyEvent);
    const file = (name: string, config: unknown) => {
      writeFileSync(join(dir, name), JSON.stringify(config));
      return name;
    };
    // Without it, dev's open backend is a mandatory violation; with the committed file it is not.
    expect((await preview()).exitCode).toBe(1);
    expect((await preview("--policy-pack-config", "infra/policy-pack/config.json")).exitCode).toBe(0);
    // A policy set to advisory: the violation stays, as a warning.
    const advisory = await preview("--policy-pack-config", file("advisory.json", { "backend-caller-restricted": "advisory" }));
    expect(advisory.exitCode).toBe(0);
    expect(policyEvents()).toEqual([expect.objectContaining({ policyName: "backend-caller-restricted", enforcementLevel: "warning", message: expect.stringContaining("has no Allow rule") })]);
    // What the real CLI refuses: a policy the pack lacks, a property its schema lacks, a wrong type, unpaired flags.
    for (const [config, message] of [
      [{ "no-such-policy": "advisory" }, /policy pack coding-engine has no policy named "no-such-policy"/],
      [{ "backend-caller-restricted": { openStacks: ["dev"] } }, /policy backend-caller-restricted has no config property "openStacks"/],
      [{ "backend-caller-restricted": { openAccessStacks: "dev" } }, /config property "openAccessStacks" must be of type array/],
      [{ "backend-caller-restricted": { enforcementLevel: "optional" } }, /enforcementLevel must be one of advisory, mandatory, disabled/],
    ] as const) {
      const r = await preview("--policy-pack-config", file("bad.json", config));
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    const unpaired = await preview("--policy-pack-config", "infra/policy-pack/config.json", "--policy-pack-config", "infra/policy-pack/config.json");
    expect(unpaired.stderr).toMatch(/the number of --policy-pack-config flags \(2\) must match the number of --policy-pack flags \(1\)/);
  });

  test("simulates only file:// backends, and says so (no login in tests)", async () => {
    const r = await pulumi(project, ["stack", "ls", "--json"], { PULUMI_BACKEND_URL: "https://api.pulumi.com" });
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toContain("the backend https://api.pulumi.com is not simulated");
  });
});
