// `manage up`: apply the stack as configured in its stack file.
import { applyStackChange } from "../change.js";
import type { OptionsFor } from "../main.js";
import { defaultStack } from "../project.js";

export async function run(o: OptionsFor<"up">): Promise<void> {
  await applyStackChange({ stack: o.stack ?? defaultStack(), config: {}, intent: "apply the stack as configured" }, o);
}
