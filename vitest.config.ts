import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Evaluating the program loads @pulumi/pulumi (~0.5 s) per file; CLI tests spawn processes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
