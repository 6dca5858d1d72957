// Every pulumi command line manage runs, built by pure functions so tests can hold each to the real
// CLI's syntax. Non-interactive always: manage does its own asking, and pulumi must never prompt.

import { PROJECT } from "../../infra/config.js";

/** The oldest pulumi whose exit codes (2 config, 3 auth, 4 resource, 6 no stack...) we rely on. */
export const MIN_PULUMI_VERSION = "3.226.1";

export const versionArgv = (): string[] => ["version"];
export const whoamiArgv = (): string[] => ["whoami", "--non-interactive"];
export const stackLsArgv = (): string[] => ["stack", "ls", "--json", "--non-interactive"];

export function stackInitArgv(stack: string, secretsProvider?: string): string[] {
  return ["stack", "init", stack, "--non-interactive", ...(secretsProvider ? ["--secrets-provider", secretsProvider] : [])];
}

/** `pulumi config set project:key value --stack S`: values are always passed as strings. */
export function configSetArgv(stack: string, key: string, value: string): string[] {
  return ["config", "set", `${PROJECT}:${key}`, value, "--stack", stack, "--non-interactive"];
}

export function configRmArgv(stack: string, key: string): string[] {
  return ["config", "rm", `${PROJECT}:${key}`, "--stack", stack, "--non-interactive"];
}

/** One JSON object: steps, changeSummary, diagnostics. */
export function previewArgv(stack: string, targets: string[] = []): string[] {
  return ["preview", "--stack", stack, "--json", "--non-interactive", ...targets.flatMap((t) => ["--target", t])];
}

/** Streams JSON engine events, one per line; manage already asked, so --yes and no second preview. */
export function upArgv(stack: string, targets: string[] = []): string[] {
  return [
    "up",
    "--stack",
    stack,
    "--yes",
    "--skip-preview",
    "--non-interactive",
    "--json",
    ...targets.flatMap((t) => ["--target", t]),
  ];
}

/** The stack's state: { version, deployment: { resources: [...] } }. */
export const stackExportArgv = (stack: string): string[] => ["stack", "export", "--stack", stack, "--non-interactive"];

export const stackOutputArgv = (stack: string): string[] => ["stack", "output", "--json", "--stack", stack, "--non-interactive"];

/** The URN pulumi gives a top-level resource of this project. */
export function resourceUrn(stack: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${PROJECT}::${type}::${name}`;
}

/** "v3.230.0" -> [3, 230, 0]; null when unparseable. */
export function parseVersion(text: string): [number, number, number] | null {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function versionAtLeast(actual: [number, number, number], min: string): boolean {
  const wanted = parseVersion(min)!;
  for (let i = 0; i < 3; i++) if (actual[i] !== wanted[i]) return actual[i]! > wanted[i]!;
  return true;
}
