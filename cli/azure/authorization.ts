// Who may do what: the deployer's own permissions on the resource group (may it create role
// assignments?) and the identity's role assignments, read with the real @azure/arm-authorization
// client. Loaded only by `manage doctor`. The verdicts on what comes back are pure (below).

import { ROLES, type RoleKey } from "../../infra/roles.cjs";
import { armOptions, azureCredential } from "./live.js";

export interface PermissionSet {
  actions: string[];
  notActions: string[];
}

export interface Assignment {
  roleDefinitionId: string;
  scope: string;
}

async function client(subscriptionId: string, env: NodeJS.ProcessEnv) {
  const { AuthorizationManagementClient } = await import("@azure/arm-authorization");
  return new AuthorizationManagementClient(await azureCredential(env), subscriptionId, armOptions(env));
}

/** The caller's effective permissions on a resource group (one entry per role it holds there). */
export async function permissionsOn(subscriptionId: string, resourceGroup: string, env: NodeJS.ProcessEnv = process.env): Promise<PermissionSet[]> {
  const c = await client(subscriptionId, env);
  const out: PermissionSet[] = [];
  for await (const p of c.permissions.listForResourceGroup(resourceGroup)) out.push({ actions: p.actions ?? [], notActions: p.notActions ?? [] });
  return out;
}

/** A principal's role assignments that apply at a scope (made there or inherited from above). */
export async function assignmentsAt(
  subscriptionId: string,
  scope: string,
  principalId: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Assignment[]> {
  const c = await client(subscriptionId, env);
  const out: Assignment[] = [];
  // The SDK puts the scope into the path as given: without its leading slash, or the path doubles it.
  for await (const a of c.roleAssignments.listForScope(scope.replace(/^\/+/, ""), { filter: `principalId eq '${principalId}'` }))
    out.push({ roleDefinitionId: a.roleDefinitionId ?? "", scope: a.scope ?? "" });
  return out;
}

// ---- verdicts (pure) ------------------------------------------------------------------------------

/** ARM's action patterns: case-insensitive, `*` matches anything (e.g. "Microsoft.Authorization/ * /Write" without the spaces). */
function matches(pattern: string, action: string): boolean {
  const escape = (text: string) => text.replace(/[.+?^$(){}|[\]\\/]/g, "\\$&");
  return new RegExp("^" + pattern.split("*").map(escape).join(".*") + "$", "i").test(action);
}

/** Whether any of the caller's roles allows `action` without also excluding it. */
export function allows(permissions: PermissionSet[], action: string): boolean {
  return permissions.some((p) => p.actions.some((a) => matches(a, action)) && !p.notActions.some((n) => matches(n, action)));
}

export const ASSIGN_ROLES = "Microsoft.Authorization/roleAssignments/write";

/** The assignment granting `role` at `scope` or above it, if any. */
export function grantFor(assignments: Assignment[], role: RoleKey, scope: string): Assignment | undefined {
  const under = (parent: string) => scope.toLowerCase() === parent.toLowerCase() || scope.toLowerCase().startsWith(`${parent.toLowerCase()}/`);
  return assignments.find((a) => a.roleDefinitionId.toLowerCase().endsWith(`/${ROLES[role].guid}`) && under(a.scope));
}
