// Resource types by meaning, not spelling. azure-native registers every resource under its default
// token ("azure-native:app:ContainerAppsSessionPool") and accepts the API-versioned ones as aliases:
// @pulumi/azure-native 3.28's app/containerAppsSessionPool.js lists
// "azure-native:app/v20240202preview:ContainerAppsSessionPool" ... "azure-native:app/v20250701:ContainerAppsSessionPool"
// in its aliases, as containerregistry/registry.js does "azure-native:containerregistry/v20230701:Registry".
// Across that package every versioned token is a lower-case module, "/v" and an eight-digit date,
// then nothing or one of "preview", "privatepreview", "beta" (occurrences, grep -o over its *.js:
// 15,574 plain, 15,223 preview, 44 privatepreview, 2 beta; none with dashes, none with "Preview",
// none with an upper-case module); the resource name is PascalCase. A dated form with
// dashes ("v2025-07-01") or "Preview" in capitals is no token the package declares, but canonicalType
// reads it the same way anyway: a spelling the policies cannot place must not get past them.
// Whatever still does not come out as one of the types below is refused by only-declared-types
// (policies.cts): the allow-list is the backstop for every spelling nobody thought of.

/** The resource types the policies judge, by their default tokens (the tests build inputs with these). */
export const TYPES = {
  POOL: "azure-native:app:ContainerAppsSessionPool",
  APP: "azure-native:app:ContainerApp",
  REGISTRY: "azure-native:containerregistry:Registry",
  ROLE_ASSIGNMENT: "azure-native:authorization:RoleAssignment",
  IDENTITY: "azure-native:managedidentity:UserAssignedIdentity",
  FEDERATED_CREDENTIAL: "azure-native:managedidentity:FederatedIdentityCredential",
  RESOURCE_GROUP: "azure-native:resources:ResourceGroup",
  GATEWAY_API: "azure-native:apimanagement:Api",
  GATEWAY_API_POLICY: "azure-native:apimanagement:ApiPolicy",
  GATEWAY_OPERATION_POLICY: "azure-native:apimanagement:ApiOperationPolicy",
  GATEWAY_SERVICE_POLICY: "azure-native:apimanagement:Policy",
  GATEWAY_PRODUCT_POLICY: "azure-native:apimanagement:ProductPolicy",
} as const;

/**
 * Every type the program declares (infra/*.ts), and nothing else: what only-declared-types admits.
 * A generic resource (resources:Resource, an ARM template resources:Deployment or
 * DeploymentAtScope...) or any other type could create a pool with egress, an Owner grant or a
 * registry open to all without any of the other policies recognising it. Adding a type is a
 * change to this list, reviewed with the program change that needs it (test/unit/policies.test.ts
 * checks the list against what every stack x profile declares).
 */
export const DECLARED_TYPES: readonly string[] = [
  TYPES.RESOURCE_GROUP,
  TYPES.IDENTITY,
  TYPES.REGISTRY,
  "azure-native:operationalinsights:Workspace",
  "azure-native:app:ManagedEnvironment",
  TYPES.POOL,
  TYPES.APP,
  TYPES.ROLE_ASSIGNMENT,
  "azure-native:apimanagement:ApiManagementService",
  TYPES.GATEWAY_API,
  "azure-native:apimanagement:ApiOperation",
  TYPES.GATEWAY_API_POLICY,
  "azure-native:apimanagement:Subscription",
  "azure-native:monitor:ActionGroup",
  "azure-native:monitor:MetricAlert",
  "azure-native:consumption:Budget",
];

/**
 * Pulumi's own resources, which create nothing in Azure: the stack, a stack reference (the program
 * reads its own outputs through one) and provider instances (whatever a provider could create is a
 * resource of its package, judged by its own type).
 */
export const isPulumiBuiltin = (token: unknown): boolean =>
  token === "pulumi:pulumi:Stack" || token === "pulumi:pulumi:StackReference" || (typeof token === "string" && /^pulumi:providers:[A-Za-z0-9_-]+$/.test(token));

/** Every default token canonicalType can return a known spelling for, by its lower-case form. */
const KNOWN = new Map([...Object.values(TYPES), ...DECLARED_TYPES].map((t) => [t.toLowerCase(), t]));

/**
 * The default token for a type token: any API-version segment of the module dropped ("/v20250701",
 * "/v20240202preview", and the forms no package declares: "/v2025-07-01", "/v20250701Preview"),
 * compared without regard to case, so a known type always comes back in its one spelling. Another
 * azure-native token comes back as "azure-native:<module>:<Name>"; anything else as it was.
 */
export function canonicalType(token: unknown): string {
  if (typeof token !== "string") return "";
  const m = /^azure-native:([A-Za-z0-9]+)(?:\/v[0-9][0-9-]*[A-Za-z]*)?:([A-Za-z0-9]+)$/i.exec(token);
  if (!m) return token;
  const plain = `azure-native:${m[1]!.toLowerCase()}:${m[2]}`;
  return KNOWN.get(plain.toLowerCase()) ?? plain;
}

/** Whether a resource's type token names `type` (a TYPES value), whatever its API version. */
export const isType = (token: unknown, type: string): boolean => canonicalType(token) === type;

/** Whether a type token is one the program declares (or one of Pulumi's own), however it is spelled. */
export const isDeclaredType = (token: unknown): boolean => isPulumiBuiltin(token) || DECLARED_TYPES.includes(canonicalType(token));
