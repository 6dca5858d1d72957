// Which backend a check talks to: an explicit --endpoint, or the stack's own backend from its
// outputs (through the pulumi seam). Shared by smoke, doctor and load-test.

import { UsageError } from "../errors.js";
import { credentialFor, resolveCredential, stackCredential, type Credential } from "./credentials.js";
import type { CredentialOptions } from "../main.js";
import { warn } from "../output.js";
import { defaultStack, projectDir } from "../project.js";
import { stackSettings } from "../settings.js";
import { suggest } from "../suggest.js";

export interface Target {
  endpoint: string;
  /** The health path: the stack's backendHealthPath, or "/" for an explicit endpoint. */
  healthPath: string;
  /** Set when the endpoint is the stack's own backend. */
  stack?: string;
  outputs?: Record<string, unknown>;
  /** What calls through the gateway carry (accessMode token); never printed. */
  credential?: Credential;
}

/** The stack's deployed outputs, or a usage error saying how to deploy it. */
export async function deployedOutputs(stack: string, verbose?: boolean): Promise<Record<string, unknown>> {
  const { PulumiReader } = await import("../pulumi/reader.js");
  const pulumi = await PulumiReader.connect(projectDir(), verbose);
  if (!(await pulumi.stacks()).includes(stack))
    throw new UsageError(`stack ${stack} has not been deployed yet (${pulumi.backend.description}): run \`${suggest("up", { stack })}\``);
  return pulumi.outputs(stack);
}

export async function resolveTarget(o: { stack?: string; endpoint?: string; verbose?: boolean } & CredentialOptions): Promise<Target> {
  if (o.endpoint !== undefined) {
    if (o.stack !== undefined) throw new UsageError("give either --stack or --endpoint, not both");
    // Only a credential given on this command line goes to an --endpoint, and only over HTTPS.
    const { credential, withheld } = credentialFor(o.endpoint, resolveCredential(o, process.env), false);
    if (withheld) warn(withheld);
    // Read and normalized by its option type (cli/options.ts URL_TYPE) when the command line was parsed.
    return { endpoint: o.endpoint, healthPath: "/", credential };
  }
  // Bad credential options are refused before pulumi runs.
  resolveCredential(o, process.env);
  const stack = o.stack ?? defaultStack();
  const settings = stackSettings(stack);
  const outputs = await deployedOutputs(stack, o.verbose);
  const url = String(outputs.backendUrl ?? "");
  if (!/^https?:\/\/[^/]+/.test(url)) throw new UsageError(`stack ${stack} has no backend URL in its outputs: run \`${suggest("up", { stack })}\``);
  return {
    endpoint: url.replace(/\/+$/, ""),
    healthPath: settings.backend.healthPath,
    stack,
    outputs,
    // Only a stack whose callers go through a gateway gets its own key; an open or venue backend takes none.
    credential: stackCredential(url, resolveCredential(o, process.env, outputs.accessMode === "token" ? outputs : undefined), warn),
  };
}
