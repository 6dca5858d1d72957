// The pure parts of proving a deployment works: what each failure means, the smoke cases'
// judgements, latency percentiles, and the load test's arrival schedule.
import { describe, expect, test } from "vitest";
import type { Answer, ExecuteResponse } from "../../cli/execution/api.js";
import { call, urlFor } from "../../cli/execution/api.js";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { once } from "node:events";
import { diagnose } from "../../cli/execution/diagnose.js";
import { languageCases, smokeSuite, UNKNOWN_LANGUAGE_CASE } from "../../cli/execution/smoke-cases.js";
import { percentile, summarize } from "../../cli/execution/stats.js";
import { arrivals as generate, parseMix, summarizeLoad, type LoadShape } from "../../cli/execution/load.js";

/** Every arrival of a load at once. */
const schedule = (shape: LoadShape) => [...generate(shape)];
import { checkSize, concurrencyWarning, loadShape } from "../../cli/commands/load-test.js";

const answer = (status: number, body?: ExecuteResponse, text = ""): Answer<ExecuteResponse> => ({ status, body, text: text || JSON.stringify(body ?? {}), ms: 10 });
const ran = (stdout: string, code: number | null = 0, extra: Partial<ExecuteResponse> = {}, signal: string | null = null, stderr = "") =>
  answer(200, { language: "python", version: "3", run: { stdout, stderr, code, signal, output: stdout + stderr }, ...extra });
const caseNamed = (language: "python" | "java" | "c++", name: string) => languageCases(language).find((k) => k.name === `${language}: ${name}`)!;

describe("diagnose: each status the earlier deployment hit, its cause and fix", () => {
  test.each([
    [401, "", /wrong audience/, /dynamicsessions\.io\/\.default/, false],
    [403, "", /Session Executor.*propagated/, /wait for propagation.*manage doctor --stack contest/, true],
    [404, "session limit reached: maxConcurrentSessions", /session limit \(maxConcurrentSessions\) is reached/, /--max-sessions/, true],
    [404, "no such route", /no such route \(wrong image or tag\)/, /session image tag/, false],
    [400, "unsupported api-version 2024-02-02-preview", /api-version/, /without an api-version/, false],
    [400, "bad path", /wrong path, unknown language/, /bad path/, false],
    [502, "", /not listening yet \(cold start\)/, /sessionTargetPort/, true],
    [0, "", /no answer from the backend/, /manage start-backend --stack contest/, true],
    // The gateway of accessMode token, in API Management's own words.
    [401, '{"statusCode":401,"message":"Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."}', /the gateway refused the call: no subscription key, or not a valid one/, /MANAGE_GATEWAY_KEY .*stack output gatewayKey --show-secrets --stack contest/, false],
    [401, '{"statusCode":401,"message":"Unauthorized. Access token is missing or invalid."}', /the gateway refused the call: no token, or not a valid one/, /MANAGE_GATEWAY_TOKEN/, false],
    [429, '{"statusCode":429,"message":"Rate limit is exceeded. Try again in 12 seconds."}', /rate limit for this caller .* is exceeded/, /wait 12 s \(Retry-After\) and retry.*gatewayRateLimitPerMinute.*Pulumi\.contest\.yaml/, true],
  ])("HTTP %i %s", (status, text, cause, fix, transient) => {
    const d = diagnose({ status, text, error: status === 0 ? "ECONNREFUSED" : undefined, retryAfter: status === 429 ? 12 : undefined }, "contest");
    expect(d.cause).toMatch(cause);
    expect(d.fix).toMatch(fix);
    expect(d.transient).toBe(transient);
  });

  test("HTTP 429 without Retry-After is the caller's concurrency limit (limit-concurrency), not its rate limit", () => {
    // The gateway's limit-concurrency answers 429 with no Retry-After; rate-limit-by-key sends one.
    const d = diagnose({ status: 429, text: '{"statusCode":429,"message":"Too many requests. Concurrency limit exceeded."}' }, "contest");
    expect(d.cause).toMatch(/^429 without Retry-After: the gateway's concurrency limit for this caller \(limit-concurrency/);
    expect(d.cause).not.toMatch(/rate limit for this caller/);
    expect(d.fix).toMatch(/maxSessions ÷ participants/);
    expect(d.fix).toContain("`manage keys issue --stack contest --name <name>`");
    expect(d.fix).not.toMatch(/Retry-After|gatewayRateLimitPerMinute/);
  });
});

describe("smoke cases judge answers as a person would", () => {
  test("hello world: exact stdout, exit 0", () => {
    const hello = caseNamed("python", "hello world");
    expect(hello.check(ran("hello, world\n"))).toBeNull();
    expect(hello.check(ran("hello world\n"))).toMatch(/stdout "hello world\\n", expected "hello, world\\n"/);
    expect(hello.check(ran("hello, world\n", 1))).toMatch(/exit code 1/);
    expect(hello.check(answer(403, undefined, "Forbidden"))).toMatch(/^HTTP 403: Forbidden/);
  });
  test("runtime error: a non-zero exit and the error on stderr", () => {
    const k = caseNamed("python", "runtime error");
    expect(k.check(ran("", 1, {}, null, "ValueError: boom"))).toBeNull();
    expect(k.check(ran("", 0))).toMatch(/exited 0/);
  });
  test("compile error: a failed compile stage with the compiler's message", () => {
    const k = caseNamed("c++", "compile error");
    const stage = (code: number, stderr: string) => ({ stdout: "", stderr, code, signal: null, output: stderr });
    expect(k.check(answer(200, { language: "c++", version: "12", compile: stage(1, "error: 'undeclared' was not declared") }))).toBeNull();
    expect(k.check(answer(200, { language: "c++", version: "12", compile: stage(0, ""), run: stage(0, "") }))).toMatch(/compiled/);
  });
  test("time limit: an endless loop must be stopped", () => {
    const k = caseNamed("java", "time limit");
    expect(k.request.run_timeout).toBe(1000);
    expect(k.check(ran("", null, {}, "SIGKILL"))).toBeNull();
    expect(k.check(ran("", 0))).toMatch(/no time limit enforced/);
  });
  test("large output arrives whole", () => {
    const k = caseNamed("python", "large output");
    const all = Array.from({ length: 10_000 }, (_, i) => `line ${i}\n`).join("");
    expect(k.check(ran(all))).toBeNull();
    expect(k.check(ran(all.slice(0, 1024)))).toMatch(/lines of 10000 arrived/);
  });
  test("unknown language: a clear 4xx with a message, not a 404 or a 500", () => {
    expect(UNKNOWN_LANGUAGE_CASE.check(answer(400, undefined, '{"message":"runtime is unknown"}'))).toBeNull();
    expect(UNKNOWN_LANGUAGE_CASE.check(answer(404, undefined, "nope"))).toMatch(/indistinguishable/);
    expect(UNKNOWN_LANGUAGE_CASE.check(answer(500, undefined, "boom"))).toMatch(/expected a clear 4xx/);
    // A refusal by the gateway (or the pool) never asked a runtime: it proves nothing about languages.
    for (const status of [401, 403, 429]) expect(UNKNOWN_LANGUAGE_CASE.check(answer(status, undefined, "refused"))).toMatch(/refused before any runtime was asked/);
  });
  test("the suite: compile errors only for compiled languages; --full adds the slow cases", () => {
    const quick = smokeSuite(false).flatMap((g) => g.cases.map((k) => k.name));
    const full = smokeSuite(true).flatMap((g) => g.cases.map((k) => k.name));
    expect(quick).toContain("java: compile error");
    expect(quick).not.toContain("javascript: compile error");
    expect(quick).not.toContain("python: time limit");
    expect(full.length - quick.length).toBe(8);
  });
});

test("percentiles by nearest rank", () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  expect(percentile(samples, 50)).toBe(50);
  expect(percentile(samples, 95)).toBe(95);
  expect(percentile(samples, 99)).toBe(99);
  expect(percentile([7], 95)).toBe(7);
  expect(percentile([], 50)).toBeNull();
  expect(summarize([3, 1, 2])).toEqual({ count: 3, p50: 2, p95: 3, p99: 3, max: 3 });
});

test("urlFor joins without doubling or dropping the slash", () => {
  expect(urlFor("https://a.example/", "/api/v2/execute")).toBe("https://a.example/api/v2/execute");
  expect(urlFor("https://a.example", "api/v2/execute")).toBe("https://a.example/api/v2/execute");
});

describe("the load test's shape", () => {
  const shape: LoadShape = { participants: 200, durationMs: 600_000, ratePerSecond: 200 / 60, burstMs: 60_000, mix: parseMix("python:60,cpp:20,java:10,js:10"), seed: 7 };

  test("everyone's first run lands in the opening burst, then a steady stream at the rate", () => {
    const arrivals = schedule(shape);
    expect(arrivals.filter((a) => a.atMs < shape.burstMs).length).toBeGreaterThanOrEqual(200);
    const steady = arrivals.filter((a) => a.atMs >= shape.burstMs).length;
    const expected = (shape.ratePerSecond * (shape.durationMs - shape.burstMs)) / 1000; // 1800
    expect(Math.abs(steady - expected)).toBeLessThan(4 * Math.sqrt(expected)); // Poisson: within 4 sigma
    expect(arrivals.every((a, i) => i === 0 || a.atMs >= arrivals[i - 1]!.atMs)).toBe(true);
    expect(arrivals.at(-1)!.atMs).toBeLessThan(shape.durationMs);
  });

  test("the mix is honoured and the same seed gives the same load", () => {
    const arrivals = schedule(shape);
    const share = (l: string) => arrivals.filter((a) => a.language === l).length / arrivals.length;
    expect(share("python")).toBeCloseTo(0.6, 1);
    expect(share("c++")).toBeCloseTo(0.2, 1);
    expect(schedule(shape)).toEqual(arrivals);
    expect(schedule({ ...shape, seed: 8 })).not.toEqual(arrivals);
  });

  test("--mix parsing: aliases, and one clear error for anything else", () => {
    expect(parseMix("cpp:1,js:3")).toEqual([{ language: "c++", weight: 1 }, { language: "javascript", weight: 3 }]);
    expect(() => parseMix("ruby:10")).toThrow(/--mix takes language:weight pairs/);
    expect(() => parseMix("python:60,py:40")).toThrow(/names python twice/);
    expect(() => parseMix("python:0")).toThrow(/at least one language/);
  });

  test("options: the default rate is one run per person per minute; the burst fits in the duration", () => {
    expect(loadShape({ seed: 1, users: 120, duration: 120_000 }).ratePerSecond).toBe(2);
    expect(loadShape({ seed: 1, users: 120, duration: 120_000 }).burstMs).toBe(30_000);
    expect(() => loadShape({ seed: 1, users: 1, duration: 1000, rate: 1, runsPerUserPerMinute: 2 })).toThrow(/not both/);
    expect(() => loadShape({ seed: 1, users: 1, duration: 10_000, burstSeconds: 20 })).toThrow(/--burst-seconds 20 is longer than --duration \(10 s\)/);
  });

  test("the size is checked against the cap lazily: a million a second for 30 minutes is refused at once, in bounded memory", () => {
    const huge = loadShape({ seed: 1, users: 10, duration: 30 * 60_000, rate: 1_000_000 });
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    expect(() => checkSize(huge, 10_000)).toThrow(/would send more than 10000 executions, over the cap of 10000/);
    expect(performance.now() - started).toBeLessThan(500);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(50 * 1024 * 1024);
    expect(() => checkSize(loadShape({ seed: 1, users: 20_000, duration: 60_000 }), 10_000)).toThrow(/at least 20000 executions/);
    const small = loadShape({ seed: 1, users: 24, duration: 4_000, rate: 3 });
    expect(checkSize(small, 10_000)).toBe(schedule(small).length);
  });

  test("the summary counts errors by status and calls a 404 under load the session limit", () => {
    const r = summarizeLoad(
      [
        { language: "python", status: 200, ok: true, ms: 100, text: "" },
        { language: "python", status: 200, ok: true, ms: 300, text: "" },
        { language: "java", status: 404, ok: false, ms: 5, text: "session limit reached" },
        { language: "java", status: 200, ok: false, ms: 50, text: "" },
        { language: "c++", status: 0, ok: false, ms: 30_000, text: "" },
      ],
      2_000,
    );
    expect(r.errors).toEqual({ "404": 1, "wrong output": 1, "no answer": 1 });
    expect(r.sessionLimitHit).toBe(true);
    expect(r.ok).toBe(2);
    expect(r.completed).toBe(4);
    expect(r.throughputPerSecond).toBe(1);
    expect(r.latency.p50).toBe(100);
    expect(r.causes.map((c) => c.cause)).toContain("404: the pool's session limit (maxConcurrentSessions) is reached");
  });
  test("a load through one key on a gateway is warned of the per-caller concurrency budget it will meet", () => {
    const contest = { profile: { pool: { maxSessions: 200 } }, participantModel: { participants: 200 } } as Parameters<typeof concurrencyWarning>[1];
    expect(concurrencyWarning(50, contest)).toMatch(/up to 50 calls in flight through one credential .* each caller have 1 \(maxSessions 200 shared by 200 participants\): expect 429s without Retry-After/);
    expect(concurrencyWarning(1, contest)).toBeNull();
    expect(concurrencyWarning(4, { ...contest, participantModel: { participants: 50 } } as typeof contest)).toBeNull();
    expect(concurrencyWarning(50, { ...contest, profile: { pool: undefined } } as unknown as typeof contest)).toBeNull();
  });

  test("languages are listed most runs first, then by name, whatever order their answers came in", () => {
    const ok = (language: "python" | "java" | "javascript") => ({ language, status: 200, ok: true, ms: 100, text: "" });
    const r = summarizeLoad([ok("java"), ok("javascript"), ok("python"), ok("python"), ok("javascript"), ok("python")], 1_000);
    expect(Object.keys(r.latencyByLanguage)).toEqual(["python", "javascript", "java"]);
    expect(Object.keys(summarizeLoad([ok("python"), ok("java")], 1_000).latencyByLanguage)).toEqual(["java", "python"]);
  });
});

describe("the one HTTP client", () => {
  test("a call carrying the gateway's key never follows a redirect: the key goes nowhere else, and the 307 is the answer", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const elsewhere = createServer((req, res) => {
      seen.push(req.headers);
      res.end("{}");
    }).listen(0, "127.0.0.1");
    await once(elsewhere, "listening");
    const target = `http://127.0.0.1:${(elsewhere.address() as { port: number }).port}/steal`;
    const redirecting = createServer((_req, res) => {
      res.writeHead(307, { location: target });
      res.end();
    }).listen(0, "127.0.0.1");
    await once(redirecting, "listening");
    const from = `http://127.0.0.1:${(redirecting.address() as { port: number }).port}/api/v2/execute`;
    try {
      const answer = await call(from, { method: "POST", body: {}, headers: { "Ocp-Apim-Subscription-Key": "SECRET-KEY" }, timeoutMs: 5000 });
      expect(answer).toMatchObject({ status: 307 });
      expect(seen).toEqual([]);
      // Without credentials a redirect is still followed (a health check behind a moved route).
      await call(from, { method: "GET", timeoutMs: 5000 });
      expect(seen).toHaveLength(1);
      expect(seen[0]!["ocp-apim-subscription-key"]).toBeUndefined();
    } finally {
      elsewhere.close();
      redirecting.close();
    }
  });
});
