// manage's own edit of a stack file (capacity --apply's baseline edits, written with `pulumi config
// set`), as one object the change path holds from the preview to the confirmation: a change refused
// there undoes the edit only while the file still holds exactly what manage wrote, so a refusal
// leaves the file as the person had it and an edit they saved meanwhile is never overwritten.
// The rule itself is the pure `undoOnRefusal` (./change-plan.ts); this is its file edge.

import { readFileSync, writeFileSync } from "node:fs";
import { keptEdit, undoOnRefusal, type StackChange } from "./change-plan.js";

export interface StackFileEdit {
  /** Writes the edits with `set` (nothing when there are none); a failed write puts the file back. */
  write(set: (config: StackChange["config"]) => Promise<unknown>): Promise<void>;
  /** On a refusal: restores the file while it holds manage's write; an edit saved since is kept and said. */
  undo(warn: (line: string) => void): void;
}

/** The edit of the stack file at `path` (named `name` in what is said), its content read now as "before". */
export function stackFileEdit(path: string, name: string, config: StackChange["config"]): StackFileEdit {
  const before = readFileSync(path);
  const keys = Object.keys(config);
  let wrote: Buffer | null = null;
  return {
    async write(set) {
      if (!keys.length) return;
      try {
        await set(config);
      } catch (err) {
        // Part of the edits may be written: put the file back as it was a moment ago.
        writeFileSync(path, before);
        throw err;
      }
      wrote = readFileSync(path);
    },
    undo(warn) {
      const what = undoOnRefusal(wrote, readFileSync(path));
      if (what === "restore") writeFileSync(path, before);
      if (what === "edited-since") warn(keptEdit(name, keys));
    },
  };
}
