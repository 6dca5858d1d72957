// A local stand-in for the deployed system that really runs code: it speaks the backend's
// Piston-style API (`GET /` health, `POST /api/v2/execute`) and runs each program with this
// machine's python3, node, g++ and java, as the session container would. Under `/pool` it also
// answers like the session pool's management endpoint (bearer token, `?identifier=`, the path
// forwarded to the container's `POST /python/execute`), for doctor's direct probe.
//
// Faults are injectable, so smoke, doctor, the readiness gate and the load test can be shown the
// failures the earlier hand-run deployment hit: 403 while a role propagates, 404 at the session
// limit, 502 while the container is not listening yet, and slow cold starts.

import type { IncomingMessage, ServerResponse } from "node:http";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runToEnd } from "../helpers/spawner.js";
import type { LocalCertificate } from "../helpers/tls.js";
import { serveLocally } from "../helpers/local-server.js";
import { CALLER_HEADER } from "../../infra/caller-budget.js";

export const POOL_TOKEN = "test-dynamicsessions-token";

/**
 * The machine's python3 as the file it runs, asked once: on a machine whose python3 is a version
 * manager's shim (pyenv's is a bash script that picks the version on every call: ~45 ms of CPU,
 * about 20 s over a suite run's ~500 python programs), each program then starts the interpreter
 * itself, as a session container does. The same interpreter the shim would pick here.
 */
const PYTHON = "python3";
const interpreters = new Map<string, Promise<string>>();
function interpreter(command: string): Promise<string> {
  if (command !== PYTHON) return Promise.resolve(command);
  if (!interpreters.has(command)) {
    const asked = runToEnd(command, ["-c", "import sys; print(sys.executable)"], { env: process.env });
    interpreters.set(command, asked.then((r) => (r.exitCode === 0 && String(r.stdout).trim()) || command, () => command));
  }
  return interpreters.get(command)!;
}

interface Toolchain {
  file: string;
  compile?: (dir: string, file: string) => [string, string[]];
  run: (dir: string, file: string) => [string, string[]];
}

const TOOLCHAINS: Record<string, Toolchain> = {
  python: { file: "main.py", run: (d, f) => [PYTHON, [join(d, f)]] },
  javascript: { file: "main.js", run: (d, f) => ["node", [join(d, f)]] },
  "c++": {
    file: "main.cpp",
    compile: (d, f) => ["g++", ["-O1", "-o", join(d, "main"), join(d, f)]],
    run: (d) => [join(d, "main"), []],
  },
  java: {
    file: "Main.java",
    compile: (d, f) => ["javac", ["-encoding", "UTF-8", "-d", d, join(d, f)]],
    // Java 17 writes stdout in the locale's charset unless told; a real session image sets UTF-8.
    run: (d, f) => ["java", ["-Dfile.encoding=UTF-8", "-Dsun.stdout.encoding=UTF-8", "-Xshare:auto", "-cp", d, f.replace(/\.java$/, "")]],
  },
};
const ALIASES: Record<string, string> = { py: "python", python3: "python", js: "javascript", node: "javascript", cpp: "c++" };

export interface Fault {
  status: number;
  /** How many execute requests answer with it (Infinity: until cleared). */
  times: number;
  message?: string;
}

export interface ExecServer {
  url: string;
  /** PEM for NODE_EXTRA_CA_CERTS (HTTPS servers only). */
  caFile?: string;
  /** The next `times` execute requests (backend and pool) answer `status`. */
  fault(status: number, times?: number, message?: string): void;
  clearFaults(): void;
  /** Executions running at once beyond this answer 404, as a pool at maxConcurrentSessions does. */
  maxSessions: number;
  /** The first execution waits this long before running (a session's cold start). */
  coldStartMs: number;
  /** Every request: method, path, status answered. */
  requests: Array<{ method: string; path: string; status: number }>;
  /** Executions that ran, by language. */
  executions: Record<string, number>;
  /**
   * The backend contract (infra/caller-budget.ts): sessions are keyed by the caller's identity in
   * X-Caller-Id when the gateway sets it (one session per caller), else one per execution. Per
   * caller: the sessions it was given and the most of its executions running at once.
   */
  callers: Record<string, { sessions: string[]; peakConcurrent: number }>;
  peakConcurrent: number;
  close(): Promise<void>;
}

interface Stage {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
  output: string;
}

async function stage(command: string, args: string[], opts: { cwd: string; stdin?: string; timeoutMs: number }): Promise<Stage> {
  // Started from the spawner's small process, not this test worker (../helpers/spawner.ts says why).
  const r = await runToEnd(await interpreter(command), args, {
    cwd: opts.cwd,
    input: opts.stdin ?? "",
    all: true,
    timeout: opts.timeoutMs,
    killSignal: "SIGKILL",
    maxBuffer: 4 * 1024 * 1024,
    stripFinalNewline: false,
    env: { ...process.env, LANG: "C.UTF-8", LC_ALL: "C.UTF-8" },
  });
  return {
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? ""),
    code: r.signal ? null : (r.exitCode ?? null),
    signal: r.signal ?? null,
    output: String(r.all ?? ""),
  };
}

/**
 * The compiler runs for real the first time a program is seen; the same source later gets the same
 * compile stage and artifacts from a cache shared by every test process (javac and g++ are most of
 * this server's CPU, and the suites send the same few programs hundreds of times). The run stage
 * always runs.
 */
const COMPILE_CACHE = join(tmpdir(), "exec-server-compile-cache");

async function compileOnce(language: string, dir: string, file: string, compile: () => Promise<Stage>): Promise<Stage> {
  const key = createHash("sha256").update(language).update("\0").update(file).update("\0").update(readFileSync(join(dir, file))).digest("hex");
  const entry = join(COMPILE_CACHE, key);
  if (existsSync(join(entry, "stage.json"))) {
    for (const f of readdirSync(entry)) if (f !== "stage.json") copyFileSync(join(entry, f), join(dir, f));
    if (existsSync(join(dir, "main"))) chmodSync(join(dir, "main"), 0o755);
    return JSON.parse(readFileSync(join(entry, "stage.json"), "utf8")) as Stage;
  }
  const result = await compile();
  const tmp = `${entry}.${process.pid}.${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  for (const f of readdirSync(dir)) if (f !== file) copyFileSync(join(dir, f), join(tmp, f));
  writeFileSync(join(tmp, "stage.json"), JSON.stringify(result));
  try {
    renameSync(tmp, entry);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process cached it first
  }
  return result;
}

/**
 * A run's time limit when the request sets none. Generous on purpose: the run is timed on the wall
 * clock, and on a 2-core machine running the suite beside another (issue 23) a JVM's start alone
 * can take seconds, which a short limit would report as a program stopped for its time. The time
 * limit itself is exercised by requests that set `run_timeout` (smoke's "time limit" case, 1 s).
 */
const DEFAULT_RUN_TIMEOUT_MS = 60_000;

async function runProgram(
  language: string,
  body: { files: Array<{ name?: string; content: string }>; stdin?: string; args?: string[]; run_timeout?: number; compile_timeout?: number },
) {
  const toolchain = TOOLCHAINS[language]!;
  const dir = mkdtempSync(join(tmpdir(), "exec-"));
  try {
    const file = body.files[0]?.name || toolchain.file;
    writeFileSync(join(dir, file), body.files[0]?.content ?? "");
    let compile: Stage | undefined;
    if (toolchain.compile) {
      compile = await compileOnce(language, dir, file, () => {
        const [cmd, args] = toolchain.compile!(dir, file);
        return stage(cmd, args, { cwd: dir, timeoutMs: body.compile_timeout ?? 20_000 });
      });
      if (compile.code !== 0) return { compile };
    }
    const [cmd, args] = toolchain.run(dir, file);
    const run = await stage(cmd, [...args, ...(body.args ?? [])], { cwd: dir, stdin: body.stdin, timeoutMs: body.run_timeout ?? DEFAULT_RUN_TIMEOUT_MS });
    return compile ? { compile, run } : { run };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `tls`: true for a certificate of its own, or one to share with another local server. */
export async function startExecServer(opts: { tls?: boolean | LocalCertificate } = {}): Promise<ExecServer> {
  const faults: Fault[] = [];
  let active = 0;
  let firstExecution = true;
  const callerActive = new Map<string, number>();
  const state = {
    maxSessions: Infinity,
    coldStartMs: 0,
    requests: [] as ExecServer["requests"],
    executions: {} as Record<string, number>,
    callers: {} as ExecServer["callers"],
    peakConcurrent: 0,
  };

  const takeFault = (): Fault | undefined => {
    const f = faults[0];
    if (!f) return undefined;
    if (--f.times <= 0) faults.shift();
    return f;
  };

  /** Runs one execution under the fault, session-limit and cold-start rules; returns [status, body]. */
  async function execution(language: string, run: () => Promise<unknown>): Promise<[number, unknown]> {
    const fault = takeFault();
    if (fault) return [fault.status, { message: fault.message ?? `injected ${fault.status}` }];
    if (active >= state.maxSessions)
      return [404, { message: `session limit reached: the pool's maxConcurrentSessions (${state.maxSessions}) are all allocated` }];
    active++;
    state.peakConcurrent = Math.max(state.peakConcurrent, active);
    try {
      if (firstExecution) {
        firstExecution = false;
        if (state.coldStartMs) await new Promise((r) => setTimeout(r, state.coldStartMs));
      }
      state.executions[language] = (state.executions[language] ?? 0) + 1;
      return [200, await run()];
    } finally {
      active--;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url!, "http://localhost");
    const send = (status: number, body: unknown) => {
      state.requests.push({ method: req.method!, path: url.pathname, status });
      res.statusCode = status;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/") return send(200, { status: "healthy" });

    if (req.method === "POST" && url.pathname === "/api/v2/execute") {
      const caller = req.headers[CALLER_HEADER.toLowerCase()];
      if (typeof caller === "string") {
        // The session identifier derives from the caller: the same session for every call of one key.
        const c = (state.callers[caller] ??= { sessions: [], peakConcurrent: 0 });
        const identifier = `caller-${createHash("sha256").update(caller).digest("hex").slice(0, 16)}`;
        if (!c.sessions.includes(identifier)) c.sessions.push(identifier);
        callerActive.set(caller, (callerActive.get(caller) ?? 0) + 1);
        c.peakConcurrent = Math.max(c.peakConcurrent, callerActive.get(caller)!);
        res.on("close", () => callerActive.set(caller, callerActive.get(caller)! - 1));
      }
      const body = await readBody(req);
      if (!body || !Array.isArray(body.files) || typeof body.language !== "string" || typeof body.version !== "string")
        return send(400, { message: "language, version and files are required" });
      const language = ALIASES[body.language] ?? body.language;
      if (!TOOLCHAINS[language]) return send(400, { message: `${body.language}-${body.version} runtime is unknown` });
      const [status, answer] = await execution(language, async () => ({
        language,
        version: body.version === "*" ? "system" : body.version,
        ...(await runProgram(language, body)),
      }));
      return send(status, answer);
    }

    // The session pool's management endpoint: token audience https://dynamicsessions.io, an
    // identifier, no api-version, the path forwarded to the session container.
    if (req.method === "POST" && url.pathname.startsWith("/pool/")) {
      if (req.headers.authorization !== `Bearer ${POOL_TOKEN}`)
        return send(401, { error: { code: "InvalidAuthenticationToken", message: "the token's audience is not https://dynamicsessions.io" } });
      if (url.searchParams.has("api-version"))
        return send(400, { error: { code: "InvalidApiVersion", message: "custom container session pools take no api-version" } });
      const identifier = url.searchParams.get("identifier") ?? "";
      if (!/^[A-Za-z0-9|\-&^%$#(){}[\];<>]{4,128}$/.test(identifier))
        return send(400, { error: { code: "InvalidIdentifier", message: "identifier must be 4-128 allowed characters" } });
      if (url.pathname !== "/pool/python/execute") return send(404, { error: { code: "NotFound", message: "no such route in the container" } });
      const body = await readBody(req);
      const [status, answer] = await execution("python", async () => {
        const r = await runProgram("python", { files: [{ content: String(body?.properties?.code ?? "") }], stdin: body?.properties?.stdin });
        return { properties: { status: r.run?.code === 0 ? "Success" : "Failure", stdout: r.run?.stdout, stderr: r.run?.stderr } };
      });
      return send(status, answer);
    }
    return send(404, { message: `no route ${req.method} ${url.pathname}` });
  }

  const local = await serveLocally(handle, { tls: opts.tls, errorBody: (err) => ({ message: String(err) }) });
  return Object.assign(state, {
    ...local,
    fault: (status: number, times = 1, message?: string) => void faults.push({ status, times, message }),
    clearFaults: () => void faults.splice(0),
  });
}
