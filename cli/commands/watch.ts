// `manage watch`: during the contest, is the pool keeping up, are executions failing, what is it
// costing. Every --interval it reads the pool and the backend from ARM (readLive, as `manage
// status`) and their metrics from Azure Monitor (../azure/metrics.ts), builds a snapshot (pure,
// ../watch/snapshot.ts) and prints it: a refreshing screen at a terminal, a block of plain lines
// per refresh otherwise, one JSON document per line with --json (NDJSON); --once prints one and
// exits. Ctrl-C ends it cleanly (exit 0: ending is how a watch is used); a second Ctrl-C while a
// refresh is in flight leaves at once (130).

import { setTimeout as sleep } from "node:timers/promises";
import type { OptionsFor } from "../main.js";
import { whileRunning } from "../interrupted.js";
import { suggest } from "../suggest.js";
import { OperationError } from "../errors.js";
import { writeJson } from "../output.js";
import { defaultStack, projectDir } from "../project.js";
import { stackSettings } from "../settings.js";
import { now as clock } from "../clock.js";
import { settingsInEffect } from "../operations.js";
import { OPERATIONS_OUTPUT, parseOperationsState } from "../../infra/operations.js";
import { embeddedPriceBook, isKnownRegion } from "../../infra/costing/prices.js";
import type { Grain, Timeline } from "../azure/metrics.js";
import { buildSnapshot, contestWindow, type Snapshot } from "../watch/snapshot.js";
import { renderSnapshot } from "../watch/render.js";

/** The PT1M minutes every refresh reads: enough for the warnings' windows (3 min against the 3 before) and Azure's reporting lag. */
const RECENT_MINUTES = 15;
/** How long the window's history (for the cost so far) is reused before it is read again. */
const HISTORY_TTL_MS = 5 * 60_000;

/** What to watch, from the stack's outputs; refuses a stack that was never deployed (nothing to watch). */
async function targetOf(stack: string, verbose?: boolean) {
  const { PulumiReader } = await import("../pulumi/reader.js");
  const pulumi = await PulumiReader.connect(projectDir(), verbose);
  // Outputs first: a deployed stack (the case that matters on contest day) costs one pulumi call, not two.
  const out = await pulumi.outputs(stack).catch(async (err) => {
    if (!(await pulumi.stacks()).includes(stack))
      throw new OperationError(`stack ${stack} has not been deployed yet (${pulumi.backend.description}): there is nothing to watch\n  Fix: \`${suggest("up", { stack })}\` deploys it as Pulumi.${stack}.yaml says`);
    throw err;
  });
  const target = (await import("../azure/live.js")).liveTargetOf(out);
  if (!target) throw new OperationError(`the outputs of stack ${stack} carry no resource IDs (was it deployed by this program?)`);
  // The operation in effect (its expiry is the window's end): from the state, as every machine sees it.
  return { ...target, operation: parseOperationsState(out[OPERATIONS_OUTPUT]) };
}

export async function run(o: OptionsFor<"watch">): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const fileSettings = stackSettings(stack);
  const book = isKnownRegion(fileSettings.location) ? embeddedPriceBook(fileSettings.location) : null;
  // The Azure SDKs load while pulumi answers (each takes a good part of a second).
  const azure = Promise.all([import("../azure/live.js"), import("../azure/metrics.js").then(async (m) => (await m.preloadClients(), m))]);
  const target = await targetOf(stack, o.verbose);
  const settings = settingsInEffect(stack, target.operation);
  const [{ readLive, explainAzureError }, { readMetrics, grainFor }] = await azure;

  let history: { timeline: Timeline; start: number; readAt: number } | null = null;

  /** One read of everything; whatever cannot be read is named in `unavailable`, the rest still shown. */
  async function refresh(): Promise<Snapshot> {
    const now = clock();
    const unavailable: string[] = [];
    const recentFrom = new Date(now.getTime() - RECENT_MINUTES * 60_000);
    const metrics = (from: Date, grain: Grain) =>
      readMetrics({ subscriptionId: target.subscriptionId, poolId: target.poolId, appId: target.appId, from, to: now, interval: grain }).catch((err) => {
        unavailable.push(`metrics: ${explainAzureError(err, `the metrics of ${target.poolName} and ${target.appName}`)}`);
        return null;
      });
    const [live, recent] = await Promise.all([readLive(target), metrics(recentFrom, "PT1M")]);
    if (!live.available) unavailable.push(`live state: ${live.reason}`);
    // The window's history (cost so far) before the recent minutes: read again every few minutes only.
    const start = contestWindow(settings, live).start?.getTime() ?? null;
    if (start !== null && start < recentFrom.getTime() && (!history || history.start !== start || now.getTime() - history.readAt > HISTORY_TTL_MS)) {
      const timeline = await metrics(new Date(start), grainFor(now.getTime() - start));
      history = timeline && { timeline, start, readAt: now.getTime() };
    }
    return buildSnapshot({ stack, now, settings, book, live, recent, recentFrom, history: history?.timeline ?? null, unavailable });
  }

  const screen = !o.json && Boolean(process.stdout.isTTY) && !o.once;
  const show = (s: Snapshot) => {
    if (o.json) return process.stdout.write(JSON.stringify(s) + "\n");
    const lines = renderSnapshot(s);
    // A terminal: redraw in place (cursor home, clear). Anything else: one block per refresh.
    if (screen) process.stdout.write(`\x1b[H\x1b[2J${lines.join("\n")}\n\nrefreshing every ${o.interval / 1000} s; Ctrl-C to stop\n`);
    else process.stdout.write(`${lines.join("\n")}\n${o.once ? "" : "\n"}`);
  };

  if (o.once) {
    const s = await refresh();
    // --once --json is the CLI's usual one document (pretty); the stream is one compact line a refresh.
    if (o.json) writeJson(s);
    else show(s);
    return;
  }

  const stop = new AbortController();
  let refreshing = false;
  const onSignal = () => {
    // A second Ctrl-C during a slow refresh: leave now (nothing is changed by watching).
    if (stop.signal.aborted && refreshing) process.exit(130);
    stop.abort();
  };
  if (screen) process.stdout.write("\x1b[?25l");
  await whileRunning(onSignal, async () => {
    try {
      while (!stop.signal.aborted) {
        const began = Date.now();
        refreshing = true;
        show(await refresh());
        refreshing = false;
        await sleep(Math.max(0, o.interval - (Date.now() - began)), undefined, { signal: stop.signal }).catch(() => {});
      }
    } finally {
      if (screen) process.stdout.write("\x1b[?25h\n");
    }
  });
}
