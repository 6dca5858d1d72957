// Pulumi's engine events (streamed to the Automation API; sdk/go/common/apitype/events.go) turned
// into progress a person can follow, and the summary the final line is made of. Pure.

import { cleanDiagnostic } from "./failures.js";

// The events' shape is the Automation API's own type (sdk/go/common/apitype/events.go): a step's
// resource type is in metadata.type; the root stack and the default providers are steps too.
export type { EngineEvent } from "@pulumi/pulumi/automation/events.js";
import type { EngineEvent } from "@pulumi/pulumi/automation/events.js";

/** Steps nobody asked for: the root stack and the providers pulumi registers by itself. */
export function isBookkeeping(type: string): boolean {
  return type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:");
}

export type Progress =
  | { kind: "start"; op: string; name: string; type: string }
  | { kind: "done"; op: string; name: string; type: string }
  | { kind: "failed"; op: string; name: string; type: string }
  | { kind: "diagnostic"; severity: string; name: string | null; message: string }
  | { kind: "summary"; durationSeconds: number; changes: Record<string, number> };

/** The logical name at the end of a URN. */
export const urnName = (urn: string) => urn.split("::").pop() ?? urn;

const QUIET_OPS = new Set(["same", "read"]);

/** One event to the progress worth showing, or null (unchanged resources, the stack itself, noise). */
export function progressOf(event: EngineEvent): Progress | null {
  const step = (e: { metadata: { op: string; urn: string; type: string } } | undefined, kind: "start" | "done" | "failed"): Progress | null => {
    if (!e || QUIET_OPS.has(e.metadata.op) || isBookkeeping(e.metadata.type)) return null;
    return { kind, op: e.metadata.op, name: urnName(e.metadata.urn), type: e.metadata.type };
  };
  if (event.resourcePreEvent) return step(event.resourcePreEvent, "start");
  if (event.resOutputsEvent) return step(event.resOutputsEvent, "done");
  if (event.resOpFailedEvent) return step(event.resOpFailedEvent, "failed");
  if (event.diagnosticEvent && (event.diagnosticEvent.severity as string) !== "debug") {
    const d = event.diagnosticEvent;
    const message = cleanDiagnostic(d.message);
    if (!message) return null;
    return { kind: "diagnostic", severity: d.severity, name: d.urn ? urnName(d.urn) : null, message };
  }
  if (event.summaryEvent)
    return { kind: "summary", durationSeconds: event.summaryEvent.durationSeconds, changes: event.summaryEvent.resourceChanges };
  return null;
}

/** "1 created, 2 updated, 1 deleted" from a change summary (unchanged ones left out; a replacement counts once, as replace). */
export function describeChanges(changes: Record<string, number>): string {
  const parts = Object.entries(changes)
    .filter(([op, n]) => n > 0 && ["create", "update", "delete", "replace"].includes(op))
    .map(([op, n]) => `${n} ${VERBS[op]![1]}`);
  return parts.length ? parts.join(", ") : "no changes";
}

const VERBS: Record<string, [string, string]> = {
  create: ["creating", "created"],
  update: ["updating", "updated"],
  delete: ["deleting", "deleted"],
  replace: ["replacing", "replaced"],
  "create-replacement": ["creating replacement for", "replacement created for"],
  "delete-replaced": ["deleting old", "deleted old"],
};

export function progressLine(p: Progress): string | null {
  switch (p.kind) {
    case "start":
      return `  ${VERBS[p.op]?.[0] ?? p.op} ${p.name} ...`;
    case "done":
      return `  ${VERBS[p.op]?.[1] ?? p.op} ${p.name}`;
    case "failed":
      return `  FAILED ${p.op} ${p.name}`;
    case "diagnostic":
      return p.severity === "error" || p.severity === "warning" ? `  ${p.severity}${p.name ? ` (${p.name})` : ""}: ${p.message}` : null;
    case "summary":
      return null;
  }
}
