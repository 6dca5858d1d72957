// What manage asks of the pulumi binary beyond what the Automation API builds itself: the version
// rules, the plugin the program needs, the URNs of its resources, and what it reads of a stack's
// exported state. Pure.

import coerce from "semver/functions/coerce.js";
import gte from "semver/functions/gte.js";
import parse from "semver/functions/parse.js";
import { PROJECT } from "../../infra/config.js";

/**
 * The oldest pulumi manage works with: Pulumi.yaml declares `profileOverrides` with `type: object`,
 * which the CLI accepts since v3.188.0 (pulumi/pulumi#20132, sdk/go/common/workspace/project.json).
 */
export const MIN_PULUMI_VERSION = "3.188.0";

/**
 * The version CI installs and the test stand-in is held to (test/fake-pulumi cites pulumi/pulumi at
 * this tag). There was never a 3.226.1 (tags go 3.226.0 -> 3.227.0).
 */
export const PINNED_PULUMI_VERSION = "3.230.0";

/** The resource plugin the program needs: the version of @pulumi/azure-native in package-lock.json. */
export const AZURE_NATIVE_PLUGIN = { kind: "resource", name: "azure-native", version: "3.28.0" } as const;

export function pluginInstallCommand(plugin = AZURE_NATIVE_PLUGIN): string {
  return `pulumi plugin install ${plugin.kind} ${plugin.name} v${plugin.version}`;
}

/** The URN pulumi gives a top-level resource of this project. */
export function resourceUrn(stack: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${PROJECT}::${type}::${name}`;
}

/** Whether a tool's version output ("v3.230.0\n", "2.67.0") is `min` or newer; false when it names no version. */
export function versionAtLeast(text: string, min: string): boolean {
  const version = coerce(text);
  return version !== null && gte(version, min);
}

/** How to install the pulumi CLI, in every message that finds it missing. */
export const INSTALL_HINT = "install it with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi/tap/pulumi`)";

/** What manage says when there is no pulumi to run (bad input: exit 2). */
export const NOT_INSTALLED = `pulumi is not installed (manage needs ${MIN_PULUMI_VERSION} or newer): ${INSTALL_HINT}, then run again`;

/** Why manage cannot work with what `pulumi version` printed ("v3.230.0", trimmed), or undefined if it can. */
export function versionRefusal(printed: string): string | undefined {
  if (versionAtLeast(printed, MIN_PULUMI_VERSION)) return undefined;
  // Text that names no version (a wrapper's, a bare "v", or nothing) is not an old pulumi: what it printed is said.
  if (!coerce(printed))
    return `\`pulumi version\` printed ${printed ? JSON.stringify(printed) : "nothing"}, which names no version: manage needs ${MIN_PULUMI_VERSION} or newer; check which pulumi is first on PATH, or ${INSTALL_HINT}`;
  // A version alone is named as printed ("3.187", without its v); one among a wrapper's words by the version in them.
  const version = /\s/.test(printed) ? versionIn(printed) : printed.replace(/^v/, "");
  return `pulumi ${version} is too old: manage needs ${MIN_PULUMI_VERSION} or newer; upgrade: ${INSTALL_HINT}`;
}

/**
 * The version in what `pulumi version` printed, once versionRefusal let it through: a version line
 * ("v3.230.0", prerelease and build kept) without its v; anything else (a wrapper's lines around it,
 * "V3.230.0", "3.230") as semver.coerce reads it, so doctor and the Automation API get the version
 * alone, not the text around it.
 */
export function versionIn(printed: string): string {
  return parse(printed) ? printed.replace(/^v/, "") : coerce(printed)!.version;
}

/** What an exported state says manage runs on: the resource types, the root stack's outputs, and what an interrupted update left. */
export type ExportedState = ReturnType<typeof stackStateOf>;

/**
 * What manage reads of `pulumi stack export`: the resource types pulumi believes exist, the root
 * stack's outputs from the last update, and its pending operations. No reader of the state needs a
 * secret output (the gateway key and the participants' keys come from `stack output --show-secrets`
 * where they are used: keys, doctor, smoke), so a secret output stays the export's envelope
 * (apitype.SecretV1), which redactOutputs shows as "[secret]".
 */
export function stackStateOf(exported: { deployment?: unknown }) {
  const deployment = exported.deployment as
    | { resources?: Array<{ type: string; urn?: string; outputs?: Record<string, unknown> }>; pending_operations?: Array<{ resource?: { urn?: string }; type?: string }> }
    | undefined;
  const resources = deployment?.resources ?? [];
  return {
    types: resources.map((r) => r.type),
    /** Each resource's name in the program (its URN's last part), in the order of `types`. */
    names: resources.map((r) => String(r.urn ?? "").split("::").pop()!),
    outputs: resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {},
    /**
     * Operations an update started and never finished (killed mid-step): the resource's name and what
     * was under way ("creating", "updating", "deleting"): sdk/go/common/apitype/core.go
     * OperationV2, `pending_operations` in the deployment.
     */
    pending: (deployment?.pending_operations ?? []).map((p) => ({ name: String(p.resource?.urn ?? "?").split("::").pop()!, type: String(p.type ?? "?") })),
  };
}
