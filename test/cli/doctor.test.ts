// manage doctor end to end: the stand-in pulumi for the stack, the real Azure SDKs against the local
// ARM server, the fake az for tools and images, and a local backend and pool that really run code.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FAKE_AZ_BIN, makeProject, manage, prepare, readState } from "../helpers/cli.js";
import { localCertificate } from "../helpers/tls.js";
import { ARM_TOKEN, CONTRIBUTOR, seedFromState, startArmServer, type ArmServer } from "../arm-server/server.js";
import { POOL_TOKEN, startExecServer, type ExecServer } from "../exec-server/server.js";

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
  const r = await manage(["scale", "--profile", "testing", "--no-wait"], { project, env });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  seedFromState(arm, readState(project, "dev"));
});
afterAll(async () => {
  await exec.close();
  await arm.close();
});

const doctor = async (extra: Record<string, string> = {}, path?: string) => {
  const r = await manage(["doctor", "--json"], { project, env: { ...env, ...extra }, path });
  return { ...r, report: JSON.parse(r.stdout) as DoctorJson };
};
const check = (report: DoctorJson, name: string) => report.checks.find((c) => c.name === name)!;

describe("manage doctor", () => {
  test("a working deployment: every check passes, code runs through the backend and straight on the pool", async () => {
    const { exitCode, report } = await doctor();
    expect(report.checks.map((c) => [c.name, c.verdict])).toEqual([
      ["node", "ok"],
      ["az", "ok"],
      ["pulumi", "ok"],
      ["state backend", "ok"],
      ["stack", "ok"],
      ["azure login", "ok"],
      ["role permission", "ok"],
      ["AcrPull", "ok"],
      ["Session Executor", "ok"],
      ["session pool", "ok"],
      ["images", "ok"],
      ["backend health", "ok"],
      ["execution (backend)", "ok"],
      ["execution (pool)", "ok"],
    ]);
    expect(exitCode).toBe(0);
    expect(check(report, "Session Executor").detail).toBe("granted to the identity on pool codeengdevpool");
    expect(check(report, "execution (pool)").detail).toMatch(/straight against the pool \(POST \/python\/execute\)/);
    // The probe went to the pool with an identifier and no api-version, as a custom-container pool wants.
    expect(exec.requests.some((q) => q.path === "/pool/python/execute" && q.status === 200)).toBe(true);
    const text = await manage(["doctor"], { project, env });
    expect(text.stdout.trim().split("\n").at(-1)).toBe("All 14 checks passed or do not apply: code runs on stack dev.");
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
    const route = await manage(["doctor", "--json", "--pool-path", "/execute"], { project, env });
    expect(check(JSON.parse(route.stdout) as DoctorJson, "execution (pool)").detail).toMatch(/^404: .*no such route.*\(POST \/execute\)/);
  });

  test("not logged in to Azure: says so, skips what needs Azure, still checks the backend", async () => {
    const rest = Object.fromEntries(Object.entries(env).filter(([k]) => !k.endsWith("_TOKEN")));
    const r = await manage(["doctor", "--json"], { project, env: { ...rest, FAKE_AZ_LOGGED_OUT: "1" } });
    const report = JSON.parse(r.stdout) as DoctorJson;
    expect(r.exitCode).toBe(1);
    expect(check(report, "azure login")).toMatchObject({ verdict: "fail", fix: "az login" });
    expect(check(report, "azure login").detail).toMatch(/not logged in to Azure: run `az login`/);
    for (const name of ["role permission", "AcrPull", "Session Executor", "session pool", "execution (pool)"]) expect(check(report, name).verdict).toBe("skip");
    expect(check(report, "execution (backend)").verdict).toBe("ok");
  });

  test("missing tools: pulumi absent fails with the install command; an old az is a warning", async () => {
    const r = await doctor({ FAKE_AZ_VERSION: "2.40.0" }, `${FAKE_AZ_BIN}:/usr/bin:/bin`);
    expect(r.exitCode).toBe(1);
    expect(check(r.report, "pulumi")).toMatchObject({ verdict: "fail", detail: "pulumi is not installed (manage needs 3.188.0 or newer)" });
    expect(check(r.report, "pulumi").fix).toContain("curl -fsSL https://get.pulumi.com | sh");
    expect(check(r.report, "az")).toMatchObject({ verdict: "warn", fix: "az upgrade" });
    expect(r.report.checks.map((c) => c.name)).toEqual(["node", "az", "pulumi"]);
  });

  test("an unknown stack is bad input: exit 2", async () => {
    const r = await manage(["doctor", "--stack", "prod"], { project, env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown stack "prod"/);
  });
});
