// Pulumi.yaml is what `pulumi up` reads first: it must declare exactly the keys the program reads,
// with the same types and defaults, and name a `main` that exists after `npm ci`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { load as parseYaml } from "js-yaml";
import { stringify } from "yaml";
import { CONFIG_KEYS, PROJECT } from "../../infra/config.js";
import { simulate } from "../../cli/offline/simulate.js";
import { readStackConfig } from "../../cli/stack-files.js";
import { ROOT, STACKS, withNodeStackTraces } from "../helpers/program.js";
import { mergeStackConfig, validateProjectConfig } from "../fake-pulumi/project-config.js";

const PROJECT_FILE = join(ROOT, "Pulumi.yaml");
const project = parseYaml(readFileSync(PROJECT_FILE, "utf8")) as any;

/**
 * Pulumi.yaml's `config:` block, derived from the one table of config keys (infra/config.ts): the
 * type, description and default of each, and `items` for a list (Pulumi's project schema asks for
 * it). The block is the file's last part.
 */
function declaredConfigBlock(): string {
  const config = Object.fromEntries(
    Object.entries(CONFIG_KEYS).map(([key, spec]) => [
      key,
      { type: spec.type, description: spec.description, ...(spec.type === "array" ? { items: { type: "string" } } : {}), default: spec.default },
    ]),
  );
  return stringify({ config }, { lineWidth: 0 });
}

describe("Pulumi.yaml", () => {
  test("is a nodejs project running the compiled program without ts-node", () => {
    expect(project.name).toBe(PROJECT);
    expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: false } });
    expect(project.main).toBe("dist/infra/index.js");
  });

  test("its config block is infra/config.ts's table, written by `npm run docs:costs`", () => {
    const text = readFileSync(PROJECT_FILE, "utf8");
    const at = text.indexOf("\nconfig:\n");
    expect(at, "Pulumi.yaml has no config: block").toBeGreaterThan(0);
    const fresh = declaredConfigBlock();
    if (process.env.UPDATE_README) writeFileSync(PROJECT_FILE, text.slice(0, at + 1) + fresh);
    else expect(text.slice(at + 1), "Pulumi.yaml's config block is not infra/config.ts's: run `npm run docs:costs`").toBe(fresh);
  });

  test.each(STACKS)("Pulumi.%s.yaml sets only declared keys, all valid", (stack) => {
    const raw = readStackConfig(ROOT, stack);
    for (const key of Object.keys(raw)) expect(Object.keys(project.config)).toContain(key);
    for (const key of ["location", "resourceGroupName", "registryName", "sessionImage", "backendImage", "roleAssignmentMode", "profile"])
      expect(raw, `Pulumi.${stack}.yaml should set ${key}`).toHaveProperty(key);
  });
});

describe("the program Pulumi runs", () => {
  test("loading `main` as Pulumi does registers the stack and exports its outputs", async () => {
    const main = join(ROOT, project.main);
    expect(existsSync(main), `${project.main} is missing: run \`npm run build\` (npm ci does it)`).toBe(true);
    const sim = await withNodeStackTraces(() =>
      simulate({
        project: PROJECT,
        stack: "dev",
        config: { ...readStackConfig(ROOT, "dev"), profile: "testing" },
        // Pulumi's nodejs host imports `main` inside the root stack; its exports become the outputs.
        program: async () => ({ ...(await import(main)) }),
      }),
    );
    expect(sim.resources.map((r) => r.name)).toContain("session-pool");
    expect(sim.outputs).toMatchObject({ profile: "testing", sessionPoolName: "codeengdevpool", sessionPoolDeployed: true });
    // The operational layer: with no state yet, the first deployment's operation is the file's.
    expect(sim.outputs.operations).toMatchObject({ profile: "testing", revision: 1, intent: "first deployment, as the stack file says", expiresAt: null });
    expect(String(sim.outputs.backendUrl)).toMatch(/^https:\/\/codeeng-dev-backend\./);
  });
});

describe("the real CLI's config validation (sdk/go/common/workspace/config.go, as test/fake-pulumi holds it)", () => {
  test.each(STACKS)("Pulumi.%s.yaml as committed passes preview's and up's config validation", (stack) => {
    validateProjectConfig(PROJECT, project.config);
    const stackFile = parseYaml(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const merged = mergeStackConfig(stack, PROJECT, project.config, stackFile.config);
    expect(merged[`${PROJECT}:profileOverrides`]).toBe("{}");
  });
  test("a declared key without a default is required: the stack is refused, naming it", () => {
    const declared = { ...project.config, contestMaxSessions: { type: "integer", description: "an override with no default" } };
    expect(() => mergeStackConfig("dev", PROJECT, declared, { [`${PROJECT}:profile`]: "idle" })).toThrow(
      "Stack 'dev' is missing configuration value 'contestMaxSessions'",
    );
  });
  test("declared types are checked the way the CLI decodes stack values", () => {
    expect(() => mergeStackConfig("dev", PROJECT, project.config, { [`${PROJECT}:logRetentionDays`]: "0x10" })).toThrow(
      "Stack 'dev' with configuration key 'logRetentionDays' must be of type 'integer'",
    );
    expect(() => mergeStackConfig("dev", PROJECT, project.config, { [`${PROJECT}:profileOverrides`]: "80" })).toThrow("must be of type 'object'");
  });
});
