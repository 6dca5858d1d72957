// The conventions people bring from gh, az, pulumi and npm, each as a user would notice it: colour
// and table width at a real terminal (a pseudo-terminal from util-linux `script`), --version, help
// with examples, global options and exit codes, shell completion, one JSON document, short warnings,
// the same exit code for the same cause, every environment variable documented, and checks that
// stop early against a backend that hangs or never stops talking.
import { execFile } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeProject, manage, manageInProcess, MANAGE, prepare, projectsRoot, shmFree, SHM_FREE_NEEDED } from "../helpers/cli.js";
import { ROOT } from "../helpers/program.js";
import { startExecServer } from "../exec-server/server.js";
import { ARM_TOKEN, startArmServer } from "../arm-server/server.js";

const run = promisify(execFile);
const ANSI = /\u001b\[[0-9;]*m/;
const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");
const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

let project: string;
beforeAll(() => {
  project = makeProject();
});

/** manage at a terminal of `cols` columns: stdout and stderr both go to the pseudo-terminal. */
async function atTerminal(args: string[], env: Record<string, string> = {}, cols = 80): Promise<string> {
  const command = `stty cols ${cols} rows 50; node ${quote(MANAGE)} ${args.map(quote).join(" ")}`;
  const { stdout } = await run("script", ["-qec", command, "/dev/null"], {
    env: { PATH: process.env.PATH!, HOME: project, MANAGE_PROJECT_DIR: project, TERM: "xterm-256color", ...env },
    maxBuffer: 10 * 1024 * 1024,
  });
  return stdout.replace(/\r\n/g, "\n");
}

describe("colour", () => {
  test("on at a terminal; off with NO_COLOR, with --no-color, and when piped", async () => {
    expect(await atTerminal(["cost-estimate"])).toMatch(ANSI);
    expect(await atTerminal(["cost-estimate"], { NO_COLOR: "1" })).not.toMatch(ANSI);
    expect(await atTerminal(["cost-estimate", "--no-color"])).not.toMatch(ANSI);
    // Piped, with neither NO_COLOR nor FORCE_COLOR in the environment.
    const env = { PATH: process.env.PATH!, HOME: project, MANAGE_PROJECT_DIR: project, TERM: "xterm-256color" };
    const piped = await run("node", [MANAGE, "cost-estimate"], { env });
    expect(piped.stdout + piped.stderr).not.toMatch(ANSI);
    // --color asks for it where there is no terminal.
    expect((await run("node", [MANAGE, "cost-estimate", "--color"], { env })).stdout).toMatch(ANSI);
  });
});

describe("tables fit the terminal", () => {
  const tableLines = (out: string) => plain(out).split("\n").filter((l) => /^[┌│└]/.test(l));

  test("at 80 columns every table line fits, dropping the low-value columns first", async () => {
    const narrow = await atTerminal(["cost-estimate", "--stack", "contest"]);
    expect(Math.max(...tableLines(narrow).map((l) => [...l].length))).toBeLessThanOrEqual(80);
    expect(narrow).toContain("per day");
    expect(narrow).not.toContain("per execution");
    // Wide enough: all eight columns, one line a row.
    const wide = await atTerminal(["cost-estimate", "--stack", "contest"], {}, 200);
    expect(wide).toContain("per execution");
    expect(tableLines(wide)).toHaveLength(6);
  });

  test("long cells wrap instead of overflowing (plan at 100 columns)", async () => {
    const out = await atTerminal(["plan", "--stack", "contest"], {}, 100);
    const lines = tableLines(out);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(100);
    expect(plain(out)).toContain("codeengcontestacr");
  });
});

describe("the command line", () => {
  test("--version prints the package's version", async () => {
    const r = await manage(["--version"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
  });

  test("the bin stays runnable after a rebuild (npm sets its mode only at install): `npx manage` after `npm test` works", async () => {
    // Every build recreates dist/; the bin must come out executable, with its shebang, and run as is.
    expect(statSync(MANAGE).mode & 0o111).toBe(0o111);
    expect(readFileSync(MANAGE, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
    const r = await execa(MANAGE, ["--version"], { reject: false, cwd: project });
    expect(r.exitCode).toBe(0);
  });

  test("bare manage prints the help on stdout, with the exit codes and the environment, and exits 0", async () => {
    const r = await manage([], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^Usage: manage \[options\] \[command\]/);
    expect(r.stdout).toMatch(/Exit codes:\n +0 +done[\s\S]* 1 +the operation failed[\s\S]* 2 +bad usage or input, or a tool missing[\s\S]*130/);
    expect(r.stdout).toContain("completion <shell>");
  });

  test("every command's help shows real examples and the global options", async () => {
    const names = ["up", "start-session-pool", "start", "start-backend", "stop", "scale", "schedule", "reconcile", "pulumi", "status", "smoke", "doctor", "load-test", "plan", "cost-estimate", "capacity"];
    const helps = await Promise.all([...names.map((n) => [n]), ["images", "import"], ["images", "build"]].map((args) => manage([...args, "--help"], { project })));
    for (const [i, h] of helps.entries()) {
      const name = i < names.length ? names[i]! : `images ${i === names.length ? "import" : "build"}`;
      expect(h.exitCode, name).toBe(0);
      const examples = h.stdout.split("Examples:\n")[1] ?? "";
      expect(examples.match(/^ +\$ manage /gm)?.length ?? 0, `${name}: examples`).toBeGreaterThanOrEqual(2);
      expect(examples, name).toContain(`$ manage ${name}`);
      const global = h.stdout.split("Global Options:\n")[1] ?? "";
      for (const flag of ["--stack <name>", "--json", "--yes", "--verbose", "--no-color"]) expect(global, `${name}: ${flag}`).toContain(flag);
    }
  });

  test("shell completion: a script for bash, zsh and fish; suggestions for commands, options and their values", async () => {
    const bash = await manage(["completion", "bash"], { project });
    expect(bash.exitCode).toBe(0);
    expect(bash.stdout).toContain("complete -");
    await run("bash", ["-n", "-c", bash.stdout]);
    for (const shell of ["zsh", "fish"]) expect((await manage(["completion", shell], { project })).stdout).toContain("manage complete");
    const commands = await manage(["complete", "--", "sc"], { project });
    expect(commands.stdout).toMatch(/^scale\b/m);
    const values = await manage(["complete", "--", "scale", "--profile", ""], { project });
    for (const p of ["idle", "testing", "contest"]) expect(values.stdout).toMatch(new RegExp(`^${p}\\b`, "m"));
    const options = await manage(["complete", "--", "load-test", "--"], { project });
    for (const o of ["--users", "--duration", "--max-requests"]) expect(options.stdout).toContain(o);
  });
});

describe("one JSON document, whatever happens", () => {
  test("a check that fails prints its report and the error in one document on stdout (exit 1)", async () => {
    const r = await manage(["capacity", "--stack", "contest", "--identifier", "per-execution", "--json"], { project });
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout) as { plan: { maxSessions: number }; error: { message: string; exitCode: number } };
    expect(doc.plan.maxSessions).toBe(1202);
    expect(doc.error).toMatchObject({ exitCode: 1, message: expect.stringMatching(/fails \d+ check\(s\)/) });
    expect(r.stderr).toMatch(/^manage: the contest profile as configured fails/m);
  });
});

describe("warnings: short, once per run, details with --verbose", () => {
  test("the price warning is one short line, said once; --verbose names the prices", async () => {
    const r = await manage(["capacity", "--stack", "contest"], { project });
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning:"));
    // 8, and the gateway's two tiers (a named assumption: docs/costs.md, "The gateway").
    expect(warnings).toEqual(["warning: 11 eastus price(s) are unverified: --live-prices confirms them (--verbose says more)"]);
    expect(warnings[0]!.length).toBeLessThanOrEqual(100);
    const verbose = await manage(["capacity", "--stack", "contest", "--verbose"], { project });
    expect(verbose.stderr).toContain("unverified: Dedicated vCPU Usage, Dedicated Memory Usage");
  });
});

describe("the same cause, the same exit code", () => {
  test("pulumi missing is exit 2 in up, stop, scale, doctor and manage pulumi alike, nothing touched", async () => {
    const path = "/usr/bin:/bin";
    const results = await Promise.all(
      [["up"], ["stop", "--yes"], ["scale", "--profile", "testing", "--no-wait"], ["doctor"], ["pulumi", "--", "stack", "ls"]].map((args) => manage(args, { project, path })),
    );
    for (const r of results) {
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/pulumi is not installed \(manage needs 3\.188\.0 or newer\)/);
    }
  });

  test("manage pulumi ends as pulumi did: its own exit code, and a signal's 128+N as the shell shows it (130 only for SIGINT)", async () => {
    // A pulumi on PATH that ends the way the case says (a shell script: its $$ is the pulumi process).
    const bin = mkdtempSync(join(tmpdir(), "pulumi-ends-"));
    writeFileSync(join(bin, "pulumi"), '#!/bin/sh\ncase "$1" in\n  exit3) exit 3 ;;\n  *) kill -"$1" $$ ;;\nesac\n', { mode: 0o755 });
    const path = `${bin}:/usr/bin:/bin`;
    const cases = [["exit3", 3], ["INT", 130], ["TERM", 143], ["KILL", 137]] as const;
    const results = await Promise.all(cases.map(([how]) => manage(["pulumi", "--", how], { project, path })));
    expect(results.map((r) => r.exitCode)).toEqual(cases.map(([, code]) => code));
  });

  test("Ctrl-C in manage pulumi: pulumi gets the terminal's one SIGINT and no second signal; manage waits for it and ends with its code", async () => {
    // pulumi takes a second signal, a SIGINT or a SIGTERM after one, as "terminate at once", leaving
    // its lock and pending operations (pkg/backend/cancellation_scope.go, one channel for both;
    // pulumi/pulumi#17467; the test stand-in does the same: test/fake-pulumi/main.ts).
    // This one logs the signals it gets, and ends 7 a moment after the first.
    const bin = mkdtempSync(join(tmpdir(), "pulumi-signals-"));
    const log = join(bin, "log");
    writeFileSync(
      join(bin, "pulumi"),
      `#!/bin/bash\ngot=\ntrap 'echo INT >> ${log}; got=1' INT\ntrap 'echo TERM >> ${log}; got=1' TERM\necho started >> ${log}\n` +
        `until [ -n "$got" ]; do sleep 0.05; done\nfor i in 1 2 3 4 5 6; do sleep 0.05; done\necho ended >> ${log}\nexit 7\n`,
      { mode: 0o755 },
    );
    // Its own process group, as a shell gives a foreground job: the terminal's Ctrl-C goes to the group.
    const child = execa("node", [MANAGE, "pulumi", "--", "up"], {
      reject: false,
      detached: true,
      extendEnv: false,
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: project, MANAGE_PROJECT_DIR: project, NO_COLOR: "1" },
    });
    while (!existsSync(log)) await new Promise((r) => setTimeout(r, 20));
    process.kill(-child.pid!, "SIGINT");
    const r = await child;
    while (!readFileSync(log, "utf8").includes("ended")) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual(["started", "INT", "ended"]);
    expect(r.exitCode).toBe(7);
  });
});

test("manage run in a test worker (the bad-input table's way) answers as the process does: exit code, stdout, stderr, warnings once, nothing left from an earlier run; a relative path is refused", async () => {
  // Two JSON documents and the same warning in a row: each run prints its own, and says its warning.
  const cases = [
    ["plan", "--stack", "nope", "--json"],
    ["cost-estimate", "--hours", "2x"],
    ["cost-estimate", "--json"],
    // Refused by commander before the run sets its output up: the document is the error alone, not the run before's.
    ["cost-estimate", "--bogus", "--json"],
    ["capacity", "--stack", "contest", "--users", "220", "--json"],
    ["cost-estimate", "--region", "westeurope"],
    ["cost-estimate", "--region", "westeurope"],
    // A run's --color ends with it: the next run's early error (commander's) is plain, as in a new process.
    ["cost-estimate", "--color"],
    ["cost-estimate", "--bogus"],
    // Slashes in a name are no path: an image reference and a repository run in the worker too.
    ["images", "import", "--from", "src.azurecr.io/coding-engine/session:v1", "--name", "coding-engine/session", "--tag", "latest", "--json"],
  ];
  for (const args of cases) {
    const inProcess = await manageInProcess(args, { project });
    expect(inProcess, args.join(" ")).toEqual(await manage(args, { project }));
  }
  // A path manage would resolve against its folder: in a worker that is one folder for every test.
  await expect(manageInProcess(["capacity", "--simulate", "--chart", "charts/sim.svg"], { project })).rejects.toThrow(/run it as a process/);
  await expect(manageInProcess(["images", "build", "./session", "--name", "coding-engine/session"], { project })).rejects.toThrow(/run it as a process/);
  await expect(manageInProcess(["report", "--stack", "contest", "--out=pages/contest.html"], { project })).rejects.toThrow(/run it as a process/);
  // A word after a name option is its value only in that option's form: after `--file --from` (the
  // Dockerfile is "--from") or `--runs --from` it is a build context or a run log.
  await expect(manageInProcess(["images", "build", "--name", "coding-engine/session", "--file", "--from", "./session"], { project })).rejects.toThrow(/run it as a process/);
  await expect(manageInProcess(["report", "--stack", "contest", "--runs", "--from", "ci/runs.ndjson"], { project })).rejects.toThrow(/run it as a process/);
  // A folder by its name alone, and a file whose extension is long: paths too.
  await expect(manageInProcess(["images", "build", ".", "--name", "coding-engine/session"], { project })).rejects.toThrow(/run it as a process/);
  await expect(manageInProcess(["report", "--stack", "contest", "--runs", "runs.ndjson"], { project })).rejects.toThrow(/run it as a process/);
});

test("manage in a test worker trusts a test server's certificate only when the run's NODE_EXTRA_CA_CERTS names it, as a process does", async () => {
  // Health answers; every execution fails at once (no code runs): the run stops at what TLS allowed.
  const exec = await startExecServer({ tls: true });
  exec.fault(500, Infinity);
  try {
    const args = ["smoke", "--endpoint", exec.url, "--json"];
    const verdict = (r: { exitCode: number; stdout: string }) => {
      const doc = JSON.parse(r.stdout) as { cases: Array<{ name: string; ok: boolean; reason?: string }> };
      return { exitCode: r.exitCode, cases: doc.cases.map((c) => `${c.name}: ${c.ok ? "ok" : c.reason}`) };
    };
    const seen: string[] = [];
    // Untrusted, trusted, then untrusted again: the trust ends with the run that was given it.
    for (const env of [{}, { NODE_EXTRA_CA_CERTS: exec.caFile! }, {}] as Array<Record<string, string>>) {
      const inWorker = verdict(await manageInProcess(args, { project, env }));
      expect(inWorker).toEqual(verdict(await manage(args, { project, env })));
      seen.push(inWorker.cases[0]!);
    }
    expect(seen[0]).toMatch(/SELF_SIGNED_CERT/);
    expect(seen[1]).toBe("health: GET /: ok");
    expect(seen[2]).toBe(seen[0]);
  } finally {
    await exec.close();
  }
});

test("an Azure SDK call in a test worker trusts a test server's certificate only in the run given it, as in a process: the SDK's one agent for the worker resumes no TLS session of a trusted run", async () => {
  const arm = await startArmServer();
  try {
    const args = ["spend", "--stack", "dev", "--from", "2026-11-10", "--to", "2026-11-17", "--json"];
    const base = { MANAGE_ARM_ENDPOINT: arm.url, MANAGE_ARM_TOKEN: ARM_TOKEN, AZURE_SUBSCRIPTION_ID: "11111111-2222-4333-8444-555555555555" };
    const verdict = (r: { exitCode: number; stdout: string }) => {
      const error = (JSON.parse(r.stdout) as { error?: { message: string } }).error?.message;
      return { exitCode: r.exitCode, refused: /self-signed certificate/.test(error ?? "") };
    };
    const seen: Array<ReturnType<typeof verdict>> = [];
    // Untrusted, trusted, then untrusted again: the trust ends with the run that was given it.
    for (const env of [base, { ...base, NODE_EXTRA_CA_CERTS: arm.caFile }, base]) {
      const inWorker = verdict(await manageInProcess(args, { project, env }));
      expect(inWorker).toEqual(verdict(await manage(args, { project, env })));
      seen.push(inWorker);
    }
    expect(seen).toEqual([{ exitCode: 1, refused: true }, { exitCode: 0, refused: false }, { exitCode: 1, refused: true }]);
  } finally {
    await arm.close();
  }
});

describe("an in-process run that hangs until its test's time-out", () => {
  // keys issue reads the stack's outputs with --show-secrets, where the stand-in holds until released.
  const hold = mkdtempSync(join(tmpdir(), "hold-"));
  let held: string;
  afterAll(() => writeFileSync(join(hold, "release"), ""));

  test.fails("is cut by the time-out (this test fails, as it should)", async () => {
    held = makeProject();
    await prepare(held, "contest");
    await manageInProcess(["keys", "issue", "--stack", "contest", "--name", "team-a", "--json"], { project: held, env: { FAKE_PULUMI_HOLD: hold } });
  }, 5_000);

  test("gives the worker back: the next test's runs answer, with the worker's own environment and output", async () => {
    expect(existsSync(join(hold, "held"))).toBe(true);
    const before = { ...process.env };
    const r = await manageInProcess(["cost-estimate", "--json"], { project });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toBeTypeOf("object");
    expect(process.env).toEqual(before);
    expect(process.env.FAKE_PULUMI_HOLD).toBeUndefined();
  });
});

test("a check that fails, or a time-out, while an in-process run is under way names its own line, as any failure of a test does", async () => {
  // The run holds node's own stack traces (../helpers/program.ts nodeStackTraces); a test's failure
  // made meanwhile (a test checking something while a run it started is held) is
  // still reported where it is in this file, not at the transformed module's line and column. So is
  // a time-out's: vitest makes that error when the test is declared and reads its stack when the
  // time is up, with the hung run still holding (a hung run is given back only at its test's end).
  const declared = new Error("made before the run, as vitest makes a test's time-out"); // the declared error
  const hold = mkdtempSync(join(tmpdir(), "hold-"));
  const held = makeProject();
  await prepare(held, "contest");
  const run = manageInProcess(["keys", "issue", "--stack", "contest", "--name", "team-a", "--json"], { project: held, env: { FAKE_PULUMI_HOLD: hold } });
  while (!existsSync(join(hold, "held"))) await new Promise((r) => setTimeout(r, 20));
  let failure: unknown;
  try {
    expect("held", "a check made while manage runs").toBe("released"); // the failing check
  } catch (err) {
    failure = err;
  }
  const stack = String((failure as Error).stack);
  const timedOut = String(declared.stack);
  writeFileSync(join(hold, "release"), "");
  await run;
  const file = new URL(import.meta.url).pathname;
  const lineOf = (marker: string) => readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(marker)) + 1;
  expect(stack.split("\n")[1]).toContain(`${file}:${lineOf("// the failing check")}:`);
  expect(timedOut.split("\n")[1]).toContain(`${file}:${lineOf("// the declared error")}:`);
});

test("the suite's test projects live in the run's own folder, which the global setup removes when the run ends (each run left about 115 in /tmp before)", () => {
  const folder = process.env.MANAGE_TEST_PROJECTS;
  expect(folder).toMatch(/manage-test-run-/);
  expect(makeProject().startsWith(`${folder}/`)).toBe(true);
});

test("where the machine has /dev/shm with room to spare, the run's folder is there: a checkpoint written by rename costs a third of ext4's /tmp (test/helpers/project.ts projectsRoot)", () => {
  // The global setup chose before the run wrote its projects: the room they took since counts as
  // free (review rv16: with /dev/shm of 1 GiB, `docker run --shm-size=1g`, the run went there and
  // this test, reading what was left, expected /tmp).
  const folder = process.env.MANAGE_TEST_PROJECTS!;
  const free = shmFree();
  const taken = (path: string): number =>
    lstatSync(path).blocks * 512 + readdirSync(path, { withFileTypes: true }).reduce((sum, e) => sum + (e.isDirectory() ? taken(join(path, e.name)) : lstatSync(join(path, e.name)).blocks * 512), 0);
  const atSetup = free === null ? null : free + (folder.startsWith("/dev/shm/") ? taken(folder) : 0);
  expect(folder.startsWith(`${projectsRoot(atSetup)}/`)).toBe(true);
  expect(projectsRoot(SHM_FREE_NEEDED)).toBe("/dev/shm");
  expect([projectsRoot(SHM_FREE_NEEDED - 1), projectsRoot(null)]).toEqual([tmpdir(), tmpdir()]);
});

test("every environment variable manage reads is documented, in --help and in the README", async () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
  const read = new Set<string>();
  for (const file of sources(join(ROOT, "cli")))
    for (const m of readFileSync(file, "utf8").matchAll(/\benv\.([A-Z][A-Z0-9_]{2,})\b/g)) read.add(m[1]!);
  expect([...read]).toEqual(expect.arrayContaining(["MANAGE_STACK", "MANAGE_PROJECT_DIR", "MANAGE_DEBUG"]));
  const help = (await manage(["--help"], { project })).stdout;
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  for (const name of read) {
    expect(help, `--help: ${name}`).toContain(name);
    expect(readme, `README: ${name}`).toContain(`\`${name}\``);
  }
});

describe("checks against a backend that misbehaves stop early and say why", () => {
  let server: Server;
  let url = "";
  const sockets = new Set<import("node:net").Socket>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith("/endless")) {
        // A body that never ends: 64 KiB chunks as fast as the client reads them.
        res.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(64 * 1024, "a");
        const pump = () => {
          while (res.write(chunk));
          res.once("drain", pump);
        };
        pump();
        return;
      }
      // Accepts and never answers.
    });
    server.on("connection", (s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });

  test.concurrent("smoke against a server that accepts and never answers: stops after the health check, says so, exit 1", async () => {
    const started = Date.now();
    const r = await manage(["smoke", "--endpoint", url, "--json"], { project });
    expect(r.exitCode).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    const doc = JSON.parse(r.stdout) as { stopped: string; cases: unknown[]; error: { message: string } };
    expect(doc.cases).toHaveLength(1);
    expect(doc.stopped).toMatch(/the backend's health check failed \(no answer from the backend \(timed out\)\), so no execution was tried/);
    expect(r.stderr).toMatch(/FAIL health: GET \//);
    expect(r.stderr).toMatch(/^manage: smoke stopped early/m);
  });

  test.concurrent("a health answer that never ends is cut at the body cap, not read into memory", async () => {
    const started = Date.now();
    const r = await manage(["smoke", "--endpoint", `${url}/endless`, "--json"], { project });
    expect(r.exitCode).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((JSON.parse(r.stdout) as { cases: Array<{ reason: string }> }).cases[0]!.reason).toContain("the answer was longer than 4 MiB: manage stopped reading it");
  });
});
