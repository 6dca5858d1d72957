// One key cannot hold more than its share of the pool: a load test through the local gateway
// (test/gate: limit-concurrency and the caller's identity, as the deployed policy sets them) in front
// of the backend that runs the code (test/exec-server), which keys sessions by that identity, the
// backend contract (infra/caller-budget.ts).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execServerAndProject, manageDecision } from "../helpers/cli.js";
import type { ExecServer } from "../exec-server/server.js";
import { startGate, type Gate } from "../gate/server.js";
import { CALLER_HEADER, callerBudget } from "../../infra/caller-budget.js";

const KEY = "0123456789abcdef0123456789abcdef";

describe("the per-caller budget under load", () => {
  let exec: ExecServer;
  let project: string;
  let gate: Gate;
  // A pool of 200 for 100 participants: 2 sessions, 2 calls in flight per key.
  const budget = callerBudget(200, 100);
  beforeAll(async () => {
    ({ exec, project } = await execServerAndProject());
    // Over TLS, as API Management is: manage sends a key only over HTTPS.
    gate = await startGate({ upstream: exec.url, keys: [KEY], callsPerMinute: 1000, concurrency: budget.concurrency, callerHeader: CALLER_HEADER, tls: true });
  });
  afterAll(async () => {
    await gate.close();
    await exec.close();
  });

  test("12 simultaneous users on one key: at most its share runs at once, it holds one caller's sessions, the rest get 429", async () => {
    const r = await manageDecision(["load-test", "--endpoint", gate.url, "--users", "12", "--duration", "2s", "--rate", "0", "--mix", "python:1", "--json", "--gateway-key", KEY], { project, env: { NODE_EXTRA_CA_CERTS: gate.caFile! } });
    const report = JSON.parse(r.stdout);
    // The load ran: every user's run was sent and answered (a refusal before sending would complete none).
    expect(report.completed, r.stderr).toBe(12);
    // Beyond the share the gateway answered 429 (limit-concurrency), never the backend.
    expect(report.errors["429"]).toBeGreaterThan(0);
    // ...and named as that limit: no Retry-After, so not the rate limit (1000 a minute here).
    expect(report.causes.map((c: { cause: string }) => c.cause)).toEqual([expect.stringMatching(/^429 without Retry-After: the gateway's concurrency limit for this caller/)]);
    const callers = Object.entries(exec.callers);
    // One key, one caller identity at the backend, set by the gateway.
    expect(callers).toHaveLength(1);
    const [, held] = callers[0]!;
    expect(held.sessions.length).toBeLessThanOrEqual(budget.concurrency);
    expect(held.peakConcurrent).toBeLessThanOrEqual(budget.concurrency);
    expect(held.peakConcurrent).toBeGreaterThan(0);
  });
});
