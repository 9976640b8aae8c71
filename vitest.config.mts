import { defineConfig } from "vitest/config";

// Three tiers. "fast": unit, component, provider and service tests, in-process or with local
// processes, no pulumi engine and no container images (`npm run test:fast`). "slow": the real
// pulumi CLI (engine, end-to-end) and podman images. "containers": the whole message path on the
// real images, the heaviest and mostly waiting; scripts/test.sh runs it as a vitest run of its own
// beside the other two (so maxWorkers 2 holds for the engine tests). `npm test` runs all three, as
// CI does. (A project, not `--exclude`: vitest 4 does not apply a command-line
// --exclude to projects with their own include, so CI ran the container tests twice.)
const containers = ["tests/containers/**/*.test.ts"];
const slow = ["tests/engine/**/*.test.ts", "tests/e2e/**/*.test.ts", "tests/images/**/*.test.ts", "tests/acceptance/**/*.test.ts", "sandbox/daemon/pulumi.test.ts"];
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
      { test: { ...common, name: "fast", include: all, exclude: ["**/node_modules/**", ...slow, ...containers] } },
      { test: { ...common, name: "slow", include: slow, exclude: ["**/node_modules/**"] } },
      { test: { ...common, name: "containers", include: containers, exclude: ["**/node_modules/**"] } },
    ],
  },
});
