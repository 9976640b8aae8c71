import { afterEach, describe, expect, it } from "vitest";
import { SandboxProxy, type ProxyBackend, type ProxyMachine } from "./proxy";
import { waitFor } from "../testing/wait-for";

// Auto-stop of machines the proxy never routed to (started by a deploy): with a backend that lists
// apps, Fly Proxy's rule applies to every started machine, not only to the ones it woke itself.
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function stubBackend(machines: Record<string, ProxyMachine[]>, withApps: boolean): ProxyBackend & { stops: string[] } {
  const stops: string[] = [];
  const backend: ProxyBackend & { stops: string[] } = {
    stops,
    ipTypes: () => Promise.resolve([]),
    machines: (app) => Promise.resolve(machines[app] ?? []),
    start: () => Promise.reject(new Error("not used")),
    stop: (_app, id, mode) => {
      stops.push(`${id}:${mode}`);
      const machine = Object.values(machines).flat().find((m) => m.id === id);
      if (machine) machine.state = mode === "suspend" ? "suspended" : "stopped";
      return Promise.resolve();
    },
  };
  if (withApps) backend.apps = () => Promise.resolve(Object.keys(machines));
  return backend;
}

const machine = (id: string, autostop: ProxyMachine["autostop"], minMachinesRunning = 0): ProxyMachine =>
  ({ id, state: "started", port: 1, autostop, autostart: true, minMachinesRunning });

describe("SandboxProxy idle sweep", () => {
  it("stops or suspends every idle started machine the backend lists, keeping autostop off and min_machines_running", async () => {
    const machines = { vm: [machine("m_vm", "suspend")], other: [machine("m_other", "stop")], relay: [machine("m_relay", "off", 1)], kept: [machine("m_kept", "stop", 1)] };
    const backend = stubBackend(machines, true);
    const proxy = new SandboxProxy({ backend, idleMs: 150, log: () => undefined });
    await proxy.listen();
    closers.push(() => proxy.close());
    await waitFor("both idle machines to be put to sleep", () => backend.stops.length >= 2, 5_000);
    expect(backend.stops.sort()).toEqual(["m_other:stop", "m_vm:suspend"]);
    expect(machines.vm[0]?.state).toBe("suspended");
    await new Promise((r) => setTimeout(r, 400));
    expect(machines.relay[0]?.state).toBe("started");
    expect(machines.kept[0]?.state).toBe("started");
    expect(backend.stops).toHaveLength(2);
  });

  it("starts the idle clock of a booting machine only once its checks pass", async () => {
    const booting = { ...machine("m_vm", "stop"), healthy: false };
    const backend = stubBackend({ vm: [booting] }, true);
    const proxy = new SandboxProxy({ backend, idleMs: 100, log: () => undefined });
    await proxy.listen();
    closers.push(() => proxy.close());
    await new Promise((r) => setTimeout(r, 500));
    expect(backend.stops).toEqual([]);
    booting.healthy = true;
    await waitFor("the now healthy idle machine to be stopped", () => backend.stops.length === 1, 5_000);
  });

  it("leaves machines it never routed to alone when the backend cannot list apps", async () => {
    const machines = { vm: [machine("m_vm", "stop")] };
    const backend = stubBackend(machines, false);
    const proxy = new SandboxProxy({ backend, idleMs: 100, log: () => undefined });
    await proxy.listen();
    closers.push(() => proxy.close());
    await new Promise((r) => setTimeout(r, 500));
    expect(backend.stops).toEqual([]);
  });
});
