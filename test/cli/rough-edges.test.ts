// Rough edges a person meets at a shell: output to a closed pipe ends quietly; the bash completion
// can be sourced twice; at 80 columns plan's Azure names stay distinguishable; "local" times are the
// reader's zone, and what is recorded in the stack's state for other readers says UTC only.
import { execa } from "execa";
import { describe, expect, test } from "vitest";
import { makeProject, MANAGE, manageDecision } from "../helpers/cli.js";
import { describeWindow } from "../../cli/schedule.js";
import { recordedIntent } from "../../cli/operations.js";
import { middleTruncate } from "../../cli/output.js";

const bash = (script: string, cwd: string) => execa("bash", ["-c", script], { reject: false, cwd, env: { MANAGE_PROJECT_DIR: cwd, NO_COLOR: "1" } });

describe.concurrent("at the shell", () => {
  test("manage --help | head -1: the first line, no EPIPE stack trace, exit 0", async () => {
    const project = makeProject();
    // A help several times longer than a pipe's buffer: the writer meets the closed pipe.
    const r = await bash(`set -o pipefail; for i in 1 2 3; do node ${MANAGE} --help | head -1 || exit $?; done`, project);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual(Array(3).fill("Usage: manage [options] [command]"));
    expect(r.exitCode).toBe(0);
  });

  test("the bash completion sourced twice (a second `source ~/.bashrc`) prints no errors, and still completes", async () => {
    const project = makeProject();
    const r = await bash(`source <(node ${MANAGE} completion bash) && source <(node ${MANAGE} completion bash) && complete -p manage`, project);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/complete .* manage/);
    expect(r.exitCode).toBe(0);
  });

  test("plan at 80 columns: every Azure name is distinct (cut in the middle, not all to codeeng-contest-…)", async () => {
    const project = makeProject();
    // The contest profile: the idle plan's 8 resources plus the session pool and the gateway with its
    // API, policy, operations and subscription (since the gateway lives with the pool, idle has no
    // gateway and too few names for the check below).
    const r = await manageDecision(["plan", "--stack", "contest", "--profile", "contest"], { project, env: { COLUMNS: "80" } });
    expect(r.exitCode).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => /^│ \S/.test(l) && !l.startsWith("│ resource "));
    const names = rows.map((l) => l.split("│")[3]!.trim());
    expect(rows.every((l) => l.length <= 80)).toBe(true);
    expect(names.length).toBeGreaterThan(8);
    expect(new Set(names).size).toBe(names.length);
    expect(names.some((n) => n.includes("…"))).toBe(true);
  });
});

describe("times in the reader's zone", () => {
  test("'local' is the zone of the process reading (TZ), not the recorder's", async () => {
    const show = (tz: string) =>
      execa("node", ["--input-type=module", "-e", `import { describeExpiry } from "${MANAGE.replace(/main\.js$/, "operations.js")}"; console.log(describeExpiry(new Date("2026-12-05T09:00:00Z")))`], { env: { TZ: tz } });
    expect((await show("Asia/Tokyo")).stdout).toBe("2026-12-05 09:00 UTC (18:00 GMT+9 local)");
    expect((await show("America/New_York")).stdout).toBe("2026-12-05 09:00 UTC (04:00 EST local)");
  });

  test("what is recorded for other readers (a window's intent) says UTC only; an older intent's local times are left out when shown", () => {
    const w = { profile: "contest" as const, users: 250, start: "2026-12-05T09:00:00Z", end: "2026-12-05T12:00:00Z", warmupMinutes: 30 };
    expect(describeWindow(w, false)).toBe("contest for 250 participants, 2026-12-05 09:00 UTC to 2026-12-05 12:00 UTC, warm-up from 2026-12-05 08:30 UTC");
    expect(recordedIntent("start window w-1: contest, 2026-12-05 09:00 UTC (10:00 GMT+1 local) to 2026-12-05 12:00 UTC (13:00 local) (reconcile)")).toBe(
      "start window w-1: contest, 2026-12-05 09:00 UTC to 2026-12-05 12:00 UTC (reconcile)",
    );
  });

  test("a word longer than its column is cut in the middle", () => {
    expect(middleTruncate("codeeng-contest-rg", 10)).toBe("codee…t-rg");
    expect(middleTruncate("codeeng-contest-logs", 10)).toBe("codee…logs");
    expect(middleTruncate("short", 10)).toBe("short");
  });
});
