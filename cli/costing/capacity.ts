// How many sessions a contest needs, and how long executions wait. Pure.
//
// With the Timed lifecycle a session stays allocated for the cooldown after its last request, so
// the backend's identifier strategy, not the number of people typing, decides the sessions held:
//   per-user       one session per user active within the last cooldown window;
//   per-execution  a fresh session per execution, held for run time + cooldown (Little's law);
//   shared:K       K sessions shared by everyone; executions queue for them (Erlang C).
// The old cost sheet's "50 sessions = 50 people executing" ignored the cooldown entirely.

export type IdentifierStrategy = { kind: "per-user" } | { kind: "per-execution" } | { kind: "shared"; sessions: number };

export function parseIdentifierStrategy(text: string): IdentifierStrategy | null {
  if (text === "per-user" || text === "per-execution") return { kind: text };
  const shared = /^shared:([1-9]\d*)$/.exec(text);
  return shared ? { kind: "shared", sessions: Number(shared[1]) } : null;
}

export function strategyLabel(s: IdentifierStrategy): string {
  return s.kind === "shared" ? `shared:${s.sessions}` : s.kind;
}

/**
 * Erlang C: the probability that an arrival waits, with `servers` parallel servers and offered
 * load `a` = arrival rate x service time (in Erlangs). Computed through the Erlang B recurrence,
 * which stays numerically stable for hundreds of servers. 1 when the queue is unstable (a >= servers).
 */
export function erlangC(servers: number, a: number): number {
  if (a <= 0) return 0;
  if (a >= servers) return 1;
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (a * b) / (k + a * b);
  return (servers * b) / (servers - a * (1 - b));
}

/** The wait that `quantile` of arrivals stay under, in an M/M/c queue (0 when most never wait). */
export function waitQuantile(servers: number, arrivalPerSecond: number, serviceSeconds: number, quantile = 0.95): number {
  const a = arrivalPerSecond * serviceSeconds;
  if (a >= servers) return Infinity;
  const pWait = erlangC(servers, a);
  const tail = 1 - quantile;
  if (pWait <= tail) return 0;
  // P(W > t) = C * exp(-(c*mu - lambda) * t)
  return Math.log(pWait / tail) / (servers / serviceSeconds - arrivalPerSecond);
}

/** The fewest servers whose p95 wait meets the target. */
export function serversForWait(arrivalPerSecond: number, serviceSeconds: number, targetSeconds: number, quantile = 0.95): number {
  let servers = Math.max(1, Math.floor(arrivalPerSecond * serviceSeconds) + 1);
  while (waitQuantile(servers, arrivalPerSecond, serviceSeconds, quantile) > targetSeconds) servers++;
  return servers;
}

/** Named assumptions; each one is a flag of `manage capacity`. */
export const CAPACITY_DEFAULTS = {
  runsPerUserPerMinute: 1,
  avgExecSeconds: 2,
  p95WaitSeconds: 2,
  hours: 2,
  /** The opening burst: everybody's first run lands within this many seconds of the start. */
  openingBurstSeconds: 60,
  /** Time for the pool to bring up a session that was not ready. UNCONFIRMED; measure it with `manage smoke`. */
  coldStartSeconds: 10,
} as const;

export interface CapacityQuery {
  users: number;
  runsPerUserPerMinute: number;
  avgExecSeconds: number;
  strategy: IdentifierStrategy;
  cooldownSeconds: number;
  p95WaitSeconds: number;
  openingBurstSeconds: number;
  coldStartSeconds: number;
}

export interface CapacityPlan {
  arrivalPerSecond: number;
  /** Sessions allocated at once in steady state (the number maxSessions must cover). */
  sessionsHeld: number;
  /** Sessions to configure as maxConcurrentSessions. */
  maxSessions: number;
  /** Ready sessions so the opening burst does not wait for cold starts. */
  readySessions: number;
  /** Executions that can run at once: sessions serve one execution at a time. */
  executionSlots: number;
  probabilityOfWaiting: number;
  p95WaitSeconds: number;
  notes: string[];
}

export function planCapacity(q: CapacityQuery): CapacityPlan {
  const lambda = (q.users * q.runsPerUserPerMinute) / 60;
  const perUserRate = q.runsPerUserPerMinute / 60;
  const notes: string[] = [];
  let held: number;
  let slots: number;
  // Sessions that must be ready when the burst starts: new sessions arrive faster than cold starts finish.
  let burstNewSessionsPerSecond: number;

  switch (q.strategy.kind) {
    case "per-user": {
      // A user holds a session while they ran something in the last cooldown (Poisson arrivals).
      const active = q.users * (1 - Math.exp(-perUserRate * q.cooldownSeconds));
      held = Math.min(q.users, Math.ceil(active - 1e-9));
      slots = held;
      burstNewSessionsPerSecond = q.users / q.openingBurstSeconds;
      notes.push(`per-user: each of ${q.users} users keeps a session for ${q.cooldownSeconds} s after their last run`);
      break;
    }
    case "per-execution": {
      held = Math.ceil(lambda * (q.avgExecSeconds + q.cooldownSeconds) - 1e-9);
      slots = held;
      burstNewSessionsPerSecond = Math.max(lambda, q.users / q.openingBurstSeconds);
      notes.push(
        `per-execution: every run takes a fresh session and holds it ${q.avgExecSeconds + q.cooldownSeconds} s (run + cooldown); ` +
          "per-user identifiers would need far fewer",
      );
      break;
    }
    case "shared": {
      held = q.strategy.sessions;
      slots = q.strategy.sessions;
      burstNewSessionsPerSecond = 0;
      const needed = serversForWait(lambda, q.avgExecSeconds, q.p95WaitSeconds);
      if (needed > slots)
        notes.push(`shared:${slots} is too few for a p95 wait of ${q.p95WaitSeconds} s: shared:${needed} meets it`);
      break;
    }
  }
  const pWait = erlangC(slots, lambda * q.avgExecSeconds);
  const p95 = waitQuantile(slots, lambda, q.avgExecSeconds);
  const ready =
    q.strategy.kind === "shared"
      ? q.strategy.sessions
      : Math.min(held, Math.ceil(burstNewSessionsPerSecond * q.coldStartSeconds - 1e-9));
  return {
    arrivalPerSecond: lambda,
    sessionsHeld: held,
    maxSessions: Math.max(1, held),
    readySessions: Math.max(0, ready),
    executionSlots: slots,
    probabilityOfWaiting: pWait,
    p95WaitSeconds: p95,
    notes,
  };
}

export interface ProfileCheck {
  ok: boolean;
  message: string;
}

/** What happens with the profile as configured: the sentence the team needs before the contest. */
export function checkAgainstProfile(
  plan: CapacityPlan,
  strategy: IdentifierStrategy,
  configured: { maxSessions: number; readySessions: number } | null,
  profileName: string,
): ProfileCheck[] {
  if (!configured) return [{ ok: false, message: `the ${profileName} profile has no session pool: every execution fails` }];
  const checks: ProfileCheck[] = [];
  const label = strategyLabel(strategy);
  if (plan.maxSessions > configured.maxSessions)
    checks.push({
      ok: false,
      message: `${plan.maxSessions} ${label} sessions > max ${configured.maxSessions}: requests beyond it will get 404`,
    });
  else checks.push({ ok: true, message: `${plan.maxSessions} ${label} sessions fit within max ${configured.maxSessions}` });
  if (plan.readySessions > configured.readySessions)
    checks.push({
      ok: false,
      message: `${configured.readySessions} ready sessions < ${plan.readySessions} for the opening burst: early runs wait for cold starts`,
    });
  return checks;
}
