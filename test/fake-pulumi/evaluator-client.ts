// The stand-in's side of ./evaluator.ts: a request over the unix socket in FAKE_PULUMI_EVALUATOR
// (set by the test run's global setup). Without one, or when it cannot be reached, the answer is
// undefined and the stand-in evaluates in its own process: the same code (./evaluation.ts).

import { request } from "node:http";

export function askEvaluator<T>(kind: "evaluate" | "policy", body: unknown): Promise<T | undefined> {
  const socketPath = process.env.FAKE_PULUMI_EVALUATOR;
  if (!socketPath) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: `/${kind}`, method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve(res.statusCode === 200 ? (JSON.parse(text) as T) : undefined));
      res.on("error", () => resolve(undefined));
    });
    req.on("error", () => resolve(undefined));
    req.end(JSON.stringify(body));
  });
}
