// The hand-run deployment's cost sheet ("Azure Session Pool Cost Analysis", East US 2, December
// 2024), recomputed from its own unit rates under its own billing rules. Its totals ($5.82/day
// testing, $0.27/day idle, $2.39 for a 2-hour contest) come out exactly, so the gap to this
// project's estimate (cli/costing/model.ts, ~$40/day for testing) is shown to be billing rules, not
// arithmetic. Pure; docs/costs.md walks through each rule. Not used for any estimate.

/** The sheet's unit rates, as it printed them. */
export const OLD_SHEET_RATES = {
  vcpuSecond: 0.000024,
  gibSecond: 0.000003,
  /** A fixed "Container Apps Environment" fee. No such meter exists for a Consumption environment. */
  environmentDay: 0.1,
  registryDay: 0.17,
  /** "Session Pool Overhead", charged per ready session. Azure's nearest is one management fee per environment. */
  sessionOverheadHour: 0.15,
} as const;
export type SheetRates = { [K in keyof typeof OLD_SHEET_RATES]: number };

/** Where the sheet's rules part from how Azure bills (shared/azure-facts.md). */
export const OLD_SHEET_RULES = [
  "a ready session costs its own vCPU and memory per second, like a Consumption replica; Azure runs custom-container sessions on Dedicated E16 nodes (16 vCPU, 128 GiB) and bills whole nodes",
  "a $0.15/hour overhead per ready session; Azure charges one Dedicated Plan Management fee per hour while any node exists",
  "an execution costs its run time only; with the Timed lifecycle its session stays allocated for the cooldown after the run",
  "a fixed $0.10/day for the environment, which has no such meter, and nothing for Log Analytics",
  "the contest window leaves the fixed costs out",
] as const;

export interface SheetScenario {
  readySessions: number;
  session: { cpu: number; memoryGi: number };
  backend: { replicas: number; cpu: number; memoryGi: number };
  hours: number;
  executions: number;
  execSeconds: number;
  /** The daily sheets add the fixed costs; the contest window does not. */
  withFixedCosts: boolean;
}

export interface SheetCost {
  readySessions: number;
  executions: number;
  backend: number;
  fixed: number;
  total: number;
}

/** The sheet prints, and adds, every line rounded to the cent. */
const cents = (usd: number) => Math.round(usd * 100 + 1e-9) / 100;

/** One scenario under the sheet's rules and with its rounding. */
export function sheetCost(rates: SheetRates, s: SheetScenario): SheetCost {
  const seconds = s.hours * 3600;
  const readySessions =
    cents(s.readySessions * s.session.cpu * seconds * rates.vcpuSecond) +
    cents(s.readySessions * s.session.memoryGi * seconds * rates.gibSecond) +
    cents(s.readySessions * rates.sessionOverheadHour * s.hours);
  // It prints the price of one execution to $0.00001, cut off ($0.000045 becomes "$0.00004"), then multiplies.
  const perExecution = Math.floor((s.execSeconds * (s.session.cpu * rates.vcpuSecond + s.session.memoryGi * rates.gibSecond)) * 1e5 + 1e-9) / 1e5;
  const executions = cents(s.executions * perExecution);
  const backend =
    cents(s.backend.replicas * s.backend.cpu * seconds * rates.vcpuSecond) + cents(s.backend.replicas * s.backend.memoryGi * seconds * rates.gibSecond);
  const fixed = s.withFixedCosts ? cents(((rates.environmentDay + rates.registryDay) * s.hours) / 24) : 0;
  return { readySessions, executions, backend, fixed, total: cents(readySessions + executions + backend + fixed) };
}

/** What every scenario of the sheet shares: its session and backend sizes, a 3 s execution, a day. */
const SHEET_DAY = {
  session: { cpu: 0.5, memoryGi: 1 },
  backend: { replicas: 1, cpu: 0.25, memoryGi: 0.5 },
  hours: 24,
  executions: 0,
  execSeconds: 3,
  withFixedCosts: true,
} satisfies Omit<SheetScenario, "readySessions">;

/** The sheet's three scenarios. */
export const OLD_SHEET_SCENARIOS = {
  testingDay: { ...SHEET_DAY, readySessions: 1 },
  idleDay: { ...SHEET_DAY, readySessions: 0, backend: { ...SHEET_DAY.backend, replicas: 0 } },
  // "2-10 replicas, average: 5"; "~200 students x 10 submissions"; fixed costs left out.
  contestTwoHours: { ...SHEET_DAY, readySessions: 5, backend: { ...SHEET_DAY.backend, replicas: 5 }, hours: 2, executions: 2000, withFixedCosts: false },
} satisfies Record<string, SheetScenario>;
