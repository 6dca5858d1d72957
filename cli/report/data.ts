// What `manage report` says about a period, as data: the metric timeline (sessions executing,
// pending and ready, nodes, backend replicas, requests by status class), its peaks and totals, the
// smoke and load-test runs recorded in it, and the window's cost against the model. The HTML page
// (./html.ts) and --json both show exactly this. Pure: what was read in, the report out.

import { nodesFor } from "../../infra/capacity.js";
import { profileOf, type DeploymentSettings } from "../../infra/config.js";
import type { Timeline } from "../azure/metrics.js";
import type { RunRecord } from "../execution/run-log.js";
import type { Period, SpendComparison } from "../costing/spend.js";
import type { resolvePeriod } from "./period.js";

export interface ReportInput {
  stack: string;
  generatedAt: Date;
  period: ReturnType<typeof resolvePeriod>;
  /** The settings in effect (baseline + the state's operation): the caps and session size. */
  settings: DeploymentSettings;
  /** Null: the metrics could not be read (named in `unavailable`). */
  timeline: Timeline | null;
  runs: RunRecord[];
  runSources: string[];
  /** Null: the cost could not be read (named in `unavailable`). */
  cost: { days: Period; comparison: SpendComparison } | null;
  unavailable: string[];
}

const HOUR = 3_600_000;
const round = (n: number | undefined | null, digits = 1) => (n === undefined || n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits);
const max = (xs: Array<number | null>) => (xs.some((x) => x !== null) ? Math.max(...xs.filter((x): x is number => x !== null)) : null);
const min = (xs: Array<number | null>) => (xs.some((x) => x !== null) ? Math.min(...xs.filter((x): x is number => x !== null)) : null);
const CLASS_ORDER = ["2xx", "3xx", "4xx", "5xx"];
/** Status classes in reading order: 2xx, 3xx, 4xx, 5xx, then anything else Azure names. */
export const byClassOrder = (a: string, b: string) => (CLASS_ORDER.indexOf(a) + 1 || 99) - (CLASS_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b);

function add(into: Record<string, number>, from: Record<string, number>) {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** The timeline's buckets inside the period, with the nodes their sessions need. */
function points(i: ReportInput) {
  if (!i.timeline) return [];
  const perNode = i.settings.participantModel.sessionsPerNode;
  const from = i.period.from.getTime() - i.timeline.bucketMs;
  return i.timeline.samples
    .filter((s) => s.at > from && s.at < i.period.to.getTime())
    .map((s) => {
      const pool = s.executing !== undefined || s.pending !== undefined || s.ready !== undefined;
      return {
        at: new Date(s.at).toISOString(),
        executing: round(s.executing),
        pending: round(s.pending),
        ready: round(s.ready),
        // E16 nodes the sessions held + ready need (the planner's nodesFor): the pool has no node metric.
        nodes: pool ? nodesFor((s.executing ?? 0) + (s.pending ?? 0) + (s.ready ?? 0), perNode) : null,
        replicas: round(s.replicas),
        // Requests in the bucket by status class (null: no data), and of them, answered 404 (the pool's session limit, or a wrong route).
        requests: s.requests ? { ...s.requests } : null,
        notFound: s.notFound ?? null,
      };
    });
}

/** What the report says: the HTML page and --json both show exactly this. */
export type ReportData = ReturnType<typeof buildReport>;

export function buildReport(i: ReportInput) {
  const profile = profileOf(i.settings, i.period.window?.profile ?? i.settings.profile.name);
  const pts = points(i);
  const byClass: Record<string, number> = {};
  for (const p of pts) if (p.requests) add(byClass, p.requests);
  const notFound = pts.reduce((a, p) => a + (p.notFound ?? 0), 0);
  const total = Object.values(byClass).reduce((a, b) => a + b, 0);

  const outcomes: Record<string, number> = {};
  const causes: Record<string, number> = {};
  for (const r of i.runs) {
    add(outcomes, r.outcomes);
    add(causes, r.causes);
  }

  const c = i.cost?.comparison;
  return {
    stack: i.stack,
    generatedAt: i.generatedAt.toISOString(),
    period: { from: i.period.from.toISOString(), to: i.period.to.toISOString(), hours: round((i.period.to.getTime() - i.period.from.getTime()) / HOUR, 2)!, inProgress: i.period.inProgress },
    window: i.period.window,
    profile: {
      name: profile.name,
      maxSessions: profile.pool?.maxSessions ?? null,
      readySessions: profile.pool?.readySessions ?? null,
      backendMaxReplicas: profile.backend.maxReplicas,
    },
    timeline: { interval: i.timeline?.interval ?? null, points: pts },
    summary: {
      peakExecuting: max(pts.map((p) => p.executing)),
      peakPending: max(pts.map((p) => p.pending)),
      // Buckets in which sessions waited to be created.
      bucketsPending: pts.filter((p) => (p.pending ?? 0) > 0).length,
      minReady: min(pts.map((p) => p.ready)),
      peakNodes: max(pts.map((p) => p.nodes)),
      peakReplicas: max(pts.map((p) => p.replicas)),
      requests: {
        total,
        byClass: Object.fromEntries(Object.entries(byClass).sort(([a], [b]) => byClassOrder(a, b))),
        notFound,
        serverErrorShare: total ? round((byClass["5xx"] ?? 0) / total, 4) : null,
      },
    },
    runs: {
      sources: i.runSources,
      count: i.runs.length,
      failedRuns: i.runs.filter((r) => !r.ok).length,
      executions: i.runs.reduce((a, r) => a + r.executions, 0),
      failedExecutions: i.runs.reduce((a, r) => a + r.failed, 0),
      // The worst p95 among the runs (ms), null without a timed execution.
      worstP95: max(i.runs.map((r) => r.latency.p95)),
      outcomes,
      causes,
      records: i.runs,
    },
    cost:
      i.cost && c
        ? {
            days: { from: i.cost.days.from.toISOString(), to: i.cost.days.to.toISOString() },
            currency: c.currency,
            actual: c.actual,
            estimate: c.estimate,
            profiles: c.hours,
            byResource: c.byResource,
            gap: c.gap,
          }
        : null,
    unavailable: i.unavailable,
  };
}
