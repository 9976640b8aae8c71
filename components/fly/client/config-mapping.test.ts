import { describe, expect, it } from "vitest";
import { autostopFromWire, configFromWire, configToWire } from "./config-mapping";
import type { MachineConfig } from "./types";
import { wireConfigSchema } from "./wire";

const vmConfig: MachineConfig = {
  image: "ghcr.io/example/textslash-vm:latest",
  env: { RELAY_CALLBACK_URL: "http://me-relay.flycast" },
  guest: { cpuKind: "shared", cpus: 1, memoryMb: 2048 },
  services: [
    {
      protocol: "tcp",
      internalPort: 3001,
      ports: [{ port: 80, handlers: ["http"] }],
      autostopMachines: "stop",
      autostartMachines: true,
      minMachinesRunning: 0,
    },
  ],
  checks: { health: { type: "http", port: 3001, path: "/health", method: "GET", interval: "15s", timeout: "2s", gracePeriod: "5s" } },
  mounts: [{ volume: "vol_123", path: "/data" }],
  restart: { policy: "on-failure", maxRetries: 3 },
  metadata: { "textslash-role": "vm" },
  stopConfig: { signal: "SIGTERM", timeout: "30s" },
};

describe("configToWire", () => {
  it("writes Fly's snake_case with autostop as the document's string", () => {
    expect(configToWire(vmConfig)).toEqual({
      image: "ghcr.io/example/textslash-vm:latest",
      env: { RELAY_CALLBACK_URL: "http://me-relay.flycast" },
      guest: { cpu_kind: "shared", cpus: 1, memory_mb: 2048 },
      services: [
        {
          protocol: "tcp",
          internal_port: 3001,
          ports: [{ port: 80, handlers: ["http"] }],
          autostop: "stop",
          autostart: true,
          min_machines_running: 0,
        },
      ],
      checks: {
        health: { type: "http", port: 3001, path: "/health", method: "GET", interval: "15s", timeout: "2s", grace_period: "5s" },
      },
      mounts: [{ volume: "vol_123", path: "/data" }],
      restart: { policy: "on-failure", max_retries: 3 },
      metadata: { "textslash-role": "vm" },
      stop_config: { signal: "SIGTERM", timeout: "30s" },
    });
  });

  it("omits what is not set", () => {
    expect(configToWire({ image: "nginx" })).toEqual({ image: "nginx" });
  });

  it("maps force_https on ports", () => {
    const wire = configToWire({ image: "x", services: [{ protocol: "tcp", internalPort: 3000, ports: [{ port: 443, handlers: ["tls", "http"], forceHttps: false }, { port: 80, handlers: ["http"], forceHttps: true }] }] });
    expect(wire["services"]).toEqual([{ protocol: "tcp", internal_port: 3000, ports: [{ port: 443, handlers: ["tls", "http"], force_https: false }, { port: 80, handlers: ["http"], force_https: true }] }]);
  });
});

describe("configFromWire", () => {
  const roundTrips: [string, MachineConfig][] = [
    ["the VM config", vmConfig],
    ["a bare image", { image: "nginx" }],
    ["suspend autostop", { image: "x", services: [{ protocol: "tcp", internalPort: 8080, autostopMachines: "suspend" }] }],
    ["init and files", { image: "x", init: { cmd: ["node", "main.js"] }, files: [{ guestPath: "/etc/a", rawValue: "YQ==" }], autoDestroy: false }],
  ];
  it.each(roundTrips)("round-trips %s", (_name, config) => {
    const wire = wireConfigSchema.parse(JSON.parse(JSON.stringify(configToWire(config))));
    expect(configFromWire(wire)).toEqual(config);
  });

  it("reads Fly's boolean autostop answers", () => {
    const wire = wireConfigSchema.parse({ image: "x", services: [{ protocol: "tcp", internal_port: 1, autostop: false }, { protocol: "tcp", internal_port: 2, autostop: true }] });
    expect(configFromWire(wire).services?.map((s) => s.autostopMachines)).toEqual(["off", "stop"]);
  });

  it("ignores nulls and unknown fields Fly adds", () => {
    const wire = wireConfigSchema.parse({ image: "x", env: null, services: null, dns: { skip_registration: false }, guest: { cpu_kind: "performance", cpus: 2, memory_mb: 4096, kernel_args: [] } });
    expect(configFromWire(wire)).toEqual({ image: "x", guest: { cpuKind: "performance", cpus: 2, memoryMb: 4096 } });
  });
});

describe("autostopFromWire", () => {
  it.each([
    [false, "off"],
    [true, "stop"],
    ["off", "off"],
    ["stop", "stop"],
    ["suspend", "suspend"],
    [undefined, undefined],
    [null, undefined],
  ] as const)("%s -> %s", (input, expected) => {
    expect(autostopFromWire(input)).toBe(expected);
  });
});
