// `manage schedule`: contest windows, recorded in the stack's state where the scheduled job
// (`manage reconcile`) and every other machine see them.
//   manage schedule --profile contest --at 2026-12-05T09:00+01:00 --for 3h [--warmup 30m] [--users 250]
//   manage schedule --list
//   manage schedule --cancel w-20261205-0800
// A window is checked when recorded: not in the past, no overlap (warm-ups included), a profile
// with a pool, within the stack's cost ceiling. Recording one is an update of the stack that
// changes nothing in Azure (the output only), through the one change path.

import type { Window } from "../../infra/operations.js";
import { applyStackChange, type GlobalOptions } from "../change.js";
import type { OptionsFor } from "../main.js";
import { actor, now as clock } from "../clock.js";
import { ceilingOutcome } from "../cost-ceiling.js";
import { UsageError } from "../errors.js";
import { dim, heading, printJson, warn } from "../output.js";
import { baselineDifferences, effectiveConfig } from "../../infra/operations.js";
import { overrideConfigKey, type OverrideField } from "../../infra/profiles.js";
import { defaultStack, projectDir } from "../project.js";
import { deployedRuntime, describeExpiry } from "../operations.js";
import { latestCalibration, sizingNote } from "../costing/calibration.js";
import { defaultWarmupMinutes, describeWindow, ended, minimumWarmupMinutes, planWindow, warmupStart, windowOverrides } from "../schedule.js";
import { stackFile, stackSettings, validSettings } from "../settings.js";
import { suggest } from "../suggest.js";
import { TYPES } from "../options.js";

export async function run(o: OptionsFor<"schedule">): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const modes = [o.list && "--list", o.cancel && "--cancel", (o.at || o.for) && "--at/--for"].filter(Boolean);
  if (modes.length > 1) throw new UsageError(`give one of --list, --cancel or --at with --for, not ${modes.join(" and ")}`);
  if (o.list) return list(stack, o);
  if (o.cancel) return cancel(stack, o.cancel, o);
  if (!o.at || o.for === undefined) throw new UsageError(`a window needs --at (when the contest starts) and --for (how long), e.g. --at ${TYPES.startsAt.example} --for 3h; or --list, or --cancel ID`);
  const now = clock();
  const dir = projectDir();
  const file = stackFile(stack, dir);
  const fileSettings = stackSettings(stack, {}, dir);
  // Checked offline first (bad input is refused before pulumi is asked), then against the windows
  // the state holds (read again inside the change).
  // A token stack's window warms up long enough for its gateway to be created (cli/schedule.ts).
  const request = {
    profile: o.profile,
    start: o.at,
    forMs: o.for,
    warmupMs: o.warmup ?? defaultWarmupMinutes(fileSettings.access, o.profile) * 60_000,
    users: o.users ?? null,
    minWarmupMinutes: minimumWarmupMinutes(fileSettings.access, o.profile),
    stack,
  };
  const draft = planWindow(request, [], now, actor());
  // The window's profile, sized for its participants, within the pool's limits and the stack's cost ceiling.
  const sizing = windowOverrides(draft, fileSettings);
  // The sizes come from --users: a refusal names it (e.g. more sessions than maxSessionsLimit).
  const users = `--users ${o.users} (sized max ${sizing.maxSessions ?? "?"}, ready ${sizing.readySessions ?? "?"})`;
  const sized = validSettings(
    effectiveConfig(file.raw, { profile: draft.profile, overrides: { [draft.profile]: sizing }, expiresAt: draft.end }),
    stack,
    file,
    Object.fromEntries(Object.keys(sizing).map((field) => [overrideConfigKey(draft.profile, field as OverrideField), users])),
  );
  // Judged on its own (nothing runs before it): the job that starts it finds the stack idle. schedule
  // declares no --allow-over-ceiling: a window over the ceiling is refused, never let through.
  const ceiling = ceilingOutcome(sized, null, {}, {
    what: `the window (${draft.profile}${o.users ? ` for ${o.users} participants` : ""}, as the scheduled job will start it) can cost`,
    lower: o.users ? ["schedule it for fewer participants (--users)"] : [],
  });
  for (const w of ceiling.warnings) warn(w);
  if (ceiling.refusal) throw new UsageError(ceiling.refusal);
  // The run log read for the window's sizing note: lines it cannot use are said, as capacity and
  // cost-estimate say them (the window is sized from the stack's recorded inputs either way).
  const calibration = draft.profile === "contest" ? latestCalibration(dir, stack) : null;
  for (const w of calibration?.warnings ?? []) warn(w);
  const runtime = await deployedRuntime(stack, o.verbose);
  if (!runtime)
    throw new UsageError(`stack ${stack} has not been deployed yet: a window starts a deployed stack\n  Fix: \`${suggest("up", { stack })}\` first (it rests idle), then schedule`);
  // The window was checked above against the stack file (its access mode, warm-up, sizing, ceiling),
  // but the job starts it on what is deployed: the two must be the same, and recorded.
  const pending = runtime.operation ? baselineDifferences(runtime.operation.baseline, file.raw) : ["(no operation recorded yet)"];
  if (pending.length)
    throw new UsageError(
      `${file.name} differs from what runs on ${stack} (${pending.join(", ")}): the window is checked against the file but the scheduled job starts it on what is deployed. Nothing was changed\n` +
        `  Fix: apply the file first with \`${suggest("up", { stack })}\` (or undo the edit), then schedule`,
    );
  let recorded: Window | undefined;
  await applyStackChange(
    {
      stack,
      config: {},
      windows: (current) => {
        recorded = planWindow(request, current, now, actor());
        return [...current, recorded].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
      },
      intent: `schedule ${describeWindow(draft, false)}`,
      // Recording a window changes the schedule only: an unapplied edit of the stack file is left
      // for `up` (and named), never applied here without its confirmation.
      deployedBaseline: true,
    },
    { ...o, json: true, yes: true },
    false,
  );
  if (o.json) printJson({ stack, scheduled: recorded });
  else
    console.log(
      `Scheduled ${recorded!.id} on ${stack}: ${describeWindow(recorded!)}.\n` +
        `The scheduled job (manage reconcile) brings it up at the warm-up, proves code runs, and returns it to idle at its end. \`${suggest("schedule", { list: true, stack })}\` shows it.` +
        // What the window's pool is sized with: the stack's recorded inputs (the job reads the stack, not this machine's run log).
        (calibration ? `\n${sizingNote(fileSettings, calibration)}` : ""),
    );
}

/** The windows in the stack's state; none when the stack was never deployed. */
const windowsOf = async (stack: string, o: GlobalOptions) => (await deployedRuntime(stack, o.verbose))?.operation?.windows ?? [];

async function list(stack: string, o: GlobalOptions): Promise<void> {
  stackFile(stack);
  const windows = await windowsOf(stack, o);
  if (o.json) return printJson({ stack, windows });
  if (!windows.length) return void console.log(`No windows scheduled on ${stack}: \`${suggest("schedule", { stack, at: "<time>", for: "<length>" })}\` records one.`);
  console.log(heading(`Windows scheduled on ${stack}`));
  const now = clock();
  for (const w of windows)
    console.log(`  ${w.id}  ${w.profile}${w.users ? ` for ${w.users}` : ""}: ${describeExpiry(new Date(w.start))} to ${describeExpiry(new Date(w.end))}  ${dim(ended(w, now) ? `ended${w.startedAt ? `; ran ${w.startedAt} to ${w.stoppedAt ?? "?"}` : ""}` : `warm-up from ${describeExpiry(warmupStart(w))}; by ${w.by}`)}`);
}

async function cancel(stack: string, id: string, o: GlobalOptions): Promise<void> {
  stackFile(stack);
  const known = await windowsOf(stack, o);
  if (!known.some((w) => w.id === id))
    throw new UsageError(`no window ${id} on ${stack}${known.length ? ` (windows: ${known.map((w) => w.id).join(", ")})` : " (none scheduled)"}\n  Fix: \`${suggest("schedule", { list: true, stack })}\``);
  await applyStackChange({ stack, config: {}, windows: (current) => current.filter((w) => w.id !== id), intent: `cancel window ${id}`, deployedBaseline: true }, { ...o, json: true, yes: true }, false);
  if (o.json) printJson({ stack, cancelled: id });
  else console.log(`Cancelled ${id} on ${stack}. If it was running, it runs to its end; \`${suggest("stop", { stack })}\` ends it now.`);
}
