// Doctor's verdicts on what Azure answers: may the deployer assign roles, does the identity hold a
// role at a scope, is Node recent enough, which IDs the stack's outputs imply.
import { expect, test } from "vitest";
import { allows, ASSIGN_ROLES, grantFor } from "../../cli/azure/authorization.js";
import { nodeCheck } from "../../cli/commands/doctor.js";
import { liveTargetOf } from "../../cli/azure/live.js";
import { CONTRIBUTOR } from "../arm-server/server.js";

const sub = "/subscriptions/s";
const rg = `${sub}/resourceGroups/codeeng-dev-rg`;
const pool = `${rg}/providers/Microsoft.App/sessionPools/codeengdevpool`;
const executor = `${sub}/providers/Microsoft.Authorization/roleDefinitions/0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0`;

test("Owner, User Access Administrator and RBAC Administrator may assign roles; Contributor may not", () => {
  expect(allows([{ actions: ["*"], notActions: [] }], ASSIGN_ROLES)).toBe(true);
  expect(allows([{ actions: ["*/read", "Microsoft.Authorization/*"], notActions: [] }], ASSIGN_ROLES)).toBe(true);
  expect(allows([{ actions: ["Microsoft.Authorization/roleAssignments/write"], notActions: [] }], ASSIGN_ROLES)).toBe(true);
  expect(allows(CONTRIBUTOR, ASSIGN_ROLES)).toBe(false);
  expect(allows([{ actions: ["*/read"], notActions: [] }], ASSIGN_ROLES)).toBe(false);
  // One role's notActions do not take away what another role grants.
  expect(allows([...CONTRIBUTOR, { actions: ["Microsoft.Authorization/roleAssignments/*"], notActions: [] }], ASSIGN_ROLES)).toBe(true);
});

test("a role counts at its own scope and inherited from above, not from below or for another role", () => {
  const at = (scope: string, role = executor) => [{ scope, roleDefinitionId: role, principalId: "p" }];
  expect(grantFor(at(pool), "sessionExecutor", pool)).toBeDefined();
  expect(grantFor(at(rg.toLowerCase()), "sessionExecutor", pool)).toBeDefined();
  expect(grantFor(at(pool), "sessionExecutor", rg)).toBeUndefined();
  expect(grantFor(at(`${rg}2`), "sessionExecutor", pool)).toBeUndefined();
  expect(grantFor(at(pool), "acrPull", pool)).toBeUndefined();
});

test("node: what package.json's engines accepts; Node 20 works but is past its end of life", () => {
  expect(nodeCheck("24.1.0").verdict).toBe("ok");
  expect(nodeCheck("22.13.0").verdict).toBe("ok");
  expect(nodeCheck("20.19.0")).toMatchObject({ verdict: "warn", detail: "Node 20.19.0 works, but Node 20 reached its end of life in April 2026", fix: "move to Node 22 or 24 (the LTS lines)" });
  // Below what the dependencies accept: a missing prerequisite, exit 2 like a missing pulumi.
  expect(nodeCheck("20.5.0")).toMatchObject({ verdict: "fail", fix: "install Node 22 or 24 (the LTS lines)", exitCode: 2 });
  expect(nodeCheck("22.1.0").verdict).toBe("fail");
  expect(nodeCheck("18.19.0").verdict).toBe("fail");
});

test("the IDs a stack's outputs imply", () => {
  const ids = liveTargetOf({ identityId: `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x`, resourceGroupName: "codeeng-dev-rg", registryName: "codeengdevacr", sessionPoolName: "codeengdevpool", backendAppName: "codeengdevbackend" })!;
  expect(ids.subscriptionId).toBe("s");
  expect(ids.groupId).toBe(rg);
  expect(ids.poolId).toBe(pool);
  expect(ids.registryId).toBe(`${rg}/providers/Microsoft.ContainerRegistry/registries/codeengdevacr`);
  expect(ids.appId).toBe(`${rg}/providers/Microsoft.App/containerApps/codeengdevbackend`);
  expect(liveTargetOf({ resourceGroupName: "codeeng-dev-rg" })).toBeNull();
});
