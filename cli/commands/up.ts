// `manage up`: apply the stack as configured in its stack file.
import { applyStackChange, type GlobalOptions } from "../change.js";
import { defaultStack } from "../project.js";

export async function run(o: GlobalOptions): Promise<void> {
  await applyStackChange({ stack: o.stack ?? defaultStack(), config: {}, intent: "apply the stack as configured" }, o);
}
