// Drift: where the cloud differs from what the stack says (someone scaled in the portal, deleted
// the pool by hand...). Pure: the stack's resolved profile and the live values in, differences out.

import type { ResolvedProfile } from "../infra/profiles.js";
import type { LiveBackend, LivePool } from "./azure/live.js";

export interface Drift {
  what: string;
  stack: string;
  azure: string;
}

export function findDrift(desired: ResolvedProfile, pool: LivePool, backend: LiveBackend): Drift[] {
  const drift: Drift[] = [];
  const differ = (what: string, want: number | string | undefined, have: number | string | undefined) => {
    if (have !== undefined && want !== have) drift.push({ what, stack: String(want), azure: String(have) });
  };
  if (desired.pool && !pool.exists) drift.push({ what: "session pool", stack: "exists", azure: "missing" });
  else if (!desired.pool && pool.exists) drift.push({ what: "session pool", stack: `none (${desired.name})`, azure: "exists (still billed)" });
  else if (desired.pool && pool.exists) {
    differ("pool max sessions", desired.pool.maxSessions, pool.maxSessions);
    differ("pool ready sessions", desired.pool.readySessions, pool.readySessions);
    differ("pool cooldown (s)", desired.pool.cooldownSeconds, pool.cooldownSeconds);
  }
  if (!backend.exists) drift.push({ what: "backend app", stack: "exists", azure: "missing" });
  else {
    differ("backend min replicas", desired.backend.minReplicas, backend.minReplicas);
    differ("backend max replicas", desired.backend.maxReplicas, backend.maxReplicas);
  }
  return drift;
}
