// A contest-shaped open-model load: arrivals follow a schedule (everyone's first run in an opening
// burst, then a steady Poisson stream), not a closed loop that politely waits for each answer, so a
// slow backend shows up as growing latency and errors, as it would on the day. The schedule and the
// summary are pure; runLoad is the thin timed edge. Bounded in count and in time.

import { poissonGap, seededUniform } from "../../infra/distributions.js";
import { execute, LANGUAGES, type Headers, type Language } from "./api.js";
import { diagnose } from "./diagnose.js";
import { outcomeOf } from "./run-log.js";
import { languageCases } from "./smoke-cases.js";
import { summarize, type LatencySummary } from "./stats.js";

export type Mix = Array<{ language: Language; weight: number }>;

/** Each language by its own name, and the short names people type (a Map: "constructor" is no language). */
const MIX_ALIASES = new Map<string, Language>([...LANGUAGES.map((l) => [l, l] as const), ["py", "python"], ["js", "javascript"], ["cpp", "c++"]]);

export const DEFAULT_MIX = "python:60,cpp:20,java:10,js:10";

/** "python:60,cpp:20" -> weights; throws with the rule on anything else. */
export function parseMix(text: string): Mix {
  const mix: Mix = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z+]+):(\d+(?:\.\d+)?)$/.exec(part);
    const language = m ? MIX_ALIASES.get(m[1]!) : undefined;
    if (!m || !language)
      throw new Error(`--mix takes language:weight pairs like ${DEFAULT_MIX} (languages: python, js, java, cpp); got "${part}"`);
    if (mix.some((x) => x.language === language)) throw new Error(`--mix names ${language} twice`);
    mix.push({ language, weight: Number(m[2]) });
  }
  if (mix.reduce((s, x) => s + x.weight, 0) <= 0) throw new Error("--mix needs at least one language with a weight above 0");
  return mix;
}

export interface LoadShape {
  /** The contest's participants the load plays (--users): each one's first run lands in the opening burst. */
  participants: number;
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
  /** A participant's first run (the opening burst's): it needs a session of its own. */
  first?: boolean;
}

/**
 * The arrivals of a contest-shaped load, in time order, generated as they are needed: the opening
 * burst (one run per participant, sorted) and then Poisson arrivals until the duration ends. Memory
 * stays bounded by the participants, whatever the rate. Pure: the same shape gives the same arrivals.
 */
export function* arrivals(shape: LoadShape): Generator<Arrival> {
  // The planner's seeded generator (mulberry32): the same seed gives the same schedule.
  const rand = seededUniform(shape.seed);
  const total = shape.mix.reduce((s, x) => s + x.weight, 0);
  const pick = (): Language => {
    let r = rand() * total;
    for (const x of shape.mix) if ((r -= x.weight) < 0) return x.language;
    return shape.mix.at(-1)!.language;
  };
  const burst = Math.min(shape.burstMs, shape.durationMs);
  const opening: Arrival[] = [];
  for (let i = 0; i < shape.participants; i++) opening.push({ atMs: rand() * burst, language: pick(), first: true });
  yield* opening.sort((a, b) => a.atMs - b.atMs);
  // Poisson arrivals: exponential gaps with mean 1/rate.
  const gap = () => poissonGap(rand, shape.ratePerSecond) * 1000;
  if (shape.ratePerSecond > 0) for (let t = burst + gap(); t < shape.durationMs; t += gap()) yield { atMs: t, language: pick() };
}

/** How many arrivals a load has, counting at most `limit + 1` of them (enough to refuse one over the limit). */
export function countArrivals(shape: LoadShape, limit: number): number {
  let n = 0;
  for (const _ of arrivals(shape)) if (++n > limit) break;
  return n;
}

/** The most arrivals (in time order) in any window of `windowMs` (sliding): what a rate limit per window sees. Pure. */
export function peakInWindow(planned: Iterable<Arrival>, windowMs: number): number {
  let peak = 0;
  const open: number[] = [];
  let first = 0;
  for (const a of planned) {
    open.push(a.atMs);
    while (a.atMs - open[first]! >= windowMs) first++;
    peak = Math.max(peak, open.length - first);
  }
  return peak;
}

export interface Outcome {
  language: Language;
  /** The arrival was a first run (the opening burst's). */
  first?: boolean;
  /** HTTP status, 0 for no answer. */
  status: number;
  /** A 200 whose output was wrong counts as an error too. */
  ok: boolean;
  ms: number;
  text: string;
  /** Retry-After of a 429. */
  retryAfter?: number;
}

export function summarizeLoad(outcomes: Outcome[], elapsedMs: number, stack?: string) {
  const errors: Record<string, number> = {};
  const causes = new Map<string, string>();
  for (const o of outcomes.filter((x) => !x.ok)) {
    const key = outcomeOf(false, o.status);
    errors[key] = (errors[key] ?? 0) + 1;
    if (o.status !== 200) {
      const d = diagnose({ status: o.status, text: o.text, retryAfter: o.retryAfter }, stack);
      causes.set(d.cause, d.fix);
    }
  }
  const good = outcomes.filter((o) => o.ok);
  const byLanguage: Record<string, LatencySummary> = {};
  // Most runs first, then by name: the order answers arrived in differs from run to run.
  const runs = (language: string) => good.filter((o) => o.language === language).length;
  for (const language of [...new Set(good.map((o) => o.language))].sort((a, b) => runs(b) - runs(a) || a.localeCompare(b)))
    byLanguage[language] = summarize(good.filter((o) => o.language === language).map((o) => o.ms));
  return {
    offered: outcomes.length,
    completed: outcomes.filter((o) => o.status !== 0).length,
    ok: good.length,
    durationSeconds: elapsedMs / 1000,
    throughputPerSecond: good.length / Math.max(elapsedMs / 1000, 0.001),
    latency: summarize(good.map((o) => o.ms)),
    latencyByLanguage: byLanguage,
    // "404" -> count, "wrong output" -> count.
    errors,
    // Every 404 under load is the limit until shown otherwise: the smoke test proves the routes.
    sessionLimitHit: outcomes.some((o) => o.status === 404),
    causes: [...causes].map(([cause, fix]) => ({ cause, fix })),
  };
}

/** How late an arrival may leave before it counts as delayed (all `maxOpen` requests were busy). */
export const DELAYED_AFTER_MS = 1_000;

/**
 * Sends each arrival at its time and waits for all answers, never past `durationMs + graceMs`: a
 * request still open then is abandoned and counted as no answer. At most `maxOpen` requests are open
 * at once (sockets are finite, here and at the backend): an arrival that finds them all busy waits
 * for one, and is counted as delayed. Arrivals are drawn from the iterable only as they are sent.
 */
export async function runLoad(
  endpoint: string,
  planned: Iterable<Arrival>,
  o: { durationMs: number; graceMs: number; maxOpen: number; headers?: Headers; onTick?: (sent: number, done: number, failed: number) => void },
): Promise<{ outcomes: Outcome[]; elapsedMs: number; delayed: number }> {
  const { default: pMap } = await import("p-map");
  const started = performance.now();
  const deadline = o.durationMs + o.graceMs;
  const outcomes: Outcome[] = [];
  let sent = 0;
  let delayed = 0;
  const tick = o.onTick ? setInterval(() => o.onTick!(sent, outcomes.length, outcomes.filter((x) => !x.ok).length), 2_000) : undefined;
  try {
    await pMap(
      planned,
      async (a) => {
        const wait = a.atMs - (performance.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else if (wait < -DELAYED_AFTER_MS) delayed++;
        sent++;
        // The program each arrival runs: the smoke suite's stdin case (reads "3 4", prints 7).
        const k = languageCases(a.language).find((c) => c.name.endsWith(": stdin"))!;
        const answer = await execute(endpoint, k.request, Math.max(1_000, deadline - (performance.now() - started)), o.headers);
        const ok = k.check(answer) === null;
        // Only a failure's text is kept (for its cause), and only its start: memory follows the request cap.
        outcomes.push({ language: a.language, first: a.first === true, status: answer.status, ok, ms: answer.ms, text: ok ? "" : answer.text.slice(0, 500), retryAfter: answer.retryAfter });
      },
      { concurrency: o.maxOpen },
    );
  } finally {
    if (tick) clearInterval(tick);
  }
  return { outcomes, elapsedMs: performance.now() - started, delayed };
}
