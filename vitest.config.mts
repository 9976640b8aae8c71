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
// The slow tiers' tests run the pulumi CLI, podman and containers. Two engine tests left their bound
// to the 120 s default: tests/engine/toolchain.test.ts "shows a changed input" (three commands) and
// provider-host.test.ts (a preview and an up) took 16.6 s and 15.7 s on an idle machine (load 0-4,
// 2026-12-02), so a machine 8 times slower (load 15 is 3-8 times) would have run past it; so could
// tests/images/registry.test.ts, whose push and pull bound themselves at 600 s each. 300 s is what
// most engine tests give themselves; 120 s stays for the fast tier, slowest test 26 s at load 9-14.
const slowTier = { ...common, testTimeout: 300_000 };

export default defineConfig({
  test: {
    // Once per run: its own TMPDIR, and a failure naming any process the tests left running.
    globalSetup: ["tests/support/global-setup.ts"],
    projects: [
      { test: { ...common, name: "fast", include: all, exclude: ["**/node_modules/**", ...slow, ...containers] } },
      { test: { ...slowTier, name: "slow", include: slow, exclude: ["**/node_modules/**"] } },
      { test: { ...slowTier, name: "containers", include: containers, exclude: ["**/node_modules/**"] } },
    ],
  },
});
