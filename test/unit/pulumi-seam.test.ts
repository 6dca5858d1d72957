// The pulumi seam's pure parts: the command lines (held to the real CLI's syntax), the meaning of
// its exit codes and messages, its event stream, and where state goes.
import { describe, expect, test } from "vitest";
import { INSTALL_HINT, pluginInstallCommand, resourceUrn, versionAtLeast, versionRefusal, MIN_PULUMI_VERSION, PINNED_PULUMI_VERSION } from "../../cli/pulumi/argv.js";
import { explainFailure, unreadableState, type FailureInput } from "../../cli/pulumi/failures.js";
import { describeChanges, progressLine, progressOf, type EngineEvent } from "../../cli/pulumi/events.js";
import { chooseBackend, embeddedBackendEmpty } from "../../cli/pulumi/backend.js";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyConfig, describePlan, destructiveSteps } from "../../cli/change.js";

describe("versions and plugins", () => {
  test("versions compare numerically; the minimum and the pinned version are real releases", () => {
    expect(versionAtLeast("v3.230.0\n", MIN_PULUMI_VERSION)).toBe(true);
    expect(versionAtLeast("3.188.0", MIN_PULUMI_VERSION)).toBe(true);
    expect(versionAtLeast("3.187.9", MIN_PULUMI_VERSION)).toBe(false);
    expect(versionAtLeast("3.1000.0", MIN_PULUMI_VERSION)).toBe(true);
    expect(versionAtLeast("2.999.9", MIN_PULUMI_VERSION)).toBe(false);
    expect(versionAtLeast("not a version", MIN_PULUMI_VERSION)).toBe(false);
    expect(versionRefusal("3.230.0-alpha.1")).toBeUndefined();
    // Read as semver coerces a version (review rv10 F1): a short one is completed, a leading zero or
    // text before it is not a version pulumi prints (version.go prints "v" and the whole version).
    expect(versionRefusal("3.230")).toBeUndefined();
    expect(versionRefusal("v4")).toBeUndefined();
    expect(versionRefusal("3.187")).toMatch(/^pulumi 3\.187 is too old/);
    // Text that names no version is said as printed, not called an old pulumi.
    expect(versionRefusal("")).toBe(`\`pulumi version\` printed nothing, which names no version: manage needs ${MIN_PULUMI_VERSION} or newer; check which pulumi is first on PATH, or ${INSTALL_HINT}`);
    expect(versionRefusal("pulumi wrapper: no such tool")).toMatch(/^`pulumi version` printed "pulumi wrapper: no such tool", which names no version: manage needs/);
    expect(versionRefusal("v")).toMatch(/^`pulumi version` printed "v", which names no version: manage needs/);
    expect(versionRefusal("v3.187.0")).toMatch(/^pulumi 3\.187\.0 is too old/);
    expect(versionRefusal("warning: a newer wrapper exists\nv3.100.0")).toMatch(/^pulumi 3\.100\.0 is too old: manage needs/);
    // There was never a 3.226.1: tags go 3.226.0 -> 3.227.0 (pulumi/pulumi).
    expect([MIN_PULUMI_VERSION, PINNED_PULUMI_VERSION]).not.toContain("3.226.1");
    expect(versionAtLeast(PINNED_PULUMI_VERSION, MIN_PULUMI_VERSION)).toBe(true);
  });
  test("the plugin command names the azure-native version the lock file pins", async () => {
    const lock = JSON.parse((await import("node:fs")).readFileSync(new URL("../../package-lock.json", import.meta.url), "utf8"));
    const version = lock.packages["node_modules/@pulumi/azure-native"].version;
    expect(pluginInstallCommand()).toBe(`pulumi plugin install resource azure-native v${version}`);
    expect(resourceUrn("dev", "azure-native:containerregistry:Registry", "registry")).toBe("urn:pulumi:dev::coding-engine::azure-native:containerregistry:Registry::registry");
  });
});

describe("what a failure means (the real CLI's texts, pulumi/pulumi v3.230.0)", () => {
  const failure = (f: Partial<FailureInput>) =>
    explainFailure({ command: "up", stack: "dev", exitCode: 1, stderr: "", errors: [], policyViolations: [], ...f });

  test("a failed update exits 1 with nothing useful on stderr: the cause is Azure's text in the error diagnostics", () => {
    const f = failure({ errors: ['Status=400 Code="InvalidParameterValue" Message="cpu 3 is out of range"\n', "update failed\n"] });
    expect(f).toMatchObject({ kind: "failed", exitCode: 1 });
    expect(f.message).toBe('pulumi up of dev failed: Status=400 Code="InvalidParameterValue" Message="cpu 3 is out of range"');
  });
  test("a failed preview with only the engine's summary still says something", () => {
    expect(failure({ command: "preview", errors: ["preview failed\n"], stderr: "" }).message).toBe("pulumi preview of dev failed: exit 1, no error text");
  });
  test.each([
    ["error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.", "locked", 1],
    ["error: getting stack configuration: get stack secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables", "passphrase", 2],
    ["error: Stack 'dev' is missing configuration values 'a' and 'b'", "config", 2],
    ["error: Stack 'dev' with configuration key 'logRetentionDays' must be of type 'integer'", "config", 2],
    ["error: --yes or --skip-preview or --preview-only must be passed in to proceed when running in non-interactive mode", "needs-yes", 2],
    ["error: no stack named 'dev' found", "no-stack", 1],
  ] as const)("%s -> %s, exit %i", (stderr, kind, exitCode) => {
    expect(failure({ stderr })).toMatchObject({ kind, exitCode });
  });
  test("protected resources: a replace or delete is refused as bad input, naming what", () => {
    const f = failure({
      command: "preview",
      errors: ['unable to replace resource "urn:pulumi:dev::coding-engine::azure-native:managedidentity:UserAssignedIdentity::identity"\nas it is currently marked for protection. To unprotect...'],
    });
    expect(f).toMatchObject({ kind: "protected", exitCode: 2 });
    expect(f.message).toContain("would replace identity, which is protected");
  });
  test("a policy pack the engine cannot start (pulumi's analyzer_plugin.go texts): exit 2, nothing ran, npm ci named", () => {
    for (const stderr of [
      "error: policy pack /p/infra/policy-pack failed to start: could not read plugin [/p/node_modules/@pulumi/pulumi/cmd/run-policy-pack/index.js] stdout: EOF\n",
      'error: it looks like the policy pack\'s dependencies are not installed; try running npm install or yarn install in "/p/infra/policy-pack"\n',
    ]) {
      const f = failure({ command: "preview", stderr });
      expect(f).toMatchObject({ kind: "policy-pack", exitCode: 2 });
      expect(f.message).toMatch(/^the policy pack did not load, so pulumi ran nothing: /);
      expect(f.fix).toContain("npm ci");
    }
  });

  test("mandatory policy violations are bad input (exit 2) with the policy's own words", () => {
    const f = failure({ command: "preview", errors: ["preview failed\n"], policyViolations: ["[session-pool-egress-disabled] session pool allows egress"] });
    expect(f).toMatchObject({ kind: "policy", exitCode: 2 });
    expect(f.message).toContain("session pool allows egress");
  });
  test("a stack policy that fails an update after its steps (AnalyzeStack runs once they completed) is no refusal: exit 1, applied, what runs and how to settle it", () => {
    const violation = ["[backend-caller-restricted] backend admits 0.0.0.0/0"];
    const after = failure({ command: "up", errors: ["update failed\n"], policyViolations: violation, applied: 3 });
    expect(after).toMatchObject({ kind: "policy-after-update", exitCode: 1 });
    expect(after.message).toBe("the update was applied (3 resource(s) changed), then a mandatory policy failed it: [backend-caller-restricted] backend admits 0.0.0.0/0. What the update made runs now");
    expect(after.fix).toBe("`manage status --stack dev` shows what runs; `manage stop --stack dev` returns it to idle, or change the stack's config so the policy passes and `manage up --stack dev`");
    // Refused before any step (a resource policy, or nothing changed yet): nothing was touched, exit 2.
    expect(failure({ command: "up", policyViolations: violation, applied: 0 })).toMatchObject({ kind: "policy", exitCode: 2 });
    expect(failure({ command: "preview", policyViolations: violation, applied: 0 })).toMatchObject({ kind: "policy", exitCode: 2 });
  });
  test("every fix that runs pulumi goes through manage, so it has the project's backend and passphrase", () => {
    expect(failure({ stderr: "error: the stack is currently locked by 1 lock(s)." }).fix).toContain("`manage pulumi -- cancel --stack dev --yes`");
    expect(failure({ errors: ["the current deployment has 1 resource(s) with pending operations"] }).fix).toContain("`manage pulumi -- refresh --stack dev --yes --clear-pending-creates`");
  });
});

describe("a state that cannot be read: the fix by its cause", () => {
  test("a passphrase pulumi refuses: the state is intact, so the fix is the passphrase (exit 2), never an import over it; a damaged checkpoint: its history and an import (exit 1)", () => {
    // pulumi/pulumi v3.239's text for a ciphertext the passphrase manager cannot open (manager.go errorCrypter).
    const stderr = "error: could not deserialize deployment: failed to decrypt: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase or set PULUMI_CONFIG_PASSPHRASE_FILE to a file containing the passphrase";
    const passphrase = explainFailure({ command: "stack output", stack: "contest", exitCode: 1, stderr, errors: [], policyViolations: [] });
    const wrong = unreadableState("contest", passphrase.message, passphrase);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.fix).toMatch(/^set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE to the stack's passphrase/);
    expect(wrong.fix).not.toContain("stack import");
    expect(wrong.reason).toMatch(/^pulumi cannot read the secrets of stack contest: .*incorrect passphrase.* \(the state itself is intact: do not import an older one over it\)$/);
    const truncated = explainFailure({ command: "stack export", stack: "contest", exitCode: 1, stderr: "error: failed to load checkpoint: unexpected end of JSON input", errors: [], policyViolations: [] });
    const damaged = unreadableState("contest", `${truncated.message}\n  Fix: ${truncated.fix}`, truncated);
    expect(damaged).toMatchObject({ exitCode: 1, reason: "pulumi stack export of contest failed: failed to load checkpoint: unexpected end of JSON input" });
    expect(damaged.fix).toContain("`manage pulumi -- stack import --stack contest --file <state.json>`");
    // An error that is no pulumi failure (no explanation): the state's own recovery.
    expect(unreadableState("contest", "spawn pulumi EACCES").fix).toContain("stack history --stack contest");
  });
  test("a listing of every stack that fails (`stack ls`) names no stack, and suggests no command manage would refuse (rv14: `manage status --stack '*'`)", () => {
    const listing = explainFailure({ command: "stack ls", stack: "*", exitCode: 1, stderr: "error: failed to load checkpoint: unexpected end of JSON input", errors: [], policyViolations: [] });
    expect(listing.message).toBe("pulumi stack ls failed: failed to load checkpoint: unexpected end of JSON input");
    expect(listing.fix).toBe("fix the cause (the state backend, or a stack's checkpoint: `manage doctor` checks both) and run the command again");
    expect(listing.fix).not.toContain("--stack");
  });
});

describe("the event stream", () => {
  // Events in the real shape (sdk/go/common/apitype/events.go): old/new null, provider always there.
  const meta = (op: string, name: string, type = "azure-native:app:ContainerApp") =>
    ({ metadata: { op, urn: `urn:pulumi:dev::coding-engine::${type}::${name}`, type, old: null, new: null, detailedDiff: null, provider: "" } }) as never;
  const event = (e: Record<string, unknown>) => ({ sequence: 1, timestamp: 0, ...e }) as EngineEvent;
  test("resource steps become progress lines; unchanged resources and the stack stay quiet", () => {
    expect(progressLine(progressOf(event({ resourcePreEvent: meta("create", "backend") }))!)).toBe("  creating backend ...");
    expect(progressLine(progressOf(event({ resOutputsEvent: meta("delete", "session-pool") }))!)).toBe("  deleted session-pool");
    expect(progressOf(event({ resourcePreEvent: meta("same", "registry") }))).toBeNull();
    expect(progressOf(event({ resourcePreEvent: meta("create", "coding-engine-dev", "pulumi:pulumi:Stack") }))).toBeNull();
    expect(progressOf(event({ resourcePreEvent: meta("create", "default_3_28_0", "pulumi:providers:azure-native") }))).toBeNull();
  });
  test("error diagnostics surface with their resource; the summary counts changes", () => {
    const urn = "urn:pulumi:dev::coding-engine::azure-native:app:ContainerAppsSessionPool::pool";
    // "error: " travels in prefix, not in message (pkg/engine/eventsink.go).
    expect(progressLine(progressOf(event({ diagnosticEvent: { urn, prefix: "error: ", color: "never", severity: "error", message: "\u001b[31mboom\u001b[0m\n" } }))!)).toBe("  error (pool): boom");
    expect(progressOf(event({ summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { create: 1, same: 6 }, policyPacks: {} } }))).toEqual({ kind: "summary", durationSeconds: 3, changes: { create: 1, same: 6 } });
    expect(describeChanges({ create: 1, update: 2, delete: 1, same: 5 })).toBe("1 created, 2 updated, 1 deleted");
    expect(describeChanges({ same: 7 })).toBe("no changes");
  });
});

describe("where state goes", () => {
  test("embedded local backend with a passphrase file when nothing is configured", () => {
    const c = chooseBackend({}, "/proj", null);
    expect(c.env).toEqual({ PULUMI_BACKEND_URL: "file:///proj/.pulumi-state", PULUMI_CONFIG_PASSPHRASE_FILE: "/proj/.pulumi-state/passphrase" });
    expect(c.secretsProvider).toBe("passphrase");
  });
  test("a passphrase from the environment is used as it is", () => {
    expect(chooseBackend({ PULUMI_CONFIG_PASSPHRASE: "x" }, "/proj", null).env).toEqual({ PULUMI_BACKEND_URL: "file:///proj/.pulumi-state" });
  });
  test("an embedded backend with no stack in it is empty, even when its folder exists: a first change is judged before anything is written there", () => {
    const proj = mkdtempSync(join(tmpdir(), "backend-"));
    const choice = chooseBackend({}, proj, null);
    expect(embeddedBackendEmpty(choice)).toBe(true);
    mkdirSync(join(proj, ".pulumi-state"));
    expect(embeddedBackendEmpty(choice)).toBe(true);
    // Where the DIY backend keeps stacks (pkg/backend/diy/store.go StacksDir).
    mkdirSync(join(proj, ".pulumi-state", ".pulumi", "stacks"), { recursive: true });
    expect(embeddedBackendEmpty(choice)).toBe(false);
    expect(embeddedBackendEmpty(chooseBackend({ PULUMI_BACKEND_URL: "azblob://state" }, proj, null))).toBe(false);
  });
  test("PULUMI_BACKEND_URL and a pulumi login always win", () => {
    expect(chooseBackend({ PULUMI_BACKEND_URL: "azblob://state" }, "/proj", null)).toMatchObject({ env: {}, embedded: false });
    expect(chooseBackend({}, "/proj", "https://api.pulumi.com")).toMatchObject({ env: {}, embedded: false, description: "state in https://api.pulumi.com (pulumi login)" });
  });
});

describe("changes", () => {
  test("config changes apply and remove keys, and paths reach into profileOverrides as config set --path does", () => {
    const raw = { profile: "contest", profileOverrides: '{"contest":{"maxSessions":80},"idle":{"backendMinReplicas":1}}' };
    expect(applyConfig(raw, { profile: "idle", "profileOverrides.idle.backendMinReplicas": null, "profileOverrides.testing.readySessions": "2" })).toEqual({
      profile: "idle",
      profileOverrides: '{"contest":{"maxSessions":80},"idle":{},"testing":{"readySessions":2}}',
    });
  });
  test("deletions and replacements are destructive; the plan reads like pulumi's", () => {
    // A replacement arrives as create-replacement, replace and (later) delete-replaced
    // (pkg/resource/deploy/step_generator.go); a person sees one line with the reason.
    const steps = [
      { op: "same", urn: "u::registry", type: "azure-native:containerregistry:Registry" },
      { op: "update", urn: "u::backend", type: "azure-native:app:ContainerApp", diffs: ["template"] },
      { op: "create-replacement", urn: "u::environment", type: "azure-native:app:ManagedEnvironment", replaceKeys: ["environmentName"] },
      { op: "replace", urn: "u::environment", type: "azure-native:app:ManagedEnvironment", replaceKeys: ["environmentName"] },
      { op: "delete", urn: "u::session-pool", type: "azure-native:app:ContainerAppsSessionPool" },
      { op: "delete-replaced", urn: "u::environment", type: "azure-native:app:ManagedEnvironment", replaceKeys: ["environmentName"] },
    ];
    expect(destructiveSteps(steps).map((s) => s.urn)).toEqual(["u::environment", "u::session-pool"]);
    expect(describePlan(steps)).toEqual([
      "  ~ update backend (app:ContainerApp)",
      "  +- replace environment (app:ManagedEnvironment): environmentName changed, so Azure recreates it",
      "  - delete session-pool (app:ContainerAppsSessionPool)",
    ]);
  });
});

test("manage says what `pulumi version` printed, as printed: a bare \"v\" is not \"nothing\"; a version is read without its v", async () => {
  const { installedPulumiVersion, pulumiCli } = await import("../../cli/pulumi/process.js");
  const run = pulumiCli.run;
  const printing = (stdout: string) => (pulumiCli.run = async () => ({ stdout, stderr: "", exitCode: 0 }));
  try {
    printing("v\n");
    await expect(installedPulumiVersion()).rejects.toThrow(/^`pulumi version` printed "v", which names no version/);
    printing("v3.187.0\n");
    await expect(installedPulumiVersion()).rejects.toThrow(/^pulumi 3\.187\.0 is too old/);
    printing("v3.230.0\n");
    await expect(installedPulumiVersion()).resolves.toBe("3.230.0");
  } finally {
    pulumiCli.run = run;
  }
});

test("a version read from a wrapper's lines, an upper-case V or a short \"3.230\" is the version alone: doctor says `pulumi v3.230.0`, not the text around it (rv17)", async () => {
  const { installedPulumiVersion, pulumiCli } = await import("../../cli/pulumi/process.js");
  const run = pulumiCli.run;
  const printing = (stdout: string) => (pulumiCli.run = async () => ({ stdout, stderr: "", exitCode: 0 }));
  try {
    for (const [stdout, version] of [
      ["warning: using pulumi from ~/.pulumi/bin\nv3.230.0\n", "3.230.0"],
      ["pulumi v3.230.0\n", "3.230.0"],
      ["V3.230.0\n", "3.230.0"],
      ["3.230\n", "3.230.0"],
      // A clean version line is read as before, prerelease and build included.
      ["v3.230.0-dev.0\n", "3.230.0-dev.0"],
      ["v3.230.0+abc\n", "3.230.0+abc"],
      ["3.230.0", "3.230.0"],
    ]) {
      printing(stdout!);
      await expect(installedPulumiVersion(), JSON.stringify(stdout)).resolves.toBe(version);
    }
  } finally {
    pulumiCli.run = run;
  }
});
