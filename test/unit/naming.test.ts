import { describe, expect, test } from "vitest";
import { deriveNames, nameViolation, nameViolations } from "../../infra/naming.js";

describe("resource names", () => {
  test("derived from prefix and stack, each valid for its resource type", () => {
    const names = deriveNames("codeeng", "contest");
    expect(names).toEqual({
      resourceGroup: "codeeng-contest-rg",
      workspace: "codeeng-contest-logs",
      registry: "codeengcontestacr",
      identity: "codeeng-contest-id",
      environment: "codeeng-contest-env",
      sessionPool: "codeengcontestpool",
      backendApp: "codeeng-contest-backend",
      gateway: "codeeng-contest-gw",
    });
    expect(nameViolations(names)).toEqual([]);
  });

  test("stack names with punctuation are compacted where the type allows none", () => {
    const names = deriveNames("ce", "Team_A.prod");
    expect(names.sessionPool).toBe("ceteamaprodpool");
    expect(names.registry).toBe("ceteamaprodacr");
    expect(nameViolations(names)).toEqual([]);
  });

  test("explicit resource group and registry names win", () => {
    const names = deriveNames("ce", "dev", { resourceGroup: "given-rg", registry: "myregistry01" });
    expect(names.resourceGroup).toBe("given-rg");
    expect(names.registry).toBe("myregistry01");
  });

  test.each([
    ["sessionPool", "code-pool", "lowercase letters and digits only (no hyphens)"],
    ["sessionPool", "CodePool", "lowercase letters and digits only"],
    ["sessionPool", "1pool", "starting with a letter"],
    ["sessionPool", "ab", "2 characters; Azure allows 3-63"],
    ["registry", "my-registry", "lowercase letters and digits only"],
    ["registry", "acr1", "4 characters; Azure allows 5-50"],
    ["backendApp", "a".repeat(33), "33 characters; Azure allows 2-32"],
    ["backendApp", "code--backend", "single '-'"],
    ["gateway", "1gw", "starting with a letter"],
    ["gateway", "code-gw-", "ending with a letter or digit"],
    ["backendApp", "backend-", "ending with a letter or digit"],
    ["resourceGroup", "my-rg.", "not ending in '.'"],
    ["environment", "Env-1", "lowercase letters"],
    ["workspace", "-logs", "starting and ending with a letter or digit"],
  ] as const)("%s %j is refused: %s", (kind, name, rule) => {
    expect(nameViolation(kind, name)).toContain(rule);
  });

  test("a long stack name breaks the container app's 32-character limit and says so", () => {
    const violations = nameViolations(deriveNames("codeengine", "contestfinals2026"));
    expect(violations).toEqual([
      { kind: "backendApp", message: expect.stringContaining("Azure allows 2-32") },
    ]);
  });
});
