// The stand-in pulumi's state file, in the file backend's layout: what it writes and what tests read.

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
}

export interface Checkpoint {
  version: 3;
  checkpoint: {
    stack: string;
    latest: { resources: StateResource[]; pending_operations?: Array<{ resource: StateResource; type: string }> };
  };
}
