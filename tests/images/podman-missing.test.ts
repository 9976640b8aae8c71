// Without podman, everything that needs it fails at once with the command that installs it.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(__dirname, "../..");

describe("podman missing", () => {
  it("requirePodman fails naming the install script (never a silent skip)", () => {
    const script = "import('./sandbox/images/podman.ts').then((m) => (m.requirePodman ?? m.default.requirePodman)()).then(() => process.exit(0), (e) => { console.log(e.message); process.exit(3); })";
    const result = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
      cwd: repoRoot, env: { PATH: "/nonexistent" }, encoding: "utf8", timeout: 60_000,
    });
    expect(result.status).toBe(3);
    expect(result.stdout).toContain("podman is not available (no podman on PATH)");
    expect(result.stdout).toContain("Install it (Debian: podman, runc, catatonit, debootstrap, docker-registry) with: sudo bash scripts/install-containers.sh");
  });
});
