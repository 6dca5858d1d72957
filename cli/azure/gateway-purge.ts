// The gateway's name, freed after a delete. API Management soft-deletes a deleted instance for 48
// hours under its name, and a create under that name fails with ServiceAlreadyExistsInSoftDeletedState
// until it is purged or restored (shared/azure-facts.md, "API Management"). The gate lives with the
// pool (infra/access-mode.ts, gatewayFor), so every window deletes the gateway and the next creates
// it again: manage purges the soft-deleted instance (DeletedServices_Purge) after the change that
// deleted it, and again before a change that creates it (a plain `pulumi up` may have deleted one).
//
// Purge, not `restore: true`: azure-native sends `restore` with the create, and API Management then
// ignores every other property ("If this flag is specified and set to True all other properties will
// be ignored": ApiManagementService, azure-native 3.28, API 2024-05-01) and fails when nothing is
// soft-deleted (Azure/azure-service-operator#3433); a purge leaves the program's create as declared.
//
// No azure-native resource purges a deleted service, and manage carries no API Management SDK: the
// call is `az rest` (the Azure CLI manage already needs for the registry, with its login), which
// sends a relative URL to the cloud's ARM endpoint and fills in {subscriptionId}.

import { az } from "./az.js";

/** The REST API version of the call (azure-native 3.28's for API Management). */
export const APIM_API_VERSION = "2024-05-01";

/**
 * DeletedServices_GetByName / DeletedServices_Purge (Azure/azure-rest-api-specs,
 * specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/2024-05-01/apimdeletedservices.json).
 */
export function deletedServiceUrl(location: string, name: string): string {
  return `/subscriptions/{subscriptionId}/providers/Microsoft.ApiManagement/locations/${location}/deletedservices/${name}?api-version=${APIM_API_VERSION}`;
}

/** The command that purges it, as a person would paste it. */
export const purgeCommand = (location: string, name: string) => `az rest --method delete --url '${deletedServiceUrl(location, name)}'`;

/**
 * How long manage waits for a purge API Management accepted (202) to finish. Named assumption: no
 * document gives a duration; the Azure SDKs treat DeletedServices_Purge as a long-running operation
 * (beginPurgeAndWait), and `az rest` returns on the 202 without following it.
 */
export const PURGE_WAIT_SECONDS = 600;
/** The look-ups while it runs: 1 s, doubling, at most 15 s apart. */
const PURGE_POLL_FIRST_MS = 1_000;
const PURGE_POLL_MAX_MS = 15_000;

/**
 * Purges the soft-deleted gateway `name` in `location`, if there is one, and returns once it is gone.
 * DELETE answers 200 (purged), 202 (purge started) or 204 ("The service does not exist"):
 * idempotent, so no look-up first. After it, GET answers 404 once the name is free; until then a
 * create under the name is still refused, so a 202 is followed until then.
 */
export async function purgeDeletedGateway(location: string, name: string, verbose?: boolean, wait = { seconds: PURGE_WAIT_SECONDS }): Promise<void> {
  const url = deletedServiceUrl(location, name);
  await az(["rest", "--method", "delete", "--url", url], { verbose });
  const deadline = Date.now() + wait.seconds * 1000;
  for (let delay = PURGE_POLL_FIRST_MS; ; delay = Math.min(delay * 2, PURGE_POLL_MAX_MS)) {
    try {
      await az(["rest", "--method", "get", "--url", url], { verbose });
    } catch (err) {
      // az rest exits 1 with "Not Found(...)" on a 404: purged, the name is free.
      if (/Not Found|ResourceNotFound|\b404\b/.test(err instanceof Error ? err.message : String(err))) return;
      throw err;
    }
    if (Date.now() + delay > deadline)
      throw new Error(`API Management accepted the purge of ${name} but still holds it soft-deleted after ${wait.seconds} s`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** The type token of the gateway's service (infra/gateway.ts). */
const APIM_SERVICE = "azure-native:apimanagement:ApiManagementService";

/** What a change's steps do to the gateway: create it (free the name first) or delete it (purge after). */
export function gatewayLifecycle(steps: Array<{ op: string; type: string }>): { creates: boolean; deletes: boolean } {
  const gateway = steps.filter((s) => s.type === APIM_SERVICE);
  return {
    creates: gateway.some((s) => s.op === "create" || s.op === "create-replacement" || s.op === "replace"),
    deletes: gateway.some((s) => s.op === "delete" || s.op === "delete-replaced" || s.op === "replace"),
  };
}

/**
 * Frees the gateway's name around a change: before one that creates it, after one that deleted it.
 * A purge that fails is said with the command that does it by hand; before a create, the create then
 * fails with Azure's own words, and the stack is left as it was.
 */
export async function freeGatewayName(location: string, name: string, when: "before" | "after", say: (line: string) => void, verbose?: boolean): Promise<void> {
  try {
    await purgeDeletedGateway(location, name, verbose);
    if (when === "after") say(`Gateway ${name} deleted with the pool and purged from API Management's soft delete: the next window creates it again under its name.`);
  } catch (err) {
    say(
      `warning: could not purge the soft-deleted gateway ${name} (${err instanceof Error ? err.message : String(err)}); ` +
        `until it is purged a create under its name fails (48 h). Purge it: ${purgeCommand(location, name)}`,
    );
  }
}
