import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FlyClient } from "../../components/fly/client";
import { ensureDaemon, readMachinePids, stopDaemon } from "./control";
import { pidAlive, readDaemonInfo, repoRoot, sandboxPaths } from "./state";

// The daemon as a real detached process (as sandbox:up starts it), in a throwaway directory:
// it serves the local Fly API, runs a machine created through that API as a local process, is
// reused by a second ensureDaemon, and on SIGTERM leaves no process behind (checked by pid).
const dir = mkdtempSync(path.join(os.tmpdir(), "textslash-daemon-"));
const paths = sandboxPaths(repoRoot, dir);
afterAll(async () => {
  const info = readDaemonInfo(paths);
  if (info && pidAlive(info.pid)) await stopDaemon({ paths, say: () => undefined });
  rmSync(dir, { recursive: true, force: true });
});

describe("sandbox daemon process", () => {
  it("starts detached, runs a machine created through its Fly API, is reused, and stops with no process left", async () => {
    // The fast mode: this test is about the daemon's process life, not the images.
    process.env.SANDBOX_MODE = "process";
    const info = await ensureDaemon({ paths, say: () => undefined });
    expect(pidAlive(info.pid)).toBe(true);
    expect(info.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await ensureDaemon({ paths, say: () => undefined })).pid).toBe(info.pid);

    const fly = new FlyClient({ baseUrl: info.apiUrl, token: info.token });
    await fly.apps.create({ name: "daemon-vm", orgSlug: "personal" });
    const machine = await fly.machines.create("daemon-vm", { region: "ord", config: {
      image: "ghcr.io/sendtwothreeyears/textslash-vm:latest",
      env: { RELAY_CALLBACK_URL: "http://daemon-relay.flycast", RELAY_SHARED_TOKEN: "fake-relay-shared-token", ANTHROPIC_API_KEY: "fake-anthropic-key", LOG_LEVEL: "warn" },
      checks: { health: { type: "http", port: 3001, path: "/health", interval: "15s", timeout: "5s" } },
    } });
    await fly.machines.waitForState("daemon-vm", machine.id, { state: "started", timeoutMs: 30_000 });
    let machinePids: number[] = [];
    const deadline = Date.now() + 10_000;
    while (machinePids.length === 0 && Date.now() < deadline) {
      machinePids = readMachinePids(paths);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(machinePids).toHaveLength(1);
    expect(pidAlive(machinePids[0]!)).toBe(true);

    const stopped = await stopDaemon({ paths, say: () => undefined });
    expect(stopped.daemonPid).toBe(info.pid);
    for (const pid of [info.pid, ...machinePids]) expect(pidAlive(pid), `pid ${pid}`).toBe(false);
    expect(readDaemonInfo(paths)).toBeUndefined();
  }, 90_000);
});
