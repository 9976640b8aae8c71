import { describe, expect, it } from "vitest";
import type { FlyMachine } from "../../components/fly/client";
import { toProxyMachine } from "./flyapi-backend";

// How a Fly machine (as the API returns it) becomes what the proxy decides on.
const machine = (state: string, services: FlyMachine["config"]["services"]): FlyMachine =>
  ({ id: "m_1", name: "m", state: state as FlyMachine["state"], region: "ord", instanceId: "i", config: { image: "x", ...(services ? { services } : {}) }, checks: [], events: [] });

describe("toProxyMachine", () => {
  it("takes autostop, autostart and min_machines_running from the first service, and every service's ports", () => {
    expect(toProxyMachine(machine("started", [{ protocol: "tcp", internalPort: 3001, autostopMachines: "suspend", autostartMachines: true, minMachinesRunning: 0,
      ports: [{ port: 80, handlers: ["http"] }] }]), 4000))
      .toEqual({ id: "m_1", state: "started", port: 4000, autostop: "suspend", autostart: true, minMachinesRunning: 0, healthy: true, listen: { port: undefined, host: undefined },
        services: [{ internalPort: 3001, autostart: true, ports: [{ port: 80, handlers: ["http"], forceHttps: false }] }] });
  });

  it("reads where the process listens from the config's PORT and HOST", () => {
    const m = { ...machine("started", undefined), config: { image: "x", env: { PORT: "3000", HOST: "::" } } };
    expect(toProxyMachine(m, 1).listen).toEqual({ port: 3000, host: "::" });
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
