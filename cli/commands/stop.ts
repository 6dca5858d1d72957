// `manage stop`: down to the idle cost; registry, images, identity and settings kept (stopChange).
import { applyStackChange, type GlobalOptions } from "../change.js";
import { stopChange } from "../operations.js";
import { defaultStack } from "../project.js";

export async function run(o: GlobalOptions): Promise<void> {
  await applyStackChange(stopChange(o.stack ?? defaultStack()), o);
}
