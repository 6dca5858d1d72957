// `manage keys issue|list|revoke --name N`: the participants' (or teams') credentials for a token
// stack's gateway. They are the stack's, kept as a secret in its state (infra/callers.ts), not the
// gateway's: the gateway lives with the pool and is created again for every window, taking the same
// keys over, so a key handed out before a contest works on the day. Issuing or revoking one is an
// update of the stack (through the one change path): at idle it only records the list; while a
// window runs it also adds or removes the subscription in the gateway now.

import { randomBytes } from "node:crypto";
import type { Caller } from "../../infra/callers.js";
import { CALLERS_OUTPUT, callerResourceName, parseCallers } from "../../infra/callers.js";
import { OPERATIONS_OUTPUT, parseOperationsState } from "../../infra/operations.js";
import { applyStackChange } from "../change.js";
import type { ArgumentsFor, OptionsFor } from "../main.js";
import { actor, isoSeconds, now } from "../clock.js";
import { UsageError } from "../errors.js";
import { dim, printJson } from "../output.js";
import { defaultStack, projectDir } from "../project.js";
import { stackSettings } from "../settings.js";
import type { PulumiReader } from "../pulumi/reader.js";

/** A key as `list` shows it without --show-keys: enough to tell two apart, not to use one. */
const hint = (key: string) => `${key.slice(0, 4)}…`;

/** `action` is one of the argument's choices (cli/main.ts): commander refuses any other before this runs. */
export async function run(action: ArgumentsFor<"keys">[0], o: OptionsFor<"keys">): Promise<void> {
  const stack = o.stack ?? defaultStack();
  const settings = stackSettings(stack);
  if (settings.access.mode !== "token")
    throw new UsageError(`stack ${stack} is in accessMode ${settings.access.mode}: callers need no key (no gateway). Keys are for accessMode token (Pulumi.${stack}.yaml)`);
  if (settings.access.gateway!.jwt && action === "issue")
    throw new UsageError(`stack ${stack}'s gateway takes JWTs from ${settings.access.gateway!.jwt.issuer} (gatewayJwtIssuer): callers present a token from that issuer, not a key`);
  if (action !== "list" && !o.name) throw new UsageError(`keys ${action} needs --name (a participant or team, e.g. --name team-a)`);

  const { Pulumi } = await import("../pulumi/runner.js");
  const pulumi = await Pulumi.connect(projectDir(), o.verbose);
  if (!(await pulumi.hasStack(stack)))
    throw new UsageError(`stack ${stack} has not been deployed yet: keys are kept in its state\n  Fix: \`manage up --stack ${stack}\` first (it rests idle, with no gateway), then issue keys`);
  // The list and the revision it belongs to, from one read: the change is based on that revision,
  // so a key issued or revoked by someone else in between refuses this one instead of being undone.
  const outputs = await pulumi.outputs(stack);
  const current = parseCallers(outputs[CALLERS_OUTPUT]);
  const readAt = parseOperationsState(outputs[OPERATIONS_OUTPUT])?.revision ?? 0;

  if (action === "list") {
    if (o.json) return printJson(current.map((c) => ({ name: c.name, issuedAt: c.issuedAt, by: c.by, ...(o.showKeys ? { key: c.key } : {}) })));
    if (current.length === 0) return console.log(`No keys on ${stack}: \`manage keys issue --stack ${stack} --name team-a\` issues one.`);
    console.log(`Keys on ${stack} (${current.length}; each is a subscription of the gateway whenever a window runs):`);
    for (const c of current) console.log(`  ${c.name}  ${o.showKeys ? c.key : hint(c.key)}  ${dim(`issued ${c.issuedAt} by ${c.by}`)}`);
    return;
  }

  const name = o.name!;
  let next: Caller[];
  let issued: Caller | undefined;
  if (action === "issue") {
    if (current.some((c) => c.name === name))
      throw new UsageError(`${name} already has a key on ${stack} (issued ${current.find((c) => c.name === name)!.issuedAt})\n  Fix: \`manage keys revoke --stack ${stack} --name ${name}\` first to replace it, or choose another --name`);
    issued = { name, key: randomBytes(16).toString("hex"), issuedAt: isoSeconds(now()), by: actor() };
    next = [...current, issued];
  } else {
    // A revoke whose update failed deleting the subscription has already recorded the list without
    // the name (the engine records the program's outputs before its deletes: test/fake-pulumi/main.ts
    // cites pulumi's source), while the gateway still has the subscription and takes the key. Such a
    // name is revoked again: the update deletes what the list no longer declares.
    if (!current.some((c) => c.name === name) && !(await subscriptionInState(pulumi, stack, name)))
      throw new UsageError(`no key named ${name} on ${stack} (keys: ${current.map((c) => c.name).join(", ") || "none"})`);
    next = current.filter((c) => c.name !== name);
  }
  let result: Awaited<ReturnType<typeof applyStackChange>>;
  try {
    // On the baseline of the last update, like a stop: handing out a key changes only the keys, never
    // what an edited or stale local stack file says (that is left for `manage up`, and said).
    result = await applyStackChange(
      { stack, config: {}, callers: next, basedOn: readAt, deployedBaseline: true, intent: `${action} the key of ${name}` },
      { ...o, yes: true },
      false,
    );
  } catch (err) {
    // The gateway's subscription may outlive a failed revoke: say so, and that running it again finishes it.
    if (action === "revoke" && err instanceof Error && !(err instanceof UsageError) && outputs.gatewayUrl && (await subscriptionInState(pulumi, stack, name).catch(() => true)))
      err.message += `\n  The key of ${name} is still accepted by the gateway until a revoke succeeds: \`manage keys revoke --stack ${stack} --name ${name}\` again`;
    throw err;
  }
  const live = result.outputs.gatewayUrl ? "the gateway takes it now" : "no gateway runs now (idle): the next window's gateway takes it";
  if (o.json) return printJson({ stack, action, name, ...(issued ? { key: issued.key, issuedAt: issued.issuedAt } : {}) });
  if (issued) {
    console.log(`Key for ${name} on ${stack}: ${issued.key}`);
    console.log(`Give it to ${name}: every call carries it (header Ocp-Apim-Subscription-Key). Kept in the stack's state as a secret; ${live}.`);
  } else console.log(`Revoked the key of ${name} on ${stack}; ${live.replace("takes it", "refuses it")}.`);
}

/** Whether the stack's state still has the gateway subscription of caller `name` (one `stack export`). */
async function subscriptionInState(pulumi: Pick<PulumiReader, "state">, stack: string, name: string): Promise<boolean> {
  return (await pulumi.state(stack)).names.includes(callerResourceName(name));
}
