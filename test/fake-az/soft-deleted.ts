// API Management's soft delete, as the stand-ins play it: Azure's side of the state, kept beside the
// stand-in pulumi's file backend (Azure is one cloud for every tool that talks to it), written by
// the stand-in pulumi (a delete soft-deletes; a create under a soft-deleted name fails) and read by
// the stand-in az (`az rest` on deletedservices: get, purge).
//   - Deleting an instance (API version 2020-06-01-preview and later) soft-deletes it for 48 hours
//     under its name (shared/azure-facts.md, "API Management"; Microsoft Learn api-management/soft-delete).
//   - Creating one under a soft-deleted name without `restore: true` fails with
//     ServiceAlreadyExistsInSoftDeletedState (the text as reported in
//     hashicorp/terraform-provider-azurerm#11580); `restore: true` undeletes it and ignores every
//     other property, and fails when nothing is soft-deleted (Azure/azure-service-operator#3433).
//   - DeletedServices_GetByName / DeletedServices_Purge (Azure/azure-rest-api-specs,
//     specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/2024-05-01/
//     apimdeletedservices.json): GET 200 with the contract or 404; DELETE 200 purged, 204 "The
//     service does not exist".

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface DeletedService {
  name: string;
  location: string;
  deletionDate: string;
  scheduledPurgeDate: string;
  /** A purge accepted and under way: the look-ups left until it is done (FAKE_AZ_PURGE_POLLS). */
  purgingPolls?: number;
}

/** How long Azure keeps a deleted instance under its name. */
export const SOFT_DELETE_HOURS = 48;

const file = (backendDir: string) => join(backendDir, ".fake-azure", "apim-deleted-services.json");

export function deletedServices(backendDir: string, now = new Date()): DeletedService[] {
  const path = file(backendDir);
  const all = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as DeletedService[]) : [];
  // Past its scheduled purge date, Azure has purged it.
  return all.filter((d) => Date.parse(d.scheduledPurgeDate) > now.getTime());
}

function save(backendDir: string, list: DeletedService[]) {
  mkdirSync(dirname(file(backendDir)), { recursive: true });
  writeFileSync(file(backendDir), JSON.stringify(list, null, 2));
}

/** A delete of an API Management instance: soft-deleted, under its name, for 48 hours. */
export function softDelete(backendDir: string, name: string, location: string, now = new Date()): void {
  const list = deletedServices(backendDir, now).filter((d) => d.name.toLowerCase() !== name.toLowerCase());
  list.push({ name, location, deletionDate: now.toISOString(), scheduledPurgeDate: new Date(now.getTime() + SOFT_DELETE_HOURS * 3_600_000).toISOString() });
  save(backendDir, list);
}

/**
 * A purge API Management accepted (202) and finishes later: the instance stays soft-deleted (a
 * create under its name still refused) for the next `polls` look-ups. FAKE_AZ_PURGE_POLLS sets it;
 * 0 (the default) purges at once (200).
 */
export function startPurge(backendDir: string, name: string, location: string, polls: number): boolean {
  if (polls <= 0) return forget(backendDir, name, location);
  const list = deletedServices(backendDir);
  const found = list.find((d) => d.name.toLowerCase() === name.toLowerCase() && d.location.toLowerCase() === location.toLowerCase());
  if (!found) return false;
  found.purgingPolls = polls;
  save(backendDir, list);
  return true;
}

/** A look-up of a soft-deleted instance: a purge under way ends after its polls. */
export function lookUp(backendDir: string, name: string, location: string): DeletedService | undefined {
  const list = deletedServices(backendDir);
  const found = list.find((d) => d.name.toLowerCase() === name.toLowerCase() && d.location.toLowerCase() === location.toLowerCase());
  if (!found || found.purgingPolls === undefined) return found;
  found.purgingPolls -= 1;
  if (found.purgingPolls <= 0) {
    forget(backendDir, name, location);
    return undefined;
  }
  save(backendDir, list);
  return found;
}

/** Removes a soft-deleted instance (purge or restore); false when there was none. */
export function forget(backendDir: string, name: string, location?: string): boolean {
  const list = deletedServices(backendDir);
  const kept = list.filter((d) => !(d.name.toLowerCase() === name.toLowerCase() && (!location || d.location.toLowerCase() === location.toLowerCase())));
  save(backendDir, kept);
  return kept.length !== list.length;
}

/**
 * What Azure answers a create of an API Management instance: null to go ahead, or the error (in
 * the form the azure-native provider reports a failed operation). A restore consumes the record.
 */
export function createRefusal(backendDir: string, name: string, restore: boolean): string | null {
  const deleted = deletedServices(backendDir).some((d) => d.name.toLowerCase() === name.toLowerCase());
  if (restore) {
    if (!deleted) return `Status=404 Code="ServiceNotFound" Message="Api service ${name} was not found in soft-deleted state: nothing to restore."`;
    forget(backendDir, name);
    return null;
  }
  return deleted
    ? `Status=409 Code="ServiceAlreadyExistsInSoftDeletedState" Message="Api service ${name} was soft-deleted. In order to create the new service with the same name, you have to either undelete the service or purge it. See https://aka.ms/apimsoftdelete."`
    : null;
}
