// A run of `manage smoke` or `manage load-test` as the run log records it (cli/execution/run-log.ts),
// for tests that need recorded runs as an input (report, the README's examples): a passing run on
// the contest stack's gateway unless `o` says otherwise.
import type { RunRecord } from "../../cli/execution/run-log.js";

export const runRecord = (o: Partial<RunRecord> & Pick<RunRecord, "command" | "start" | "end">): RunRecord => ({
  v: 1,
  stack: "contest",
  endpoint: "https://codeeng-contest-gateway.azure-api.net",
  ok: true,
  executions: 26,
  failed: 0,
  latency: { count: 26, p50: 210, p95: 640, p99: 700, max: 700 },
  outcomes: { ok: 27 },
  causes: {},
  ...o,
});

/** The scripted contest's runs on 2026-12-05: the smoke before it, and the load test of its opening burst (9 cold-start 502s). */
export const CONTEST_DAY_RUNS = {
  smoke: runRecord({ command: "smoke", start: "2026-12-05T08:40:00.000Z", end: "2026-12-05T08:40:31.000Z" }),
  openingLoad: runRecord({
    command: "load-test",
    start: "2026-12-05T09:00:10.000Z",
    end: "2026-12-05T09:02:10.000Z",
    ok: false,
    executions: 400,
    failed: 9,
    latency: { count: 391, p50: 480, p95: 1900, p99: 2600, max: 3100 },
    outcomes: { ok: 391, "502": 9 },
    causes: { "the session container is not listening yet (cold start)": 1 },
  }),
};
