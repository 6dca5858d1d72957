// `manage smoke [--stack S | --endpoint URL] [--full] [--concurrency N]`: does code really run, in
// every language, fast enough? Runs the case table of cli/execution/smoke-cases.ts against the
// backend's API, reports each case with its reason, cold and warm latency, and the cause and fix of
// any HTTP failure. Exit 0 only when every case passed.

import type { OptionsFor } from "../main.js";
import { OperationError } from "../errors.js";
import { heading, printJson, table, warn } from "../output.js";
import { credentialHeaders } from "../execution/credentials.js";
import { causesOf, runSmoke, runSmokeLogged, type CaseResult } from "../execution/smoke-run.js";
import { formatMs } from "../execution/stats.js";
import { resolveTarget } from "../execution/target.js";
import { projectDir } from "../project.js";
import { sessionsInEffect } from "../costing/calibration.js";
import { interruptible, runningOn } from "../interrupted.js";

/** One line on stderr per finished case, so a slow backend is seen being slow. */
const progress = (r: CaseResult) => process.stderr.write(`  ${r.ok ? "pass" : "FAIL"} ${r.name} (${formatMs(r.ms)})${r.ok ? "" : `: ${r.reason}`}\n`);

export async function run(o: OptionsFor<"smoke">): Promise<void> {
  const target = await resolveTarget(o);
  const where = target.stack ? `stack ${target.stack} (${target.endpoint})` : target.endpoint;
  // Ctrl-C during the run says what runs on the stack and what it costs (nothing was changed).
  const runs = target.stack && target.outputs ? await runningOn(target.stack, target.outputs) : null;
  const options = { full: o.full, concurrency: o.concurrency, headers: credentialHeaders(target.credential), onCase: progress };
  // Against a stack: in its run log, for `manage report` (an explicit --endpoint belongs to no stack).
  const { report, logProblem } = await interruptible(
    () => ({ stack: target.stack ?? null, phase: "smoke", runs }),
    async () => {
      // Progress (stderr, with --json too), said once the handler is in place: from this line on, Ctrl-C says the outcome.
      process.stderr.write(`Smoke test of ${where}${o.full ? ", full suite" : ""}${target.credential ? `, with ${target.credential.source}` : ""}...\n`);
      return target.stack
        ? runSmokeLogged(projectDir(), target.stack, target.endpoint, target.healthPath, { ...options, ...(await sessionsInEffect(target.stack, target.outputs)) })
        : { report: await runSmoke(target.endpoint, target.healthPath, options), logProblem: null };
    },
  );
  if (logProblem) warn(logProblem);

  if (o.json) printJson(report);
  else {
    console.log(heading(`Smoke test of ${where}`));
    console.log(
      table(
        ["case", "result", "time", "reason"],
        report.cases.map((c) => [c.name, c.ok ? "pass" : "FAIL", `${formatMs(c.ms)}${c.cold ? " (cold)" : ""}`, c.reason ?? ""]),
      ),
    );
    const { cold, warm } = report.latency;
    console.log(`Latency: cold p50 ${formatMs(cold.p50)}, p95 ${formatMs(cold.p95)} (${cold.count} runs); warm p50 ${formatMs(warm.p50)}, p95 ${formatMs(warm.p95)} (${warm.count} runs)`);
    for (const d of causesOf(report.cases)) console.log(`Why: ${d.cause}\n  Fix: ${d.fix}`);
  }
  const total = report.passed + report.failed;
  if (report.stopped) throw new OperationError(`smoke stopped early: ${report.stopped}`);
  if (report.failed > 0) throw new OperationError(`smoke: ${report.failed} of ${total} cases failed`);
  if (!o.json) console.log(`Smoke passed: ${total} of ${total} cases, every language runs.`);
}
