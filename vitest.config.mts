import { defineConfig } from "vitest/config";

// Two tiers. "fast": unit, component, provider and service tests, in-process or with local
// processes, no pulumi engine and no container images (`npm run test:fast`). "slow": the real
// pulumi CLI (engine, end-to-end) and podman images. `npm test` runs both, as CI does.
const slow = ["tests/engine/**/*.test.ts", "tests/e2e/**/*.test.ts", "tests/images/**/*.test.ts", "tests/containers/**/*.test.ts", "tests/acceptance/**/*.test.ts", "sandbox/daemon/pulumi.test.ts"];
const all = ["tests/**/*.test.ts", "components/**/*.test.ts", "sandbox/**/*.test.ts", "services/*/src/**/*.test.ts"];
const common = {
  // Engine tests start the real pulumi CLI; each takes seconds, not milliseconds.
  testTimeout: 120_000,
  hookTimeout: 300_000,
  // Two cores: running more engine tests at once only makes each slower.
  maxWorkers: 2,
};

export default defineConfig({
  test: {
    // Once per run: its own TMPDIR, and a failure naming any process the tests left running.
    globalSetup: ["tests/support/global-setup.ts"],
    projects: [
      { test: { ...common, name: "fast", include: all, exclude: ["**/node_modules/**", ...slow] } },
      { test: { ...common, name: "slow", include: slow, exclude: ["**/node_modules/**"] } },
    ],
  },
});
