// Access modes end to end: smoke and load-test through a local stand-in of the API Management gateway
// (test/gate) in front of the server that really runs code, with a subscription key or a JWT, and
// the rate limit's 429; the open mode's warning on every change, and the policy's refusal where the
// committed policy config does not allow it.
import { readFileSync, writeFileSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execServerAndProject, expectRefusal, makeProject, manage, prepare, snapshot } from "../helpers/cli.js";
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
    const r = await manage(["smoke", "--endpoint", gate.url, "--concurrency", "2", "--gateway-key", KEY], { project, env: tls });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`Smoke test of ${gate.url}, with --gateway-key...`);
    expect(printed(r)).not.toContain(KEY);
    // Every call reached the backend through the gateway, counted for the key's subscription.
    expect(gate.requests.length).toBeGreaterThan(20);
    expect(gate.requests.every((q) => q.caller === "subscription:0" && q.status !== 401)).toBe(true);
  });

  test("without a key (or with a wrong one) every call is refused at the gateway, named with the fix", async () => {
    const before = [...exec.requests];
    const anonymous = await manage(["smoke", "--endpoint", gate.url, "--concurrency", "2"], { project, env: tls });
    expect(anonymous.exitCode).toBe(1);
    expect(anonymous.stdout).toContain("Why: 401: the gateway refused the call: no subscription key, or not a valid one (accessMode token)");
    expect(anonymous.stdout).toContain("Fix: set MANAGE_GATEWAY_KEY (or pass --gateway-key)");
    const wrong = await manage(["smoke", "--endpoint", gate.url, "--concurrency", "2", "--json", "--gateway-key", "not-the-key"], { project, env: tls });
    expect((JSON.parse(wrong.stdout) as Report).passed).toBe(0);
    expect(printed(wrong)).not.toContain("not-the-key");
    // Nothing got past the gateway to the backend.
    expect(exec.requests).toEqual(before);
  });

  test("load-test within the limit passes; beyond it the 429s are counted, with Retry-After in the fix", async () => {
    const ok = await manage(["load-test", "--endpoint", gate.url, "--users", "8", "--duration", "2s", "--rate", "2", "--mix", "python:1", "--json", "--gateway-key", KEY], { project, env: tls });
    expect(JSON.parse(ok.stdout).errors).toEqual({});
    expect(ok.exitCode).toBe(0);
    expect(printed(ok)).not.toContain(KEY);
    gate.callsPerMinute = 5;
    gate.resetLimits();
    try {
      const limited = await manage(["load-test", "--endpoint", gate.url, "--users", "12", "--duration", "2s", "--rate", "0", "--mix", "python:1", "--gateway-key", KEY], { project, env: tls });
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
    const r = await manage(["smoke", "--endpoint", gate.url, "--concurrency", "2"], { project, env: { ...tls, MANAGE_GATEWAY_KEY: KEY } });
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
    const r = await manage(["load-test", "--endpoint", gate.url, "--users", "4", "--duration", "1s", "--rate", "0", "--mix", "python:1", "--gateway-token", token], { project, env: tls });
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
    const r = await manage(["load-test", "--endpoint", gate.url, "--users", "2", "--duration", "1s", "--rate", "0", "--mix", "python:1", "--gateway-token", signJwt({ iss: issuer, aud: "api://other", sub: "x" }, privateKey)], { project, env: tls });
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
    const r = await manage(["scale", "--stack", "contest", "--profile", "testing", "--no-wait"], { project: dir });
    expect(r.stderr).toMatch(/warning: stack contest is in accessMode open/);
    expect(r.stderr).toMatch(/a mandatory policy refused the change: \[backend-caller-restricted\] container app backend fronts this stack's session pool with external ingress that has no Allow rule/);
    expect(r.stderr).toContain('list stack "contest" in this policy\'s openAccessStacks (infra/policy-pack/config.json)');
    expect(r.exitCode).toBe(2);
    expect(snapshot(dir)).toEqual(before);
  });
});
