// A process the test run keeps warm (test/helpers/global-setup.ts) to answer the stand-in's memo
// misses: it evaluates the program and runs the policy pack with ./evaluation.ts, the code the
// stand-in would run itself, with @pulumi/pulumi and the program's modules loaded once instead of in
// every stand-in process (~0.4 s each). One request at a time: the Pulumi runtime is
// process-global. Usage: node evaluator.mjs <socket path>; prints "ready" when it listens.

import { createServer } from "node:http";
import { rmSync } from "node:fs";
import { evaluateProgram, runPolicies, type EvaluationRequest, type PolicyRequest } from "./evaluation.js";

const socket = process.argv[2];
if (!socket) throw new Error("usage: evaluator <socket path>");
rmSync(socket, { force: true });

let queue: Promise<unknown> = Promise.resolve();
/** What it has answered (GET /: a test proves the stand-in asks it). */
const answered = { evaluate: 0, policy: 0 };

const server = createServer((req, res) => {
  let text = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => (text += chunk));
  req.on("end", () => {
    if (req.method === "GET") return void res.end(JSON.stringify(answered));
    queue = queue.then(async () => {
      try {
        const answer =
          req.url === "/evaluate"
            ? await evaluateProgram(JSON.parse(text) as EvaluationRequest, true)
            : req.url === "/policy"
              ? await runPolicies(JSON.parse(text) as PolicyRequest)
              : undefined;
        if (answer !== undefined) answered[req.url === "/evaluate" ? "evaluate" : "policy"]++;
        res.statusCode = answer === undefined ? 404 : 200;
        res.end(answer === undefined ? "" : JSON.stringify(answer));
      } catch (err) {
        // The stand-in then evaluates in its own process, where the error shows as it would.
        res.statusCode = 500;
        res.end(String(err));
      }
    });
  });
});
server.listen(socket, () => process.stdout.write("ready\n"));
for (const signal of ["SIGTERM", "SIGINT"] as const)
  process.on(signal, () => {
    server.close();
    rmSync(socket, { force: true });
    process.exit(0);
  });
