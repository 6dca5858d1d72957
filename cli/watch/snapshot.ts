// One refresh of `manage watch`, as data: the pool's pressure against its cap, the backend's
// replicas and answers by status class, the cost so far in the window and the burn rate (the one
// cost model: liveBurnPerHour and the planner's nodesFor), the time left, and the warnings. Pure:
// what Azure said and the stack's settings in, the snapshot out. The command prints it.

import { nodesFor } from "../../infra/capacity.js";
import type { DeploymentSettings } from "../../infra/config.js";
import { gatewayRunning } from "../../infra/access-mode.js";
import { liveBurnPerHour } from "../../infra/costing/model.js";
import type { PriceBook } from "../../infra/costing/prices.js";
import type { LiveState } from "../azure/live.js";
import type { Sample, Timeline } from "../azure/metrics.js";
import { costQuery } from "../../infra/costing/query.js";
import { latest, watchWarnings, type WatchWarning } from "./warnings.js";

/**
 * The window watch reports against. Its end is the stack's expiry (`scale --for`) as `manage status`
 * reads it: the operation in effect, from the stack's state (settingsInEffect). The start is the
 * pool's creation time (ARM systemData.createdAt): nodes are billed from then on.
 */
export function contestWindow(settings: Pick<DeploymentSettings, "profileExpiresAt">, live: LiveState) {
  const created = live.available && live.pool.exists ? live.pool.createdAt : undefined;
  return {
    /** When spending in this window began: the pool's creation (a contest's pool is created by the scale that starts it). */
    start: created ? new Date(created) : null,
    /** When the stack returns to idle. */
    end: settings.profileExpiresAt,
  };
}

export interface SnapshotInput {
  stack: string;
  now: Date;
  settings: DeploymentSettings;
  book: PriceBook | null;
  live: LiveState;
  /** PT1M samples since `recentFrom` (warnings, the current numbers, the latest part of the cost). */
  recent: Timeline | null;
  recentFrom: Date;
  /** Samples from the window's start up to about `recentFrom`, at a coarser grain when the window is long; null when it started after. */
  history: Timeline | null;
  unavailable: string[];
}

const round = (n: number | undefined, digits = 1) => (n === undefined ? null : Math.round(n * 10 ** digits) / 10 ** digits);

/** The burn at these counts: the stack's backend, registry, logs and running gateway, as the model queries them (infra/costing/query.ts); no alert rules. */
const burn = (book: PriceBook, settings: DeploymentSettings, nodeCount: number, backendReplicas: number) =>
  liveBurnPerHour(book, { ...costQuery(settings, settings.profile, 0), alerts: undefined, gateway: gatewayRunning(settings), nodeCount, backendReplicas });

/**
 * The cost of the window so far: each bucket at the burn rate of what ran in it, nodes from the
 * sessions held plus ready (the planner's nodesFor, sessions per node from the session size), the
 * backend's replicas from its metric. A bucket without data keeps the previous one's values (the
 * gauges hold); only the part of each bucket inside [from, to) counts. Pure.
 */
export function costSoFar(book: PriceBook, settings: DeploymentSettings, history: Timeline, from: number, to: number): { usd: number; complete: boolean } {
  const perNode = settings.participantModel.sessionsPerNode;
  let usd = 0;
  let complete = true;
  let sessions = 0;
  let replicas = 0;
  for (const s of history.samples) {
    if (s.executing !== undefined || s.pending !== undefined || s.ready !== undefined) sessions = (s.executing ?? 0) + (s.pending ?? 0) + (s.ready ?? 0);
    if (s.replicas !== undefined) replicas = s.replicas;
    const start = Math.max(s.at, from);
    const end = Math.min(s.at + history.bucketMs, to);
    if (end <= start) continue;
    const b = burn(book, settings, nodesFor(sessions, perNode), Math.ceil(replicas - 1e-9));
    usd += (b.perHour * (end - start)) / 3_600_000;
    complete &&= b.complete;
  }
  return { usd, complete };
}

/** The window's cost: the history up to where the recent minutes begin, then the recent minutes. */
function costOfWindow(book: PriceBook, settings: DeploymentSettings, start: number, i: SnapshotInput, now: number): { usd: number; complete: boolean } | null {
  const split = Math.max(start, i.recentFrom.getTime());
  const parts = [
    start < split ? (i.history ? costSoFar(book, settings, i.history, start, split) : null) : { usd: 0, complete: true },
    i.recent ? costSoFar(book, settings, i.recent, split, now) : null,
  ];
  if (parts.some((p) => p === null)) return null;
  return { usd: parts.reduce((a, p) => a + p!.usd, 0), complete: parts.every((p) => p!.complete) };
}

export type Snapshot = ReturnType<typeof buildSnapshot>;

export function buildSnapshot(i: SnapshotInput) {
  const now = i.now.getTime();
  const { settings, live } = i;
  const profile = settings.profile;
  const samples: Sample[] = i.recent?.samples ?? [];
  const window = contestWindow(settings, live);
  const pool = live.available ? live.pool : null;
  const executing = latest(samples, "executing");
  const pending = latest(samples, "pending");
  const cap = profile.pool?.maxSessions ?? null;
  const replicas = latest(samples, "replicas") ?? (live.available ? (live.backend.runningReplicas ?? undefined) : undefined);
  const requests = latest(samples, "requests") ?? null;

  let cost: { soFar: number | null; since: string | null; perHour: number | null; perDay: number | null; complete: boolean; basis: string } = { soFar: null, since: null, perHour: null, perDay: null, complete: false, basis: "no prices for this region" };
  if (i.book) {
    const nodes = pool?.exists ? (pool.nodeCount ?? 0) : 0;
    const reps = Math.ceil((replicas ?? 0) - 1e-9);
    const b = burn(i.book, settings, nodes, reps);
    const so = window.start ? costOfWindow(i.book, settings, window.start.getTime(), i, now) : null;
    cost = {
      soFar: so ? so.usd : null,
      since: window.start?.toISOString() ?? null,
      perHour: live.available ? b.perHour : null,
      perDay: live.available ? b.perHour * 24 : null,
      complete: b.complete && (so?.complete ?? true),
      basis: live.available ? `${nodes} E16 node(s), ${reps} backend replica(s)${gatewayRunning(settings) ? `, the ${settings.access.gateway!.sku} gateway` : ""}` : "live state unavailable",
    };
  }

  return {
    stack: i.stack,
    at: i.now.toISOString(),
    profile: profile.name,
    window: {
      start: window.start?.toISOString() ?? null,
      end: window.end?.toISOString() ?? null,
      remainingSeconds: window.end ? Math.round((window.end.getTime() - now) / 1000) : null,
    },
    pool: {
      exists: pool ? pool.exists : null,
      executing: round(executing),
      pending: round(pending),
      ready: round(latest(samples, "ready")),
      /** The cap the stack's profile sets (maxConcurrentSessions); Azure's own when it differs. */
      maxSessions: cap,
      azureMaxSessions: pool?.exists ? (pool.maxSessions ?? null) : null,
      /** (executing + being created) / maxSessions. */
      capShare: cap && executing !== undefined ? round(((executing ?? 0) + (pending ?? 0)) / cap, 3) : null,
      nodes: pool?.exists ? (pool.nodeCount ?? null) : pool ? 0 : null,
    },
    backend: {
      replicas: round(replicas),
      maxReplicas: profile.backend.maxReplicas,
      /** The latest minute Azure has reported, by status class ("2xx", "4xx", "5xx"). */
      requestsPerMinute: requests,
      notFoundPerMinute: latest(samples, "notFound") ?? null,
    },
    cost,
    warnings: watchWarnings({
      samples,
      pool: profile.pool && { maxSessions: profile.pool.maxSessions, readySessions: profile.pool.readySessions },
      backendMaxReplicas: profile.backend.maxReplicas,
      stack: i.stack,
      profile: profile.name,
      expiresAt: i.settings.profileExpiresAt,
      now: i.now,
    }),
    /** What could not be read, in words (not logged in, no permission...). */
    unavailable: i.unavailable,
  };
}
