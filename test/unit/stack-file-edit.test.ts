// manage's edit of a stack file (capacity --apply) on a refused change: the person gets back the
// file they had, unless they saved an edit of their own since manage wrote, which is kept and said.
// Against a real file in a temporary directory; `set` stands in for `pulumi config set`, which
// rewrites the file.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, test } from "vitest";
import { keptEdit } from "../../cli/change-plan.js";
import { stackFileEdit } from "../../cli/stack-file-edit.js";

const ORIGINAL = "config:\n  coding-engine:maxSessions: 20\n";
const MANAGES = "config:\n  coding-engine:maxSessions: 900\n";
const THEIRS = "config:\n  coding-engine:maxSessions: 900\n  coding-engine:location: westus\n";

let path: string;
const said: string[] = [];
const warn = (line: string) => said.push(line);
const setTo = (text: string) => async () => writeFileSync(path, text);

beforeEach(() => {
  path = join(mkdtempSync(join(tmpdir(), "stack-file-edit-")), "Pulumi.dev.yaml");
  writeFileSync(path, ORIGINAL);
  said.length = 0;
});

describe("a refused change and manage's edit of the stack file", () => {
  test("the file still holds what manage wrote: put back as it was, nothing said", async () => {
    const edit = stackFileEdit(path, "Pulumi.dev.yaml", { maxSessions: 900 });
    await edit.write(setTo(MANAGES));
    expect(readFileSync(path, "utf8")).toBe(MANAGES);
    edit.undo(warn);
    expect(readFileSync(path, "utf8")).toBe(ORIGINAL);
    expect(said).toEqual([]);
  });

  test("the file was edited after manage wrote it: kept as it is, and the person told which keys manage wrote", async () => {
    const edit = stackFileEdit(path, "Pulumi.dev.yaml", { maxSessions: 900 });
    await edit.write(setTo(MANAGES));
    writeFileSync(path, THEIRS);
    edit.undo(warn);
    expect(readFileSync(path, "utf8")).toBe(THEIRS);
    expect(said).toEqual([keptEdit("Pulumi.dev.yaml", ["maxSessions"])]);
    expect(said[0]).toMatch(/^Pulumi\.dev\.yaml changed after manage wrote maxSessions into it: left as it is/);
  });

  test("no baseline edits: nothing is written, and a refusal leaves an edit saved meanwhile alone", async () => {
    const edit = stackFileEdit(path, "Pulumi.dev.yaml", {});
    let called = false;
    await edit.write(async () => {
      called = true;
    });
    expect(called).toBe(false);
    writeFileSync(path, THEIRS);
    edit.undo(warn);
    expect(readFileSync(path, "utf8")).toBe(THEIRS);
    expect(said).toEqual([]);
  });

  test("a write that fails half-way puts the file back and passes the failure on", async () => {
    const edit = stackFileEdit(path, "Pulumi.dev.yaml", { maxSessions: 900, location: "westus" });
    const failure = new Error("config set failed");
    await expect(
      edit.write(async (config) => {
        expect(config).toEqual({ maxSessions: 900, location: "westus" });
        writeFileSync(path, MANAGES);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(readFileSync(path, "utf8")).toBe(ORIGINAL);
    // Nothing of manage's stays written, so a later refusal has nothing to undo.
    writeFileSync(path, THEIRS);
    edit.undo(warn);
    expect(readFileSync(path, "utf8")).toBe(THEIRS);
    expect(said).toEqual([]);
  });
});
