// The cost model: what a profile costs per hour, day, month and contest window, per resource, and
// the most it can cost in a day. Pure: a price book and the deployment's numbers in, an estimate
// out. How Azure bills each piece (shared/azure-facts.md, docs/costs.md):
//   session pool  custom containers run on Dedicated-plan E16 nodes (16 vCPU, 128 GiB); the nodes
//                 follow held + ready sessions (ready ones are kept in addition to held ones); a
//                 management fee is charged per hour while any node exists (ASSUMED for a pool
//                 alone: the docs tie it to dedicated workload profiles). Ready sessions cost
//                 whole nodes even when nobody runs code.
//   backend       Consumption plan: replicas kept by minReplicas bill at the idle rates while idle,
//                 busy time at the active rates, plus requests. The free grant is per subscription,
//                 so it is shown next to the estimate rather than subtracted from it.
//   registry      a flat daily fee by SKU, plus storage beyond what the SKU includes.
//   log analytics per GB ingested: what the executions and the replicas write, up to the
//                 workspace's daily cap. Nothing runs, nothing logs.
//   gateway       accessMode token: one API Management unit of the stack's tier, billed per hour
//                 whether called or not, only while a pool exists (the gate lives with the pool:
//                 gatewayFor, infra/access-mode.ts). It takes up to GATEWAY_CREATE_MINUTES to
//                 create, so a window's warm-up on a token stack is at least that long, and the
//                 window bills that warm-up. Calls are included in the Developer and Basic tiers.
//   alerts        alertEmails: each metric alert rule monitors one time series, billed per month
//                 (a named assumption: infra/costing/prices.ts); the rules follow the profile
//                 (infra/monitoring.ts). The action group's mails and the budget are free.
// Sessions held and nodes come from the one planner, infra/capacity.ts.

import type { ResolvedProfile } from "../profiles.js";
import { GATEWAY_CREATE_MINUTES, gatewayFor, type GatewaySku } from "../access-mode.js";
import { DEFAULT_PARTICIPANTS, E16_NODE, meanHeld, NODE_RESERVED_SHARE, nodesFor, sessionsPerNode, type ParticipantModel } from "../capacity.js";
import { METERS, type MeterKey, type PriceBook } from "./prices.js";

export const HOURS_PER_DAY = 24;
/** Azure's billing month. */
export const HOURS_PER_MONTH = 730;

export const FREE_GRANT_PER_MONTH = { vcpuSeconds: 180_000, gibSeconds: 360_000, requests: 2_000_000 } as const;

/** Storage each registry SKU includes, in GB. */
export const REGISTRY_INCLUDED_GB = { Basic: 10, Standard: 100, Premium: 500 } as const;

/**
 * Named assumptions of the cost model, each overridable by a flag of `manage cost-estimate` and
 * `manage capacity`. docs/costs.md says why each value and how to check it against the bill.
 */
export const COST_ASSUMPTIONS = {
  /** Log Analytics GB per 1000 executions: session console output, lifecycle events, the backend's request log (~10 KB a run). */
  logGbPer1000Runs: 0.01,
  /** Log Analytics GB per backend replica-hour: probe and system log lines (~1 MB an hour). */
  logGbPerReplicaHour: 0.001,
  /** What the registry holds: two images (~2 GB with four toolchains) plus ~0.5 GB of new layers per rollout, 12 rollouts kept. */
  registryStoredGb: 2 + 0.5 * 12,
  /** `manage scale` runs about 30 minutes before a contest (docs/runbook.md). */
  warmUpHours: 0.5,
  /** `--for` ends 30 minutes after the contest, and the expiry job runs every 30 minutes. */
  tailHours: 1,
  /** The Dedicated Plan Management fee applies to a custom-container pool alone. UNCONFIRMED. */
  managementFee: true,
} as const;

export interface Load {
  /** Executions over the window. */
  executions: number;
  runSeconds: number;
  /**
   * Average sessions held. Default: the planner's figure for the stack's identifier strategy and
   * participants at this load (or, without a participant model, per-execution: Little's law).
   */
  heldSessions?: number;
}

export interface CostQuery {
  profile: ResolvedProfile;
  session: { cpu: number; memoryGi: number };
  backend: { cpu: number; memoryGi: number; concurrentRequests: number };
  registrySku: "Basic" | "Standard" | "Premium";
  /** accessMode token: the gateway's tier; absent or null without a gateway. */
  gateway?: { sku: GatewaySku } | null;
  /** alertEmails: the metric alert rules the profile has (infra/monitoring.ts); absent or 0: none. */
  alerts?: { rules: number } | null;
  windowHours: number;
  load?: Load;
  /** Who the load comes from: turns executions into sessions held (infra/capacity.ts). */
  participantModel?: ParticipantModel;
  sessionsPerNode?: number;
  reservedShare?: number;
  logs?: { gbPer1000Runs?: number; gbPerReplicaHour?: number; dailyCapGb?: number };
  registryStoredGb?: number;
  managementFee?: boolean;
  warmUpHours?: number;
  tailHours?: number;
}

export type Resource = "session pool" | "backend" | "registry" | "log analytics" | "gateway" | "alerts";

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

/** The most a profile can cost in a day (atMostPerDay). */
export type AtMost = ReturnType<typeof atMostPerDay>;

/** A cost estimate: what estimateCost answers, each field said where it is computed. */
export type Estimate = ReturnType<typeof estimateCost>;

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
type Rate = (key: MeterKey) => number;

function line(
  book: PriceBook,
  resource: Resource,
  part: CostLine["part"],
  basis: string,
  compute: (rate: Rate) => { perHour: number | null; windowUsd: number },
): CostLine {
  const p = pricer(book);
  const { perHour, windowUsd } = compute(p.rate);
  const missing = p.take();
  const ok = missing.length === 0;
  return { resource, part, perHour: ok ? perHour : null, windowUsd: ok ? windowUsd : null, basis, missing };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const gb = (n: number) => (n >= 0.1 ? n.toFixed(1) : n >= 0.001 ? n.toFixed(3) : n === 0 ? "0" : n.toPrecision(1));

// The unit costs, each in one place: the estimate, the ceiling and the live burn rate use these.
const nodeHour = (rate: Rate) => E16_NODE.vcpu * rate("dedicatedVcpuHour") + E16_NODE.memoryGi * rate("dedicatedMemoryGibHour");
const poolPerHour = (rate: Rate, nodes: number, fee: boolean) =>
  nodes === 0 ? 0 : nodes * nodeHour(rate) + (fee ? rate("dedicatedManagementHour") : 0);
/** One backend replica per second at the Consumption plan's idle or active rates. */
const replicaPerSecond = (rate: Rate, b: { cpu: number; memoryGi: number }, state: "Idle" | "Active") =>
  b.cpu * rate(`consumptionVcpu${state}Second`) + b.memoryGi * rate(`consumptionMemory${state}GibSecond`);
const registryOverGb = (sku: CostQuery["registrySku"], storedGb: number) => Math.max(0, storedGb - REGISTRY_INCLUDED_GB[sku]);
const registryPerHour = (rate: Rate, sku: CostQuery["registrySku"], storedGb: number) => {
  const over = registryOverGb(sku, storedGb);
  return rate(`registry${sku}Day`) / HOURS_PER_DAY + (over > 0 ? (over * rate("registryStorageGbMonth")) / HOURS_PER_MONTH : 0);
};
/**
 * The warm-up a window bills: the assumption (or --warm-up-hours), and on a stack whose profile runs
 * a gateway at least the gateway's creation time (GATEWAY_CREATE_MINUTES), which the schedule
 * enforces for the same reason.
 */
export function warmUpHoursFor(q: Pick<CostQuery, "warmUpHours" | "gateway" | "profile">): number {
  const asked = q.warmUpHours ?? COST_ASSUMPTIONS.warmUpHours;
  return gatewayFor(q.gateway, q.profile.pool) ? Math.max(asked, GATEWAY_CREATE_MINUTES / 60) : asked;
}

/** The meter of each gateway tier the program offers. */
export const GATEWAY_METERS: Readonly<Record<GatewaySku, MeterKey>> = { Developer: "apimDeveloperHour", Basic: "apimBasicHour" };
/** One unit of the gateway's tier, per hour; 0 without a gateway. */
const gatewayPerHour = (rate: Rate, gateway: CostQuery["gateway"]) => (gateway ? rate(GATEWAY_METERS[gateway.sku]) : 0);
/** The metric alert rules, per hour: each monitors one time series, billed per month (730 h). */
const alertsPerHour = (rate: Rate, alerts: CostQuery["alerts"]) =>
  alerts && alerts.rules > 0 ? (alerts.rules * rate("metricAlertTimeSeriesMonth")) / HOURS_PER_MONTH : 0;
/** GB a day the always-running replicas log, within the daily cap. */
const replicaLogGbPerDay = (replicas: number, gbPerReplicaHour: number, capGb: number) =>
  Math.min(capGb, replicas * gbPerReplicaHour * HOURS_PER_DAY);

type Assumed = ReturnType<typeof assumed>;
function assumed(q: Pick<CostQuery, "logs" | "registryStoredGb" | "managementFee">) {
  return {
    gbPer1000Runs: q.logs?.gbPer1000Runs ?? COST_ASSUMPTIONS.logGbPer1000Runs,
    gbPerReplicaHour: q.logs?.gbPerReplicaHour ?? COST_ASSUMPTIONS.logGbPerReplicaHour,
    dailyCapGb: q.logs?.dailyCapGb ?? Infinity,
    registryStoredGb: q.registryStoredGb ?? COST_ASSUMPTIONS.registryStoredGb,
    managementFee: q.managementFee ?? COST_ASSUMPTIONS.managementFee,
  };
}

/** Sessions a load holds on average: the planner's figure for the strategy, capped by maxSessions. */
function heldByLoad(q: CostQuery, pool: NonNullable<ResolvedProfile["pool"]>): number {
  const load = q.load;
  if (!load || load.executions <= 0) return 0;
  if (load.heldSessions !== undefined) return Math.min(pool.maxSessions, load.heldSessions);
  const minutes = q.windowHours * 60;
  const model = q.participantModel;
  const held = model
    ? meanHeld({
        ...model,
        runsPerParticipantPerMinute: load.executions / minutes / model.participants,
        runSeconds: load.runSeconds,
        cooldownSeconds: pool.cooldownSeconds,
      })
    : (load.executions * (load.runSeconds + pool.cooldownSeconds)) / (q.windowHours * 3600);
  return Math.min(pool.maxSessions, held);
}

export function estimateCost(book: PriceBook, q: CostQuery) {
  const spn = q.sessionsPerNode ?? sessionsPerNode(q.session, q.reservedShare);
  const a = assumed(q);
  const pool = q.profile.pool;
  const hours = q.windowHours;
  const gateway = gatewayFor(q.gateway, pool);
  const billedHours = pool ? hours + warmUpHoursFor(q) + (q.tailHours ?? COST_ASSUMPTIONS.tailHours) : hours;

  const held = pool ? heldByLoad(q, pool) : 0;
  const readyNodes = pool ? nodesFor(pool.readySessions, spn) : 0;
  const windowNodes = pool ? Math.max(readyNodes, nodesFor(held + pool.readySessions, spn)) : 0;
  const peakNodes = pool ? nodesFor(pool.maxSessions + pool.readySessions, spn) : 0;
  const feeWord = a.managementFee ? " + management fee (assumed)" : " (management fee not assumed)";

  /** A line billed per hour for every billed hour: the window with its warm-up and tail. */
  const alwaysOn = (resource: Resource, basis: string, perHourOf: (rate: Rate) => number) =>
    line(book, resource, "always-on", basis, (rate) => {
      const perHour = perHourOf(rate);
      return { perHour, windowUsd: perHour * billedHours };
    });
  const lines: CostLine[] = [];
  if (pool) {
    lines.push(
      alwaysOn("session pool", `${plural(readyNodes, "E16 node")} for ${plural(pool.readySessions, "ready session")} (${spn} per node)${readyNodes ? feeWord : ""}`, (rate) =>
        poolPerHour(rate, readyNodes, a.managementFee),
      ),
    );
    if (q.load && windowNodes > readyNodes)
      lines.push(
        line(book, "session pool", "usage", heldBasis(windowNodes - readyNodes, held, pool, q.load.heldSessions === undefined && !!q.participantModel), (rate) => ({
          perHour: null,
          windowUsd:
            (windowNodes - readyNodes) * nodeHour(rate) * hours + (readyNodes === 0 && a.managementFee ? rate("dedicatedManagementHour") * hours : 0),
        })),
      );
  }

  const b = q.backend;
  const min = q.profile.backend.minReplicas;
  lines.push(
    alwaysOn("backend", `${plural(min, "replica")} kept by minReplicas, idle rates (${b.cpu} vCPU, ${b.memoryGi} GiB)`, (rate) =>
      min === 0 ? 0 : min * 3600 * replicaPerSecond(rate, b, "Idle"),
    ),
  );
  const executions = q.load?.executions ?? 0;
  if (q.load && executions > 0) {
    const busySeconds = (executions * q.load.runSeconds) / b.concurrentRequests;
    lines.push(
      line(book, "backend", "usage", `${executions.toLocaleString("en-US")} requests, ~${Math.round(busySeconds)} replica-seconds busy`, (rate) => {
        // A replica already billed idle (minReplicas >= 1) pays only the difference while busy.
        const idle = min > 0 ? replicaPerSecond(rate, b, "Idle") : 0;
        return { perHour: null, windowUsd: busySeconds * (replicaPerSecond(rate, b, "Active") - idle) + (executions / 1e6) * rate("consumptionRequestsMillion") };
      }),
    );
  }

  const included = REGISTRY_INCLUDED_GB[q.registrySku];
  const over = registryOverGb(q.registrySku, a.registryStoredGb);
  lines.push(
    alwaysOn(
      "registry",
      `${q.registrySku} SKU, flat daily fee; ~${gb(a.registryStoredGb)} GB of images stored` +
        (over > 0 ? `, ${gb(over)} GB beyond the ${included} GB included` : ` (${included} GB included)`),
      (rate) => registryPerHour(rate, q.registrySku, a.registryStoredGb),
    ),
  );

  if (gateway)
    lines.push(
      alwaysOn("gateway", `API Management ${gateway.sku}, 1 unit, billed per hour while the pool runs, from the ${Math.round(warmUpHoursFor(q) * 60)}-minute warm-up its creation needs (accessMode token; calls included)`, (rate) =>
        gatewayPerHour(rate, gateway),
      ),
    );

  if (q.alerts && q.alerts.rules > 0)
    lines.push(
      alwaysOn("alerts", `${plural(q.alerts.rules, "metric alert rule")}, one time series each, billed per month (alertEmails; price assumed)`, (rate) => alertsPerHour(rate, q.alerts)),
    );

  // Logs: the replicas that always run, then what the executions write; the daily cap bounds both.
  const replicaGbPerDay = replicaLogGbPerDay(min, a.gbPerReplicaHour, a.dailyCapGb);
  const cap = Number.isFinite(a.dailyCapGb) ? `; daily cap ${gb(a.dailyCapGb)} GB` : "";
  lines.push(
    alwaysOn(
      "log analytics",
      min === 0 ? "nothing runs, nothing logs" : `~${gb(replicaGbPerDay)} GB/day from ${plural(min, "replica")} (${a.gbPerReplicaHour} GB per replica-hour, assumed${cap})`,
      (rate) => (replicaGbPerDay === 0 ? 0 : (replicaGbPerDay / HOURS_PER_DAY) * rate("logIngestionGb")),
    ),
  );
  if (executions > 0) {
    const capGb = a.dailyCapGb * Math.max(1, Math.ceil(billedHours / HOURS_PER_DAY)) - (replicaGbPerDay * billedHours) / HOURS_PER_DAY;
    const runGb = Math.min(Math.max(0, capGb), (executions / 1000) * a.gbPer1000Runs);
    lines.push(
      line(
        book,
        "log analytics",
        "usage",
        `~${gb(runGb)} GB from ${executions.toLocaleString("en-US")} runs (${a.gbPer1000Runs} GB per 1000 runs, assumed${runGb < (executions / 1000) * a.gbPer1000Runs ? ", cut by the daily cap" : cap})`,
        (rate) => ({ perHour: null, windowUsd: runGb * rate("logIngestionGb") }),
      ),
    );
  }

  const missing = [...new Set(lines.flatMap((l) => l.missing))];
  const perHour = sum(lines.filter((l) => l.part === "always-on").map((l) => l.perHour ?? 0));
  const window = sum(lines.map((l) => l.windowUsd ?? 0));

  // The figures beside the totals need no list of missing prices: each is null (the fee 0) without one.
  const rate = pricer(book).rate;
  const finite = (usd: number) => (Number.isFinite(usd) ? usd : null);
  let marginal: number | null = null;
  if (pool) {
    const exec = q.load?.runSeconds ?? DEFAULT_PARTICIPANTS.runSeconds;
    const sessionShare = (((exec + pool.cooldownSeconds) / 3600) * nodeHour(rate)) / spn;
    const backendBusy = (exec / b.concurrentRequests) * replicaPerSecond(rate, b, "Active");
    marginal = finite(sessionShare + backendBusy + rate("consumptionRequestsMillion") / 1e6 + (a.gbPer1000Runs / 1000) * rate("logIngestionGb"));
  }
  const grant =
    FREE_GRANT_PER_MONTH.vcpuSeconds * rate("consumptionVcpuActiveSecond") +
    FREE_GRANT_PER_MONTH.gibSeconds * rate("consumptionMemoryActiveGibSecond") +
    (FREE_GRANT_PER_MONTH.requests / 1e6) * rate("consumptionRequestsMillion");
  const feePerHour = a.managementFee && readyNodes > 0 ? rate("dedicatedManagementHour") : 0;
  const feeWindow = a.managementFee && windowNodes > 0 ? rate("dedicatedManagementHour") * (readyNodes > 0 ? billedHours : hours) : 0;

  return {
    region: book.region,
    profile: q.profile.name,
    windowHours: hours,
    /** The window plus the warm-up before it and the tail after it (profiles with a pool). */
    billedHours,
    sessionsPerNode: spn,
    /** The node share assumed reserved by the runtime; null when sessions per node were given outright. */
    reservedShare: q.sessionsPerNode === undefined ? (q.reservedShare ?? NODE_RESERVED_SHARE) : null,
    /** ready: kept by the ready sessions; window: held on average + ready; peak: every session held + ready. */
    nodes: { ready: readyNodes, window: windowNodes, peak: Math.max(readyNodes, peakNodes) },
    nodeHourUsd: finite(nodeHour(rate)),
    lines,
    /** The burn rate with nobody executing code: the sum of always-on lines. */
    perHour,
    perDay: perHour * HOURS_PER_DAY,
    perMonth: perHour * HOURS_PER_MONTH,
    /** Always-on for the billed hours plus the usage the load adds. */
    window,
    /** The management fee inside perHour and window (0 without nodes or when not assumed). */
    managementFee: { assumed: a.managementFee, perHour: finite(feePerHour) ?? 0, window: finite(feeWindow) ?? 0 },
    atMost: atMostPerDay(book, q, spn, a),
    /** What one more execution adds: session time (run + cooldown), backend time and the request. */
    marginalPerExecution: marginal,
    /** Every meter a line needed and the book lacks: the totals leave those parts out. */
    missing,
    complete: missing.length === 0,
    /** What the monthly free grant (per subscription) is worth at this book's active rates. */
    freeGrantUsd: finite(grant),
  };
}

/**
 * The most the profile can cost in a day: every session it allows held with the ready ones on
 * top, the backend busy at its maximum replicas, logs at the daily cap. What a ceiling bounds.
 */
function atMostPerDay(book: PriceBook, q: CostQuery, spn: number, a: Assumed) {
  const p = pricer(book);
  const pool = q.profile.pool;
  const nodes = pool ? nodesFor(pool.maxSessions + pool.readySessions, spn) : 0;
  const replicas = q.profile.backend.maxReplicas;
  const logGb = Number.isFinite(a.dailyCapGb) ? a.dailyCapGb : 0;
  const parts = [
    poolPerHour(p.rate, nodes, a.managementFee) * HOURS_PER_DAY,
    // Replicas scale to zero when idle: with minReplicas 0 and no load the backend costs nothing.
    replicas * 86_400 * replicaPerSecond(p.rate, q.backend, "Active"),
    registryPerHour(p.rate, q.registrySku, a.registryStoredGb) * HOURS_PER_DAY,
    logGb * p.rate("logIngestionGb"),
    gatewayPerHour(p.rate, gatewayFor(q.gateway, pool)) * HOURS_PER_DAY,
    alertsPerHour(p.rate, q.alerts) * HOURS_PER_DAY,
  ];
  const basis =
    (pool ? `${plural(nodes, "E16 node")} with all ${pool.maxSessions} sessions held and ${pool.readySessions} ready, ` : "no pool, ") +
    `backend busy at ${plural(replicas, "replica")}` +
    (logGb > 0 ? `, logs at their ${gb(logGb)} GB/day cap` : "") +
    (gatewayFor(q.gateway, pool) ? `, the ${q.gateway!.sku} gateway` : "");
  // perDay: USD per day with every session held, the backend at its maximum and logs at their cap.
  return { perDay: sum(parts.filter(Number.isFinite)), nodes, basis, complete: parts.every(Number.isFinite) };
}

function heldBasis(extraNodes: number, held: number, pool: { readySessions: number; maxSessions: number }, planned: boolean): string {
  const base = `+${plural(extraNodes, "node")} for ~${Math.round(held)} sessions held on average${planned ? " (the stack's identifier strategy)" : ""} on top of the ready ones`;
  return held >= pool.maxSessions ? `${base}, capped at max ${pool.maxSessions} (requests beyond it get 404)` : base;
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
 * ready sessions imply) and the backend's running replicas, plus the registry and their logs.
 */
export function liveBurnPerHour(
  book: PriceBook,
  q: Pick<CostQuery, "backend" | "registrySku" | "logs" | "registryStoredGb" | "managementFee" | "gateway" | "alerts"> & { nodeCount: number; backendReplicas: number },
): { perHour: number; complete: boolean; missing: MeterKey[] } {
  const p = pricer(book);
  const a = assumed(q);
  const parts = [
    poolPerHour(p.rate, q.nodeCount, a.managementFee),
    // A part that is exactly 0 needs no price (no replicas, nothing logged).
    q.backendReplicas === 0 ? 0 : q.backendReplicas * 3600 * replicaPerSecond(p.rate, q.backend, "Idle"),
    registryPerHour(p.rate, q.registrySku, a.registryStoredGb),
    q.backendReplicas === 0 ? 0 : (replicaLogGbPerDay(q.backendReplicas, a.gbPerReplicaHour, a.dailyCapGb) / HOURS_PER_DAY) * p.rate("logIngestionGb"),
    gatewayPerHour(p.rate, q.gateway),
    alertsPerHour(p.rate, q.alerts),
  ];
  return { perHour: sum(parts.filter(Number.isFinite)), complete: parts.every(Number.isFinite), missing: p.take() };
}
