import { defineConfig } from "vitest/config";

// Benchmarks in real Chromium against the real local stack; not run by `npm test`.
export default defineConfig({
  test: {
    include: ["tests/bench/**/*.bench.test.ts"],
    globalSetup: ["tests/e2e/stackSetup.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 180_000,
  },
});
