// The stack's cost ceiling (`costCeilingPerDay`): the most a configuration may cost in a day with
// every session it allows held, the backend busy at its maximum and logs at their cap. Every change
// (up, scale, start*, capacity --apply) passes here before pulumi is even looked for; one above the
// ceiling is refused (exit 2, nothing touched) unless the person says --allow-over-ceiling. A change
// that lowers the most the stack can cost is always let through (stop must never be refused). The
// formula is cli/costing/ceiling.ts's, the one the program applies to a plain `pulumi up` too.

import { parseSettings, type DeploymentSettings } from "../infra/config.js";
import { ceilingAllows, ceilingVerdict } from "./costing/ceiling.js";
import { UsageError } from "./errors.js";
import { warn } from "./output.js";
import { stackRawConfig } from "./settings.js";

/** The stack as its file says now, or null when that does not parse (then nothing is "lowered"). */
function currentSettings(stack: string, dir: string): DeploymentSettings | null {
  try {
    return parseSettings(stackRawConfig(stack, dir), stack);
  } catch {
    return null;
  }
}

/**
 * Refuses (UsageError, exit 2) a change whose new configuration can cost more than the ceiling.
 * `before` is what runs now (the state's operation); by default the stack file's settings.
 */
export function enforceCostCeiling(next: DeploymentSettings, dir: string, options: { allowOverCeiling?: boolean }, before?: DeploymentSettings | null): void {
  const verdict = ceilingVerdict(next);
  if (!verdict) {
    warn(`cannot check stack ${next.stack}'s cost ceiling: no embedded prices for region ${next.location}`);
    return;
  }
  if (!verdict.atMost.complete)
    warn(`the ${next.location} price table is incomplete: the costs this change checks and reports leave the missing parts out (manage cost-estimate names them)`);
  const now = verdict.ok ? null : before === undefined ? currentSettings(next.stack, dir) : before;
  if (ceilingAllows(verdict, now && ceilingVerdict(now))) return;
  if (options.allowOverCeiling) {
    warn(`this change can cost ${verdict.message}; going ahead (--allow-over-ceiling)`);
    return;
  }
  throw new UsageError(
    `this change can cost ${verdict.message}. Lower the sizes, raise costCeilingPerDay in Pulumi.${next.stack}.yaml, ` +
      "or pass --allow-over-ceiling. Nothing was changed.",
  );
}
