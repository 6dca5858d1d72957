// The change path's decisions in-process (cli/change-plan.ts): what a change runs, what it refuses
// and says, what needs a yes, when a refusal may put the stack file back; the program's half of
// "what was previewed is what is applied" (infra/operations.ts); the rehearsal clock (cli/clock.ts)
// and where a credential may go (cli/execution/credentials.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import {
  confirmationNeeded,
  fileChangedSincePreview,
  notRecorded,
  planChange,
  planOffline,
  previewedRequest,
  undoOnRefusal,
} from "../../cli/change-plan.js";
import { describeInterrupted, scaleChange, stopChange } from "../../cli/operations.js";
import { parseStackFile } from "../../cli/stack-files.js";
import { clockOffset, rehearsalClock } from "../../cli/clock.js";
import { credentialFor } from "../../cli/execution/credentials.js";
import { OperationsError, resolveOperations, type OperationsState, type Window } from "../../infra/operations.js";
import { UsageError } from "../../cli/errors.js";
import { windowOperation, windowOverrides } from "../../cli/schedule.js";
import { noteRunningCommand } from "../../cli/suggest.js";
import { capacityChange, capacityQuery } from "../../cli/commands/capacity.js";
import { planCapacity } from "../../infra/capacity.js";
import { applyConfig } from "../../cli/change-plan.js";
import { parseSettings, profileOf } from "../../infra/config.js";

const ROOT = join(import.meta.dirname, "..", "..");
const devText = readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8");
const dev = parseStackFile(devText, "Pulumi.dev.yaml");
const AT = "2026-12-05T08:30:00Z";
const who = { by: "alice@laptop", at: AT };
const state = (operations: unknown, types = ["azure-native:containerregistry:Registry"]) => ({ exists: true, types, operations });
// One window recorded for 10:00-11:00 on 2026-11-23 (an hour ahead of the windows' tests' clock), on an idle stack.
const windowAt = (profile: "contest" | "testing") =>
  ({ id: "w-20261123-1000", profile, start: "2026-11-23T10:00:00Z", end: "2026-11-23T11:00:00Z", warmupMinutes: 30, users: null, by: "bob@ci", at: "2026-11-23T09:00:00Z" }) as const;
const idleWith = (windows: Window[]): OperationsState => ({ profile: "idle", overrides: {}, expiresAt: null, intent: "schedule", by: "bob@ci", at: "2026-11-23T09:00:00Z", revision: 2, baseline: dev.raw, windows });

describe("the plan", () => {
  test("a scale on a stack never updated by this program runs the file's baseline with the operation asked for, recorded", () => {
    const change = scaleChange("dev", { profile: "testing", maxSessions: 30 }, new Date(AT));
    const offline = planOffline(change, dev, {}, AT);
    const plan = planChange(change, dev, offline, state(undefined), {}, who);
    if (plan.kind !== "run") throw new Error(plan.kind);
    expect(plan.operation).toMatchObject({ profile: "testing", overrides: { testing: { maxSessions: 30 } }, by: "alice@laptop", at: AT });
    expect(plan.request).toMatchObject({ basedOn: 0, baseline: "file" });
    expect(plan.records).toBe(true);
    expect(plan.checkImages).toBe(true);
    expect(plan.settings.profile.pool?.maxSessions).toBe(30);
  });

  test("a scale names the overrides it keeps from an earlier scale of the profile: what runs, in the change line and the state's intent", () => {
    const previous: OperationsState = {
      profile: "testing", overrides: { testing: { maxSessions: 30, cooldownSeconds: 600 } }, expiresAt: null, intent: "scale to testing (max-sessions 30, cooldown 600)", by: "bob@ci", at: AT, revision: 3,
      baseline: dev.raw, windows: [],
    };
    const plan = (change: ReturnType<typeof scaleChange>) => {
      const p = planChange(change, dev, planOffline(change, dev, {}, AT), state(previous), {}, who);
      if (p.kind !== "run") throw new Error(p.kind);
      return p;
    };
    const again = plan(scaleChange("dev", { profile: "testing", readySessions: 4 }, new Date(AT)));
    expect(again.operation.overrides.testing).toEqual({ maxSessions: 30, cooldownSeconds: 600, readySessions: 4 });
    expect(again.intent).toBe("scale to testing (ready-sessions 4; kept: max-sessions 30, cooldown 600)");
    expect(again.operation.intent).toBe(again.intent);
    // One given again is not "kept"; another profile keeps nothing of testing's.
    expect(plan(scaleChange("dev", { profile: "testing", maxSessions: 40 }, new Date(AT))).intent).toBe("scale to testing (max-sessions 40; kept: cooldown 600)");
    expect(plan(scaleChange("dev", { profile: "contest" }, new Date(AT))).intent).toBe("scale to contest");
    // With nothing kept, the words are the option's alone.
    expect(planChange(scaleChange("dev", { profile: "testing" }, new Date(AT)), dev, planOffline(scaleChange("dev", { profile: "testing" }, new Date(AT)), dev, {}, AT), state(undefined), {}, who)).toMatchObject({ intent: "scale to testing" });
  });

  test("bad input is refused offline, naming the option", () => {
    const change = scaleChange("dev", { profile: "testing", readySessions: 50, maxSessions: 10 }, new Date(AT));
    expect(() => planOffline(change, dev, {}, AT)).toThrow(UsageError);
    expect(() => planOffline(change, dev, {}, AT)).toThrow(/--ready-sessions 50|--max-sessions 10/);
  });

  test("a stop with nothing deployed does nothing; on a deployed stack it runs the deployed baseline and names what the file changed", () => {
    const offline = planOffline(stopChange("dev"), dev, {}, AT);
    expect(planChange(stopChange("dev"), dev, offline, state(undefined, []), {}, who)).toEqual({ kind: "nothing-deployed" });
    const previous: OperationsState = {
      profile: "testing", overrides: {}, expiresAt: null, intent: "scale to testing", by: "bob@ci", at: AT, revision: 3,
      baseline: { ...dev.raw, backendImage: "coding-engine/backend:v0" }, windows: [],
    };
    const plan = planChange(stopChange("dev"), dev, offline, state(previous), {}, who);
    if (plan.kind !== "run") throw new Error(plan.kind);
    expect(plan.onDeployed).toBe(true);
    expect(plan.request).toMatchObject({ basedOn: 3, baseline: "deployed" });
    expect(plan.checkImages).toBe(false);
    expect(plan.notes).toEqual(["Pulumi.dev.yaml differs from what runs (backendImage): left for `manage up --stack dev`; this stop changes only what it needs."]);
    // A stop's request carries no stack file: it does not run on it.
    expect(previewedRequest(plan.request, dev).stackFile).toBeUndefined();
  });

  test("a deletion needs a yes: asked at a terminal, refused without one, not asked with --yes", () => {
    const steps = [
      { op: "delete", urn: "urn:pulumi:dev::coding-engine::azure-native:app:ContainerAppsSessionPool::session-pool", type: "azure-native:app:ContainerAppsSessionPool" },
      { op: "create", urn: "urn:pulumi:dev::coding-engine::azure-native:app:ContainerApp::backend", type: "azure-native:app:ContainerApp" },
    ];
    expect(confirmationNeeded(steps, false)).toEqual({
      question: "Delete or replace session-pool?",
      refusal: "this would delete or replace session-pool, and there is no terminal to ask at: pass --yes to confirm. Nothing was changed.",
    });
    expect(confirmationNeeded(steps, true)).toBeNull();
    expect(confirmationNeeded(steps.slice(1), false)).toBeNull();
  });

  test("a refusal puts the stack file back only while it holds what manage wrote", () => {
    const wrote = Buffer.from("config:\n  coding-engine:maxSessions: 9\n");
    expect(undoOnRefusal(null, Buffer.from("anything"))).toBe("nothing-written");
    expect(undoOnRefusal(wrote, Buffer.from(wrote))).toBe("restore");
    expect(undoOnRefusal(wrote, Buffer.from("config:\n  coding-engine:maxSessions: 9\n  coding-engine:location: westus\n"))).toBe("edited-since");
  });

  test("no Done unless the state holds this very operation, one revision on", () => {
    const change = scaleChange("dev", { profile: "testing" }, new Date(AT));
    const plan = planChange(change, dev, planOffline(change, dev, {}, AT), state(undefined), {}, who);
    if (plan.kind !== "run") throw new Error(plan.kind);
    const recorded = { ...plan.operation, revision: 1, baseline: {}, windows: [] };
    expect(notRecorded("dev", recorded, plan.request, plan.operation, undefined)).toBeNull();
    expect(notRecorded("dev", { ...recorded, revision: 2 }, plan.request, plan.operation, undefined)).toMatch(/does not hold this change \(revision 2, expected 1\)/);
    expect(notRecorded("dev", undefined, plan.request, plan.operation, undefined)).toMatch(/revision none/);
  });
});

test("an up of a file edit that changes nothing in the cloud still records it (the job and status read what runs from the state); a stop leaves it for up", () => {
  const previous: OperationsState = { profile: "idle", overrides: {}, expiresAt: null, intent: "first deployment", by: "bob@ci", at: AT, revision: 2, baseline: dev.raw, windows: [] };
  const edited = parseStackFile(devText + '  coding-engine:participants: "220"\n', "Pulumi.dev.yaml");
  const up = { stack: "dev", config: {}, intent: "up" };
  const plan = (change: Parameters<typeof planChange>[0], file: typeof dev) => planChange(change, file, planOffline(change, file, {}, AT), state(previous), {}, who);
  const p = plan(up, edited);
  if (p.kind !== "run") throw new Error(p.kind);
  expect(p.records).toBe(true);
  const same = plan(up, dev);
  if (same.kind !== "run") throw new Error(same.kind);
  expect(same.records).toBe(false);
  const stop = plan(stopChange("dev"), edited);
  if (stop.kind !== "run") throw new Error(stop.kind);
  expect(stop.records).toBe(false);
});

describe("the cost ceiling on the windows still to come", () => {
  // dev, ceiling $500/day, idle, with a contest window recorded for 10:00 (1 h): within the
  // ceiling at the file's 200 participants. Then participants 400 in the file.
  const NOW = "2026-11-23T09:00:00Z";
  const window = windowAt("contest");
  const idle = idleWith([window]);
  const bigger = parseStackFile(devText + '  coding-engine:participants: "400"\n', "Pulumi.dev.yaml");
  const up = { stack: "dev", config: {}, intent: "up" };
  const plan = (file: typeof dev, previous: OperationsState, flags = {}, at = NOW, change: Parameters<typeof planChange>[0] = up) =>
    planChange(change, file, planOffline(change, file, flags, at), state(previous), flags, { by: "alice@laptop", at });

  test("a change that puts a recorded window above the ceiling is refused (exit 2), naming the window, its start and the ways out", () => {
    // Within it before the change: nothing said.
    const fine = plan(dev, idle);
    if (fine.kind !== "run") throw new Error(fine.kind);
    expect(fine.warnings.join("\n")).not.toContain(window.id);
    // The idle stack itself stays within the ceiling: only the window's sizing is over it.
    expect(plan(bigger, { ...idle, windows: [] }).kind).toBe("run");
    expect(() => plan(bigger, idle)).toThrow(UsageError);
    expect(() => plan(bigger, idle)).toThrow(
      /^with this change, window w-20261123-1000 \(starts 2026-11-23T10:00:00Z, contest\) can cost at most \$[\d,.]+\/day .*above stack dev's cost ceiling of \$500\.00\/day \(costCeilingPerDay\)\. .*cancel the window \(`manage schedule --stack dev --cancel w-20261123-1000`\).* Nothing was changed\.$/,
    );
  });

  test("--allow-over-ceiling goes ahead with a warning naming the window", () => {
    const p = plan(bigger, idle, { allowOverCeiling: true });
    if (p.kind !== "run") throw new Error(p.kind);
    expect(p.warnings).toContainEqual(expect.stringMatching(/^with this change, window w-20261123-1000 \(starts 2026-11-23T10:00:00Z, contest\) can cost .* the scheduled job will refuse to start it\. Going ahead \(--allow-over-ceiling\)$/));
  });

  test("a window sized with --users is judged at its own sizing; an ended window, and a change that does not raise a window's cost (a stop), are not refused", () => {
    // A window recorded for 400 participants (its --users): the file's 200 do not save it.
    const record = { stack: "dev", config: {}, windows: () => [{ ...window, users: 400 }], intent: "schedule" };
    expect(() => plan(dev, { ...idle, windows: [] }, {}, NOW, record)).toThrow(/window w-20261123-1000 \(starts 2026-11-23T10:00:00Z, contest for 400 participants\)/);
    expect(plan(dev, { ...idle, windows: [] }, {}, NOW, { ...record, windows: () => [{ ...window, users: 150 }] }).kind).toBe("run");
    // Ended: nothing to start.
    expect(plan(bigger, idle, {}, "2026-11-23T11:00:00Z").kind).toBe("run");
    // Ended only by a rehearsal clock (MANAGE_NOW): the scheduled job, on the real one, will start it.
    const late = "2026-11-23T11:00:00Z";
    expect(() => planChange(up, bigger, planOffline(up, bigger, {}, late), state(idle), {}, { by: "alice@laptop", at: late, realAt: NOW })).toThrow(/window w-20261123-1000/);
    // Already over before (the state's baseline has 400 too): a stop does not make it worse.
    const over = { ...idle, baseline: bigger.raw };
    expect(plan(bigger, over, {}, NOW, stopChange("dev")).kind).toBe("run");
  });
});

test("a later window is judged as the job will start it: after the running window's sizing is stripped", () => {
  // Window A runs contest sized for 600 participants (its --users, its own sizing in the overrides);
  // window B, later, is for the file's 200. Judged with A's sizing, B looked far above the ceiling.
  const NOW = "2026-11-23T10:30:00Z";
  const win = (id: string, start: string, end: string, users: number | null) => ({ id, profile: "contest" as const, start, end, warmupMinutes: 30, users, by: "bob@ci", at: "2026-11-23T09:00:00Z" });
  const a = win("w-a", "2026-11-23T10:00:00Z", "2026-11-23T11:00:00Z", 600);
  const b = win("w-b", "2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z", null);
  const settings = parseSettings(dev.raw, "dev");
  const sizing = windowOverrides(a, settings);
  const running: OperationsState = { profile: "contest", overrides: { contest: sizing }, expiresAt: a.end, window: a.id, intent: "start window", by: "reconcile", at: NOW, revision: 3, baseline: dev.raw, windows: [a] };
  const schedule = (next: typeof b) => ({ stack: "dev", config: {}, windows: () => [a, next], intent: "schedule" });
  const plan = (next: typeof b) => planChange(schedule(next), dev, planOffline(schedule(next), dev, {}, NOW), state(running), {}, { by: "alice@laptop", at: NOW });
  expect(plan(b).kind).toBe("run");
  // The check still holds for B's own sizing.
  expect(() => plan({ ...b, users: 600 })).toThrow(/window w-b .*contest for 600 participants/);
});

describe("the cost ceiling, judged once with the state", () => {
  // contest runs at max 230 / ready 60 (an earlier scale's overrides), over a ceiling of $100/day.
  const low = parseStackFile(devText + '  coding-engine:costCeilingPerDay: "100"\n', "Pulumi.dev.yaml");
  const running: OperationsState = {
    profile: "contest", overrides: { contest: { maxSessions: 230, readySessions: 60 } }, expiresAt: "2026-12-05T10:30:00Z", intent: "scale to contest", by: "bob@ci", at: AT, revision: 4,
    baseline: low.raw, windows: [],
  };
  const plan = (change: ReturnType<typeof scaleChange>, flags = {}) => planChange(change, low, planOffline(change, low, flags, AT), state(running), flags, who);

  test("a scale that lowers what runs goes ahead, judged on what would run (the kept 60 ready), not the file's sizes; --allow-over-ceiling adds no second verdict", () => {
    const lower = scaleChange("dev", { profile: "contest", maxSessions: 220, for: 3_600_000 }, new Date(AT));
    // Offline, nothing about the ceiling: the file alone does not say what runs.
    expect(planOffline(lower, low, {}, AT).warnings).toEqual([]);
    const p = plan(lower);
    if (p.kind !== "run") throw new Error(p.kind);
    expect(p.settings.profile.pool).toMatchObject({ maxSessions: 220, readySessions: 60 });
    // Still over it after the lowering: said once, the same with --allow-over-ceiling (nothing to allow).
    const over = [expect.stringMatching(/^stack dev stays above its cost ceiling: it can cost at most .*220 sessions held and 60 ready/)];
    expect(p.warnings.filter((w) => w.includes("cost ceiling"))).toEqual(over);
    const allowed = plan(lower, { allowOverCeiling: true });
    if (allowed.kind !== "run") throw new Error(allowed.kind);
    expect(allowed.warnings.filter((w) => w.includes("cost ceiling"))).toEqual(over);
  });

  test("a scale that raises it is refused once, quoting what would run; with --allow-over-ceiling, one warning", () => {
    const raise = scaleChange("dev", { profile: "contest", maxSessions: 300, for: 3_600_000 }, new Date(AT));
    expect(() => plan(raise)).toThrow(/^this change can cost at most \$[\d,.]+\/day \(.*300 sessions held and 60 ready.*above stack dev's cost ceiling of \$100\.00\/day/);
    const allowed = plan(raise, { allowOverCeiling: true });
    if (allowed.kind !== "run") throw new Error(allowed.kind);
    expect(allowed.warnings.filter((w) => w.includes("cost ceiling"))).toHaveLength(1);
    expect(allowed.warnings.find((w) => w.includes("cost ceiling"))).toMatch(/300 sessions held and 60 ready/);
    // Where no state can exist (a backend with none yet), the file is what runs: judged offline, once.
    expect(() => planOffline(raise, low, {}, AT, true)).toThrow(/300 sessions held and 52 ready.*above stack dev's cost ceiling of \$100\.00\/day/);
    const first = planOffline(raise, low, { allowOverCeiling: true }, AT, true);
    const p = planChange(raise, low, first, state(undefined, []), { allowOverCeiling: true }, who);
    if (p.kind !== "run") throw new Error(p.kind);
    expect(p.warnings.filter((w) => w.includes("cost ceiling"))).toHaveLength(1);
  });
});

describe("a stack taken over its ceiling on purpose (--allow-over-ceiling)", () => {
  // contest at max 230 / ready 60 was scaled with --allow-over-ceiling: over the file's $100/day.
  const low = parseStackFile(devText + '  coding-engine:costCeilingPerDay: "100"\n', "Pulumi.dev.yaml");
  const over: OperationsState = {
    profile: "contest", overrides: { contest: { maxSessions: 230, readySessions: 60 } }, expiresAt: "2026-12-05T10:30:00Z", intent: "scale to contest", by: "bob@ci", at: AT, revision: 4,
    baseline: low.raw, windows: [],
  };
  const plan = (change: Parameters<typeof planChange>[0], file = low, flags = {}) => planChange(change, file, planOffline(change, file, flags, AT), state(over), flags, who);

  test("what neither raises its cost nor lowers the ceiling goes ahead with no flag: keys, a window on the schedule, the same scale, an up with no edit", () => {
    const keys = { stack: "dev", config: {}, callers: [], basedOn: 4, deployedBaseline: true, intent: "issue the key of ana" };
    const schedule = { stack: "dev", config: {}, windows: () => [], intent: "schedule" };
    const same = scaleChange("dev", { profile: "contest", for: 3_600_000 }, new Date(AT));
    for (const change of [keys, schedule, same, { stack: "dev", config: {}, intent: "up" }]) expect(plan(change).kind, change.intent).toBe("run");
  });

  test("raising it, or lowering the ceiling below what runs, is refused as before", () => {
    expect(() => plan(scaleChange("dev", { profile: "contest", maxSessions: 300, for: 3_600_000 }, new Date(AT)))).toThrow(/above stack dev's cost ceiling of \$100\.00\/day/);
    const lower = parseStackFile(devText + '  coding-engine:costCeilingPerDay: "90"\n', "Pulumi.dev.yaml");
    expect(() => plan({ stack: "dev", config: {}, intent: "up" }, lower)).toThrow(/above stack dev's cost ceiling of \$90\.00\/day/);
    // Nothing runs yet: the file over its own ceiling is refused (nothing to compare it with).
    const contest = scaleChange("dev", { profile: "contest", for: 3_600_000 }, new Date(AT));
    expect(() => planChange(contest, low, planOffline(contest, low, {}, AT), state(undefined, []), {}, who)).toThrow(/above stack dev's cost ceiling/);
  });
});

describe("what an over-ceiling stack may not do without the flag", () => {
  const low = parseStackFile(devText + '  coding-engine:costCeilingPerDay: "100"\n', "Pulumi.dev.yaml");
  const over: OperationsState = {
    profile: "contest", overrides: { contest: { maxSessions: 230, readySessions: 60 } }, expiresAt: "2026-12-05T10:30:00Z", intent: "scale to contest", by: "bob@ci", at: AT, revision: 4,
    baseline: low.raw, windows: [],
  };
  const plan = (change: Parameters<typeof planChange>[0], flags = {}) => planChange(change, low, planOffline(change, low, flags, AT), state(over), flags, who);

  test("run longer: a later expiry, or none, is refused; an earlier one goes ahead, saying it stays above the ceiling", () => {
    // As scale runs it: the refusal offers the --for that scale takes (the scheduled job, which takes none, gets the general one).
    noteRunningCommand("scale", ["--for"]);
    onTestFinished(() => noteRunningCommand("", []));
    expect(() => plan(scaleChange("dev", { profile: "contest", for: 7 * 24 * 3_600_000 }, new Date(AT)))).toThrow(
      /^stack dev runs above its cost ceiling until 2026-12-05T10:30Z \(it can cost .*above stack dev's cost ceiling of \$100\.00\/day \(costCeilingPerDay\)\), and this change keeps it running until 2026-12-12T08:30Z\. Give a --for that ends by 2026-12-05T10:30Z\. Nothing was changed\.$/,
    );
    expect(() => plan(scaleChange("dev", { profile: "contest" }, new Date(AT)))).toThrow(/and this change keeps it running with no expiry\. Give a --for that ends by 2026-12-05T10:30Z/);
    const shorter = plan(scaleChange("dev", { profile: "contest", for: 3_600_000 }, new Date(AT)));
    if (shorter.kind !== "run") throw new Error(shorter.kind);
    expect(shorter.warnings).toContainEqual(expect.stringMatching(/^stack dev stays above its cost ceiling: it can cost at most \$[\d,.]+\/day .*above stack dev's cost ceiling of \$100\.00\/day/));
    expect(plan(scaleChange("dev", { profile: "contest" }, new Date(AT)), { allowOverCeiling: true }).kind).toBe("run");
  });

  test("capacity --apply takes the state's kept sizes of its profile away, so the sizing it records is what runs", () => {
    const file = parseSettings(dev.raw, "dev");
    const q = capacityQuery({ users: 100 }, file, profileOf(file, "contest").pool!.cooldownSeconds);
    const change = capacityChange("dev", "contest", dev.raw, q, planCapacity(q), applyConfig);
    const p = planChange(change, dev, planOffline(change, dev, {}, AT), state({ ...over, baseline: dev.raw }), {}, who);
    if (p.kind !== "run") throw new Error(p.kind);
    expect(p.settings.profile.pool).toMatchObject({ maxSessions: planCapacity(q).maxSessions, readySessions: planCapacity(q).readySessions });
    // The change line names what it replaces.
    expect(p.intent).toMatch(/^size contest for 100 participants .* \(replacing the kept max-sessions 230, ready-sessions 60\)$/);
  });
});

describe("a region whose prices cannot judge the ceiling", () => {
  const inRegion = (location: string) => parseStackFile(devText.replace("coding-engine:location: eastus", `coding-engine:location: ${location}`), "Pulumi.dev.yaml");
  const contest = scaleChange("dev", { profile: "contest", maxSessions: 600, readySessions: 100, for: 3_600_000 }, new Date(AT));

  test("a pool is not started unjudged: refused (exit 2) naming the regions that can judge it, unless --allow-over-ceiling", () => {
    // westeurope's table has no Dedicated plan rates (the nodes would count as $0); northeurope has none.
    for (const [location, why] of [["westeurope", /the westeurope price table lacks prices this configuration needs \(`manage cost-estimate --region westeurope --verbose` names them\)/], ["northeurope", /there are no embedded prices for region northeurope/]] as const) {
      const file = inRegion(location);
      expect(file.raw.location).toBe(location);
      expect(() => planOffline(contest, file, {}, AT, true)).toThrow(UsageError);
      expect(() => planOffline(contest, file, {}, AT, true)).toThrow(new RegExp(`^cannot check stack dev's cost ceiling: ${why.source}, and this configuration runs a session pool\\. Run the stack in a region manage has complete prices for \\(eastus, eastus2\\)`));
      expect(planOffline(contest, file, { allowOverCeiling: true }, AT, true).warnings).toContainEqual(expect.stringMatching(/going ahead unjudged \(--allow-over-ceiling\)$/));
      // Idle (no pool): said, never refused.
      expect(planOffline({ ...stopChange("dev"), deployedBaseline: false }, file, {}, AT, true).warnings).toContainEqual(expect.stringMatching(/^cannot check stack dev's cost ceiling/));
    }
  });

  test("on a stack running there (started on the person's word), what runs no more goes ahead: keys, a lower scale, a shorter --for; more is refused", () => {
    const file = inRegion("westeurope");
    const running: OperationsState = {
      profile: "contest", overrides: { contest: { maxSessions: 230, readySessions: 60 } }, expiresAt: "2026-12-05T10:30:00Z", intent: "scale to contest", by: "bob@ci", at: AT, revision: 4,
      baseline: file.raw, windows: [],
    };
    const plan = (change: Parameters<typeof planChange>[0]) => planChange(change, file, planOffline(change, file, {}, AT), state(running), {}, who);
    const keys = { stack: "dev", config: {}, callers: [], basedOn: 4, deployedBaseline: true, intent: "issue the key of ana" };
    for (const change of [keys, scaleChange("dev", { profile: "contest", maxSessions: 200, for: 3_600_000 }, new Date(AT)), scaleChange("dev", { profile: "testing", for: 3_600_000 }, new Date(AT))]) {
      const p = plan(change);
      if (p.kind !== "run") throw new Error(p.kind);
      expect(p.warnings).toContainEqual(expect.stringMatching(/^cannot check stack dev's cost ceiling: .*; this change runs no more than what runs now$/));
    }
    expect(() => plan(scaleChange("dev", { profile: "contest", maxSessions: 300, for: 3_600_000 }, new Date(AT)))).toThrow(/^cannot check stack dev's cost ceiling/);
    expect(() => plan(scaleChange("dev", { profile: "contest", for: 7 * 24 * 3_600_000 }, new Date(AT)))).toThrow(/^cannot check stack dev's cost ceiling/);
    // More logs a day is more too, whatever the pool does (priced at a region whose table prices both).
    const moreLogs = parseStackFile(devText.replace("coding-engine:location: eastus", "coding-engine:location: westeurope") + '  coding-engine:logDailyCapGb: "50"\n', "Pulumi.dev.yaml");
    const up = { stack: "dev", config: {}, intent: "up" };
    expect(() => planChange(up, moreLogs, planOffline(up, moreLogs, {}, AT), state(running), {}, who)).toThrow(/^cannot check stack dev's cost ceiling/);
  });

  test("a registry tier no table prices is compared as itself: the same tier, a shorter --for, goes ahead; a higher tier does not", () => {
    const standard = parseStackFile(devText + '  coding-engine:registrySku: Standard\n', "Pulumi.dev.yaml");
    const running: OperationsState = {
      profile: "testing", overrides: {}, expiresAt: "2026-12-05T10:30:00Z", intent: "scale to testing", by: "bob@ci", at: AT, revision: 4, baseline: standard.raw, windows: [],
    };
    const plan = (change: Parameters<typeof planChange>[0], file = standard) => planChange(change, file, planOffline(change, file, {}, AT), state(running), {}, who);
    expect(plan(scaleChange("dev", { profile: "testing", for: 3_600_000 }, new Date(AT))).kind).toBe("run");
    const premium = parseStackFile(devText + '  coding-engine:registrySku: Premium\n', "Pulumi.dev.yaml");
    expect(() => plan(scaleChange("dev", { profile: "testing", for: 3_600_000 }, new Date(AT)), premium)).toThrow(/^cannot check stack dev's cost ceiling/);
  });

  test("a change that leaves a recorded window unjudgeable (a registry tier no table prices) is refused, naming the window", () => {
    const NOW = "2026-11-23T09:00:00Z";
    const idle = idleWith([windowAt("testing")]);
    const premium = parseStackFile(devText + '  coding-engine:registrySku: Premium\n', "Pulumi.dev.yaml");
    const up = { stack: "dev", config: {}, intent: "up" };
    expect(() => planChange(up, premium, planOffline(up, premium, {}, NOW), state(idle), {}, { by: "alice@laptop", at: NOW })).toThrow(
      /^with this change, window w-20261123-1000 \(starts 2026-11-23T10:00:00Z, testing\) cannot be judged against the cost ceiling: .*so the scheduled job would refuse to start it\. No embedded price table prices all of this configuration .*cancel the window/,
    );
  });
});

describe("a window and the ceiling: lowered, new, kept sizes", () => {
  const NOW = "2026-11-23T09:00:00Z";
  const window = windowAt("contest");
  const idle = idleWith([window]);
  const who = { by: "alice@laptop", at: NOW };
  const up = { stack: "dev", config: {}, intent: "up" };

  test("a ceiling lowered below a recorded window's cost is refused, naming the window", () => {
    const lower = parseStackFile(devText + '  coding-engine:costCeilingPerDay: "100"\n', "Pulumi.dev.yaml");
    expect(() => planChange(up, lower, planOffline(up, lower, {}, NOW), state(idle), {}, who)).toThrow(/window w-20261123-1000 .*above stack dev's cost ceiling of \$100\.00\/day.*cancel the window/);
  });

  test("the scheduled job starting a window over the ceiling is refused with cancelling it among the ways out", () => {
    const lower = parseStackFile(devText + '  coding-engine:costCeilingPerDay: "100"\n', "Pulumi.dev.yaml");
    const settled: OperationsState = { ...idle, baseline: lower.raw };
    const start = { stack: "dev", config: {}, operation: (current: { overrides: OperationsState["overrides"] }) => windowOperation(window, current.overrides, parseSettings(lower.raw, "dev")), deployedBaseline: true, intent: "start window" };
    expect(() => planChange(start, lower, planOffline(start, lower, {}, "2026-11-23T09:35:00Z"), state(settled), {}, { by: "reconcile", at: "2026-11-23T09:35:00Z" })).toThrow(
      /^this change can cost .*above stack dev's cost ceiling of \$100\.00\/day \(costCeilingPerDay\)\. Lower the sizes, raise costCeilingPerDay in Pulumi\.dev\.yaml, or cancel the window \(`manage schedule --stack dev --cancel w-20261123-1000`\)\. Nothing was changed\.$/,
    );
  });

  test("a window this change adds is not offered for cancelling, and the sizes the state keeps for its profile are named", () => {
    const kept: OperationsState = { ...idle, windows: [], overrides: { contest: { maxSessions: 600, readySessions: 100 } } };
    const schedule = { stack: "dev", config: {}, windows: () => [window], intent: "schedule" };
    const refusal = (() => {
      try {
        planChange(schedule, dev, planOffline(schedule, dev, {}, NOW), state(kept), {}, who);
      } catch (err) {
        return (err as Error).message;
      }
      return "";
    })();
    expect(refusal).toMatch(/^with this change, window w-20261123-1000 \(starts 2026-11-23T10:00:00Z, contest, with the overrides the state keeps for contest: maxSessions 600, readySessions 100\) can cost/);
    expect(refusal).not.toContain("--cancel");
  });
});

describe("what was previewed is what is applied", () => {
  const change = scaleChange("dev", { profile: "testing" }, new Date(AT));
  const plan = planChange(change, dev, planOffline(change, dev, {}, AT), state(undefined), {}, who);
  if (plan.kind !== "run") throw new Error(plan.kind);
  const request = previewedRequest(plan.request, dev);
  const edited = parseStackFile(devText.replace("coding-engine/backend:v1", "coding-engine/backend:v2"), "Pulumi.dev.yaml");

  test("manage refuses the update when the file it reads now is not the one it previewed", () => {
    expect(fileChangedSincePreview(dev, parseStackFile(devText, "Pulumi.dev.yaml"))).toBeNull();
    expect(fileChangedSincePreview(dev, edited)).toBe(
      "not applied: Pulumi.dev.yaml changed after the preview. Nothing was changed, so what you confirmed did not run\n  Fix: run the command again to see the new plan",
    );
  });

  test("the program refuses a config that is not the previewed file's, whoever's key order; a plain up is not checked", () => {
    expect(request.stackFile?.name).toBe("Pulumi.dev.yaml");
    // The engine hands the program every declared key, defaults included, and objects in Go's key order.
    expect(() => resolveOperations({ ...dev.raw }, null, request, AT)).not.toThrow();
    expect(() => resolveOperations(edited.raw, null, request, AT)).toThrow(OperationsError);
    expect(() => resolveOperations(edited.raw, null, request, AT)).toThrow(
      /the stack changed after manage read it: Pulumi\.dev\.yaml was edited after it was previewed, so what was confirmed is not what it holds now\. This update changed nothing; run the command again/,
    );
    const withObject = parseStackFile(`${devText}  coding-engine:profileOverrides:\n    testing: { readySessions: 2, maxSessions: 30 }\n`, "Pulumi.dev.yaml");
    const goOrder = { ...withObject.raw, profileOverrides: '{"testing":{"maxSessions":30,"readySessions":2}}' };
    expect(() => resolveOperations(goOrder, null, previewedRequest(plan.request, withObject), AT)).not.toThrow();
    expect(() => resolveOperations(edited.raw, null, null, AT)).not.toThrow();
  });
});

describe("the rehearsal clock", () => {
  const real = new Date("2026-12-06T12:00:00Z");
  test("no MANAGE_NOW: the real clock, nothing said", () => {
    expect(rehearsalClock({}, real)).toBeNull();
  });
  test("a change on MANAGE_NOW is refused unless MANAGE_REHEARSAL=1, always in a workflow run, and never silent", () => {
    expect(() => rehearsalClock({ MANAGE_NOW: "2027-12-06T12:00:00Z" }, real)).toThrow(/MANAGE_NOW=2027-12-06T12:00:00Z is 365 d ahead of the real clock.*set MANAGE_REHEARSAL=1/s);
    expect(() => rehearsalClock({ MANAGE_NOW: "2027-12-06T12:00:00Z", MANAGE_REHEARSAL: "1", GITHUB_ACTIONS: "true" }, real)).toThrow(/set in a workflow run/);
    expect(rehearsalClock({ MANAGE_NOW: "2026-12-06T09:30:00Z", MANAGE_REHEARSAL: "1" }, real)).toEqual({
      warning: "rehearsal clock: MANAGE_NOW=2026-12-06T09:30:00Z is 2 h 30 min behind the real clock (MANAGE_REHEARSAL=1); this change records its times by it",
    });
    expect(clockOffset(new Date("2026-12-07T13:01:00Z"), real)).toBe("1 d 1 h 1 min ahead of");
  });
});

describe("where a credential goes", () => {
  const key = { kind: "key" as const, value: "k", source: "MANAGE_GATEWAY_KEY" };
  const option = { ...key, source: "--gateway-key" };
  test("over HTTPS to the stack's own gateway: sent", () => {
    expect(credentialFor("https://gw.azure-api.net", key, true)).toEqual({ credential: key });
  });
  test("over plain http: never; a key given as an option is bad input naming it", () => {
    expect(credentialFor("http://gw.example.com", key, true).credential).toBeUndefined();
    expect(() => credentialFor("http://gw.example.com", option, false)).toThrow(/--gateway-key is sent only over HTTPS, and --endpoint http:\/\/gw\.example\.com is not/);
  });
  test("to another --endpoint: only a credential given on that command line", () => {
    expect(credentialFor("https://elsewhere.example.com", key, false)).toEqual({
      withheld: "the gateway key (MANAGE_GATEWAY_KEY) is not sent to --endpoint https://elsewhere.example.com: it goes only to the stack's own gateway (--stack); pass --gateway-key to send one there",
    });
    expect(credentialFor("https://elsewhere.example.com", option, false)).toEqual({ credential: option });
  });
});

describe("an interrupted change, in words", () => {
  test("the lock's holder and time, what was under way, and the commands that settle it", () => {
    const i = describeInterrupted("dev", {
      locks: [{ file: "x.json", pid: 42, who: "alice@laptop", since: "2026-12-05T08:31:00Z" }],
      pending: [{ name: "session-pool", type: "creating" }],
    });
    expect(i.what).toBe(
      "a change to dev has not finished: the stack is locked by alice@laptop (pid 42) since 2026-12-05T08:31:00Z; left under way: creating session-pool. It is running, or it was interrupted (killed, a closed laptop) and the state does not record it yet",
    );
    expect(i.fix).toBe(
      "if that change is still running, wait for it; if it was interrupted: `manage pulumi -- cancel --stack dev --yes` (removes the lock), then `manage pulumi -- refresh --stack dev --yes --clear-pending-creates` (reads what Azure has; an interrupted create is made again by the next update), then run the change again",
    );
    // Pending operations without a lock (a backend manage cannot list locks of): only refresh.
    expect(describeInterrupted("dev", { locks: [], pending: [{ name: "session-pool", type: "creating" }] }).fix).not.toContain("cancel");
  });
});
