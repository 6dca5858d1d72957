// Built-in Azure roles the deployment needs, and the administrator commands for deployers who may
// not assign roles themselves (roleAssignmentMode "external"). Pure: no Pulumi import.

/** Built-in role definition GUIDs (shared/azure-facts.md). */
export const ROLES = {
  acrPull: { guid: "7f951dda-4ed3-4680-a7ca-43fe172d538d", name: "AcrPull" },
  sessionExecutor: { guid: "0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0", name: "Azure ContainerApps Session Executor" },
} as const;
export type RoleKey = keyof typeof ROLES;

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
