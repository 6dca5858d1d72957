// How many test workers a run has (vitest.config.ts), and so how many warm programs the global setup
// starts (one per worker: each runs one program at a time).
//
// One more than the cores. The end-to-end tests wait as well as compute (a backend's cold start, a
// load test's duration, a health check's time-out, a readiness wait), and one test at a time runs in a
// worker, so with a worker a core a core sat idle while its test waited. Measured on 2 cores, a clean
// clone's vitest run with an empty memo (issue 23, stop 33): 2 workers 173 s, 3 workers 153 s,
// 4 workers 154 s. (While every change still loaded Pulumi's runtime in processes of its own, a third
// worker starved the end-to-end tests past their time limits; with the stand-ins in the workers and the
// program and pack kept warm, a change costs a fraction of that CPU.)
import { availableParallelism } from "node:os";

export const TEST_WORKERS = availableParallelism() + 1;
