// The stand-in for pulumi is only worth something if it is strict: what the real CLI would refuse,
// it refuses, so manage cannot pass its tests with command lines the real pulumi would reject.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, test } from "vitest";
import { deployed, FAKE_PULUMI_BIN, inWorker, makeProject, manage, names, prepare, readState } from "../helpers/cli.js";
import { ROOT } from "../helpers/program.js";
import { runToEnd } from "../helpers/spawner.js";
import { crypterFor, DECRYPT_FAILURE } from "../fake-pulumi/secrets.js";
import { evaluateProgram, type EvaluationRequest } from "../fake-pulumi/evaluation.js";
import { startWarmProgram } from "../fake-pulumi/language-host.js";
import { readStackConfig } from "../../cli/stack-files.js";

async function pulumi(project: string, args: string[], env: Record<string, string> = {}) {
  return runToEnd(join(FAKE_PULUMI_BIN, "pulumi"), args, {
    cwd: project,
    env: { ...process.env, PULUMI_BACKEND_URL: `file://${join(project, "state")}`, PULUMI_CONFIG_PASSPHRASE: "x", ...env },
  });
}

/** The dev stack file with a pool (the committed one rests idle): what these tests exercise. */
function withPool(dir: string): string {
  const file = join(dir, "Pulumi.dev.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace("coding-engine:profile: idle", "coding-engine:profile: testing"));
  return dir;
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

  test("`pulumi version` answers the same from the bin script's shortcut as from the stand-in itself", async () => {
    const bundle = join(FAKE_PULUMI_BIN, "..", ".build", "main.mjs");
    for (const env of [{}, { FAKE_PULUMI_VERSION: "3.100.0" }]) {
      const viaScript = await execa(join(FAKE_PULUMI_BIN, "pulumi"), ["version"], { env });
      const viaStandIn = await execa(process.execPath, [bundle, "version"], { env });
      expect(viaScript.stdout).toBe(viaStandIn.stdout);
      expect(viaScript.stdout).toMatch(/^v3\.\d+\.\d+$/);
    }
    // With a flag, the stand-in itself answers: and refuses what the real CLI refuses.
    expect((await pulumi(project, ["version", "--short"])).stderr).toMatch(/unknown flag: --short/);
  });

  test("up without --yes in non-interactive mode exits 2, as pulumi does", async () => {
    const dir = makeProject();
    await pulumi(dir, ["stack", "init", "dev", "--non-interactive"]);
    const r = await pulumi(dir, ["up", "--stack", "dev", "--non-interactive", "--json"]);
    expect(r.exitCode).toBe(2);
    // backenderr.NoConfirmationInNonInteractiveError, v3.230's text.
    expect(r.stderr).toContain("--yes or --skip-preview or --preview-only must be passed in to proceed when running in non-interactive mode");
  });

  test("a stack file importing ESC environments is refused on this backend, in the CLI's words", async () => {
    const dir = makeProject();
    await pulumi(dir, ["stack", "init", "dev", "--non-interactive"]);
    writeFileSync(join(dir, "Pulumi.dev.yaml"), `environment:\n  - my-org/contest-secrets\n${readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8")}`);
    const r = await pulumi(dir, ["preview", "--stack", "dev", "--json"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: getting stack configuration: opening environment: backend \S+ does not support environments; Pulumi ESC environments require the Pulumi Cloud backend/);
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
    const dir = withPool(makeProject());
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

  test("a stack policy judges after the steps: `up` refuses in its preview with nothing applied; `up --skip-preview` (the Automation API's) applies, then fails", async () => {
    // v3.230 deployment_executor.go: AnalyzeStack runs once every step has completed.
    const states = (dir: string) => readdirSync(join(dir, "state", ".pulumi", "stacks", "coding-engine")).filter((f) => f.endsWith(".json"));
    const resources = (dir: string) => (JSON.parse(readFileSync(join(dir, "state", ".pulumi", "stacks", "coding-engine", "dev.json"), "utf8")) as { checkpoint: { latest?: { resources?: unknown[] } } }).checkpoint.latest?.resources ?? [];
    const up = async (...extra: string[]) => {
      const dir = withPool(makeProject());
      await pulumi(dir, ["stack", "init", "dev", "--non-interactive"]);
      const r = await pulumi(dir, ["up", "--stack", "dev", "--non-interactive", "--policy-pack", "infra/policy-pack", "--event-log", join(dir, "events.jsonl"), ...extra], { PULUMI_DEBUG_COMMANDS: "true" });
      const events = readFileSync(join(dir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      return { r, dir, events };
    };
    // dev's open backend, without the committed config that lists it: a mandatory stack violation.
    const previewed = await up("--yes");
    expect(previewed.r.exitCode).toBe(1);
    expect(previewed.events.some((e) => e.policyEvent)).toBe(true);
    expect(previewed.events.some((e) => e.resOutputsEvent)).toBe(false);
    expect(states(previewed.dir).length === 0 || resources(previewed.dir).length === 0).toBe(true);

    const skipped = await up("--yes", "--skip-preview");
    expect(skipped.r.exitCode, skipped.r.stderr).toBe(1);
    const at = (key: string) => skipped.events.findIndex((e) => e[key]);
    // Every step ran and was recorded, and only then the violation came.
    expect(at("resOutputsEvent")).toBeGreaterThanOrEqual(0);
    expect(at("policyEvent")).toBeGreaterThan(skipped.events.map((e) => Boolean(e.resOutputsEvent)).lastIndexOf(true));
    expect(resources(skipped.dir).length).toBeGreaterThan(0);
  });

  test("run in a test worker (as manage's decision tests run it), the stand-in answers as its process does: exit code, stdout and stderr", async () => {
    const { runPulumi } = await import("../fake-pulumi/main.js");
    const inThisWorker = (dir: string, args: string[]) => {
      const env = { ...process.env, PULUMI_BACKEND_URL: `file://${join(dir, "state")}`, PULUMI_CONFIG_PASSPHRASE: "x" };
      return inWorker((streams) => runPulumi({ ...streams, argv: args, cwd: dir, env }));
    };
    // What differs between two runs anyway: the folder, the clock, the ids and salts drawn at random.
    const same = (text: string, dir: string) =>
      text
        .split(dir)
        .join("<project>")
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
        .replace(/v1:[A-Za-z0-9+/=]+:v1:fake/g, "<salt>")
        .replace(/\\?"ciphertext\\?": ?\\?"[^"\\]+\\?"/g, "<ciphertext>")
        .replace(/"(time|timestamp|startTime|endTime|duration|durationSeconds)": ?[^,\n}]+/g, '"$1": <t>')
        // The program records when a plain `pulumi up` ran (infra/program.ts settingsFromStack).
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>");
    const [asProcess, inThread] = [withPool(makeProject()), withPool(makeProject())];
    for (const args of [
      ["stack", "init", "dev", "--secrets-provider", "passphrase", "--non-interactive"],
      ["config", "set", "participants", "150", "--stack", "dev"],
      ["preview", "--stack", "dev", "--json", "--policy-pack", "infra/policy-pack"],
      ["up", "--stack", "dev", "--yes", "--json", "--skip-preview"],
      ["stack", "output", "--json", "--show-secrets", "--stack", "dev"],
      ["stack", "export", "--stack", "dev"],
      ["stack", "history", "--json", "--stack", "dev"],
      ["stack", "ls", "--json"],
      ["up", "--stack", "nosuch", "--yes", "--json"],
      ["preview", "--stack", "dev", "--force"],
      ["destroy", "--stack", "dev"],
    ]) {
      const [p, w] = [await pulumi(asProcess, args), await inThisWorker(inThread, args)];
      expect({ args, exitCode: w.exitCode, stdout: same(w.stdout, inThread), stderr: same(w.stderr, inThread) }).toEqual({
        args,
        exitCode: p.exitCode,
        stdout: same(String(p.stdout), asProcess),
        stderr: same(String(p.stderr), asProcess),
      });
    }
    expect(readState(inThread, "dev").map((r) => r.urn)).toEqual(readState(asProcess, "dev").map((r) => r.urn));
  });

  test("simulates only file:// backends, and says so (no login in tests)", async () => {
    const r = await pulumi(project, ["stack", "ls", "--json"], { PULUMI_BACKEND_URL: "https://api.pulumi.com" });
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toContain("the backend https://api.pulumi.com is not simulated");
  });
});

// The shapes and texts of pulumi/pulumi v3.230.0, pinned: a change to the stand-in that drifts from
// the real CLI fails here, not in the first real deployment.
describe("the stand-in decrypts only where the real CLI does", () => {
  // pulumi v3.230: `stack ls` loads each checkpoint without a secrets manager (pkg/backend/diy/backend.go
  // ListStacks -> getCheckpoint; the summary counts Latest.Resources), a plain `stack export` writes the
  // checkpoint as stored (ExportDeployment; stack_export.go deserializes only `if showSecrets`), and
  // `stack output` reads only the root stack's outputs (getSnapshotStackOutputs).
  test("a secret the stack's key cannot open: `stack ls` and a plain `stack export` still answer; --show-secrets fails with the passphrase manager's words; `stack output` fails only for the root stack's own", async () => {
    const dir = makeProject();
    await deployed(dir, "dev after up");
    const state = join(dir, ".pulumi-state");
    const checkpoint = join(state, ".pulumi", "stacks", "coding-engine", "dev.json");
    const doc = JSON.parse(readFileSync(checkpoint, "utf8"));
    const resources = doc.checkpoint.latest.resources as Array<{ type: string; inputs: Record<string, any>; outputs: Record<string, any> }>;
    // The workspace key (a secret input of the environment) sealed under another key: one secret no key here opens.
    const environment = resources.find((r) => r.type === "azure-native:app:ManagedEnvironment")!;
    const envelope = environment.inputs.appLogsConfiguration.logAnalyticsConfiguration.sharedKey;
    expect(envelope.ciphertext).toMatch(/^v1:/);
    envelope.ciphertext = crypterFor("dev", "v1:b3RoZXI=:v1:fake", { PULUMI_CONFIG_PASSPHRASE: "another" }).encrypt(JSON.stringify("a key sealed elsewhere"));
    writeFileSync(checkpoint, JSON.stringify(doc, null, 4));
    const env = { PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: readFileSync(join(state, "passphrase"), "utf8") };
    const run = (args: string[], extra: Record<string, string> = {}) => execa(join(FAKE_PULUMI_BIN, "pulumi"), [...args, "--non-interactive"], { cwd: dir, reject: false, env: { ...env, ...extra } });

    const ls = await run(["stack", "ls", "--json"]);
    expect(ls.exitCode, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([{ name: "organization/coding-engine/dev", current: false, resourceCount: resources.length }]);
    const plain = await run(["stack", "export", "--stack", "dev"]);
    expect(plain.exitCode, plain.stderr).toBe(0);
    // As stored: every ciphertext as the checkpoint has it, the unreadable one too.
    expect(JSON.parse(plain.stdout).deployment.resources).toEqual(resources);
    const shown = await run(["stack", "export", "--show-secrets", "--stack", "dev"]);
    expect(shown.exitCode).toBe(1);
    expect(shown.stderr).toContain(`could not deserialize deployment: ${DECRYPT_FAILURE}`);
    // The root stack's own secrets open: its outputs read (masked, and shown).
    const output = await run(["stack", "output", "--json", "--stack", "dev"]);
    expect(output.exitCode, output.stderr).toBe(0);
    expect(JSON.parse(output.stdout)).toMatchObject({ callers: "[secret]", accessMode: "open" });
    expect((await run(["stack", "output", "--json", "--show-secrets", "--stack", "dev"])).exitCode).toBe(0);

    // Another passphrase: no secret opens, so `stack output` fails too; the listing and a plain export do not decrypt.
    const wrong = { PULUMI_CONFIG_PASSPHRASE: "another project's passphrase" };
    expect((await run(["stack", "ls", "--json"], wrong)).exitCode).toBe(0);
    expect((await run(["stack", "export", "--stack", "dev"], wrong)).exitCode).toBe(0);
    const masked = await run(["stack", "output", "--json", "--stack", "dev"], wrong);
    expect(masked.exitCode).toBe(1);
    expect(masked.stderr).toContain(DECRYPT_FAILURE);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("the stand-in speaks the real CLI's shapes", () => {
  async function freshStack(env: Record<string, string> = {}) {
    const dir = withPool(makeProject());
    expect((await pulumi(dir, ["stack", "init", "dev", "--non-interactive"], env)).exitCode).toBe(0);
    return dir;
  }

  test("preview --json: the digest of pkg/display/json.go, steps without `type`, the root stack but no default provider", async () => {
    const dir = await freshStack();
    const r = await pulumi(dir, ["preview", "--stack", "dev", "--json", "--non-interactive"]);
    expect(r.exitCode).toBe(0);
    const digest = JSON.parse(r.stdout);
    expect(Object.keys(digest)).toEqual(["config", "steps", "duration", "changeSummary"]);
    expect(digest.steps[0]).toMatchObject({ op: "create", urn: "urn:pulumi:dev::coding-engine::pulumi:pulumi:Stack::coding-engine-dev" });
    for (const step of digest.steps) {
      expect(step).not.toHaveProperty("type");
      expect(step.detailedDiff).toBeNull();
    }
    expect(digest.steps.map((s: any) => s.newState.type)).toContain("azure-native:app:ContainerAppsSessionPool");
    expect(digest.steps.some((s: any) => s.urn.includes("pulumi:providers:"))).toBe(false);
    expect(digest.changeSummary.create).toBe(digest.steps.length - 1);
  });

  test("--event-log exists only under PULUMI_DEBUG_COMMANDS; it carries every event, the default provider too, and ends with a cancelEvent", async () => {
    const dir = await freshStack();
    const log = join(dir, "events.jsonl");
    expect((await pulumi(dir, ["up", "--stack", "dev", "--yes", "--event-log", log])).stderr).toContain("unknown flag: --event-log");
    const r = await pulumi(dir, ["up", "--stack", "dev", "--yes", "--skip-preview", "--event-log", log], { PULUMI_DEBUG_COMMANDS: "true", FAKE_PULUMI_FAIL: "session-pool" });
    // A failed update exits 1 (4 is declared but never produced) and prints nothing of its cause on stderr.
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe("");
    const events = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i));
    expect(events.at(-1)).toMatchObject({ cancelEvent: {} });
    expect(events[0]).toHaveProperty("preludeEvent.config");
    const failed = events.find((e) => e.resOpFailedEvent);
    expect(failed.resOpFailedEvent.metadata).toMatchObject({ op: "create", type: "azure-native:app:ContainerAppsSessionPool", old: null, detailedDiff: null });
    const errors = events.filter((e) => e.diagnosticEvent?.severity === "error").map((e) => e.diagnosticEvent);
    expect(errors[0]).toMatchObject({ prefix: "error: ", urn: expect.stringMatching(/::session-pool$/), message: expect.stringContaining('Code="InvalidParameterValue"') });
    expect(errors.at(-1)).toEqual({ prefix: "error: ", message: "update failed\n", color: "never", severity: "error" });
  });

  test("a failed update records what pulumi records: a failed delete, the program's new outputs over the old (deletes run after it registered them); a failed create, the old; either is a failed update in the history", async () => {
    // The changes through manage (the operational layer is requested as manage requests it), the
    // record read back through pulumi.
    const project = makeProject();
    await prepare(project);
    const outputs = () => readState(project, "dev").find((r) => r.type === "pulumi:pulumi:Stack")!.outputs;
    const lastUpdate = async () => JSON.parse((await manage(["pulumi", "--", "stack", "history", "--stack", "dev", "--json"], { project })).stdout)[0];
    expect((await manage(["scale", "--profile", "testing", "--no-wait"], { project })).exitCode).toBe(0);
    expect(outputs()).toMatchObject({ profile: "testing", sessionPoolDeployed: true });

    expect((await manage(["stop", "--yes"], { project, env: { FAKE_PULUMI_FAIL: "session-pool" } })).exitCode).toBe(1);
    expect(outputs()).toMatchObject({ profile: "idle", sessionPoolDeployed: false, poolManagementEndpoint: "" });
    expect(names(readState(project, "dev"))).toContain("session-pool");
    expect(await lastUpdate()).toMatchObject({ kind: "update", result: "failed" });
    expect((await manage(["stop", "--yes"], { project })).exitCode).toBe(0);
    expect(names(readState(project, "dev"))).not.toContain("session-pool");
    expect(await lastUpdate()).toMatchObject({ kind: "update", result: "succeeded" });

    expect((await manage(["scale", "--profile", "testing", "--no-wait"], { project, env: { FAKE_PULUMI_FAIL: "session-pool" } })).exitCode).toBe(1);
    expect(outputs()).toMatchObject({ profile: "idle", sessionPoolDeployed: false });
    expect(await lastUpdate()).toMatchObject({ kind: "update", result: "failed" });
  });

  test("config set edits the stack file in place (yamlutil.Edit): comments kept, new keys appended, --path integers as numbers", async () => {
    const dir = await freshStack();
    writeFileSync(join(dir, "Pulumi.dev.yaml"), "# kept\nconfig:\n  coding-engine:profile: idle # why\n");
    expect((await pulumi(dir, ["config", "set", "coding-engine:location", "westeurope", "--stack", "dev"])).exitCode).toBe(0);
    expect((await pulumi(dir, ["config", "set", "--path", "coding-engine:profileOverrides.contest.maxSessions", "80", "--stack", "dev"])).exitCode).toBe(0);
    expect((await pulumi(dir, ["config", "set", "coding-engine:logRetentionDays", "60", "--stack", "dev"])).exitCode).toBe(0);
    expect(readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8")).toBe(
      "# kept\nconfig:\n  coding-engine:profile: idle # why\n  coding-engine:location: westeurope\n" +
        "  coding-engine:profileOverrides:\n    contest:\n      maxSessions: 80\n" +
        '  coding-engine:logRetentionDays: "60"\n',
    );
    // Removing what is not there is no error.
    expect((await pulumi(dir, ["config", "rm", "--path", "coding-engine:profileOverrides.idle.backendMinReplicas", "--stack", "dev"])).exitCode).toBe(0);
  });

  test("a stack missing a declared key without default is refused with the CLI's own words", async () => {
    const dir = await freshStack();
    writeFileSync(join(dir, "Pulumi.yaml"), readFileSync(join(dir, "Pulumi.yaml"), "utf8") + "  contestMaxSessions:\n    type: integer\n");
    const r = await pulumi(dir, ["preview", "--stack", "dev", "--json"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe("error: Stack 'dev' is missing configuration value 'contestMaxSessions'");
  });

  test("the DIY lock: its file, the real text with who holds it, and cancel removing it", async () => {
    const dir = await freshStack();
    const locks = join(dir, "state", ".pulumi", "locks", "organization", "coding-engine", "dev");
    (await import("node:fs")).mkdirSync(locks, { recursive: true });
    writeFileSync(join(locks, "0b5f.json"), JSON.stringify({ pid: 42, username: "ana", hostname: "laptop", timestamp: "2026-11-23T09:00:00Z" }));
    const r = await pulumi(dir, ["up", "--stack", "dev", "--yes"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(
      "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
        `  file://${join(dir, "state")}/.pulumi/locks/organization/coding-engine/dev/0b5f.json: created by ana@laptop (pid 42) at 2026-11-23T09:00:00Z`,
    );
    expect((await pulumi(dir, ["cancel", "--stack", "dev", "--yes"])).stdout).toContain("The currently running update for 'dev' has been canceled!");
    expect(readdirSync(locks)).toEqual([]);
  });

  test("the program never asks whether it runs a preview (the stand-in's memo shares one evaluation between preview and update on that ground)", () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.c?ts$/.test(e.name) ? [join(dir, e.name)] : []));
    const asking = sources(join(ROOT, "infra")).filter((f) => /isDryRun|dryRun\(/.test(readFileSync(f, "utf8")));
    expect(asking).toEqual([]);
  });

  test("a refusal of the program reaches the user through the real cmd/run as a RunError: its words, no stack, no inspect loop", async () => {
    // On Node 20.20 and 22.23 cmd/run's util.inspect of any other error loops forever on Pulumi's
    // source-mapped stack lines (cli/workflow.ts PULUMI_NODE_LINE): a plain Error thrown by the
    // program would hang this preview until the test's time limit. A RunError is printed as is.
    const dir = makeProject();
    await pulumi(dir, ["stack", "init", "dev", "--non-interactive"]);
    writeFileSync(join(dir, "Pulumi.dev.yaml"), readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8") + "  coding-engine:participants: 1000000\n");
    const r = await pulumi(dir, ["preview", "--stack", "dev", "--non-interactive", "--event-log", join(dir, "events.jsonl")], { PULUMI_DEBUG_COMMANDS: "true" });
    expect(r.exitCode).toBe(1);
    const errors = readFileSync(join(dir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.diagnosticEvent?.severity === "error").map((e) => e.diagnosticEvent.message as string);
    expect(errors[0]).toMatch(/participants/);
    expect(errors[0]).not.toMatch(/\n\s+at /);
  });

  test("a program that leaves the SDK's promises pending fails warm, as cmd/run fails it at exit, so the stand-in answers through cmd/run", async () => {
    // The committed program plus one promise the runtime tracks and that never settles.
    const dir = withPool(makeProject());
    mkdirSync(join(dir, "leaky"));
    symlinkSync(join(ROOT, "dist"), join(dir, "leaky", "dist"));
    writeFileSync(
      join(dir, "leaky", "index.mjs"),
      [
        'import { createRequire } from "node:module";',
        'createRequire(import.meta.url)("@pulumi/pulumi/runtime/debuggable").debuggablePromise(new Promise(() => {}), "never settles");',
        "export const { operations, profile } = await import(`./dist/infra/index.js?leaky=${Date.now()}`);",
        "",
      ].join("\n"),
    );
    const leaky = await startWarmProgram(dir, "leaky/index.mjs");
    const committed = process.env.FAKE_PULUMI_WARM_PROGRAM;
    try {
      process.env.FAKE_PULUMI_WARM_PROGRAM = leaky.env.FAKE_PULUMI_WARM_PROGRAM;
      const request: EvaluationRequest = { programDirectory: dir, main: "leaky/index.mjs", dryRun: true, project: "coding-engine", stack: "dev", config: readStackConfig(dir, "dev"), secretKeys: [], addresses: [], self: {} };
      expect(await evaluateProgram(request, "warm")).toEqual({ error: "the program left promises pending (cmd/run fails such a run)" });
      expect(await evaluateProgram(request)).toMatchObject({ error: "Program exited with non-zero exit code: 1", stderr: expect.stringMatching(/promise was still active/) });
    } finally {
      process.env.FAKE_PULUMI_WARM_PROGRAM = committed;
      await leaky.stop();
    }
  });

  test("the test run's warm program answers as cmd/run does, for a deployment and for a refusal", async () => {
    expect(process.env.FAKE_PULUMI_WARM_PROGRAM).toBeTruthy();
    const dir = withPool(makeProject());
    // manage's request, so the operation's time is the request's, not the clock's: both runs ask the same.
    const operations = JSON.stringify({ basedOn: 0, baseline: "file", operation: { profile: "testing", overrides: {}, expiresAt: "2026-11-23T12:00:00Z", intent: "test", by: "test", at: "2026-11-23T09:00:00Z" } });
    const request = (config: Record<string, string>): EvaluationRequest => ({
      programDirectory: dir,
      main: "dist/infra/index.js",
      dryRun: true,
      project: "coding-engine",
      stack: "dev",
      config,
      secretKeys: [],
      addresses: [],
      // A stack with no outputs yet (null would be no stack at all, which the program's StackReference refuses).
      self: {},
      operations,
    });
    const config = readStackConfig(dir, "dev");
    const warm = await evaluateProgram(request(config), "warm");
    expect(warm).toHaveProperty("resources");
    expect(warm).toEqual(await evaluateProgram(request(config), "cmd/run"));
    // Only for this exact program: a project whose package.json is gone (cmd/run would load main
    // another way) or whose program is another file is left to cmd/run.
    const noPackage = makeProject();
    rmSync(join(noPackage, "package.json"));
    await expect(evaluateProgram({ ...request(config), programDirectory: noPackage }, "warm")).rejects.toThrow(/no warm program/);
    await expect(evaluateProgram({ ...request(config), main: "dist/infra/program.js" }, "warm")).rejects.toThrow(/no warm program/);
    // A refusal (a RunError) reads the same both ways too.
    const refused = request({ ...config, participants: "1000000" });
    const answer = await evaluateProgram(refused, "warm");
    expect(answer).toMatchObject({ error: expect.stringMatching(/participants/) });
    expect(answer).toEqual(await evaluateProgram(refused, "cmd/run"));
  });

  test("the program and the policy pack are loaded by @pulumi/pulumi's own entry points, from their folders, as real pulumi loads them", async () => {
    // A project with a real copy of the committed pack folder (not a link). Each case below is new
    // to the stand-in's memo (it keys the program's package.json and the pack's files), so each
    // starts cmd/run for the program and cmd/run-policy-pack for the pack.
    const dir = withPool(makeProject());
    rmSync(join(dir, "infra", "policy-pack"));
    cpSync(join(ROOT, "infra", "policy-pack"), join(dir, "infra", "policy-pack"), { recursive: true });
    await pulumi(dir, ["stack", "init", "dev", "--non-interactive"]);
    // cmd/run itself, not the test run's warm program (./program-server.mjs), which would answer the committed layout.
    const env = { PULUMI_DEBUG_COMMANDS: "true", FAKE_PULUMI_WARM_PROGRAM: "" };
    const preview = () =>
      pulumi(dir, ["preview", "--stack", "dev", "--non-interactive", "--policy-pack", "infra/policy-pack", "--policy-pack-config", "infra/policy-pack/config.json", "--event-log", join(dir, "events.jsonl")], env);
    const diagnostics = () =>
      readFileSync(join(dir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.diagnosticEvent).map((e) => e.diagnosticEvent.message as string).join("\n");
    // The committed layout loads and its policies judge the program's resources: a pool with egress
    // is refused with the pack server's own message (the policy's description, then the violation).
    expect((await preview()).exitCode).toBe(0);
    writeFileSync(join(dir, "Pulumi.dev.yaml"), readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8") + "  coding-engine:allowSessionEgress: true\n");
    expect((await preview()).exitCode).toBe(1);
    const refused = readFileSync(join(dir, "events.jsonl"), "utf8");
    expect(refused).toMatch(/"policyName":"session-pool-egress-disabled"/);
    expect(refused).toMatch(/"message":"Session pools keep egress disabled[^"]*\\nsession pool session-pool allows egress/);
    // The test run's warm pack (the committed folder, started once the same way) answers alike.
    const linked = makeProject();
    cpSync(join(dir, "Pulumi.dev.yaml"), join(linked, "Pulumi.dev.yaml"));
    await pulumi(linked, ["stack", "init", "dev", "--non-interactive"]);
    const policyEvents = (text: string) => text.trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.policyEvent).map((e) => e.policyEvent);
    expect(process.env.FAKE_PULUMI_WARM_PACK).toBeTruthy();
    const warm = await pulumi(linked, ["preview", "--stack", "dev", "--non-interactive", "--policy-pack", "infra/policy-pack", "--policy-pack-config", "infra/policy-pack/config.json", "--event-log", join(linked, "events.jsonl")], { ...env, FAKE_PULUMI_MEMO: "off" });
    expect(warm.exitCode).toBe(1);
    expect(policyEvents(readFileSync(join(linked, "events.jsonl"), "utf8"))).toEqual(policyEvents(refused));
    // Without the package entry, run-policy-pack's require() of the folder fails as it does under
    // real pulumi (the bug of a PulumiPolicy.yaml-only folder), and the preview fails.
    rmSync(join(dir, "infra", "policy-pack", "package.json"));
    const unloadable = await preview();
    expect(unloadable.exitCode).toBe(1);
    expect(diagnostics()).toMatch(/We failed to locate the entry point for your program: .*policy-pack/);
    expect(unloadable.stderr).toMatch(/error: policy pack .*policy-pack failed to start: could not read plugin \[.*run-policy-pack.*\] stdout: EOF/);
    // The program, likewise: cmd/run loads Pulumi.yaml's main as the package.json above it says. The
    // program is an ES module with top-level await ("type": "module" in package.json); a project
    // folder without package.json makes cmd/run require() it, which Node refuses.
    cpSync(join(ROOT, "infra", "policy-pack", "package.json"), join(dir, "infra", "policy-pack", "package.json"));
    rmSync(join(dir, "package.json"));
    expect((await preview()).exitCode).toBe(1);
    expect(diagnostics()).toMatch(/Running program '.*dist\/infra\/index\.js' failed with an unhandled exception:[\s\S]*ERR_REQUIRE_ASYNC_MODULE/);
  });
});
