// manage status end to end: outputs through the stand-in pulumi, live state through the real
// @azure/arm-appcontainers client against a local ARM-shaped HTTPS server.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { deployed, FAKE_PULUMI_BIN, makeProject, manageDecision, prepare, readState } from "../helpers/cli.js";

/** A directory holding an `az` that answers every token request the way a logged-out CLI does. */
function loggedOutAz(): string {
  const dir = mkdtempSync(join(tmpdir(), "az-"));
  writeFileSync(join(dir, "az"), "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n");
  chmodSync(join(dir, "az"), 0o755);
  return dir;
}
import { ARM_TOKEN, seedFromState, startArmServer, type ArmServer } from "../arm-server/server.js";

let project: string;
let arm: ArmServer;
beforeEach(async () => {
  project = makeProject();
  arm = await startArmServer();
});
afterEach(() => arm.close());

const azure = (extra: Record<string, string> = {}) => ({
  MANAGE_ARM_ENDPOINT: arm.url,
  MANAGE_ARM_TOKEN: ARM_TOKEN,
  NODE_EXTRA_CA_CERTS: arm.caFile,
  ...extra,
});

/** The contest stack scaled to contest for a while: `--for 2h` now, to see the time left. */
async function deployContestFor2h() {
  await prepare(project, "contest");
  const r = await manageDecision(["scale", "--no-wait", "--stack", "contest", "--profile", "contest", "--for", "2h"], { project });
  expect(r.exitCode).toBe(0);
  return readState(project, "contest");
}

/** The same, from the global setup's (its expiry is 3 h after that): for tests not about the time left. */
async function deployContest() {
  await deployed(project, "contest scaled to contest for 3h");
  return readState(project, "contest");
}

describe("manage status", () => {
  test("live values from Azure, no drift, the live burn rate, the expiry", async () => {
    seedFromState(arm, await deployContestFor2h(), { nodeCount: 1, runningReplicas: 2 });
    const r = await manageDecision(["status", "--stack", "contest"], { project, env: azure() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Stack contest: profile contest (max 200, ready 52, cooldown 300 s, sized for 200 participants; backend 1-10 replicas)");
    expect(r.stdout).toMatch(/Returns to idle in 1 h 59 min|Returns to idle in 2 h 0 min/);
    expect(r.stdout).toContain("Session pool:  Succeeded, 1 node(s), max 200, ready 52, cooldown 300 s, EgressDisabled");
    expect(r.stdout).toContain("Backend app:   Succeeded, replicas 1-10, 2 running");
    // One node, two replicas and the contest stack's gateway (accessMode token, its default).
    expect(r.stdout).toMatch(/Burn rate:     \$1\.\d\d\/hour, \$\d\d\.\d\d\/day \(live: 1 E16 node\(s\), 2 backend replica\(s\), the Basic gateway\)/);
    expect(r.stdout).toContain("Access:        token: API Management (Basic) in front, a subscription key (Ocp-Apim-Subscription-Key) required, 60 calls a minute per caller");
    expect(r.stdout).toContain("Drift:         none");
    expect(r.stdout).toMatch(/Pool endpoint: https:\/\/eastus\.dynamicsessions\.io\/.*codeengcontestpool/);
    // The real SDK asked with its own api-version.
    expect(arm.requests.some((q) => q.includes("/sessionPools/codeengcontestpool?api-version=2025-07-01"))).toBe(true);
  });

  test("someone scaled in the portal: drift is named, with the fix", async () => {
    seedFromState(arm, await deployContest());
    const poolId = [...arm.resources.keys()].find((k) => k.endsWith("/sessionpools/codeengcontestpool"))!;
    arm.resources.get(poolId)!.properties.scaleConfiguration = { maxConcurrentSessions: 200, readySessionInstances: 20 };
    const appId = [...arm.resources.keys()].find((k) => k.endsWith("/containerapps/codeeng-contest-backend"))!;
    arm.resources.get(appId)!.properties.template.scale.maxReplicas = 3;
    const r = await manageDecision(["status", "--stack", "contest", "--json"], { project, env: azure() });
    const out = JSON.parse(r.stdout);
    expect(out.drift).toEqual([
      { what: "pool ready sessions", stack: "52", azure: "20" },
      { what: "backend max replicas", stack: "10", azure: "3" },
    ]);
    const human = await manageDecision(["status", "--stack", "contest"], { project, env: azure() });
    expect(human.stdout).toContain("`manage up --stack contest` restores the stack's settings");
    expect(human.stdout).toContain("pool ready sessions: stack 52, Azure 20");
  });

  test("a pool deleted by hand while the stack says contest", async () => {
    const state = await deployContest();
    seedFromState(arm, state.filter((r) => !r.urn.endsWith("::session-pool")));
    const out = JSON.parse((await manageDecision(["status", "--stack", "contest", "--json"], { project, env: azure() })).stdout);
    expect(out.live.pool).toEqual({ exists: false });
    expect(out.drift).toContainEqual({ what: "session pool", stack: "exists", azure: "missing" });
  });

  test("not logged in to Azure: says so, and still shows the stack, its outputs and an estimate", async () => {
    await deployContest();
    const r = await manageDecision(["status", "--stack", "contest"], {
      project,
      // No token, no service principal, and an Azure CLI that is installed but logged out.
      env: { MANAGE_ARM_ENDPOINT: arm.url, NODE_EXTRA_CA_CERTS: arm.caFile },
      path: `${FAKE_PULUMI_BIN}:${loggedOutAz()}:${process.env.PATH}`,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("live state: not logged in to Azure: run `az login`");
    expect(r.stdout).toContain("Stack contest: profile contest");
    expect(r.stdout).toMatch(/Backend: +https:\/\/codeeng-contest-gw\.azure-api\.net \(the gateway; the app itself: https:\/\/codeeng-contest-backend\./);
    expect(r.stdout).toContain("(estimated from the contest profile (live state unavailable))");
    expect(arm.requests).toEqual([]);
  });

  test("403 from ARM: which permission is missing", async () => {
    seedFromState(arm, await deployContest());
    arm.fail("/sessionpools/", 403, "AuthorizationFailed");
    const r = await manageDecision(["status", "--stack", "contest"], { project, env: azure() });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("your Azure identity may not read session pool codeengcontestpool (403 AuthorizationFailed): ask for Reader on the resource group");
  });

  test("a stack never deployed: what to run", async () => {
    const r = await manageDecision(["status"], { project, env: azure() });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("stack dev has not been deployed yet");
    expect(r.stderr).toContain("run `manage up --stack dev`");
  });

  test("an expiry in the past is shouted about", async () => {
    await deployContest();
    const expiresAt = readState(project, "contest").find((r) => r.type === "pulumi:pulumi:Stack")!.outputs.operations.expiresAt as string;
    // Three hours on: the scheduled job has not run yet.
    const later = { ...azure(), MANAGE_NOW: new Date(Date.parse(expiresAt) + 3600_000).toISOString() };
    const r = await manageDecision(["status", "--stack", "contest", "--json"], { project, env: later });
    expect(JSON.parse(r.stdout)).toMatchObject({ expired: true, expiresAt: new Date(expiresAt).toISOString() });
    const human = await manageDecision(["status", "--stack", "contest"], { project, env: later });
    expect(human.stdout).toMatch(/EXPIRED .* ago .*run `manage stop --stack contest`/);
  });
});
