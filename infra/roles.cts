// Built-in Azure roles the deployment needs, and the administrator commands for deployers who may
// not assign roles themselves (roleAssignmentMode "external"). Pure: no Pulumi import.

/** Built-in role definition GUIDs (shared/azure-facts.md). */
export const ROLES = {
  acrPull: { guid: "7f951dda-4ed3-4680-a7ca-43fe172d538d", name: "AcrPull" },
  sessionExecutor: { guid: "0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0", name: "Azure ContainerApps Session Executor" },
} as const;
export type RoleKey = keyof typeof ROLES;

/**
 * The lower-case GUID a role definition ID names, or undefined when it is not a role definition ID.
 * ARM IDs are case-insensitive: ".../roleDefinitions/0FB8EBA5-..." is Session Executor too, so
 * compare GUIDs only through this. Accepts the subscription form and the tenant-level
 * "/providers/Microsoft.Authorization/roleDefinitions/{guid}" form.
 */
export function roleGuidOf(roleDefinitionId: string): string | undefined {
  const m = /^(?:\/subscriptions\/[^/]+)?\/providers\/microsoft\.authorization\/roledefinitions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(
    roleDefinitionId,
  );
  return m ? m[1]!.toLowerCase() : undefined;
}

/** Which of the deployment's roles a role definition ID names (case-insensitively), if any. */
export function roleKeyOf(roleDefinitionId: string): RoleKey | undefined {
  const guid = roleGuidOf(roleDefinitionId);
  return (Object.keys(ROLES) as RoleKey[]).find((key) => ROLES[key].guid === guid);
}

/** The full role definition ID ARM expects in a role assignment. */
export function roleDefinitionId(subscriptionId: string, role: RoleKey): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES[role].guid}`;
}

export interface RoleGrant {
  role: RoleKey;
  principalId: string;
  scope: string;
}

/**
 * The exact `az` command an administrator runs to make one grant. principal-type ServicePrincipal
 * avoids PrincipalNotFound while Entra replicates a newly created identity.
 */
export function adminCommand(grant: RoleGrant): string {
  return [
    "az role assignment create",
    `--assignee-object-id ${grant.principalId}`,
    "--assignee-principal-type ServicePrincipal",
    `--role ${ROLES[grant.role].guid}`,
    `--scope ${grant.scope}`,
  ].join(" ");
}
