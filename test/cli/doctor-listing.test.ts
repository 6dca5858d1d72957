// doctor when `stack ls` fails for all: the project's one stack, its checkpoint cut short (a DIY
// backend loads every checkpoint to list them: pkg/backend/diy/backend.go ListStacks).
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { makeProject, manageDecision, prepare } from "../helpers/cli.js";

test("doctor, every checkpoint unreadable: the state-backend check does not tell you to run manage doctor (the listing's own fix, rv15), and names the command with the checkpoint's recovery", async () => {
  const copy = makeProject();
  try {
    await prepare(copy, "dev");
    writeFileSync(join(copy, ".pulumi-state", ".pulumi", "stacks", "coding-engine", "dev.json"), '{"version": 3, "checkpoint": {"stack": "dev", "lat');
    // No other stack file answers for the backend (a stack the backend does not have would).
    for (const f of readdirSync(copy)) if (/^Pulumi\.(?!dev\.yaml$).+\.yaml$/.test(f) && f !== "Pulumi.yaml") rmSync(join(copy, f));
    const r = await manageDecision(["doctor", "--stack", "dev", "--json"], { project: copy });
    const checks = (JSON.parse(r.stdout) as { checks: Array<{ name: string; verdict: string; detail: string; fix?: string }> }).checks;
    const backend = checks.find((c) => c.name === "state backend")!;
    expect(backend.verdict).toBe("fail");
    expect(`${backend.detail}\n${backend.fix}`).not.toContain("manage doctor");
    expect(r.exitCode).toBe(1);
    expect(backend.detail).toBe("pulumi stack ls failed: failed to load checkpoint: unexpected end of JSON input");
    expect(backend.fix).toContain("`manage status --stack dev` gives its recovery");
    // And the command it names does: the stack's history and the import of a good state.
    const status = await manageDecision(["status", "--stack", "dev"], { project: copy });
    expect(status.exitCode).toBe(1);
    expect(status.stderr).toContain("stack import --stack dev --file <state.json>");
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
