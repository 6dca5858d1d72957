// The smoke suite as data: what to send for each case and what the answer must show. The successor
// of the old 24-case test_session_pool.py. Pure: the command runs these through the API client and
// the tests can check each case's judgement against hand-made answers.

import { LANGUAGES, programRequest, type Answer, type ExecuteRequest, type ExecuteResponse, type Language, type Stage } from "./api.js";

export interface SmokeCase {
  /** "python: stdin" */
  name: string;
  language: Language | null;
  /** Only with --full: slower cases (time limit, large output). */
  full: boolean;
  request: ExecuteRequest;
  /** null when the answer is right, else what is wrong with it. */
  check(answer: Answer<ExecuteResponse>): string | null;
}

const UNICODE = "héllo wörld ✓ 你好";
const LARGE_LINES = 10_000;
/** The run limit the time-limit case asks for; the backend must stop the program near it. */
export const TIME_LIMIT_MS = 1_000;

type Programs = Record<
  "hello" | "stdin" | "args" | "exitCode" | "runtimeError" | "unicode" | "timeLimit" | "largeOutput",
  string
> & { compileError?: string };

const PROGRAMS: Record<Language, Programs> = {
  python: {
    hello: 'print("hello, world")',
    stdin: "a, b = map(int, input().split())\nprint(a + b)",
    args: 'import sys\nprint("|".join(sys.argv[1:]))',
    exitCode: "import sys\nsys.exit(3)",
    runtimeError: 'raise ValueError("boom")',
    unicode: `print("${UNICODE}")`,
    timeLimit: "while True:\n    pass",
    largeOutput: `for i in range(${LARGE_LINES}):\n    print(f"line {i}")`,
  },
  javascript: {
    hello: 'console.log("hello, world");',
    stdin: 'const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/).map(Number);\nconsole.log(a + b);',
    args: 'console.log(process.argv.slice(2).join("|"));',
    exitCode: "process.exit(3);",
    runtimeError: 'throw new Error("boom");',
    unicode: `console.log("${UNICODE}");`,
    timeLimit: "for (;;) {}",
    largeOutput: `let s = "";\nfor (let i = 0; i < ${LARGE_LINES}; i++) s += \`line \${i}\\n\`;\nprocess.stdout.write(s);`,
  },
  java: {
    hello: 'public class Main { public static void main(String[] a) { System.out.println("hello, world"); } }',
    stdin:
      "import java.util.Scanner;\npublic class Main { public static void main(String[] a) { Scanner s = new Scanner(System.in); System.out.println(s.nextInt() + s.nextInt()); } }",
    args: 'public class Main { public static void main(String[] a) { System.out.println(String.join("|", a)); } }',
    exitCode: "public class Main { public static void main(String[] a) { System.exit(3); } }",
    runtimeError: 'public class Main { public static void main(String[] a) { throw new RuntimeException("boom"); } }',
    compileError: 'public class Main { public static void main(String[] a) { System.out.println("x") } }',
    unicode: `public class Main { public static void main(String[] a) { System.out.println("${UNICODE}"); } }`,
    timeLimit: "public class Main { public static void main(String[] a) { while (true) {} } }",
    largeOutput: `public class Main { public static void main(String[] a) { StringBuilder b = new StringBuilder(); for (int i = 0; i < ${LARGE_LINES}; i++) b.append("line ").append(i).append('\\n'); System.out.print(b); } }`,
  },
  "c++": {
    hello: '#include <iostream>\nint main() { std::cout << "hello, world\\n"; }',
    stdin: "#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << \"\\n\"; }",
    args: '#include <iostream>\nint main(int argc, char** argv) { for (int i = 1; i < argc; i++) std::cout << (i > 1 ? "|" : "") << argv[i]; std::cout << "\\n"; }',
    exitCode: "int main() { return 3; }",
    runtimeError: '#include <stdexcept>\nint main() { throw std::runtime_error("boom"); }',
    compileError: "int main() { return undeclared; }",
    unicode: `#include <iostream>\nint main() { std::cout << "${UNICODE}\\n"; }`,
    timeLimit: "int main() { volatile unsigned long i = 0; for (;;) i++; }",
    largeOutput: `#include <cstdio>\nint main() { for (int i = 0; i < ${LARGE_LINES}; i++) std::printf("line %d\\n", i); }`,
  },
};

// ---- checks ---------------------------------------------------------------------------------------

const show = (s: string | undefined) => JSON.stringify((s ?? "").length > 120 ? `${s!.slice(0, 120)}…` : (s ?? ""));

/** The answer is a 200 with a run stage (and, if compiled, a successful compile). */
function ran(a: Answer<ExecuteResponse>): string | null {
  if (a.status !== 200) return `HTTP ${a.status || "no answer"}${a.error ? ` (${a.error})` : ""}: ${a.text.slice(0, 160)}`;
  if (a.body?.compile && a.body.compile.code !== 0) return `did not compile: ${show(a.body.compile.stderr || a.body.compile.output)}`;
  if (!a.body?.run) return "the answer has no run stage";
  return null;
}

/** A check of the run stage, once ran() found the answer ran; ran()'s reason otherwise. */
const afterRun = (check: (run: Stage) => string | null) => (a: Answer<ExecuteResponse>) => ran(a) ?? check(a.body!.run!);

const stdoutIs = (expected: string) =>
  afterRun(({ stdout, code, stderr }) => {
    if (code !== 0) return `exit code ${code}, stderr ${show(stderr)}`;
    return stdout === `${expected}\n` ? null : `stdout ${show(stdout)}, expected ${show(`${expected}\n`)}`;
  });

const exitCodeIs = (expected: number) => afterRun(({ code }) => (code === expected ? null : `exit code ${code}, expected ${expected}`));

const runtimeError = afterRun(({ code, signal, stderr }) => {
  if (code === 0 && !signal) return "exited 0: the error was not reported";
  return stderr.includes("boom") || /terminate|exception|error/i.test(stderr) ? null : `no error on stderr (got ${show(stderr)})`;
});

const compileError = (a: Answer<ExecuteResponse>) => {
  if (a.status !== 200) return `HTTP ${a.status || "no answer"}: ${a.text.slice(0, 160)}`;
  const compile = a.body?.compile;
  if (!compile) return "the answer has no compile stage";
  if (compile.code === 0) return "compiled: the error was not reported";
  return compile.stderr.trim() || compile.output.trim() ? null : "the compiler's message is missing";
};

const timeLimit = afterRun(({ code, signal }) =>
  signal || (code !== 0 && code !== null) ? null : `the endless loop ended normally (code ${code}): no time limit enforced`,
);

const largeOutput = afterRun(({ stdout }) => {
  const lines = stdout.split("\n").filter(Boolean);
  if (lines.length !== LARGE_LINES) return `${lines.length} lines of ${LARGE_LINES} arrived`;
  return lines.at(-1) === `line ${LARGE_LINES - 1}` ? null : `last line ${show(lines.at(-1))}`;
});

// 401, 403 and 429 are the gateway's or the pool's refusals (credential, role, rate limit), not an
// answer about the language: the call never reached a runtime.
const NOT_ABOUT_THE_LANGUAGE = new Set([401, 403, 429]);
const unknownLanguage = (a: Answer<ExecuteResponse>) => {
  if (NOT_ABOUT_THE_LANGUAGE.has(a.status)) return `HTTP ${a.status}: refused before any runtime was asked; expected 400 for the language`;
  if (a.status >= 400 && a.status < 500 && a.status !== 404) return a.text.trim() ? null : `HTTP ${a.status} without a message`;
  if (a.status === 404) return "404: indistinguishable from a missing route or a full pool; expected 400 with a message";
  return `HTTP ${a.status || "no answer"}: expected a clear 4xx`;
};

// ---- the suite ------------------------------------------------------------------------------------

export function languageCases(language: Language): SmokeCase[] {
  const p = PROGRAMS[language];
  const c = (name: string, content: string, check: SmokeCase["check"], extra: Partial<ExecuteRequest> = {}, full = false): SmokeCase => ({
    name: `${language}: ${name}`,
    language,
    full,
    request: programRequest(language, content, extra),
    check,
  });
  return [
    c("hello world", p.hello, stdoutIs("hello, world")),
    c("stdin", p.stdin, stdoutIs("7"), { stdin: "3 4\n" }),
    c("args", p.args, stdoutIs("alpha|two words"), { args: ["alpha", "two words"] }),
    c("exit code", p.exitCode, exitCodeIs(3)),
    c("runtime error", p.runtimeError, runtimeError),
    ...(p.compileError ? [c("compile error", p.compileError, compileError)] : []),
    c("unicode", p.unicode, stdoutIs(UNICODE)),
    c("time limit", p.timeLimit, timeLimit, { run_timeout: TIME_LIMIT_MS }, true),
    c("large output", p.largeOutput, largeOutput, {}, true),
  ];
}

export const UNKNOWN_LANGUAGE_CASE: SmokeCase = {
  name: "unknown language",
  language: null,
  full: false,
  request: { language: "cobol-2077", version: "*", files: [{ name: "main.cbl", content: "DISPLAY 'x'." }] },
  check: unknownLanguage,
};

/** Every case to run, grouped by language (each group runs in order; the first is its cold run). */
export function smokeSuite(full: boolean): Array<{ language: Language | null; cases: SmokeCase[] }> {
  return [
    ...LANGUAGES.map((language) => ({ language, cases: languageCases(language).filter((k) => full || !k.full) })),
    { language: null, cases: [UNKNOWN_LANGUAGE_CASE] },
  ];
}

/** The parallel case: N identical runs at once must all succeed. */
export function concurrencyCase(n: number): SmokeCase {
  return {
    name: `concurrency: ${n} parallel runs`,
    language: "python",
    full: false,
    request: programRequest("python", 'print("hello, world")'),
    check: stdoutIs("hello, world"),
  };
}
