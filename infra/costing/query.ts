// The cost model's query for a stack: its sizes, participants, log cap, gateway and alert rules,
// with any assumption flags. Pure and light (no output, no files): the CLI's estimates and the
// program's computed budget (infra/costing/budget.ts) both build their query here, so a stack is
// priced one way everywhere.
import type { ResolvedProfile } from "../profiles.js";
import type { DeploymentSettings } from "../config.js";
import { alertRulesFor } from "../monitoring.js";
import type { CostQuery, Load } from "./model.js";

/** The cost model's named assumptions as flags (cost-estimate and capacity both take them). */
export interface CostAssumptionOptions {
  sessionsPerNode?: number;
  nodeReservedShare?: number;
  logGbPer1000Runs?: number;
  logGbPerReplicaHour?: number;
  registryGb?: number;
  warmUpHours?: number;
  tailHours?: number;
  /** false with --no-management-fee. */
  managementFee?: boolean;
}

/** Gi as a number from "1Gi" / "2.5Gi". */
export function gibibytes(memory: string): number {
  return parseFloat(memory);
}

/** The model's query for a stack: its sizes, participants and log cap, and any assumption flags. */
export function costQuery(settings: DeploymentSettings, profile: ResolvedProfile, hours: number, extra: CostAssumptionOptions & { load?: Load } = {}): CostQuery {
  return {
    profile,
    session: { cpu: settings.session.cpu, memoryGi: gibibytes(settings.session.memory) },
    backend: { cpu: settings.backend.cpu, memoryGi: gibibytes(settings.backend.memory), concurrentRequests: settings.backend.concurrentRequests },
    registrySku: settings.registrySku,
    gateway: settings.access.gateway && { sku: settings.access.gateway.sku },
    alerts: { rules: alertRulesFor(profile, settings.monitoring.alertEmails).length },
    windowHours: hours,
    load: extra.load,
    participantModel: settings.participantModel,
    sessionsPerNode: extra.sessionsPerNode,
    reservedShare: extra.nodeReservedShare,
    logs: { gbPer1000Runs: extra.logGbPer1000Runs, gbPerReplicaHour: extra.logGbPerReplicaHour, dailyCapGb: settings.logDailyCapGb },
    registryStoredGb: extra.registryGb,
    managementFee: extra.managementFee,
    warmUpHours: extra.warmUpHours,
    tailHours: extra.tailHours,
  };
}
