// The order test files start in. vitest starts the files that took longest last time first, so the
// short ones fill the gaps at the end; a clean clone (CI) has no last time, and vitest then goes by
// file size, which says little here: the unit files are long tables that run in milliseconds, the
// end-to-end files (test/cli) are short and run for seconds to a minute. Without timings, the
// end-to-end files start first (larger first among them), then the rest. Measured on a clean
// clone (issue 10): the run's tail was a 50 s end-to-end file started last.
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const endToEnd = (spec: TestSpecification) => relative(spec.project.config.root, spec.moduleId).startsWith("test/cli/");

export class EndToEndFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const timed = files.every((spec) => this.ctx.cache.getFileTestResults(`${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`));
    if (timed) return sorted;
    // A stable partition of vitest's own order (larger first).
    return [...sorted.filter(endToEnd), ...sorted.filter((s) => !endToEnd(s))];
  }
}
