// Resource types by meaning, not spelling. azure-native registers every resource under its default
// token ("azure-native:app:ContainerAppsSessionPool") and accepts the API-versioned ones as aliases
// ("azure-native:app/v20250701:ContainerAppsSessionPool"): @pulumi/azure-native 3.28's own
// app/containerAppsSessionPool.js lists them in its aliases, as containerregistry/registry.js does
// "azure-native:containerregistry/v20230701:Registry". A program that declares a resource under a
// versioned token creates the same thing in Azure, so every policy matches types through
// canonicalType, never with ===.

const POOL = "azure-native:app:ContainerAppsSessionPool";
const APP = "azure-native:app:ContainerApp";
const REGISTRY = "azure-native:containerregistry:Registry";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
const FEDERATED_CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential";
const RESOURCE_GROUP = "azure-native:resources:ResourceGroup";
const GATEWAY_API = "azure-native:apimanagement:Api";
const GATEWAY_API_POLICY = "azure-native:apimanagement:ApiPolicy";
const GATEWAY_OPERATION_POLICY = "azure-native:apimanagement:ApiOperationPolicy";

/** The resource types the policies judge, by their default tokens (the tests build inputs with these). */
export const TYPES = {
  POOL,
  APP,
  REGISTRY,
  ROLE_ASSIGNMENT,
  IDENTITY,
  FEDERATED_CREDENTIAL,
  RESOURCE_GROUP,
  GATEWAY_API,
  GATEWAY_API_POLICY,
  GATEWAY_OPERATION_POLICY,
} as const;

/**
 * The default token for a type token: the API-version segment of the module ("/v20250701",
 * "/v20240202preview") dropped, the module lower-cased (module names are). Anything else comes
 * back as it was.
 */
export function canonicalType(token: unknown): string {
  if (typeof token !== "string") return "";
  const m = /^azure-native:([A-Za-z0-9]+)(?:\/v[0-9]{8}[a-z]*)?:([A-Za-z0-9]+)$/.exec(token);
  return m ? `azure-native:${m[1]!.toLowerCase()}:${m[2]}` : token;
}

/** Whether a resource's type token names `type` (a TYPES value), whatever its API version. */
export const isType = (token: unknown, type: string): boolean => canonicalType(token) === type;
