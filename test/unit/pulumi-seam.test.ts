// The pulumi seam's pure parts: the command lines (held to the real CLI's syntax), the meaning of
// its exit codes and messages, its event stream, and where state goes.
import { describe, expect, test } from "vitest";
import {
  configRmArgv,
  configSetArgv,
  parseVersion,
  previewArgv,
  resourceUrn,
  stackExportArgv,
  stackInitArgv,
  upArgv,
  versionAtLeast,
} from "../../cli/pulumi/argv.js";
import { explainFailure } from "../../cli/pulumi/failures.js";
import { describeChanges, progressLine, progressOf } from "../../cli/pulumi/events.js";
import { chooseBackend } from "../../cli/pulumi/backend.js";
import { applyConfig, describePlan, destructiveSteps } from "../../cli/change.js";

describe("command lines", () => {
  test("up never prompts and streams JSON events", () => {
    expect(upArgv("contest")).toEqual(["up", "--stack", "contest", "--yes", "--skip-preview", "--non-interactive", "--json"]);
    expect(upArgv("dev", [resourceUrn("dev", "azure-native:containerregistry:Registry", "registry")])).toEqual([
      ...upArgv("dev"),
      "--target",
      "urn:pulumi:dev::coding-engine::azure-native:containerregistry:Registry::registry",
    ]);
  });
  test("preview prints one JSON object; config keys carry the project namespace", () => {
    expect(previewArgv("dev")).toEqual(["preview", "--stack", "dev", "--json", "--non-interactive"]);
    expect(configSetArgv("dev", "contestMaxSessions", "80")).toEqual([
      "config", "set", "coding-engine:contestMaxSessions", "80", "--stack", "dev", "--non-interactive",
    ]);
    expect(configRmArgv("dev", "profileExpiresAt")).toEqual(["config", "rm", "coding-engine:profileExpiresAt", "--stack", "dev", "--non-interactive"]);
    expect(stackExportArgv("dev")).toEqual(["stack", "export", "--stack", "dev", "--non-interactive"]);
    expect(stackInitArgv("dev", "passphrase")).toEqual(["stack", "init", "dev", "--non-interactive", "--secrets-provider", "passphrase"]);
  });
  test("versions compare numerically", () => {
    expect(parseVersion("v3.230.0\n")).toEqual([3, 230, 0]);
    expect(versionAtLeast([3, 226, 1], "3.226.1")).toBe(true);
    expect(versionAtLeast([3, 226, 0], "3.226.1")).toBe(false);
    expect(versionAtLeast([3, 1000, 0], "3.226.1")).toBe(true);
    expect(versionAtLeast([2, 999, 9], "3.226.1")).toBe(false);
    expect(parseVersion("not a version")).toBeNull();
  });
});

describe("what a failure means", () => {
  test.each([
    [2, "error: --yes or --skip-preview must be passed in to proceed when running in non-interactive mode", "needs-yes"],
    [2, "error: invalid configuration key", "config"],
    [3, "error: failed to get access token", "auth"],
    [4, "error: creating pool: ProvisioningFailed", "resource"],
    [6, "error: no stack named 'dev' found", "no-stack"],
    [8, "", "canceled"],
    [255, "error: the stack is currently locked by 1 lock(s).", "locked"],
    [1, "error: the current deployment has 1 resource(s) with pending operations", "failed"],
  ] as const)("exit %i with %j is %s", (code, stderr, kind) => {
    expect(explainFailure(code, stderr, "dev", "up").kind).toBe(kind);
  });
  test("the message names the fix", () => {
    expect(explainFailure(255, "error: the stack is currently locked by 1 lock(s).", "dev", "up").message).toContain("pulumi cancel --stack dev --yes");
    expect(explainFailure(3, "error: failed to get access token", "dev", "up").message).toContain("az login");
    expect(explainFailure(1, "pending operations", "dev", "up").message).toContain("pulumi refresh --stack dev");
  });
});

describe("the event stream", () => {
  const meta = (op: string, name: string) => ({ metadata: { op, urn: `urn:pulumi:dev::coding-engine::azure-native:app:ContainerApp::${name}`, type: "azure-native:app:ContainerApp" } });
  test("resource steps become progress lines; unchanged resources and the stack stay quiet", () => {
    expect(progressLine(progressOf({ resourcePreEvent: meta("create", "backend") })!)).toBe("  creating backend ...");
    expect(progressLine(progressOf({ resOutputsEvent: meta("delete", "session-pool") })!)).toBe("  deleted session-pool");
    expect(progressOf({ resourcePreEvent: meta("same", "registry") })).toBeNull();
    expect(progressOf({ resourcePreEvent: { metadata: { op: "create", urn: "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", type: "pulumi:pulumi:Stack" } } })).toBeNull();
  });
  test("error diagnostics surface with their resource; the summary counts changes", () => {
    expect(progressLine(progressOf({ diagnosticEvent: { urn: meta("create", "pool").metadata.urn, severity: "error", message: "\u001b[31mboom\u001b[0m\n" } })!)).toBe("  error (pool): boom");
    expect(progressOf({ summaryEvent: { durationSeconds: 3, resourceChanges: { create: 1, same: 6 } } })).toEqual({ kind: "summary", durationSeconds: 3, changes: { create: 1, same: 6 } });
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
  test("PULUMI_BACKEND_URL and a pulumi login always win", () => {
    expect(chooseBackend({ PULUMI_BACKEND_URL: "azblob://state" }, "/proj", null)).toMatchObject({ env: {}, embedded: false });
    expect(chooseBackend({}, "/proj", "https://api.pulumi.com")).toMatchObject({ env: {}, embedded: false, description: "state in https://api.pulumi.com (pulumi login)" });
  });
});

describe("changes", () => {
  test("config changes apply and remove keys without touching the rest", () => {
    expect(applyConfig({ profile: "contest", contestMaxSessions: "80", idleBackendMinReplicas: "1" }, { profile: "idle", idleBackendMinReplicas: null })).toEqual({
      profile: "idle",
      contestMaxSessions: "80",
    });
  });
  test("deletions and replacements are destructive; the plan reads like pulumi's", () => {
    const steps = [
      { op: "same", urn: "u::registry", type: "azure-native:containerregistry:Registry" },
      { op: "update", urn: "u::backend", type: "azure-native:app:ContainerApp" },
      { op: "delete", urn: "u::session-pool", type: "azure-native:app:ContainerAppsSessionPool" },
      { op: "replace", urn: "u::environment", type: "azure-native:app:ManagedEnvironment" },
    ];
    expect(destructiveSteps(steps).map((s) => s.urn)).toEqual(["u::session-pool", "u::environment"]);
    expect(describePlan(steps)).toEqual([
      "  ~ update backend (app:ContainerApp)",
      "  - delete session-pool (app:ContainerAppsSessionPool)",
      "  +- replace environment (app:ManagedEnvironment)",
    ]);
  });
});
