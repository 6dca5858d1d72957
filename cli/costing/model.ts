// The cost model: what a profile costs per hour, day, month and contest window, per resource.
// Pure: a price book and the deployment's numbers in, an estimate out. How Azure bills each piece
// (shared/azure-facts.md, docs/costs.md):
//   session pool  custom containers run on Dedicated-plan E16 nodes (16 vCPU, 128 GiB); the nodes
//                 needed follow ready + active sessions; a management fee is charged per hour while
//                 any node exists. Ready sessions therefore cost whole nodes even when nobody runs code.
//   backend       Consumption plan: replicas kept by minReplicas bill at the idle rates while idle,
//                 busy time at the active rates, plus requests. The free grant is per subscription,
//                 so it is shown next to the estimate rather than subtracted from it.
//   registry      a flat daily fee by SKU.
//   log analytics per GB ingested.

import type { ResolvedProfile } from "../../infra/profiles.js";
import { METERS, type MeterKey, type PriceBook } from "./prices.js";

/** The node size custom-container pools run on (azure-facts.md). */
export const E16_NODE = { vcpu: 16, memoryGi: 128 } as const;

/**
 * How many sessions fit on one E16 node. UNCONFIRMED by Microsoft: derived from the session size
 * alone (no allowance for system overhead), so it is optimistic; override with --sessions-per-node
 * once `nodeCount` on a real pool shows the truth (docs/costs.md says how).
 */
export function derivedSessionsPerNode(session: { cpu: number; memoryGi: number }): number {
  return Math.max(1, Math.floor(Math.min(E16_NODE.vcpu / session.cpu, E16_NODE.memoryGi / session.memoryGi)));
}

/** Log Analytics ingestion assumed when nothing better is known: environment and session console logs. */
export const DEFAULT_LOG_GB_PER_DAY = 0.1;
export const HOURS_PER_DAY = 24;
/** Azure's billing month. */
export const HOURS_PER_MONTH = 730;

export const FREE_GRANT_PER_MONTH = { vcpuSeconds: 180_000, gibSeconds: 360_000, requests: 2_000_000 } as const;

export interface Load {
  /** Executions over the window. */
  executions: number;
  avgExecSeconds: number;
  /**
   * Average sessions held beyond the ready ones. Default: every execution holds a session for its
   * run time plus the cooldown (per-execution identifiers, the worst case); `manage capacity`
   * passes its own figure for the strategy in use.
   */
  heldSessions?: number;
}

export interface CostQuery {
  profile: ResolvedProfile;
  session: { cpu: number; memoryGi: number };
  backend: { cpu: number; memoryGi: number; concurrentRequests: number };
  registrySku: "Basic" | "Standard" | "Premium";
  windowHours: number;
  load?: Load;
  sessionsPerNode?: number;
  logGbPerDay?: number;
}

export type Resource = "session pool" | "backend" | "registry" | "log analytics";

export interface CostLine {
  resource: Resource;
  part: "always-on" | "usage";
  /** USD per hour (always-on parts) or null for usage parts. */
  perHour: number | null;
  /** USD over the window; null when a price it needs is missing. */
  windowUsd: number | null;
  basis: string;
  missing: MeterKey[];
}

export interface Estimate {
  region: string;
  profile: ResolvedProfile["name"];
  windowHours: number;
  sessionsPerNode: number;
  nodes: { ready: number; peak: number };
  nodeHourUsd: number | null;
  lines: CostLine[];
  /** The burn rate with nobody executing code: the sum of always-on lines. */
  perHour: number;
  perDay: number;
  perMonth: number;
  /** Always-on for the window plus the usage the load adds. */
  window: number;
  /** What one more execution adds: session time (run + cooldown), backend time and the request. */
  marginalPerExecution: number | null;
  /** Every meter a line needed and the book lacks: the totals leave those parts out. */
  missing: MeterKey[];
  complete: boolean;
  /** What the monthly free grant (per subscription) is worth at this book's active rates. */
  freeGrantUsd: number | null;
}

/** A tiny helper that records which meters a calculation needed but did not have. */
function pricer(book: PriceBook) {
  const missing = new Set<MeterKey>();
  const rate = (key: MeterKey): number => {
    const price = book.prices[key];
    if (price === undefined) {
      missing.add(key);
      return NaN;
    }
    return price.usd;
  };
  return { rate, missing, take: () => [...missing] };
}

function line(
  book: PriceBook,
  resource: Resource,
  part: CostLine["part"],
  basis: string,
  compute: (rate: (key: MeterKey) => number) => { perHour: number | null; windowUsd: number },
): CostLine {
  const p = pricer(book);
  const { perHour, windowUsd } = compute(p.rate);
  const missing = p.take();
  const ok = missing.length === 0;
  return { resource, part, perHour: ok ? perHour : null, windowUsd: ok ? windowUsd : null, basis, missing };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function estimateCost(book: PriceBook, q: CostQuery): Estimate {
  const spn = q.sessionsPerNode ?? derivedSessionsPerNode(q.session);
  const pool = q.profile.pool;
  const hours = q.windowHours;
  const windowSeconds = hours * 3600;
  const logGbPerDay = q.logGbPerDay ?? DEFAULT_LOG_GB_PER_DAY;
  const nodeHour = (rate: (k: MeterKey) => number) =>
    E16_NODE.vcpu * rate("dedicatedVcpuHour") + E16_NODE.memoryGi * rate("dedicatedMemoryGibHour");

  // Sessions beyond the ready ones that the load holds on average (Little's law by default).
  const held = pool && q.load ? (q.load.heldSessions ?? (q.load.executions * (q.load.avgExecSeconds + pool.cooldownSeconds)) / windowSeconds) : 0;
  const readyNodes = pool && pool.readySessions > 0 ? Math.ceil(pool.readySessions / spn) : 0;
  const maxNodes = pool ? Math.ceil(pool.maxSessions / spn) : 0;
  const peakNodes = pool ? Math.min(maxNodes, Math.ceil((pool.readySessions + held) / spn)) : 0;

  const lines: CostLine[] = [];
  if (pool) {
    lines.push(
      line(book, "session pool", "always-on", `${plural(readyNodes, "E16 node")} for ${plural(pool.readySessions, "ready session")} (${spn} per node)${readyNodes ? " + management fee" : ""}`, (rate) => {
        const perHour = readyNodes === 0 ? 0 : readyNodes * nodeHour(rate) + rate("dedicatedManagementHour");
        return { perHour, windowUsd: perHour * hours };
      }),
    );
    if (q.load && peakNodes > readyNodes)
      lines.push(
        line(book, "session pool", "usage", heldBasis(peakNodes - readyNodes, held, pool), (rate) => ({
          perHour: null,
          windowUsd:
            (peakNodes - readyNodes) * nodeHour(rate) * hours + (readyNodes === 0 ? rate("dedicatedManagementHour") * hours : 0),
        })),
      );
  }

  const b = q.backend;
  const min = q.profile.backend.minReplicas;
  lines.push(
    line(book, "backend", "always-on", `${plural(min, "replica")} kept by minReplicas, idle rates (${b.cpu} vCPU, ${b.memoryGi} GiB)`, (rate) => {
      const perHour =
        min === 0 ? 0 : min * 3600 * (b.cpu * rate("consumptionVcpuIdleSecond") + b.memoryGi * rate("consumptionMemoryIdleGibSecond"));
      return { perHour, windowUsd: perHour * hours };
    }),
  );
  if (q.load && q.load.executions > 0) {
    const load = q.load;
    const busySeconds = (load.executions * load.avgExecSeconds) / b.concurrentRequests;
    lines.push(
      line(book, "backend", "usage", `${load.executions.toLocaleString("en-US")} requests, ~${Math.round(busySeconds)} replica-seconds busy`, (rate) => {
        // A replica already billed idle (minReplicas >= 1) pays only the difference while busy.
        const active = b.cpu * rate("consumptionVcpuActiveSecond") + b.memoryGi * rate("consumptionMemoryActiveGibSecond");
        const idle = min > 0 ? b.cpu * rate("consumptionVcpuIdleSecond") + b.memoryGi * rate("consumptionMemoryIdleGibSecond") : 0;
        return { perHour: null, windowUsd: busySeconds * (active - idle) + (load.executions / 1e6) * rate("consumptionRequestsMillion") };
      }),
    );
  }

  const registryKey: MeterKey = `registry${q.registrySku}Day`;
  lines.push(
    line(book, "registry", "always-on", `${q.registrySku} SKU, flat daily fee`, (rate) => {
      const perHour = rate(registryKey) / HOURS_PER_DAY;
      return { perHour, windowUsd: perHour * hours };
    }),
  );
  lines.push(
    line(book, "log analytics", "always-on", `~${logGbPerDay} GB/day ingested (assumption; first 5 GB/month free per billing account)`, (rate) => {
      const perHour = (logGbPerDay * rate("logIngestionGb")) / HOURS_PER_DAY;
      return { perHour, windowUsd: perHour * hours };
    }),
  );

  const missing = [...new Set(lines.flatMap((l) => l.missing))];
  const perHour = sum(lines.filter((l) => l.part === "always-on").map((l) => l.perHour ?? 0));
  const window = sum(lines.map((l) => l.windowUsd ?? 0));

  const m = pricer(book);
  let marginal: number | null = null;
  if (pool) {
    const exec = q.load?.avgExecSeconds ?? 2;
    const sessionShare = (((exec + pool.cooldownSeconds) / 3600) * nodeHour(m.rate)) / spn;
    const backendBusy = (exec / b.concurrentRequests) * (b.cpu * m.rate("consumptionVcpuActiveSecond") + b.memoryGi * m.rate("consumptionMemoryActiveGibSecond"));
    marginal = sessionShare + backendBusy + m.rate("consumptionRequestsMillion") / 1e6;
    if (!Number.isFinite(marginal)) marginal = null;
  }
  const g = pricer(book);
  const grant =
    FREE_GRANT_PER_MONTH.vcpuSeconds * g.rate("consumptionVcpuActiveSecond") +
    FREE_GRANT_PER_MONTH.gibSeconds * g.rate("consumptionMemoryActiveGibSecond") +
    (FREE_GRANT_PER_MONTH.requests / 1e6) * g.rate("consumptionRequestsMillion");

  let nodeHourUsd: number | null = nodeHour(pricer(book).rate);
  if (!Number.isFinite(nodeHourUsd)) nodeHourUsd = null;
  return {
    region: book.region,
    profile: q.profile.name,
    windowHours: hours,
    sessionsPerNode: spn,
    nodes: { ready: readyNodes, peak: Math.max(readyNodes, peakNodes) },
    nodeHourUsd,
    lines,
    perHour,
    perDay: perHour * HOURS_PER_DAY,
    perMonth: perHour * HOURS_PER_MONTH,
    window,
    marginalPerExecution: marginal,
    missing,
    complete: missing.length === 0,
    freeGrantUsd: Number.isFinite(grant) ? grant : null,
  };
}

function heldBasis(extraNodes: number, held: number, pool: { readySessions: number; maxSessions: number }): string {
  const base = `+${plural(extraNodes, "node")} for ~${Math.round(held)} sessions held by the load`;
  return pool.readySessions + held > pool.maxSessions
    ? `${base}, capped at max ${pool.maxSessions} (requests beyond it get 404)`
    : base;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Human words for a missing meter, for messages. */
export function describeMeter(key: MeterKey): string {
  return `${METERS[key].meterName} (${METERS[key].what})`;
}

/**
 * The burn rate right now, from what Azure reports: the pool's live nodeCount (not the nodes its
 * ready sessions imply) and the backend's running replicas, plus the always-on registry and logs.
 */
export function liveBurnPerHour(
  book: PriceBook,
  q: Pick<CostQuery, "backend" | "registrySku" | "logGbPerDay"> & { nodeCount: number; backendReplicas: number },
): { perHour: number; complete: boolean } {
  const p = pricer(book);
  const pool = q.nodeCount > 0 ? q.nodeCount * (E16_NODE.vcpu * p.rate("dedicatedVcpuHour") + E16_NODE.memoryGi * p.rate("dedicatedMemoryGibHour")) + p.rate("dedicatedManagementHour") : 0;
  const backend =
    q.backendReplicas * 3600 * (q.backend.cpu * p.rate("consumptionVcpuIdleSecond") + q.backend.memoryGi * p.rate("consumptionMemoryIdleGibSecond"));
  const fixed = p.rate(`registry${q.registrySku}Day`) / HOURS_PER_DAY + ((q.logGbPerDay ?? DEFAULT_LOG_GB_PER_DAY) * p.rate("logIngestionGb")) / HOURS_PER_DAY;
  const parts = [pool, backend, fixed];
  return { perHour: sum(parts.filter(Number.isFinite)), complete: parts.every(Number.isFinite) };
}
