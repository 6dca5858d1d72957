// Who acts, and when: what an operation records (infra/operations.ts) and what expiry and
// scheduled windows are compared with.
//
// MANAGE_NOW (an ISO 8601 time) replaces the clock. It exists so that tests, and a person
// rehearsing a contest day with `--dry-run`, can put manage at any moment; the scheduled job never
// sets it. One place reads it.

import { hostname, userInfo } from "node:os";
import { UsageError } from "./errors.js";
import { INSTANT } from "./options.js";

export function now(env: NodeJS.ProcessEnv = process.env): Date {
  const fixed = env.MANAGE_NOW;
  if (!fixed) return new Date();
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
