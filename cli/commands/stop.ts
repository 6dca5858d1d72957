// `manage stop`: down to the idle cost; registry, images, identity and settings kept (stopChange).
import { applyStackChange } from "../change.js";
import type { OptionsFor } from "../main.js";
import { stopChange } from "../operations.js";
import { defaultStack } from "../project.js";

export async function run(o: OptionsFor<"stop">): Promise<void> {
  await applyStackChange(stopChange(o.stack ?? defaultStack()), o);
}
