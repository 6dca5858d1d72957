import { defineConfig } from "vitest/config";

export default defineConfig({
  // The policy pack and the role table are CommonJS TypeScript (.cts): Pulumi's policy runner
  // require()s the pack. Vite transforms only .ts/.mts/.tsx by default.
  oxc: { include: /\.(c|m)?tsx?$/ },
  test: {
    include: ["test/**/*.test.ts"],
    // Evaluating the program loads @pulumi/pulumi (~0.5 s) per file; CLI tests spawn processes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
