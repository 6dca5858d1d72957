// The distributions a contest's sessions follow, computed exactly (no normal approximation):
//   Poisson(mean)   sessions held with per-execution identifiers (M/G/inf: arrivals x hold time);
//   Binomial(n, p)  sessions held with per-user identifiers (each of n participants active with chance p).
// Probabilities are summed term by term from log-space pmfs, so a mean of ~1000 neither
// overflows (1000^k) nor underflows (e^-1000). Pure; no imports.

/** A discrete distribution on 0, 1, 2, ... through what sizing needs: its mean and upper tail. */
export interface Discrete {
  readonly mean: number;
  /** P(X >= c). */
  tail(c: number): number;
  /** P(X = k). */
  pmf(k: number): number;
  /** A value the distribution (practically) never exceeds: searches stop here. */
  readonly upperBound: number;
}

const LOG_FACTORIAL_TABLE: number[] = [0];
for (let n = 1; n < 256; n++) LOG_FACTORIAL_TABLE[n] = LOG_FACTORIAL_TABLE[n - 1]! + Math.log(n);

/** ln(n!): exact sums below 256, Stirling's series above (error < 1e-15 relative there). */
export function logFactorial(n: number): number {
  if (n < 256) return LOG_FACTORIAL_TABLE[n]!;
  const inv = 1 / n;
  const inv2 = inv * inv;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

/**
 * Sums pmf(k) for k = from, from+step, ... Callers start on the far side of the mode and walk away
 * from it, where the terms only shrink: stop once they can no longer change the sum.
 */
function sumTerms(pmf: (k: number) => number, from: number, to: number, step: 1 | -1): number {
  let total = 0;
  for (let k = from; step === 1 ? k <= to : k >= to; k += step) {
    const term = pmf(k);
    total += term;
    if (term === 0 || term < total * 1e-17) break;
  }
  return total;
}

/** Upper tail from whichever side needs fewer, well-conditioned terms. */
function tailFrom(pmf: (k: number) => number, mode: number, c: number, max: number): number {
  if (c <= 0) return 1;
  if (c > max) return 0;
  // Above the mode: add the tail directly. At or below it: 1 minus the (shrinking) lower terms.
  if (c > mode) return Math.min(1, sumTerms(pmf, c, max, 1));
  return Math.max(0, 1 - sumTerms(pmf, c - 1, 0, -1));
}

export function poisson(mean: number): Discrete {
  if (!(mean >= 0) || !Number.isFinite(mean)) throw new RangeError(`Poisson mean must be finite and >= 0, got ${mean}`);
  const logMean = Math.log(mean);
  const pmf = (k: number) => (mean === 0 ? (k === 0 ? 1 : 0) : Math.exp(k * logMean - mean - logFactorial(k)));
  const upperBound = Math.ceil(mean + 40 * Math.sqrt(mean) + 40);
  return { mean, upperBound, pmf, tail: (c) => tailFrom(pmf, Math.floor(mean), Math.ceil(c), upperBound) };
}

export function binomial(n: number, p: number): Discrete {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Binomial n must be a whole number >= 0, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`Binomial p must be in [0, 1], got ${p}`);
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const pmf = (k: number) => {
    if (k < 0 || k > n) return 0;
    if (p === 0) return k === 0 ? 1 : 0;
    if (p === 1) return k === n ? 1 : 0;
    return Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * logP + (n - k) * logQ);
  };
  return { mean: n * p, upperBound: n, pmf, tail: (c) => tailFrom(pmf, Math.floor((n + 1) * p), Math.ceil(c), n) };
}

/** X + shift: a fixed number on top of a random one (everyone in the opening burst, plus arrivals since). */
export function shifted(d: Discrete, shift: number): Discrete {
  return { mean: d.mean + shift, upperBound: d.upperBound + shift, pmf: (k) => d.pmf(k - shift), tail: (c) => d.tail(c - shift) };
}

/**
 * X + Y for independent X and Y (others' first runs plus their repeat runs in one window):
 * P(X + Y >= c) = sum over x of P(X = x) P(Y >= c - x), over the values X practically takes
 * (its mean +- 12 standard deviations: the terms left out are below 1e-30).
 */
export function sum(x: Discrete, y: Discrete): Discrete {
  let variance = 0;
  for (let k = 0; k <= x.upperBound; k++) {
    const p = x.pmf(k);
    variance += p * (k - x.mean) ** 2;
    if (k > x.mean && p < 1e-30) break;
  }
  const spread = 12 * Math.sqrt(variance) + 12;
  const lo = Math.max(0, Math.floor(x.mean - spread));
  const hi = Math.min(x.upperBound, Math.ceil(x.mean + spread));
  // Tabulated once: X's probabilities over [lo, hi] and Y's upper tails, so each tail is one pass.
  const xs = Array.from({ length: hi - lo + 1 }, (_, j) => x.pmf(lo + j));
  const yTail: number[] = [];
  const yTailAt = (k: number) => {
    if (k <= 0) return 1;
    if (k > y.upperBound) return 0;
    if (yTail.length === 0) {
      yTail[y.upperBound + 1] = 0;
      for (let i = y.upperBound; i >= 0; i--) yTail[i] = yTail[i + 1]! + y.pmf(i);
    }
    return Math.min(1, yTail[k]!);
  };
  return {
    mean: x.mean + y.mean,
    upperBound: x.upperBound + y.upperBound,
    pmf: (k) => {
      let total = 0;
      for (let j = lo; j <= Math.min(hi, k); j++) total += xs[j - lo]! * y.pmf(k - j);
      return total;
    },
    tail: (c) => {
      let total = 0;
      for (let j = lo; j <= hi; j++) total += xs[j - lo]! * yTailAt(Math.ceil(c) - j);
      return Math.min(1, total);
    },
  };
}

/**
 * A small seeded generator (mulberry32): the planner samples opening bursts with a fixed seed, so
 * the same inputs always give the same plan.
 */
export function seededUniform(seed: number): () => number {
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

/** The smallest count in [lo, hi] meeting a test that holds from some count on (bisection). */
export function smallestMeeting(lo: number, hi: number, meets: (n: number) => boolean): number {
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (meets(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The smallest c with P(X >= c) <= epsilon. For a session cap c this is the smallest cap at which
 * an arriving request finds the pool full (the others already hold c) with probability <= epsilon.
 * Over [0, upperBound + 1]: the tail falls as c grows.
 */
export function smallestWithTailAtMost(d: Discrete, epsilon: number): number {
  return smallestMeeting(0, d.upperBound + 1, (c) => d.tail(c) <= epsilon);
}

/** The q-quantile: the smallest k with P(X <= k) >= q (e.g. the 99th percentile at q = 0.99). */
export function quantile(d: Discrete, q: number): number {
  return smallestWithTailAtMost(d, 1 - q) - 1;
}
