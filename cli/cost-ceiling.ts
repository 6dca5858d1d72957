// The stack's cost ceiling (`costCeilingPerDay`): the most a configuration may cost in a day with
// every session it allows held, the backend busy at its maximum and logs at their cap. Every change
// (up, scale, start*, capacity --apply) passes here before pulumi previews or updates anything,
// judged on what will run with the stack's state (cli/change-plan.ts planChange); one above the
// ceiling is refused (exit 2, nothing touched) unless the person says --allow-over-ceiling. A change
// that lowers the most the stack can cost is always let through (stop must never be refused), and
// one that neither raises it nor lowers the ceiling too (keys on a stack taken over on purpose). The
// formula is infra/costing/ceiling.ts's, the one the program applies to a plain `pulumi up` too.

import type { DeploymentSettings } from "../infra/config.js";
import { capitalized, ceilingDecision, judgedWhere, type CeilingVerdict } from "../infra/costing/ceiling.js";
import { offers } from "./suggest.js";

/**
 * The ceiling's verdict on a change, pure: the warnings to print and, when it is refused, why.
 * `before` is what the stack's state says runs now, null when nothing does (infra/costing/ceiling.ts
 * ceilingDecision decides; this puts it in manage's words).
 */
export function ceilingOutcome(
  next: DeploymentSettings,
  before: DeploymentSettings | null,
  options: { allowOverCeiling?: boolean },
  /**
   * Whose cost it is and more fixes, for the refusal (ceilingRefusal): a window's. `lower` are ways
   * to lower the cost (fewer --users), offered only where a cost was judged; `more` always.
   */
  words: { what?: string; more?: string[]; lower?: string[] } = {},
): { warnings: string[]; refusal?: string } {
  const d = ceilingDecision(next, before);
  const minute = (at: Date) => at.toISOString().replace(/:\d\d\.\d{3}Z$/, "Z");
  switch (d.kind) {
    case "within":
      return { warnings: [] };
    case "stays-above":
      return { warnings: [`stack ${next.stack} stays above its cost ceiling: it can cost ${d.verdict.message}`] };
    case "unjudged-idle":
      return { warnings: [`cannot check stack ${next.stack}'s cost ceiling: ${d.reason}`] };
    case "unjudged-no-more":
      return { warnings: [`cannot check stack ${next.stack}'s cost ceiling: ${d.reason}; this change runs no more than what runs now`] };
  }
  if (options.allowOverCeiling)
    return {
      warnings: [
        d.kind === "unjudged"
          ? `cannot check stack ${next.stack}'s cost ceiling: ${d.reason}; going ahead unjudged (--allow-over-ceiling)`
          : `this change can cost ${d.verdict.message}; going ahead (--allow-over-ceiling)`,
      ],
    };
  const allow = offers("--allow-over-ceiling");
  if (d.kind === "unjudged") {
    // Without the prices a pool that runs more is started only on the person's word.
    const fixes = [judgedWhere(next), ...(words.more ?? []), ...(allow ? ["pass --allow-over-ceiling to go ahead unjudged"] : [])];
    return { warnings: [], refusal: `cannot check stack ${next.stack}'s cost ceiling: ${d.reason}, and this configuration runs a session pool. ${capitalized(fixes.join(", or "))}. Nothing was changed.` };
  }
  // Only a command that takes --for can end it sooner (not the scheduled job starting a window).
  if (d.kind === "longer" && offers("--for"))
    // Refused only for running longer (the same sizes would go ahead): said so, with the expiry that would.
    return {
      warnings: [],
      refusal:
        `stack ${next.stack} runs above its cost ceiling until ${minute(d.until)} (it can cost ${d.verdict.message}), and this change keeps it running ` +
        `${next.profileExpiresAt ? `until ${minute(next.profileExpiresAt)}` : "with no expiry"}. Give a --for that ends by ${minute(d.until)}${allow ? ", or pass --allow-over-ceiling" : ""}. Nothing was changed.`,
    };
  return { warnings: [], refusal: ceilingRefusal(d.verdict, next.stack, words.what, [...(words.lower ?? []), ...(words.more ?? [])]) };
}

/**
 * The refusal's sentence: what fixes it. --allow-over-ceiling is offered only by a command that
 * takes it (up, scale, start*, capacity --apply); a window (schedule) or the scheduled job
 * (reconcile) has no such flag, so for them the fix is the sizes or the ceiling. `what` says whose
 * cost it is (a scheduled window's: cli/change-plan.ts), `more` adds fixes. Pure but for asking
 * which command runs.
 */
export function ceilingRefusal(verdict: Pick<CeilingVerdict, "message">, stack: string, what = "this change can cost", more: string[] = []): string {
  const fixes = ["lower the sizes", `raise costCeilingPerDay in Pulumi.${stack}.yaml`, ...more, ...(offers("--allow-over-ceiling") ? ["pass --allow-over-ceiling"] : [])];
  return `${what} ${verdict.message}. ${fixes.slice(0, -1).join(", ").replace(/^l/, "L")}, or ${fixes.at(-1)}. Nothing was changed.`;
}
