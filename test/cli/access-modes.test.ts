// Access modes end to end: smoke and load-test through a local stand-in of the API Management gateway
// (test/gate) in front of the server that really runs code, with a subscription key or a JWT, and
// the rate limit's 429; the open mode's warning on every change, and the policy's refusal where the
// committed policy config does not allow it.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployed, execServerAndProject, expectRefusal, FAKE_PULUMI_BIN, makeProject, manageDecision, prepare, readState, readStateRevealed, snapshot, warmEnv } from "../helpers/cli.js";
import { ROOT } from "../helpers/program.js";
import { runToEnd } from "../helpers/spawner.js";
import type { ExecServer } from "../exec-server/server.js";
import { issuerKeys, signJwt, startGate, type Gate } from "../gate/server.js";

const KEY = "0123456789abcdef0123456789abcdef";

interface Report {
  passed: number;
  failed: number;
  cases: Array<{ name: string; ok: boolean; diagnosis?: { cause: string; fix: string } }>;
}

let exec: ExecServer;
let project: string;
beforeAll(async () => ({ exec, project } = await execServerAndProject()));
afterAll(() => exec.close());

/** Every byte manage printed, to prove a credential never appears in it. */
const printed = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

describe("through the gateway with a subscription key", () => {
  let gate: Gate;
  let tls: Record<string, string>;
  beforeAll(async () => {
    // Over HTTPS, as in Azure: a key goes nowhere else (cli/execution/credentials.ts credentialFor).
    gate = await startGate({ upstream: exec.url, keys: [KEY], callsPerMinute: 1000, tls: true });
    tls = { NODE_EXTRA_CA_CERTS: gate.caFile! };
  });
  afterAll(() => gate.close());

  test("smoke passes with the key from --gateway-key (load-test too), and never prints it", async () => {
    const r = await manageDecision(["smoke", "--endpoint", gate.url, "--concurrency", "2", "--gateway-key", KEY], { project, env: tls });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`Smoke test of ${gate.url}, with --gateway-key...`);
    expect(printed(r)).not.toContain(KEY);
    // Every call reached the backend through the gateway, counted for the key's subscription.
    expect(gate.requests.length).toBeGreaterThan(20);
    expect(gate.requests.every((q) => q.caller === "subscription:0" && q.status !== 401)).toBe(true);
  });

  test("without a key (or with a wrong one) every call is refused at the gateway, named with the fix", async () => {
    const before = [...exec.requests];
    const anonymous = await manageDecision(["smoke", "--endpoint", gate.url, "--concurrency", "2"], { project, env: tls });
    expect(anonymous.exitCode).toBe(1);
    expect(anonymous.stdout).toContain("Why: 401: the gateway refused the call: no subscription key, or not a valid one (accessMode token)");
    expect(anonymous.stdout).toContain("Fix: set MANAGE_GATEWAY_KEY (or pass --gateway-key)");
    const wrong = await manageDecision(["smoke", "--endpoint", gate.url, "--concurrency", "2", "--json", "--gateway-key", "not-the-key"], { project, env: tls });
    expect((JSON.parse(wrong.stdout) as Report).passed).toBe(0);
    expect(printed(wrong)).not.toContain("not-the-key");
    // Nothing got past the gateway to the backend.
    expect(exec.requests).toEqual(before);
  });

  test("load-test within the limit passes; beyond it the 429s are counted, with Retry-After in the fix", async () => {
    const ok = await manageDecision(["load-test", "--endpoint", gate.url, "--users", "8", "--duration", "2s", "--rate", "2", "--mix", "python:1", "--json", "--gateway-key", KEY], { project, env: tls });
    expect(JSON.parse(ok.stdout).errors).toEqual({});
    expect(ok.exitCode).toBe(0);
    expect(printed(ok)).not.toContain(KEY);
    gate.callsPerMinute = 5;
    gate.resetLimits();
    try {
      const limited = await manageDecision(["load-test", "--endpoint", gate.url, "--users", "12", "--duration", "2s", "--rate", "0", "--mix", "python:1", "--gateway-key", KEY], { project, env: tls });
      expect(limited.exitCode).toBe(1);
      expect(limited.stdout).toMatch(/Errors: 7 × 429/);
      expect(limited.stdout).toContain("Why: 429: the gateway's rate limit for this caller (subscription key or token subject) is exceeded");
      expect(limited.stdout).toMatch(/Fix: wait \d+ s \(Retry-After\) and retry/);
      expect(limited.stderr).toMatch(/load-test: 7 of 12 executions failed/);
    } finally {
      gate.callsPerMinute = 1000;
      gate.resetLimits();
    }
  });

  test("a key and a token at once is bad input: refused before any call", async () => {
    const before = gate.requests.length;
    await expectRefusal(project, ["smoke", "--endpoint", gate.url, "--gateway-key", KEY, "--gateway-token", "x.y.z"], /give either --gateway-key or --gateway-token, not both/);
    await expectRefusal(project, ["load-test", "--endpoint", gate.url, "--users", "1", "--duration", "1s", "--gateway-key", ""], /--gateway-key is empty/);
    expect(gate.requests.length).toBe(before);
  });

  test("a key goes only over HTTPS, and MANAGE_GATEWAY_KEY only to the stack's own gateway: never to another --endpoint", async () => {
    const before = gate.requests.length;
    const plain = gate.url.replace(/^https:/, "http:");
    await expectRefusal(project, ["smoke", "--endpoint", plain, "--gateway-key", KEY], /--gateway-key is sent only over HTTPS, and --endpoint http:\/\/[^ ]+ is not: nothing was sent\n  Fix: use the https:\/\/ address with --endpoint, or leave out --gateway-key/, tls);
    expect(gate.requests.length).toBe(before);
    // The environment's key is held back from an --endpoint (said in one line): the gateway sees no key.
    const r = await manageDecision(["smoke", "--endpoint", gate.url, "--concurrency", "2"], { project, env: { ...tls, MANAGE_GATEWAY_KEY: KEY } });
    expect(r.stderr).toContain(`warning: the gateway key (MANAGE_GATEWAY_KEY) is not sent to --endpoint ${gate.url}: it goes only to the stack's own gateway (--stack); pass --gateway-key to send one there`);
    expect(r.exitCode).toBe(1);
    expect(gate.requests.slice(before).every((q) => q.status === 401 && q.caller === null)).toBe(true);
  });
});

describe("through the gateway with a JWT (gatewayJwtIssuer)", () => {
  const issuer = "https://login.example.com/contest/";
  const audience = "api://coding-engine";
  const { privateKey, publicKey } = issuerKeys();
  let gate: Gate;
  let tls: Record<string, string>;
  beforeAll(async () => {
    gate = await startGate({ upstream: exec.url, jwt: { issuer, audience, publicKey }, callsPerMinute: 1000, tls: true });
    tls = { NODE_EXTRA_CA_CERTS: gate.caFile! };
  });
  afterAll(() => gate.close());

  test("a valid token passes; the gateway checks its signature, issuer, audience and expiry", async () => {
    const token = signJwt({ iss: issuer, aud: audience, sub: "participant-17" }, privateKey);
    const r = await manageDecision(["load-test", "--endpoint", gate.url, "--users", "4", "--duration", "1s", "--rate", "0", "--mix", "python:1", "--gateway-token", token], { project, env: tls });
    expect(r.stdout).toContain("Load test passed: 4 of 4 executions succeeded.");
    expect(r.exitCode).toBe(0);
    expect(printed(r)).not.toContain(token);
    expect(gate.requests.filter((q) => q.status === 200).every((q) => q.caller === "participant-17")).toBe(true);
    // The gateway speaks HTTPS with the test's own certificate authority.
    const ca = readFileSync(gate.caFile!);
    const status = (t: string) =>
      new Promise<number>((resolve, reject) =>
        httpsGet(`${gate.url}/`, { ca, headers: { authorization: `Bearer ${t}` } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        }).on("error", reject),
      );
    expect(await status(signJwt({ iss: issuer, aud: "api://other", sub: "x" }, privateKey))).toBe(401);
    expect(await status(signJwt({ iss: "https://evil.example.com/", aud: audience, sub: "x" }, privateKey))).toBe(401);
    expect(await status(signJwt({ iss: issuer, aud: audience, sub: "x", exp: Math.floor(Date.now() / 1000) - 5 }, privateKey))).toBe(401);
    expect(await status(signJwt({ iss: issuer, aud: audience, sub: "x" }, issuerKeys().privateKey))).toBe(401);
  });

  test("a token for another audience: every call refused, the cause names the token", async () => {
    const r = await manageDecision(["load-test", "--endpoint", gate.url, "--users", "2", "--duration", "1s", "--rate", "0", "--mix", "python:1", "--gateway-token", signJwt({ iss: issuer, aud: "api://other", sub: "x" }, privateKey)], { project, env: tls });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("Errors: 2 × 401");
    expect(r.stdout).toContain("Why: 401: the gateway refused the call: no token, or not a valid one (issuer, audience, signature or expiry; accessMode token)");
  });
});

// dev, open and listed in infra/policy-pack/config.json, warns and goes ahead on every change:
// test/cli/stack-commands.test.ts "stop keeps the registry …" asserts the warning.
describe("open mode: chosen explicitly, warned about on every change, refused by the policy where not listed", () => {
  test("contest made open: scale warns, and the policy refuses it (exit 2), the stack file put back", async () => {
    const dir = makeProject();
    await prepare(dir, "contest");
    const file = join(dir, "Pulumi.contest.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("config:\n", "config:\n  coding-engine:accessMode: open\n"));
    const before = snapshot(dir);
    const r = await manageDecision(["scale", "--stack", "contest", "--profile", "testing", "--no-wait"], { project: dir });
    expect(r.stderr).toMatch(/warning: stack contest is in accessMode open/);
    expect(r.stderr).toMatch(/a mandatory policy refused the change: \[backend-caller-restricted\][^\n]*\n?[^\n]*container app backend fronts this stack's session pool with external ingress that has no Allow rule/);
    expect(r.stderr).toContain('list stack "contest" in this policy\'s openAccessStacks (infra/policy-pack/config.json)');
    expect(r.exitCode).toBe(2);
    expect(snapshot(dir)).toEqual(before);
  });
});

// Issue 21: someone getting round the guard rails, through manage and through the deploy workflow's
// plain `pulumi up` (the same flags as .github/workflows/deploy.yml) alike.

/**
 * The project's program as a pull request could change it: the real program with `tampering` (module
 * code run before it: stack transformations, extra resources) on top; the program's own code is
 * untouched. Its directory links dist/, so the stand-in's memo keys it by the real program's files too.
 */
function tamperedProgram(project: string, tampering: string[]): void {
  const dir = join(project, "tampered");
  mkdirSync(dir);
  symlinkSync(join(ROOT, "dist"), join(dir, "dist"));
  writeFileSync(
    join(dir, "index.mjs"),
    [
      'import * as pulumi from "@pulumi/pulumi";',
      ...tampering,
      // A fresh evaluation of the real main (a warm evaluator has imported it before).
      "const real = await import(`./dist/infra/index.js?tampered=${Date.now()}`);",
      "export const { operations, profile, backendUrl, sessionPoolName, registryLoginServer } = real;",
      "",
    ].join("\n"),
  );
  const file = join(project, "Pulumi.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace("main: dist/infra/index.js", "main: tampered/index.mjs"));
}

/** Every session pool given an image from Docker Hub, every container app a database password in plain text. */
const OUTSIDE_IMAGE_AND_PLAIN_SECRET = [
  "pulumi.runtime.registerStackTransformation(({ type, props, opts }) => {",
  '  if (type === "azure-native:app:ContainerAppsSessionPool")',
  '    props.customContainerTemplate = pulumi.output(props.customContainerTemplate).apply((t) => ({ ...t, containers: t.containers.map((c) => ({ ...c, image: "docker.io/library/python:3.12" })) }));',
  '  else if (type === "azure-native:app:ContainerApp")',
  '    props.template = pulumi.output(props.template).apply((t) => ({ ...t, containers: t.containers.map((c) => ({ ...c, env: [...(c.env ?? []), { name: "DB_PASSWORD", value: "hunter2" }] })) }));',
  "  else return undefined;",
  "  return { props, opts };",
  "});",
];

/**
 * The gateway's rate limit put inside an XML comment, Contributor at subscription scope declared
 * under a versioned type token, and a session pool with egress declared as a generic ARM resource
 * (a type the program never declares: the stand-in answers it as Azure would, so the pack sees it).
 */
const COMMENTED_LIMIT_AND_VERSIONED_GRANT = [
  "pulumi.runtime.registerStackTransformation(({ type, props, opts }) => {",
  '  if (type !== "azure-native:apimanagement:ApiPolicy") return undefined;',
  '  return { props: { ...props, value: pulumi.output(props.value).apply((v) => v.replace(/(<rate-limit-by-key[^>]*\\/>)/, "<!-- $1 -->")) }, opts };',
  "});",
  'new pulumi.CustomResource("azure-native:authorization/v20220401:RoleAssignment", "helpful-grant", {',
  '  principalId: "2b7a0c1e-0d0e-4f6a-9b1c-3d4e5f6a7b8c",',
  '  principalType: "ServicePrincipal",',
  '  roleDefinitionId: "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",',
  '  scope: "/subscriptions/00000000-0000-0000-0000-000000000000",',
  "});",
  'new pulumi.CustomResource("azure-native:resources:Resource", "shadow-pool", {',
  '  resourceGroupName: "codeeng-contest-rg", resourceProviderNamespace: "Microsoft.App", parentResourcePath: "", resourceType: "sessionPools",',
  '  resourceName: "shadow-pool", apiVersion: "2025-07-01", location: "eastus", properties: { sessionNetworkConfiguration: { status: "EgressEnabled" } },',
  "});",
];

/**
 * The review's probes (issue 21), as a pull request could write them: the gateway's policy answers
 * some callers from inside a <choose> before its rate limit counts them, the backend opens an extra
 * port outside its environment, and carries a GitHub token under a harmless name.
 */
const EARLY_ANSWER_OPEN_PORT_TOKEN_VALUE = [
  "pulumi.runtime.registerStackTransformation(({ type, props, opts }) => {",
  '  if (type === "azure-native:apimanagement:ApiPolicy")',
  '    return { props: { ...props, value: pulumi.output(props.value).apply((v) => v.replace("<base />", \'<base /><choose><when condition="@(context.Request.Headers.ContainsKey(&quot;X-Fast&quot;))"><return-response><set-status code="200" /></return-response></when></choose>\')) }, opts };',
  '  if (type === "azure-native:app:ContainerApp")',
  "    return {",
  "      props: {",
  "        ...props,",
  "        configuration: pulumi.output(props.configuration).apply((c) => ({ ...c, ingress: { ...c.ingress, additionalPortMappings: [{ external: true, targetPort: 8080 }] } })),",
  '        template: pulumi.output(props.template).apply((t) => ({ ...t, containers: t.containers.map((c) => ({ ...c, env: [...(c.env ?? []), { name: "UPSTREAM", value: "ghp_abcdefghijklmnopqrstuvwxyz0123456789" }] })) })),',
  "      },",
  "      opts,",
  "    };",
  "  return undefined;",
  "});",
];

/** Plain pulumi (the stand-in), as a person or a workflow runs it on the prepared project's backend. */
function plainPulumi(project: string, args: string[]) {
  return runToEnd(join(FAKE_PULUMI_BIN, "pulumi"), args, {
    cwd: project,
    env: {
      PATH: process.env.PATH!,
      HOME: project,
      PULUMI_HOME: join(project, ".pulumi-home"),
      PULUMI_BACKEND_URL: `file://${join(project, ".pulumi-state")}`,
      PULUMI_CONFIG_PASSPHRASE_FILE: join(project, ".pulumi-state", "passphrase"),
      ...warmEnv(),
    },
  });
}

/** The deploy workflow's command: plain pulumi, with the policy pack and its committed config. */
function deployWorkflowUp(project: string, stack: string) {
  // --json: the stand-in renders events as JSON only (the real CLI's text display is not simulated).
  return plainPulumi(project, ["up", "--stack", stack, "--yes", "--policy-pack", "infra/policy-pack", "--policy-pack-config", "infra/policy-pack/config.json", "--non-interactive", "--json"]);
}

/** The engine events `pulumi up --json` streamed. */
const events = (stdout: string): any[] =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));

describe("issue 21: no way round the guard rails, through manage or a plain pulumi up", () => {
  test("an outside image and a plain-text secret: manage scale is refused with the policies' words (exit 2), the stack file put back", async () => {
    const dir = makeProject();
    await prepare(dir, "contest");
    tamperedProgram(dir, OUTSIDE_IMAGE_AND_PLAIN_SECRET);
    const before = snapshot(dir);
    const r = await manageDecision(["scale", "--stack", "contest", "--profile", "testing", "--no-wait"], { project: dir });
    expect(r.stderr).toMatch(/a mandatory policy refused the change: [\s\S]*\[no-plain-secrets-in-env\][^\n]*\n?[^\n]*container app backend container backend sets env var "DB_PASSWORD" to a plain-text value that looks like a secret/);
    expect(r.stderr).toMatch(/\[images-from-own-registry\][^\n]*\n?[^\n]*session pool session-pool container session runs image "docker.io\/library\/python:3.12" from docker.io, not from this stack's registry/);
    expect(r.exitCode).toBe(2);
    expect(snapshot(dir)).toEqual(before);
  });

  test("the same program through the deploy workflow's plain pulumi up: refused by the pack, nothing deployed", async () => {
    const dir = makeProject();
    await prepare(dir, "contest");
    tamperedProgram(dir, OUTSIDE_IMAGE_AND_PLAIN_SECRET);
    const file = join(dir, "Pulumi.contest.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("coding-engine:profile: idle", "coding-engine:profile: testing"));
    const state = readState(dir, "contest");
    const r = await deployWorkflowUp(dir, "contest");
    expect(r.exitCode).not.toBe(0);
    const refusals = events(r.stdout).flatMap((e) => (e.policyEvent?.enforcementLevel === "mandatory" ? [`[${e.policyEvent.policyName}] ${e.policyEvent.message}`] : []));
    expect(refusals).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\[images-from-own-registry\][\s\S]*session pool session-pool container session runs image "docker.io\/library\/python:3.12"/),
        expect.stringMatching(/^\[no-plain-secrets-in-env\][\s\S]*container app backend container backend sets env var "DB_PASSWORD"/),
      ]),
    );
    expect(readState(dir, "contest")).toEqual(state);
  });

  test("a setting set with --secret is refused through manage and a plain pulumi up, so it is never recorded in plain text in the operations output", async () => {
    const dir = makeProject();
    await deployed(dir, "dev scaled to testing");
    const secret = "contest-lead@example.org";
    const set = await plainPulumi(dir, ["config", "set", "--secret", "coding-engine:gatewayPublisherEmail", secret, "--stack", "dev"]);
    expect(set.exitCode, set.stderr).toBe(0);
    expect(readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8")).toMatch(/coding-engine:gatewayPublisherEmail:\n\s+secure: v1:/);
    const state = readState(dir, "dev");

    const up = await deployWorkflowUp(dir, "dev");
    expect(up.exitCode).not.toBe(0);
    expect(up.stdout).toMatch(/coding-engine:gatewayPublisherEmail is set as a secret[^"]*pulumi config set --plaintext coding-engine:gatewayPublisherEmail <value>/);
    expect(readState(dir, "dev")).toEqual(state);
    const before = snapshot(dir);
    const viaManage = await manageDecision(["up", "--stack", "dev"], { project: dir });
    expect(viaManage.exitCode).toBe(2);
    expect(viaManage.stderr).toMatch(/coding-engine:gatewayPublisherEmail is set as a secret/);
    expect(snapshot(dir)).toEqual(before);
    expect(JSON.stringify(readStateRevealed(dir, "dev"))).not.toContain(secret);
  });

  /**
   * A tampered program refused both ways: through manage (exit 2, each message, nothing touched) and
   * through the deploy workflow's plain pulumi up (failed, exactly these mandatory policies, nothing
   * deployed). The workflow deploys the committed stack file: one in a profile with the pool, so the
   * gateway and its policy exist (idle has no gateway since the gateway lives with the pool).
   */
  async function refusedBothWays(edit: Parameters<typeof tamperedProgram>[1], messages: RegExp[], policies: string[]) {
    const dir = makeProject();
    await prepare(dir, "contest");
    tamperedProgram(dir, edit);
    const before = snapshot(dir);
    const state = readState(dir, "contest");
    const r = await manageDecision(["scale", "--stack", "contest", "--profile", "testing", "--no-wait"], { project: dir });
    for (const message of messages) expect(r.stderr).toMatch(message);
    expect(r.exitCode).toBe(2);
    expect(snapshot(dir)).toEqual(before);
    const file = join(dir, "Pulumi.contest.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("coding-engine:profile: idle", "coding-engine:profile: testing"));
    const up = await deployWorkflowUp(dir, "contest");
    expect(up.exitCode).not.toBe(0);
    const refused = events(up.stdout).flatMap((e) => (e.policyEvent?.enforcementLevel === "mandatory" ? [e.policyEvent.policyName] : []));
    expect(new Set(refused)).toEqual(new Set(policies));
    expect(readState(dir, "contest")).toEqual(state);
  }

  test("a rate limit in an XML comment, Contributor under a versioned type token and a pool as a generic resource: refused through manage (exit 2) and the deploy workflow's pulumi up", async () => {
    await refusedBothWays(
      COMMENTED_LIMIT_AND_VERSIONED_GRANT,
      [
        /a mandatory policy refused the change: [\s\S]*\[role-assignment-allowed\][^\n]*\n?[^\n]*role assignment helpful-grant grants Contributor \(b24988ac-[^)]*\), which this deployment never needs/,
        /\[gateway-authenticates-callers\][^\n]*\n?[^\n]*gateway API "coding-engine" holds no caller to a rate limit: its <inbound> section has no rate-limit-by-key or rate-limit statement/,
        /\[only-declared-types\][^\n]*\n?[^\n]*resource shadow-pool has type "azure-native:resources:Resource", which this program never declares/,
      ],
      // The stack policies see the versioned grant too: outside the stack's own resource group.
      ["role-assignment-allowed", "role-assignments-within-stack", "gateway-authenticates-callers", "only-declared-types"],
    );
  });

  test("the review's probes (an early return-response, an extra external port, a token by its shape): refused through manage (exit 2) and the deploy workflow's pulumi up", async () => {
    await refusedBothWays(
      EARLY_ANSWER_OPEN_PORT_TOKEN_VALUE,
      [
        /\[gateway-authenticates-callers\][^\n]*\n?[^\n]*gateway API "coding-engine" holds no caller to a rate limit: a <return-response> in <inbound> comes before its rate-limit-by-key/,
        /\[backend-caller-restricted\][^\n]*\n?[^\n]*container app backend fronts this stack's session pool with an extra port open outside its environment \(additionalPortMappings\[0\] external true, target port 8080\)/,
        /\[no-plain-secrets-in-env\][^\n]*\n?[^\n]*container app backend container backend sets env var "UPSTREAM" to a plain-text value that looks like a secret/,
      ],
      ["gateway-authenticates-callers", "backend-caller-restricted", "no-plain-secrets-in-env"],
    );
  });

  test("a configuration over costCeilingPerDay: the deploy workflow's plain pulumi up is refused by the program, naming the key", async () => {
    const dir = makeProject();
    await prepare(dir, "contest");
    const file = join(dir, "Pulumi.contest.yaml");
    // The contest profile on a stack whose ceiling is $50 a day: what the issue's deploy applied, 20x over.
    writeFileSync(file, readFileSync(file, "utf8").replace("coding-engine:profile: idle", "coding-engine:profile: contest\n  coding-engine:costCeilingPerDay: 50"));
    const state = readState(dir, "contest");
    const r = await deployWorkflowUp(dir, "contest");
    expect(r.exitCode).not.toBe(0);
    // The error diagnostic names the key with the program's own words.
    const errors = events(r.stdout).flatMap((e) => (e.diagnosticEvent?.severity === "error" ? [e.diagnosticEvent.message as string] : [])).join("\n");
    expect(errors).toMatch(
      /coding-engine:costCeilingPerDay is exceeded: this configuration can cost at most \$[\d,.]+\/day .*above stack contest's cost ceiling of \$50\.00\/day \(costCeilingPerDay\)\. Lower the sizes, raise costCeilingPerDay in Pulumi\.contest\.yaml, or run the change through manage with --allow-over-ceiling/,
    );
    expect(readState(dir, "contest")).toEqual(state);
    // manage refuses the same configuration with the same figure (one formula), before pulumi runs.
    const viaManage = await manageDecision(["up", "--stack", "contest"], { project: dir });
    expect(viaManage.exitCode).toBe(2);
    const figure = /can cost at most (\$[\d,.]+)\/day/;
    expect(viaManage.stderr.match(figure)?.[1]).toBe(errors.match(figure)?.[1]);
  });

  test("a venue list of 256 /8s (all of IPv4) is refused before pulumi runs, naming the key (exit 2)", async () => {
    const dir = makeProject();
    await prepare(dir, "contest");
    const file = join(dir, "Pulumi.contest.yaml");
    const ranges = JSON.stringify(Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`));
    writeFileSync(file, readFileSync(file, "utf8").replace("config:\n", `config:\n  coding-engine:accessMode: venue\n  coding-engine:allowedIpRanges: '${ranges}'\n`));
    const before = snapshot(dir);
    const r = await manageDecision(["scale", "--stack", "contest", "--profile", "testing", "--no-wait"], { project: dir });
    expect(r.stderr).toMatch(/coding-engine:allowedIpRanges admits 4,294,967,296 IPv4 addresses in all, more than 65,536 IPv4 addresses \(a \/16\)/);
    expect(r.exitCode).toBe(2);
    expect(snapshot(dir)).toEqual(before);
  });
});
