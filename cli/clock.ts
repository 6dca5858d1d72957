// Who acts, and when: what an operation records (infra/operations.ts) and what expiry and
// scheduled windows are compared with.
//
// MANAGE_NOW (an ISO 8601 time) replaces the clock. It exists so that tests, and a person
// rehearsing a contest day with `--dry-run`, can put manage at any moment; the scheduled job never
// sets it. One place reads it. A change made on it writes its times (an expiry a year out, say) into
// the cloud, so a change runs on it only when the person says so (rehearsalClock, below).

import { hostname, userInfo } from "node:os";
import { UsageError } from "./errors.js";
import { INSTANT } from "./options.js";

export function now(env: NodeJS.ProcessEnv = process.env): Date {
  const fixed = env.MANAGE_NOW;
  if (!fixed) return new Date();
  // A workflow run (GITHUB_ACTIONS=true, docs.github.com "Default environment variables") acts on
  // the real clock only: the scheduled job deciding on a rehearsal clock would stop a running
  // contest or start a window early. Refused for every command, reading ones too, so a misplaced
  // variable fails the job instead of steering it.
  if (env.GITHUB_ACTIONS === "true")
    throw new UsageError(
      `MANAGE_NOW=${fixed} is set in a workflow run: a workflow decides and changes stacks on the real clock only. Nothing was read or changed\n` +
        `  Fix: remove MANAGE_NOW from the workflow's environment`,
    );
  let at: Date | null = null;
  try {
    // The option type's reading (a calendar day that exists, a zone), and a time of day too.
    at = /T/.test(fixed) ? INSTANT.read(fixed) : null;
  } catch {
    // refused below, in MANAGE_NOW's words
  }
  if (!at)
    throw new UsageError(`MANAGE_NOW=${fixed} is not an ISO 8601 time like 2026-12-05T08:30:00Z\n  Fix: correct it, or unset MANAGE_NOW to use the real clock`);
  return at;
}

/** What a person sets, beside MANAGE_NOW, to change a stack on that clock on purpose. */
export const REHEARSAL_ENV = "MANAGE_REHEARSAL";

/** "1 d 2 h ahead of", "5 min behind": how far MANAGE_NOW is from the real clock. */
export function clockOffset(fixed: Date, real: Date): string {
  const ms = fixed.getTime() - real.getTime();
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes === 0) return "the same as";
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60];
  const text = [d ? `${d} d` : "", h ? `${h} h` : "", m ? `${m} min` : ""].filter(Boolean).join(" ");
  return `${text} ${ms > 0 ? "ahead of" : "behind"}`;
}

/**
 * Whether a change may run on the clock MANAGE_NOW sets. Pure: the environment and the real time
 * are passed in. Without MANAGE_NOW: null (the real clock). In a workflow run now() has refused it
 * already. Elsewhere: refused unless MANAGE_REHEARSAL=1 says the person
 * means it, and then a warning line with the offset, so it is never silent.
 */
export function rehearsalClock(env: NodeJS.ProcessEnv, real: Date): { warning: string } | null {
  if (!env.MANAGE_NOW) return null;
  const at = now(env);
  const offset = `${clockOffset(at, real)} the real clock`;
  if (env[REHEARSAL_ENV] !== "1")
    throw new UsageError(
      `MANAGE_NOW=${env.MANAGE_NOW} is ${offset}, and this change would record its times (expiry, when it was asked) by it. Nothing was changed\n` +
        `  Fix: unset MANAGE_NOW to change the stack on the real clock, or set ${REHEARSAL_ENV}=1 as well to rehearse on that clock against the cloud deliberately`,
    );
  return { warning: `rehearsal clock: MANAGE_NOW=${env.MANAGE_NOW} is ${offset} (${REHEARSAL_ENV}=1); this change records its times by it` };
}

/** "alice@laptop", or the workflow and who triggered it in GitHub Actions. */
export function actor(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_ACTIONS === "true") return `github-actions (${env.GITHUB_WORKFLOW ?? "workflow"}${env.GITHUB_ACTOR ? `, ${env.GITHUB_ACTOR}` : ""})`;
  let user = "someone";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return `${user}@${hostname()}`;
}

/** An ISO 8601 UTC time to the second, as the operational layer records times. */
export const isoSeconds = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, "Z");

/** A time as people read it in a message or a page: "2026-11-22 18:00 UTC". */
export const utcMinute = (at: Date | string) => `${new Date(at).toISOString().slice(0, 16).replace("T", " ")} UTC`;
