// The output path checker (cli/options.ts writableFile, behind --chart and --out) with real files:
// what it lets through must be writable as the command writes it (writeFile follows a symlink and
// creates the file it names), and what it refuses must be refused for the reason it gives.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { TYPES } from "../../cli/options.js";

const dir = () => mkdtempSync(join(tmpdir(), "output-paths-"));

test("a symlink to a file not there yet, in a folder that exists, is accepted, and the write then succeeds through it", () => {
  const d = dir();
  mkdirSync(join(d, "charts"));
  symlinkSync(join("charts", "real.svg"), join(d, "link.svg"));
  expect(TYPES.chart.read(join(d, "link.svg"))).toBe(join(d, "link.svg"));
  // The check leaves nothing behind, and the write it vouched for works.
  expect(() => readFileSync(join(d, "charts", "real.svg"))).toThrow(/ENOENT/);
  writeFileSync(join(d, "link.svg"), "<svg/>");
  expect(readFileSync(join(d, "charts", "real.svg"), "utf8")).toBe("<svg/>");
});

test("a symlink is judged by where it points: into a missing folder, or a loop, is refused as the write would fail", () => {
  const d = dir();
  symlinkSync(join(d, "gone", "real.svg"), join(d, "dangling.svg"));
  expect(() => TYPES.chart.read(join(d, "dangling.svg"))).toThrow(/is in a folder that does not exist \(.*gone\)/);
  symlinkSync(join(d, "loop.svg"), join(d, "loop.svg"));
  expect(() => TYPES.chart.read(join(d, "loop.svg"))).toThrow(/cannot be written \(ELOOP/);
  // A folder, as before.
  mkdirSync(join(d, "a.svg"));
  expect(() => TYPES.chart.read(join(d, "a.svg"))).toThrow(/is a folder/);
});
