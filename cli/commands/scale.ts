// `manage scale --profile P [overrides] [--for 3h]`: asks the stack to run a profile, with any
// overrides and an expiry. They are the operational layer, recorded in the stack's state by the
// update that applies them (infra/operations.ts), so every machine sees them.

import { applyStackChange } from "../change.js";
import { now } from "../clock.js";
import { scaleChange } from "../operations.js";
import type { OptionsFor } from "../main.js";
import { defaultStack } from "../project.js";

export async function run(o: OptionsFor<"scale">): Promise<void> {
  await applyStackChange(scaleChange(o.stack ?? defaultStack(), o, now()), o);
}
