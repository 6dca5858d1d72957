// Participants' credentials for the gateway (accessMode token), kept where they outlive it. The gate
// lives with the pool (infra/access-mode.ts), so the API Management instance, and every
// subscription in it, is deleted after each window and created again for the next. A key handed out
// before a contest must still work on the day: the keys are the stack's, not the gateway's. They are
// kept in the stack's state as a secret output (`callers`, encrypted by the stack's secrets provider
// like any secret output), carried forward by every update the way the operational layer is
// (infra/operations.ts), and each becomes an API Management subscription whose primaryKey is set to
// it ("Primary subscription key. If not specified during request key will be generated
// automatically": SubscriptionArgs, azure-native 3.28), so a recreated gateway takes them over
// unchanged. `manage keys issue|list|revoke` changes the list; with a key mode gateway only.
//
// Pure: the program reads the previous list and manage's request here.

import * as v from "valibot";
import { CALLER_KEY, CALLER_NAME } from "./access-mode.js";

/** The stack output that holds the list (a secret). */
export const CALLERS_OUTPUT = "callers";

const CALLER = v.object({
  name: v.pipe(v.string(), v.regex(CALLER_NAME)),
  key: v.pipe(v.string(), v.regex(CALLER_KEY)),
  /** When and by whom it was issued (ISO 8601 UTC; "alice@laptop"). */
  issuedAt: v.pipe(v.string(), v.isoTimestamp()),
  by: v.string(),
});
export type Caller = v.InferOutput<typeof CALLER>;
export const CALLERS = v.array(CALLER);

/** A previous `callers` output; [] when the stack has none. Throws on one this program did not write. */
export function parseCallers(value: unknown): Caller[] {
  if (value === undefined || value === null || value === "") return [];
  const r = v.safeParse(CALLERS, value);
  if (!r.success) throw new Error(`the stack's ${CALLERS_OUTPUT} output is not what this program writes: ${v.summarize(r.issues).split("\n")[0]}`);
  return r.output;
}

/** The subscription id of a caller in the gateway. */
export const callerSubscriptionId = (name: string) => `caller-${name}`;

/** The program's name for a caller's subscription (its URN's last part): what `manage keys revoke` looks for in the state. */
export const callerResourceName = (name: string) => `gateway-caller-${name}`;
