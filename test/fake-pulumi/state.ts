// The stand-in pulumi's state file, in the file backend's layout: what it writes and what tests read.

import type { SecretPath } from "./secrets.js";

/** One resource as recorded in <backend>/.pulumi/stacks/<project>/<stack>.json. */
export interface StateResource {
  urn: string;
  custom: boolean;
  id?: string;
  type: string;
  // Tests read deep properties of recorded inputs and outputs; `any` keeps that readable.
  inputs: Record<string, any>;
  outputs: Record<string, any>;
  protect?: boolean;
  dependencies?: string[];
  replaceOnChanges?: string[];
  /** In memory only, never written: where the secrets are, sealed in the file as envelopes (./secrets.ts). */
  secrets?: { inputs: SecretPath[]; outputs: SecretPath[] };
}

export interface Checkpoint {
  version: 3;
  checkpoint: {
    stack: string;
    latest: {
      resources: StateResource[];
      pending_operations?: Array<{ resource: StateResource; type: string }>;
      /** The secrets manager the ciphertexts are for (apitype.SecretsProvidersV1). */
      secrets_providers?: { type: string; state?: Record<string, unknown> };
    };
  };
}
