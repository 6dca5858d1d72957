// manage doctor end to end: the stand-in pulumi for the stack, the real Azure SDKs against the local
// ARM server, the fake az for tools and images, and a local backend and pool that really run code.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FAKE_AZ_BIN, makeProject, manageDecision, prepare, readState } from "../helpers/cli.js";
import { localCertificate } from "../helpers/tls.js";
import { ARM_TOKEN, CONTRIBUTOR, seedFromState, startArmServer, type ArmServer } from "../arm-server/server.js";
import { POOL_TOKEN, startExecServer, type ExecServer } from "../exec-server/server.js";
import { startGate, type Gate } from "../gate/server.js";
import { azureMocks } from "../../cli/offline/azure-mocks.js";
import { ROOT } from "../helpers/program.js";
import { GATEWAY_CREATE_MINUTES } from "../../infra/access-mode.js";
import { SECRET_SIG, SIG_KEY } from "../fake-pulumi/secrets.js";

interface DoctorJson {
  ok: boolean;
  checks: Array<{ name: string; verdict: string; detail: string; fix?: string }>;
}

let exec: ExecServer;
let arm: ArmServer;
let project: string;
let env: Record<string, string>;

beforeAll(async () => {
  const certificate = await localCertificate();
  exec = await startExecServer({ tls: certificate });
  arm = await startArmServer(certificate);
  project = makeProject();
  env = {
    FAKE_PULUMI_BACKEND_FQDN: new URL(exec.url).host,
    FAKE_PULUMI_POOL_ENDPOINT: `${exec.url}/pool`,
    NODE_EXTRA_CA_CERTS: certificate.caFile,
    MANAGE_ARM_ENDPOINT: arm.url,
    MANAGE_ARM_TOKEN: ARM_TOKEN,
    MANAGE_SESSIONS_TOKEN: POOL_TOKEN,
  };
  await prepare(project, "dev");
  const r = await manageDecision(["scale", "--profile", "testing", "--no-wait"], { project, env });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  seedFromState(arm, readState(project, "dev"));
  // What README's "Deploying for real" says to do ahead of an offline first preview.
  const plugin = await manageDecision(["pulumi", "--", "plugin", "install", "resource", "azure-native", "v3.28.0"], { project, env });
  if (plugin.exitCode !== 0) throw new Error(plugin.stderr);
});
afterAll(async () => {
  await exec.close();
  await arm.close();
});

const doctor = async (extra: Record<string, string> = {}, path?: string) => {
  const r = await manageDecision(["doctor", "--json"], { project, env: { ...env, ...extra }, path });
  return { ...r, report: JSON.parse(r.stdout) as DoctorJson };
};
const check = (report: DoctorJson, name: string) => report.checks.find((c) => c.name === name)!;

describe("manage doctor", () => {
  test("a working deployment: every check passes, code runs through the backend and straight on the pool", async () => {
    const { exitCode, report } = await doctor();
    expect(report.checks.map((c) => [c.name, c.verdict])).toEqual([
      // Node 20 still works, past its end of life: a warning with the way on.
      ["node", process.versions.node.startsWith("20.") ? "warn" : "ok"],
      ["policy pack", "ok"],
      ["az", "ok"],
      ["pulumi", "ok"],
      ["azure-native plugin", "ok"],
      ["state backend", "ok"],
      ["stack", "ok"],
      ["azure login", "ok"],
      ["role permission", "ok"],
      ["AcrPull", "ok"],
      ["Session Executor", "ok"],
      ["session pool", "ok"],
      ["images", "ok"],
      // dev is open by choice: said, as a warning.
      ["access", "warn"],
      ["backend health", "ok"],
      ["execution (backend)", "ok"],
      ["execution (pool)", "ok"],
    ]);
    expect(exitCode).toBe(0);
    expect(check(report, "Session Executor").detail).toBe("granted to the identity on pool codeengdevpool");
    expect(check(report, "execution (pool)").detail).toMatch(/straight against the pool \(POST \/python\/execute\)/);
    // The probe went to the pool with an identifier and no api-version, as a custom-container pool wants.
    expect(exec.requests.some((q) => q.path === "/pool/python/execute" && q.status === 200)).toBe(true);
    const text = await manageDecision(["doctor"], { project, env });
    expect(text.stdout.trim().split("\n").at(-1)).toBe("All 17 checks passed or do not apply: code runs on stack dev.");
    expect(check(report, "access")).toMatchObject({ detail: "open: anyone on the internet who finds the backend's URL can run code", fix: expect.stringMatching(/set accessMode token in Pulumi\.dev\.yaml/) });
  });

  test("the earlier deployment's failure: a Contributor deployer, no Session Executor, 403 on every run", async () => {
    const saved = [...arm.assignments];
    arm.permissions.splice(0, arm.permissions.length, ...CONTRIBUTOR);
    arm.assignments.splice(0, arm.assignments.length, ...saved.filter((a) => !a.roleDefinitionId.endsWith("0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0")));
    exec.fault(403, Number.POSITIVE_INFINITY, "Forbidden");
    try {
      const { exitCode, report, stderr } = await doctor();
      expect(exitCode).toBe(1);
      expect(stderr).toMatch(/doctor: 3 check\(s\) failed: role permission, Session Executor, execution \(backend\)/);
      expect(check(report, "role permission").fix).toMatch(/roleAssignmentMode external --stack dev/);
      const principal = readState(project, "dev").find((r) => r.type === "azure-native:managedidentity:UserAssignedIdentity")!.outputs.principalId;
      expect(check(report, "Session Executor").fix).toBe(
        `az role assignment create --assignee-object-id ${principal} --assignee-principal-type ServicePrincipal ` +
          `--role 0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0 --scope /subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/codeeng-dev-rg/providers/Microsoft.App/sessionPools/codeengdevpool`,
      );
      expect(check(report, "execution (backend)").detail).toMatch(/^403: the backend's identity lacks Azure ContainerApps Session Executor/);
      expect(check(report, "AcrPull").verdict).toBe("ok");
    } finally {
      arm.permissions.splice(0, arm.permissions.length, { actions: ["*"], notActions: [] });
      arm.assignments.splice(0, arm.assignments.length, ...saved);
      exec.clearFaults();
    }
  });

  test("a missing image, a wrong pool route and a token for the wrong audience are each named with the fix", async () => {
    const azState = join(project, ".fake-az.json");
    const saved = readFileSync(azState, "utf8");
    const registries = JSON.parse(saved) as Record<string, Record<string, string[]>>;
    registries.codeengdevacr!["coding-engine/session"] = [];
    writeFileSync(azState, JSON.stringify(registries));
    try {
      const { report } = await doctor({ MANAGE_SESSIONS_TOKEN: "a-management-token" });
      expect(check(report, "images")).toMatchObject({ verdict: "fail", detail: "missing from codeengdevacr: coding-engine/session:v1" });
      expect(check(report, "images").fix).toContain("manage images import --stack dev --from <source-registry>/coding-engine/session:v1");
      expect(check(report, "execution (pool)").detail).toMatch(/^401: the pool refused the backend's token \(wrong audience\)/);
    } finally {
      writeFileSync(azState, saved);
    }
    const route = await manageDecision(["doctor", "--json", "--pool-path", "/execute"], { project, env });
    expect(check(JSON.parse(route.stdout) as DoctorJson, "execution (pool)").detail).toMatch(/^404: .*no such route.*\(POST \/execute\)/);
  });

  test("not logged in to Azure: says so, skips what needs Azure, still checks the backend", async () => {
    const rest = Object.fromEntries(Object.entries(env).filter(([k]) => !k.endsWith("_TOKEN")));
    const r = await manageDecision(["doctor", "--json"], { project, env: { ...rest, FAKE_AZ_LOGGED_OUT: "1" } });
    const report = JSON.parse(r.stdout) as DoctorJson;
    expect(r.exitCode).toBe(1);
    expect(check(report, "azure login")).toMatchObject({ verdict: "fail", fix: "az login" });
    expect(check(report, "azure login").detail).toMatch(/not logged in to Azure: run `az login`/);
    for (const name of ["role permission", "AcrPull", "Session Executor", "session pool", "execution (pool)"]) expect(check(report, name).verdict).toBe("skip");
    expect(check(report, "execution (backend)").verdict).toBe("ok");
  });

  test("the pulumi version against the real minimum, and a missing provider plugin with its install command", async () => {
    const ok = check((await doctor()).report, "pulumi");
    expect(ok.detail).toBe("pulumi v3.230.0 (manage needs 3.188.0 or newer; CI pins 3.230.0)");
    const old = await doctor({ FAKE_PULUMI_VERSION: "3.187.0" });
    expect(check(old.report, "pulumi")).toMatchObject({ verdict: "fail", detail: "pulumi 3.187.0 is too old" });
    // The same cause gives the same exit code in every command: an unusable pulumi is 2.
    expect(old.exitCode).toBe(2);
    const bare = await doctor({ PULUMI_HOME: join(project, ".another-pulumi-home") });
    expect(check(bare.report, "azure-native plugin")).toMatchObject({
      verdict: "warn",
      detail: "azure-native v3.28.0 is not installed: the first preview downloads it, which needs get.pulumi.com",
      fix: "pulumi plugin install resource azure-native v3.28.0",
    });
  });

  test("missing tools: pulumi absent fails with the install command, exit 2 as in every command; an old az is a warning", async () => {
    const r = await doctor({ FAKE_AZ_VERSION: "2.40.0" }, `${FAKE_AZ_BIN}:/usr/bin:/bin`);
    expect(r.exitCode).toBe(2);
    expect(check(r.report, "pulumi")).toMatchObject({ verdict: "fail", detail: "pulumi is not installed (manage needs 3.188.0 or newer)" });
    expect(check(r.report, "pulumi").fix).toContain("curl -fsSL https://get.pulumi.com | sh");
    expect(check(r.report, "az")).toMatchObject({ verdict: "warn", fix: "az upgrade" });
    expect(r.report.checks.map((c) => c.name)).toEqual(["node", "policy pack", "az", "pulumi"]);
  });

  test("a policy pack pulumi could not load: doctor fails it, and a change refuses before anything runs, naming npm ci", async () => {
    expect(check((await doctor()).report, "policy pack")).toMatchObject({ verdict: "ok" });
    // A copy of the pack folder without its package entry: Pulumi's run-policy-pack require()s the folder.
    const broken = makeProject();
    rmSync(join(broken, "infra", "policy-pack"));
    cpSync(join(ROOT, "infra", "policy-pack"), join(broken, "infra", "policy-pack"), { recursive: true });
    rmSync(join(broken, "infra", "policy-pack", "package.json"));
    await prepare(broken, "dev");
    const r = await manageDecision(["doctor", "--json", "--stack", "dev"], { project: broken, env });
    expect(r.exitCode).toBe(2);
    expect(check(JSON.parse(r.stdout) as DoctorJson, "policy pack")).toMatchObject({ verdict: "fail", detail: expect.stringContaining("infra/policy-pack has no package.json"), fix: expect.stringContaining("npm ci") });
    const before = readState(broken, "dev");
    const scale = await manageDecision(["scale", "--profile", "testing", "--no-wait", "--yes"], { project: broken, env });
    expect(scale.exitCode).toBe(2);
    expect(scale.stderr).toMatch(/the policy pack did not load, so pulumi ran nothing: policy pack .*failed to start/);
    expect(scale.stderr).toContain("npm ci");
    expect(readState(broken, "dev")).toEqual(before);
  });

  test("another stack's truncated checkpoint (`stack ls` fails for all): doctor still checks dev in full; that stack alone is unknown, with the recovery", async () => {
    // contest's checkpoint cut short: the DIY backend's `stack ls` loads every checkpoint and fails.
    const checkpoint = join(project, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "contest.json");
    writeFileSync(checkpoint, '{"version": 3, "checkpoint": {"stack": "contest", "lat');
    try {
      const dev = await doctor();
      expect(check(dev.report, "state backend").verdict).toBe("ok");
      expect(check(dev.report, "stack")).toMatchObject({ verdict: "ok", detail: "dev deployed, profile testing" });
      expect(dev.report.checks.filter((c) => c.verdict === "fail")).toEqual([]);
      expect(dev.exitCode).toBe(0);
      const contest = await manageDecision(["doctor", "--json", "--stack", "contest"], { project, env });
      expect(contest.exitCode).toBe(1);
      const stack = check(JSON.parse(contest.stdout) as DoctorJson, "stack");
      expect(stack).toMatchObject({ verdict: "fail", detail: expect.stringMatching(/^the state of contest cannot be read, so what runs is unknown: .*failed to load checkpoint/) });
      expect(stack.fix).toContain("`manage pulumi -- stack import --stack contest --file <state.json>`");
    } finally {
      rmSync(checkpoint);
    }
  });

  test("an unknown stack is bad input: exit 2", async () => {
    const r = await manageDecision(["doctor", "--stack", "prod"], { project, env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown stack "prod"/);
  });
});

describe("manage doctor of a stack behind the gateway (accessMode token, the contest stack's default)", () => {
  let gate: Gate;
  let plain: ExecServer;
  let contest: string;
  let gatewayEnv: Record<string, string>;
  beforeAll(async () => {
    // The backend behind the gateway, and the stand-in gateway in front of it over HTTPS as in Azure.
    plain = await startExecServer();
    gate = await startGate({ upstream: plain.url, tls: true, callsPerMinute: 60 });
    // The subscription key the program declares for manage (as the simulated Azure issues it).
    const secrets = azureMocks.call({ token: "azure-native:apimanagement:listSubscriptionSecrets", inputs: { serviceName: "codeeng-contest-gw", sid: "ops", resourceGroupName: "codeeng-contest-rg" }, provider: "" } as never) as { primaryKey: string };
    gate.keys.push(secrets.primaryKey);
    contest = makeProject();
    gatewayEnv = { ...env, FAKE_PULUMI_GATEWAY_URL: gate.url, FAKE_PULUMI_POOL_ENDPOINT: `${plain.url}/pool`, NODE_EXTRA_CA_CERTS: gate.caFile! };
    await prepare(contest, "contest");
  });
  afterAll(async () => {
    await gate.close();
    await plain.close();
  });

  test("idle: no gateway and an internal backend, which doctor says is as designed, with how long the next window's gateway takes", async () => {
    // Deployed whole, resting idle as the committed stack file says.
    const up = await manageDecision(["up", "--stack", "contest"], { project: contest, env: gatewayEnv });
    expect(up.exitCode, up.stderr).toBe(0);
    const r = await manageDecision(["doctor", "--stack", "contest", "--json"], { project: contest, env: gatewayEnv });
    const report = JSON.parse(r.stdout) as DoctorJson;
    expect(check(report, "gateway")).toMatchObject({ verdict: "ok", detail: `none while idle (the gate lives with the pool; its backend is internal): the next window creates it, which may take up to ${GATEWAY_CREATE_MINUTES} minutes` });
    // Nothing is called: there is nothing to call.
    expect(report.checks.map((c) => c.name)).not.toContain("gateway: anonymous call");
  });

  test("the readiness gate and doctor go through the gateway with the stack's own key; doctor proves the gateway refuses anonymous calls and limits each caller", async () => {
    // Not --no-wait: the probe goes through the gateway with the stack's gatewayKey output.
    const scale = await manageDecision(["scale", "--stack", "contest", "--profile", "testing"], { project: contest, env: gatewayEnv });
    expect(scale.stdout).toMatch(/code runs \(first execution after/);
    expect(scale.stdout).toContain("with the stack's gatewayKey output");
    expect(scale.exitCode).toBe(0);
    const key = gate.keys[0]!;
    expect(scale.stdout + scale.stderr).not.toContain(key);
    seedFromState(arm, readState(contest, "contest"));
    gate.resetLimits();

    const r = await manageDecision(["doctor", "--stack", "contest", "--json"], { project: contest, env: gatewayEnv });
    const report = JSON.parse(r.stdout) as DoctorJson;
    expect(report.checks.slice(-6).map((c) => [c.name, c.verdict])).toEqual([
      ["access", "ok"],
      ["gateway: anonymous call", "ok"],
      ["backend health", "ok"],
      ["execution (backend)", "ok"],
      ["execution (pool)", "ok"],
      ["gateway: rate limit", "ok"],
    ]);
    expect(r.exitCode).toBe(0);
    // The gateway runs with the window while Pulumi.contest.yaml still rests idle (a scale changes the state, not the file).
    expect(check(report, "access").detail).toMatch(/^token: API Management \(\w+\) in front, .*; the backend accepts only the gateway's IPs$/);
    expect(check(report, "gateway: anonymous call").detail).toBe("refused with 401 (GET / without a credential)");
    expect(check(report, "backend health").detail).toContain("through the gateway with the stack's gatewayKey output");
    expect(check(report, "gateway: rate limit").detail).toMatch(/^429 with Retry-After \d+ s within \d+ calls \(limit 60 a minute per caller\)/);
    expect(r.stdout + r.stderr).not.toContain(key);
    // Every call doctor made through the gateway carried the key, but for the one meant to be refused.
    expect(gate.requests.filter((q) => q.caller === null).map((q) => q.status)).toEqual([401]);
  });

  // docs/security.md, "secrets in state": the key manage used above (the readiness gate and doctor,
  // through the gate that accepts only it) is in the checkpoint only as ciphertext.
  test("secrets in state: the gateway key and the workspace key are ciphertext in the checkpoint, [secret] in stack output and status; --show-secrets gives the key", async () => {
    const key = gate.keys[0]!;
    const checkpoint = readFileSync(join(contest, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "contest.json"), "utf8");
    expect(checkpoint).not.toContain(key);
    expect(checkpoint).not.toMatch(/simulated-(primary|secondary)-key/);
    const envelope = { [SIG_KEY]: SECRET_SIG, ciphertext: expect.stringMatching(/^v1:[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*$/) };
    const state = readState(contest, "contest");
    expect(state.find((r) => r.type === "pulumi:pulumi:Stack")!.outputs.gatewayKey).toEqual(envelope);
    expect(state.find((r) => r.type === "azure-native:app:ManagedEnvironment")!.inputs.appLogsConfiguration.logAnalyticsConfiguration.sharedKey).toEqual(envelope);
    const masked = await manageDecision(["pulumi", "--", "stack", "output", "--json", "--stack", "contest"], { project: contest });
    expect(JSON.parse(masked.stdout)).toMatchObject({ gatewayKey: "[secret]", callers: "[secret]", accessMode: "token" });
    const shown = await manageDecision(["pulumi", "--", "stack", "output", "gatewayKey", "--show-secrets", "--stack", "contest"], { project: contest });
    expect(JSON.parse(shown.stdout)).toBe(key);
    const status = await manageDecision(["status", "--stack", "contest", "--json"], { project: contest, env: gatewayEnv });
    expect(status.stdout).not.toContain(key);
    expect(JSON.parse(status.stdout)).toMatchObject({ outputs: { gatewayKey: "[secret]" } });
  });

  test("a checkpoint copied into a project with another passphrase: status still says what runs (reading state decrypts nothing); doctor names the passphrase as the fix, never an import over the intact state", async () => {
    // Deployed (idle: its keys list is a secret in the state), then moved to a project with its own passphrase.
    const copy = makeProject();
    await prepare(copy, "contest");
    const up = await manageDecision(["up", "--stack", "contest"], { project: copy, env: gatewayEnv });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(readFileSync(join(copy, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "contest.json"), "utf8")).toContain('"ciphertext"');
    // This project's own passphrase (cli/pulumi/backend.ts keeps one per project), not the one the secrets were sealed with.
    writeFileSync(join(copy, ".pulumi-state", "passphrase"), "another project's passphrase");
    const checkpoint = join(copy, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "contest.json");
    const before = readFileSync(checkpoint, "utf8");
    try {
      const passphraseFix = "set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE to the stack's passphrase";
      // A plain `stack export` needs no passphrase (cli/pulumi/reader.ts): the state says idle, and so does status.
      const status = await manageDecision(["status", "--stack", "contest", "--json"], { project: copy, env: gatewayEnv });
      expect(status.exitCode, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ profile: "idle", source: { from: "state" }, outputs: { callers: "[secret]" } });
      // doctor needs the stack's secrets (its gateway key): the passphrase is what to fix.
      const r = await manageDecision(["doctor", "--stack", "contest", "--json"], { project: copy, env: gatewayEnv });
      expect(r.exitCode).toBe(2);
      const stack = check(JSON.parse(r.stdout) as DoctorJson, "stack");
      expect(stack).toMatchObject({ verdict: "fail", detail: expect.stringMatching(/^the state of contest cannot be read, so what runs is unknown: pulumi cannot read the secrets of stack contest: .*incorrect passphrase/) });
      expect(stack.fix).toContain(passphraseFix);
      expect(stack.fix).not.toContain("stack import");
      expect(r.stderr).toContain(passphraseFix);
      // Nothing was written over the state.
      expect(readFileSync(checkpoint, "utf8")).toBe(before);
      // And with another stack's checkpoint cut short as well (`stack ls` fails for all): each stack
      // is read on its own with a plain export, which needs no passphrase, so the backend answers
      // and the passphrase is still what doctor names, exit 2. (Read with --show-secrets, as the
      // Automation API's exportStack reads, contest failed too, and doctor blamed the backend: a
      // FAIL on "state backend", `stack ls` failed, exit 1.)
      writeFileSync(join(copy, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "dev.json"), '{"version": 3, "checkpoint": {"stack": "dev", "lat');
      const both = await manageDecision(["doctor", "--stack", "contest", "--json"], { project: copy, env: gatewayEnv });
      expect(both.exitCode).toBe(2);
      const checks = JSON.parse(both.stdout) as DoctorJson;
      expect(check(checks, "state backend").verdict).toBe("ok");
      expect(check(checks, "stack")).toMatchObject({ verdict: "fail", detail: expect.stringMatching(/incorrect passphrase/) });
      expect(check(checks, "stack").fix).toContain(passphraseFix);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  test("a pool whose gateway is gone (a state where the pool runs with nothing in front): doctor fails it, with the commands", async () => {
    const copy = makeProject();
    cpSync(join(contest, ".pulumi-state"), join(copy, ".pulumi-state"), { recursive: true });
    for (const f of ["Pulumi.yaml", "Pulumi.contest.yaml"]) cpSync(join(contest, f), join(copy, f));
    const file = join(copy, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "contest.json");
    const doc = JSON.parse(readFileSync(file, "utf8"));
    const root = doc.checkpoint.latest.resources.find((r: { type: string }) => r.type === "pulumi:pulumi:Stack");
    expect(root.outputs.sessionPoolDeployed).toBe(true);
    root.outputs.gatewayUrl = "";
    writeFileSync(file, JSON.stringify(doc));
    const r = await manageDecision(["doctor", "--stack", "contest", "--json"], { project: copy, env: gatewayEnv });
    expect(r.exitCode).toBe(1);
    expect(check(JSON.parse(r.stdout) as DoctorJson, "gateway")).toMatchObject({
      verdict: "fail",
      detail: "a session pool runs with no gateway in front (accessMode token)",
      fix: "manage up --stack contest declares it again with the pool (or manage stop --stack contest removes both)",
    });
    rmSync(copy, { recursive: true, force: true });
  });

  test("a gateway that lets anonymous callers through and limits no one: both checks fail, with the fix", async () => {
    gate.requireCredential = false;
    gate.callsPerMinute = Number.POSITIVE_INFINITY;
    gate.resetLimits();
    try {
      const r = await manageDecision(["doctor", "--stack", "contest", "--json"], { project: contest, env: gatewayEnv });
      const report = JSON.parse(r.stdout) as DoctorJson;
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/doctor: 2 check\(s\) failed: gateway: anonymous call, gateway: rate limit/);
      expect(check(report, "gateway: anonymous call")).toMatchObject({ verdict: "fail", detail: "answered 200 to a call without a credential: anyone can reach the backend through the gateway" });
      expect(check(report, "gateway: rate limit")).toMatchObject({
        verdict: "fail",
        detail: "no 429 after 61 calls within a minute: the gateway does not hold this caller to 60 a minute (gatewayRateLimitPerMinute)",
      });
    } finally {
      gate.requireCredential = true;
      gate.callsPerMinute = 60;
      gate.resetLimits();
    }
  });
});
