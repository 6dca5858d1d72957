// The one place manage talks to a deployed backend: its Piston-style API (`POST /api/v2/execute`,
// `GET /` health; shapes in shared/azure-facts.md). Smoke, doctor, the readiness gate and the load
// test all call through here. HTTP failures are answers, not exceptions: a 403 is exactly what
// a check needs to see, so every call returns the status, the body and how long it took.

export type Language = "python" | "javascript" | "java" | "c++";
export const LANGUAGES: readonly Language[] = ["python", "javascript", "java", "c++"];

export interface ExecuteRequest {
  language: string;
  version: string;
  files: Array<{ name?: string; content: string }>;
  stdin?: string;
  args?: string[];
  /** Piston's run-stage limit, in milliseconds. */
  run_timeout?: number;
}

export interface Stage {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
  output: string;
}

export interface ExecuteResponse {
  language: string;
  version: string;
  run?: Stage;
  compile?: Stage;
}

export interface Answer<T> {
  /** HTTP status; 0 when no answer came (refused, DNS, TLS, timeout). */
  status: number;
  /** The parsed JSON body, when there was one. */
  body?: T;
  /** The raw body text (error pages are not always JSON), trimmed to a readable length. */
  text: string;
  /** Why no answer came, for status 0. */
  error?: string;
  /** The Retry-After header in seconds (a 429 from the gateway's rate limit). */
  retryAfter?: number;
  ms: number;
}

/** Headers a call carries beyond the defaults: the gateway's credential (./credentials.ts). */
export type Headers = Record<string, string>;

/** Joins an endpoint and a path without doubling or dropping the slash. */
export function urlFor(endpoint: string, path: string): string {
  return endpoint.replace(/\/+$/, "") + (path.startsWith("/") ? path : `/${path}`);
}

function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return "timed out";
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? "fetch failed"} (${cause})` : (e.message ?? String(err));
}

/**
 * The most of a response body manage reads: a backend that streams without end must not grow manage
 * without end. The largest answer a check expects (smoke's 10,000-line output, twice in Piston's
 * shape) is about 200 KB.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Reads a body up to `max` bytes, then stops reading (and drops the connection). */
async function readCapped(res: Response, max: number): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: "", truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > max) {
      chunks.push(value.subarray(0, max - size));
      await reader.cancel().catch(() => {});
      return { text: Buffer.concat(chunks).toString("utf8"), truncated: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks).toString("utf8"), truncated: false };
}

/** One HTTP exchange; never throws for HTTP or network failures. The timeout covers the body too. */
export async function call<T>(
  url: string,
  init: { method: "GET" | "POST"; body?: unknown; headers?: Record<string, string>; timeoutMs: number },
): Promise<Answer<T>> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: init.method,
      headers: { accept: "application/json", ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(Math.max(1, Math.round(init.timeoutMs))),
      // A call that carries headers (the gateway's key, a token) never follows a redirect: fetch
      // would send the key on to wherever the Location points, any origin and plain http included.
      // The redirect itself comes back as the answer, and a probe reports its status.
      redirect: init.headers && Object.keys(init.headers).length ? "manual" : "follow",
    });
    const { text, truncated } = await readCapped(res, MAX_BODY_BYTES);
    let body: T | undefined;
    try {
      body = truncated ? undefined : (JSON.parse(text) as T);
    } catch {}
    const retryAfter = Number(res.headers.get("retry-after") ?? NaN);
    return {
      status: res.status,
      body,
      text: text.length > 2000 ? `${text.slice(0, 2000)}…` : text,
      ...(Number.isFinite(retryAfter) ? { retryAfter } : {}),
      ...(truncated ? { error: `the answer was longer than ${MAX_BODY_BYTES / 1024 / 1024} MiB: manage stopped reading it` } : {}),
      ms: performance.now() - started,
    };
  } catch (err) {
    return { status: 0, text: "", error: networkReason(err), ms: performance.now() - started };
  }
}

export function execute(endpoint: string, request: ExecuteRequest, timeoutMs = 60_000, headers: Headers = {}): Promise<Answer<ExecuteResponse>> {
  return call<ExecuteResponse>(urlFor(endpoint, "/api/v2/execute"), { method: "POST", body: request, headers, timeoutMs });
}

export function health(endpoint: string, path = "/", timeoutMs = 10_000, headers: Headers = {}): Promise<Answer<{ status?: string }>> {
  return call<{ status?: string }>(urlFor(endpoint, path), { method: "GET", headers, timeoutMs });
}

/** A healthy backend answers 200 {"status":"healthy"}. */
export const isHealthy = (a: Answer<{ status?: string }>) => a.status === 200 && a.body?.status === "healthy";

/** A file name each language's toolchain accepts for a single-file program. */
export const MAIN_FILE: Record<Language, string> = {
  python: "main.py",
  javascript: "main.js",
  java: "Main.java",
  "c++": "main.cpp",
};

export function programRequest(language: Language, content: string, extra: Partial<ExecuteRequest> = {}): ExecuteRequest {
  return { language, version: "*", files: [{ name: MAIN_FILE[language], content }], ...extra };
}
