import { describe, expect, it } from "vitest";
import type { FlyMachine } from "../../components/fly/client";
import { toProxyMachine } from "./flyapi-backend";

// How a Fly machine (as the API returns it) becomes what the proxy decides on.
const machine = (state: string, services: FlyMachine["config"]["services"]): FlyMachine =>
  ({ id: "m_1", name: "m", state: state as FlyMachine["state"], region: "ord", instanceId: "i", config: { image: "x", ...(services ? { services } : {}) }, checks: [], events: [] });

describe("toProxyMachine", () => {
  it("takes autostop, autostart and min_machines_running from the first service", () => {
    expect(toProxyMachine(machine("started", [{ protocol: "tcp", internalPort: 3001, autostopMachines: "suspend", autostartMachines: true, minMachinesRunning: 0 }]), 4000))
      .toEqual({ id: "m_1", state: "started", port: 4000, autostop: "suspend", autostart: true, minMachinesRunning: 0, healthy: true });
  });

  it("is healthy only when every configured check passes", () => {
    const withCheck = (status?: string): FlyMachine => ({ ...machine("started", undefined),
      config: { image: "x", checks: { health: { type: "http", path: "/health" } } },
      checks: status ? [{ name: "health", status }] : [] });
    expect(toProxyMachine(withCheck(), 1).healthy).toBe(false);
    expect(toProxyMachine(withCheck("critical"), 1).healthy).toBe(false);
    expect(toProxyMachine(withCheck("passing"), 1).healthy).toBe(true);
  });

  it("never routes to a machine the API does not call started, whatever the runtime says", () => {
    expect(toProxyMachine(machine("stopping", [{ protocol: "tcp", internalPort: 1, autostopMachines: "stop" }]), 4000).port).toBeUndefined();
  });

  it("keeps a machine without services awake and never wakes it", () => {
    expect(toProxyMachine(machine("stopped", undefined), undefined)).toMatchObject({ autostop: "off", autostart: false, minMachinesRunning: 0 });
  });
});
