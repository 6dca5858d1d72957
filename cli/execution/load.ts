// A contest-shaped open-model load: arrivals follow a schedule (everyone's first run in an opening
// burst, then a steady Poisson stream), not a closed loop that politely waits for each answer, so a
// slow backend shows up as growing latency and errors, as it would on the day. The schedule and the
// summary are pure; runLoad is the thin timed edge. Bounded in count and in time.

import { execute, type Headers, type Language } from "./api.js";
import { diagnose } from "./diagnose.js";
import { languageCases } from "./smoke-cases.js";
import { summarize, type LatencySummary } from "./stats.js";

export type Mix = Array<{ language: Language; weight: number }>;

const MIX_ALIASES: Record<string, Language> = {
  python: "python",
  py: "python",
  javascript: "javascript",
  js: "javascript",
  java: "java",
  "c++": "c++",
  cpp: "c++",
};

export const DEFAULT_MIX = "python:60,cpp:20,java:10,js:10";

/** "python:60,cpp:20" -> weights; throws with the rule on anything else. */
export function parseMix(text: string): Mix {
  const mix: Mix = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z+]+):(\d+(?:\.\d+)?)$/.exec(part);
    const language = m ? MIX_ALIASES[m[1]!] : undefined;
    if (!m || !language)
      throw new Error(`--mix takes language:weight pairs like ${DEFAULT_MIX} (languages: python, js, java, cpp); got "${part}"`);
    if (mix.some((x) => x.language === language)) throw new Error(`--mix names ${language} twice`);
    mix.push({ language, weight: Number(m[2]) });
  }
  if (mix.reduce((s, x) => s + x.weight, 0) <= 0) throw new Error("--mix needs at least one language with a weight above 0");
  return mix;
}

/** A small seeded generator (mulberry32): the same seed gives the same schedule. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The gap to the next arrival of a Poisson stream: exponential with mean 1/rate (same unit as the rate). */
export function poissonGap(rand: () => number, ratePerUnit: number): number {
  return -Math.log(1 - rand()) / ratePerUnit;
}

export interface LoadShape {
  users: number;
  durationMs: number;
  /** Steady arrivals per second after the burst. */
  ratePerSecond: number;
  /** Everyone's first run lands within this window from the start. */
  burstMs: number;
  mix: Mix;
  seed: number;
}

export interface Arrival {
  atMs: number;
  language: Language;
}

/** The arrivals of a contest-shaped load, in time order. Pure. */
export function schedule(shape: LoadShape): Arrival[] {
  const rand = random(shape.seed);
  const total = shape.mix.reduce((s, x) => s + x.weight, 0);
  const pick = (): Language => {
    let r = rand() * total;
    for (const x of shape.mix) if ((r -= x.weight) < 0) return x.language;
    return shape.mix.at(-1)!.language;
  };
  const burst = Math.min(shape.burstMs, shape.durationMs);
  const arrivals: Arrival[] = [];
  for (let i = 0; i < shape.users; i++) arrivals.push({ atMs: rand() * burst, language: pick() });
  // Poisson arrivals: exponential gaps with mean 1/rate.
  const gap = () => poissonGap(rand, shape.ratePerSecond) * 1000;
  if (shape.ratePerSecond > 0) for (let t = burst + gap(); t < shape.durationMs; t += gap()) arrivals.push({ atMs: t, language: pick() });
  return arrivals.sort((a, b) => a.atMs - b.atMs);
}

/** The most arrivals in any window of `windowMs` (sliding): what a rate limit per window sees. Pure. */
export function peakInWindow(arrivals: Arrival[], windowMs: number): number {
  let peak = 0;
  let first = 0;
  for (let last = 0; last < arrivals.length; last++) {
    while (arrivals[last]!.atMs - arrivals[first]!.atMs >= windowMs) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

export interface Outcome {
  language: Language;
  /** HTTP status, 0 for no answer. */
  status: number;
  /** A 200 whose output was wrong counts as an error too. */
  ok: boolean;
  ms: number;
  text: string;
  /** Retry-After of a 429. */
  retryAfter?: number;
}

export interface LoadReport {
  offered: number;
  completed: number;
  ok: number;
  durationSeconds: number;
  throughputPerSecond: number;
  latency: LatencySummary;
  latencyByLanguage: Record<string, LatencySummary>;
  /** "404" -> count, "wrong output" -> count. */
  errors: Record<string, number>;
  sessionLimitHit: boolean;
  causes: Array<{ cause: string; fix: string }>;
}

export function summarizeLoad(outcomes: Outcome[], elapsedMs: number, stack?: string): LoadReport {
  const errors: Record<string, number> = {};
  const causes = new Map<string, string>();
  for (const o of outcomes.filter((x) => !x.ok)) {
    const key = o.status === 200 ? "wrong output" : o.status === 0 ? "no answer" : String(o.status);
    errors[key] = (errors[key] ?? 0) + 1;
    if (o.status !== 200) {
      const d = diagnose({ status: o.status, text: o.text, retryAfter: o.retryAfter }, stack);
      causes.set(d.cause, d.fix);
    }
  }
  const good = outcomes.filter((o) => o.ok);
  const byLanguage: Record<string, LatencySummary> = {};
  for (const language of new Set(good.map((o) => o.language)))
    byLanguage[language] = summarize(good.filter((o) => o.language === language).map((o) => o.ms));
  return {
    offered: outcomes.length,
    completed: outcomes.filter((o) => o.status !== 0).length,
    ok: good.length,
    durationSeconds: elapsedMs / 1000,
    throughputPerSecond: good.length / Math.max(elapsedMs / 1000, 0.001),
    latency: summarize(good.map((o) => o.ms)),
    latencyByLanguage: byLanguage,
    errors,
    // Every 404 under load is the limit until shown otherwise: the smoke test proves the routes.
    sessionLimitHit: outcomes.some((o) => o.status === 404),
    causes: [...causes].map(([cause, fix]) => ({ cause, fix })),
  };
}

/** The program each arrival runs: the smoke suite's stdin case (reads "3 4", prints 7). */
function loadCase(language: Language) {
  return languageCases(language).find((k) => k.name.endsWith(": stdin"))!;
}

/**
 * Sends each arrival at its time and waits for all answers, never past `durationMs + graceMs`: a
 * request still open then is abandoned and counted as no answer.
 */
export async function runLoad(
  endpoint: string,
  arrivals: Arrival[],
  o: { durationMs: number; graceMs: number; headers?: Headers; onTick?: (sent: number, done: number, failed: number) => void },
): Promise<{ outcomes: Outcome[]; elapsedMs: number }> {
  const started = performance.now();
  const deadline = o.durationMs + o.graceMs;
  const outcomes: Outcome[] = [];
  let sent = 0;
  const tick = o.onTick ? setInterval(() => o.onTick!(sent, outcomes.length, outcomes.filter((x) => !x.ok).length), 5_000) : undefined;
  try {
    await Promise.all(
      arrivals.map(async (a) => {
        const wait = a.atMs - (performance.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sent++;
        const k = loadCase(a.language);
        const answer = await execute(endpoint, k.request, Math.max(1_000, deadline - (performance.now() - started)), o.headers);
        outcomes.push({ language: a.language, status: answer.status, ok: k.check(answer) === null, ms: answer.ms, text: answer.text, retryAfter: answer.retryAfter });
      }),
    );
  } finally {
    if (tick) clearInterval(tick);
  }
  return { outcomes, elapsedMs: performance.now() - started };
}
