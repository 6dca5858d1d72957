// `manage status`: what is running now, in which profile, until when, what it costs, and whether
// the cloud drifted from the stack. Each part says why when it cannot be seen (pulumi missing, the
// stack never deployed, not logged in to Azure, no permission), and the rest is still shown.

import { embeddedPriceBook, isKnownRegion } from "../../infra/costing/prices.js";
import { estimateFor } from "../costing/estimate.js";
import { CAPACITY_DEFAULTS } from "../../infra/capacity.js";
import { GATEWAY_METERS, liveBurnPerHour } from "../../infra/costing/model.js";
import { findDrift, type Drift } from "../drift.js";
import type { OptionsFor } from "../main.js";
import { dim, heading, money, printJson, relative, warn } from "../output.js";
import { defaultStack, projectDir } from "../project.js";
import { stackFile, stackSettings } from "../settings.js";
import { now as clock } from "../clock.js";
import { describeExpiry, describeInterrupted, leftBehind, leftWords, readStackRuntime, recordedIntent, settingsInEffect, type StackRuntime } from "../operations.js";
import { OperationError, UsageError } from "../errors.js";
import { inWorkflowRun } from "../workflow.js";
import { unreadableState, type PulumiFailure, type UnreadableState } from "../pulumi/failures.js";
import { describeAccess, gatewayRunning, openAccessWarning } from "../../infra/access-mode.js";
import { costQuery } from "../../infra/costing/query.js";
import { redactOutputs } from "../execution/credentials.js";
import { baselineDifferences } from "../../infra/operations.js";
import type { LiveState } from "../azure/live.js";
import { suggest } from "../suggest.js";

type Section<T> = { available: true; value: T } | { available: false; reason: string };

/**
 * What the stack's state says: the operation in effect and the outputs of the last update (one
 * `stack export`). `unreadable`: the backend has the stack but its state cannot be read (a truncated
 * or corrupt checkpoint): then what runs is unknown, never "idle".
 */
async function stackRuntime(stack: string, verbose?: boolean): Promise<Section<StackRuntime> | { available: false; unreadable: UnreadableState; reason: string }> {
  const { PulumiReader } = await import("../pulumi/reader.js");
  let pulumi: Awaited<ReturnType<typeof PulumiReader.connect>>;
  try {
    pulumi = await PulumiReader.connect(projectDir(), verbose);
  } catch (err) {
    // In a workflow run a missing backend variable or tool is a misconfigured job, not a part of
    // the page to leave out: the job must fail (exit 2) rather than report green on no state.
    if (err instanceof UsageError && inWorkflowRun(process.env)) throw err;
    return { available: false, reason: err instanceof Error ? err.message : String(err) };
  }
  // From here a failure is the backend's: its state cannot be read (`stack ls` of a DIY backend
  // reads every checkpoint too).
  try {
    if (!(await pulumi.stacks()).includes(stack))
      return { available: false, reason: `stack ${stack} has not been deployed yet (${pulumi.backend.description}): run \`${suggest("up", { stack })}\`` };
    const runtime = await readStackRuntime(pulumi, stack);
    if (!runtime.deployed) return { available: false, reason: `stack ${stack} exists but has never been updated: run \`${suggest("up", { stack })}\`` };
    return { available: true, value: runtime };
  } catch (err) {
    // The cause decides the fix: a passphrase pulumi refuses leaves the state intact (./failures.ts).
    const unreadable = unreadableState(stack, err instanceof Error ? err.message : String(err), (err as { failure?: PulumiFailure }).failure);
    return { available: false, unreadable, reason: unreadable.reason };
  }
}

export async function run(o: OptionsFor<"status">): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const file = stackFile(stack);
  const fileSettings = stackSettings(stack);
  const now = clock().getTime();
  const runtime = await stackRuntime(stack, o.verbose);
  if ("unreadable" in runtime) {
    // Unknown is said as unknown (exit 1): a state that cannot be read may hide a contest pool.
    if (o.json) printJson({ stack, profile: "unknown", source: { from: "unknown", reason: runtime.reason }, restingProfile: fileSettings.profile.name });
    else console.log(heading(`Stack ${stack}: profile unknown`) + ` (its state cannot be read)`);
    const message = `the state of ${stack} cannot be read, so what runs is unknown: ${runtime.reason}\n  Fix: ${runtime.unreadable.fix}`;
    // A wrong passphrase is the environment's fault (exit 2, as every command says for it); a damaged state is 1.
    throw runtime.unreadable.exitCode === 2 ? new UsageError(message) : new OperationError(message);
  }
  const operation = runtime.available ? runtime.value.operation : null;
  // What runs: the baseline the last update ran on with the operation the state records on top (the
  // one formula of infra/operations.ts); the file alone before the first update.
  const settings = settingsInEffect(stack, operation);
  // Edits of the stack file the last update did not run on: not what runs until `up` applies them.
  const pending = operation ? baselineDifferences(operation.baseline, file.raw) : [];
  const expiresAt = settings.profileExpiresAt;
  const expired = expiresAt !== null && expiresAt.getTime() < now;
  const interrupted = runtime.available ? runtime.value.interrupted : undefined;
  // A pool or gateway beside an idle operation is a stop that failed part-way (the engine records a
  // stop's idle outputs before its deletes), unless a change is under way or was interrupted (then
  // it may be one a person was bringing up).
  const left = runtime.available && !interrupted ? leftBehind(runtime.value) : [];
  const leftover = left.length > 0;
  // What runs bills, whatever the operation says: a gateway left behind is priced at the stack's tier.
  const gatewayLeft = leftover && runtime.available && runtime.value.gatewayDeployed && settings.access.gateway ? { sku: settings.access.gateway.sku } : null;
  const gateway = gatewayRunning(settings) ?? gatewayLeft;
  const source = operation
    ? { from: "state" as const, intent: recordedIntent(operation.intent), by: operation.by, at: operation.at, revision: operation.revision }
    : { from: "stack file" as const, file: file.name };
  const outputs: Section<Record<string, unknown>> = runtime.available ? { available: true, value: runtime.value.outputs } : runtime;
  let live: LiveState = { available: false, reason: "the stack's outputs are unavailable, so there is nothing to look up" };
  if (outputs.available) {
    const { readLive, liveTargetOf } = await import("../azure/live.js");
    const target = liveTargetOf(outputs.value);
    live = target ? await readLive(target) : { available: false, reason: "the stack's outputs carry no resource IDs (was it deployed by this program?)" };
  }

  const drift: Drift[] = live.available ? findDrift(settings.profile, live.pool, live.backend) : [];
  const book = isKnownRegion(settings.location) ? embeddedPriceBook(settings.location) : null;
  let burn: { perHour: number; basis: string; complete: boolean } | null = null;
  if (book && live.available) {
    const nodes = live.pool.exists ? (live.pool.nodeCount ?? 0) : 0;
    const replicas = live.backend.runningReplicas ?? live.backend.minReplicas ?? 0;
    // The model's query for the stack (its backend, registry, logs, alert rules) at the counts Azure reports.
    const b = liveBurnPerHour(book, { ...costQuery(settings, settings.profile, 0), gateway, nodeCount: nodes, backendReplicas: replicas });
    burn = {
      perHour: b.perHour,
      complete: b.complete,
      basis: `live: ${nodes} E16 node(s), ${replicas} backend replica(s)${gateway ? `, the ${gateway.sku} gateway${gatewayLeft ? " left by a failed stop" : ""}` : ""}`,
    };
  } else if (book) {
    const e = estimateFor(book, settings, settings.profile.name, CAPACITY_DEFAULTS.hours);
    // The profile's estimate has no gateway while idle; one left by a failed stop bills its hours on top.
    const left = gatewayLeft ? book.prices[GATEWAY_METERS[gatewayLeft.sku]]?.usd : 0;
    burn = {
      perHour: e.perHour + (left ?? 0),
      complete: e.complete && left !== undefined,
      basis: `estimated from the ${settings.profile.name} profile${gatewayLeft ? `, plus the ${gatewayLeft.sku} gateway left by a failed stop` : ""} (live state unavailable)`,
    };
  }

  if (o.json) {
    printJson({
      stack,
      profile: settings.profile.name,
      // Where the profile, overrides and expiry come from: the state's operation, or the stack file.
      source,
      restingProfile: fileSettings.profile.name,
      pending,
      poolLeftBehind: Boolean(runtime.available && runtime.value.poolDeployed && leftover),
      leftBehind: left,
      interrupted: interrupted ? { ...interrupted, ...describeInterrupted(stack, interrupted) } : null,
      access: settings.access,
      overridden: settings.profile.overridden,
      expiresAt: expiresAt?.toISOString() ?? null,
      expired,
      outputs: outputs.available ? redactOutputs(outputs.value) : { unavailable: outputs.reason },
      live: live.available ? { pool: live.pool, backend: live.backend } : { unavailable: live.reason },
      burn: burn && { perHour: burn.perHour, perDay: burn.perHour * 24, basis: burn.basis, complete: burn.complete },
      drift,
    });
    return;
  }

  const sizing = settings.profile.pool
    ? `max ${settings.profile.pool.maxSessions}, ready ${settings.profile.pool.readySessions}, cooldown ${settings.profile.pool.cooldownSeconds} s` +
      // "sized for" only when the numbers are the participants' (not an override or a window's sizing).
      (settings.profile.sizedFor && !settings.profile.overridden.some((f) => f === "maxSessions" || f === "readySessions") ? `, sized for ${settings.profile.sizedFor.participants} participants` : "")
    : "no pool";
  console.log(heading(`Stack ${stack}: profile ${settings.profile.name}`) + ` (${sizing}; backend ${settings.profile.backend.minReplicas}-${settings.profile.backend.maxReplicas} replicas)`);
  console.log(
    source.from === "state"
      ? `Operation:     ${source.intent} ${dim(`(by ${source.by} at ${source.at}, revision ${source.revision}, from the stack's state)`)}`
      : `Operation:     ${runtime.available ? "none recorded" : "unknown"}: the profile is ${file.name}'s ${dim(`(${runtime.available ? "deployed by an older program" : "the state cannot be read"})`)}`,
  );
  if (source.from === "state" && fileSettings.profile.name !== settings.profile.name)
    console.log(`Resting:       ${file.name} says ${fileSettings.profile.name}: that is the first deployment's profile; the state's operation decides what runs`);
  if (pending.length) console.log(`Pending:       ${file.name} differs from what runs (${pending.join(", ")}): \`${suggest("up", { stack })}\` applies it`);
  if (interrupted) {
    const i = describeInterrupted(stack, interrupted);
    warn(i.what);
    console.log(`  Fix: ${i.fix}`);
  }
  if (leftover)
    warn(
      `the stack is idle, but ${leftWords(left)} still deployed, and billing: a stop failed part-way, or a change was interrupted before the state recorded it. ` +
        `\`manage stop --stack ${stack}\` removes ${left.length > 1 ? "them" : "it"}, or run the interrupted change again (the scheduled job retries only a stop that failed)`,
    );
  if (expiresAt)
    console.log(
      expired
        ? `EXPIRED ${relative(expiresAt.getTime() - now)} (${describeExpiry(expiresAt)}): it should be idle; run \`${suggest("stop", { stack })}\``
        : `Returns to idle ${relative(expiresAt.getTime() - now)}: ${describeExpiry(expiresAt)}`,
    );
  console.log(`Access:        ${describeAccess(settings.access, Boolean(settings.profile.pool))}`);
  if (settings.access.mode === "open" && settings.profile.pool) warn(openAccessWarning(stack));
  if (outputs.available) {
    const out = outputs.value;
    console.log(`Backend:       ${out.backendUrl}${settings.access.mode === "token" ? ` (the gateway; the app itself: ${out.backendAppUrl})` : ""}`);
    console.log(`Pool endpoint: ${out.poolManagementEndpoint || "(no pool)"}`);
    console.log(`Registry:      ${out.registryLoginServer}`);
  } else warn(`outputs: ${outputs.reason}`);
  if (live.available) {
    const p = live.pool;
    console.log(
      p.exists
        ? `Session pool:  ${p.provisioningState}, ${p.nodeCount ?? "?"} node(s), max ${p.maxSessions}, ready ${p.readySessions}, cooldown ${p.cooldownSeconds} s, ${p.egress}`
        : "Session pool:  none",
    );
    const b = live.backend;
    console.log(
      b.exists
        ? `Backend app:   ${b.provisioningState}, replicas ${b.minReplicas}-${b.maxReplicas}${b.runningReplicas === undefined ? "" : `, ${b.runningReplicas} running`}`
        : "Backend app:   missing",
    );
  } else warn(`live state: ${live.reason}`);
  if (burn)
    console.log(
      `Burn rate:     ${money(burn.perHour)}/hour, ${money(burn.perHour * 24)}/day${burn.complete ? "" : " (incomplete: prices missing)"} ${dim(`(${burn.basis})`)}`,
    );
  else warn(`burn rate: no embedded prices for region ${settings.location}`);
  if (live.available)
    console.log(
      drift.length === 0
        ? "Drift:         none (Azure matches the stack)"
        : `Drift: Azure differs from the stack (changed outside Pulumi?). \`${suggest("up", { stack })}\` restores the stack's settings:\n` +
            drift.map((d) => `  ${d.what}: stack ${d.stack}, Azure ${d.azure}`).join("\n"),
    );
}
