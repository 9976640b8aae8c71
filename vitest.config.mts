import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "components/**/*.test.ts", "sandbox/**/*.test.ts", "services/*/src/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    // Engine tests start the real pulumi CLI; each takes seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Two cores: running more engine tests at once only makes each slower.
    maxWorkers: 2,
  },
});
