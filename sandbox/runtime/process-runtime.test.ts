import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../testing/wait-for";
import { serviceForImage } from "./images";
import { ProcessRuntime } from "./process-runtime";

const repoRoot = path.resolve(__dirname, "../..");
let runtime: ProcessRuntime | undefined;
let stateDir: string | undefined;

afterEach(async () => {
  await runtime?.stopAll();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

function vmSpec(env: Record<string, string> = {}) {
  return {
    id: "m_fakevm1",
    appName: "local-vm",
    image: "ghcr.io/sendtwothreeyears/textslash-vm:latest",
    env: { RELAY_CALLBACK_URL: "http://local-relay.flycast", DATA_DIR: "/data", VM_ALLOW_ROOT: "true", AGENT_ISOLATION: "off", LOG_LEVEL: "warn", ...env },
    secrets: { RELAY_SHARED_TOKEN: "fake-relay-shared-token", ANTHROPIC_API_KEY: "fake-anthropic-key" },
    mounts: [{ volumeId: "vol_fakedata", path: "/data" }],
    checks: [{ name: "health", path: "/health" }],
  };
}

describe("serviceForImage", () => {
  it.each([
    ["ghcr.io/sendtwothreeyears/textslash-relay:latest", "relay"],
    ["registry.fly.io/x/textslash-vm@sha256:abc", "vm"],
    ["textslash-vm", "vm"],
    // As `pulumi up` pushes what it builds: {registry}/{app}@digest.
    ["127.0.0.1:5000/sandbox-relay@sha256:abc", "relay"],
    ["127.0.0.1:5000/sandbox-vm@sha256:abc", "vm"],
    ["nginx:1.27", undefined],
    ["ghcr.io/x/textslash-vm-extra:1", undefined],
  ])("%s → %s", (image, kind) => expect(serviceForImage(image)).toBe(kind));
});

describe("ProcessRuntime", () => {
  it("runs the VM image as a process whose checks pass, keeps /data across stop and update, and leaves no process", async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), "textslash-runtime-"));
    const lines: string[] = [];
    runtime = new ProcessRuntime({ repoRoot, stateDir, stopTimeoutMs: 10_000, log: (l) => lines.push(l),
      sandboxEnv: () => ({ CLAUDE_BIN: path.join(repoRoot, "sandbox/fakes/fake-claude") }) });

    const port = await runtime.start(vmSpec());
    expect(port).toBeGreaterThan(0);
    await runtime.waitHealthy("m_fakevm1");
    const pid = runtime.pids()[0];
    expect(pid).toBeDefined();
    const volumeDir = path.join(stateDir, "volumes", "vol_fakedata");
    expect(readdirSync(volumeDir).length).toBeGreaterThan(0); // the VM laid out /data on the volume

    await runtime.suspend("m_fakevm1");
    expect(runtime.isRunning("m_fakevm1")).toBe(false);
    expect(await runtime.checks("m_fakevm1")).toEqual([]);
    expect(() => process.kill(pid as number, 0)).toThrow();

    // The Fly API launches an updated machine through update(): a stopped one starts, a running one restarts.
    await runtime.update(vmSpec({ LOG_LEVEL: "warn" }));
    await runtime.waitHealthy("m_fakevm1");
    const pidAfterFirstUpdate = runtime.pidOf("m_fakevm1");
    await runtime.update(vmSpec({ LOG_LEVEL: "error" }));
    await runtime.waitHealthy("m_fakevm1");
    expect(runtime.pidOf("m_fakevm1")).not.toBe(pidAfterFirstUpdate);
    expect(existsSync(volumeDir)).toBe(true);

    await runtime.destroy("m_fakevm1");
    expect(runtime.pids()).toEqual([]);
    expect(lines.some((l) => l.includes("suspend (modelled as stop)"))).toBe(true);
  }, 60_000);

  it("keeps other images as state only and rejects a malformed spec naming the field", async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), "textslash-runtime-"));
    runtime = new ProcessRuntime({ repoRoot, stateDir, log: () => undefined });
    expect(await runtime.start({ ...vmSpec(), image: "nginx:1.27" })).toBeUndefined();
    expect(runtime.pids()).toEqual([]);
    await expect(runtime.start({ ...vmSpec(), mounts: [{ volumeId: "v", path: "data" }] })).rejects.toThrow(/mounts\.0\.path/);
  });

  it("tells its exit listeners of a process that ends on its own (bad env: exit code 1), not of one it stopped", async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), "textslash-runtime-"));
    runtime = new ProcessRuntime({ repoRoot, stateDir, stopTimeoutMs: 10_000, log: () => undefined,
      sandboxEnv: () => ({ CLAUDE_BIN: path.join(repoRoot, "sandbox/fakes/fake-claude") }) });
    const exits: [string, number | null][] = [];
    runtime.onExit((id, code) => exits.push([id, code]));

    await runtime.start(vmSpec());
    await runtime.waitHealthy("m_fakevm1");
    await runtime.stop("m_fakevm1");
    expect(exits).toEqual([]);

    // Without its shared token the VM refuses to start and exits with code 1.
    const broken = { ...vmSpec(), id: "m_fakevm2", secrets: { ANTHROPIC_API_KEY: "fake-anthropic-key" } };
    await runtime.start(broken);
    // A loaded machine takes a while to start node and tsx: wait for the exit, however long it takes.
    await waitFor("the broken VM's exit to be reported", () => exits.length > 0, 90_000);
    expect(exits).toEqual([["m_fakevm2", 1]]);
    expect(runtime.isRunning("m_fakevm2")).toBe(false);
  }, 180_000);
});
