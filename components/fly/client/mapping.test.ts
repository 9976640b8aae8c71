import { describe, expect, it } from "vitest";
import {
  appFromWire,
  createAppToWire,
  createIpToWire,
  createMachineToWire,
  createVolumeToWire,
  ipFromWire,
  ipTypeOf,
  leaseFromWire,
  machineFromWire,
  updateMachineToWire,
  volumeFromWire,
} from "./mapping";
import { wireLeaseResponseSchema, wireMachineSchema, wireSecretsUpdateSchema, wireVolumeSchema } from "./wire";

describe("request bodies", () => {
  it.each([
    ["create app", createAppToWire({ name: "me-relay", orgSlug: "personal" }), { name: "me-relay", org_slug: "personal" }],
    [
      "create machine",
      createMachineToWire({ config: { image: "x" }, region: "ord", name: "vm", skipLaunch: true, minSecretsVersion: 3 }),
      { config: { image: "x" }, region: "ord", name: "vm", skip_launch: true, min_secrets_version: 3 },
    ],
    [
      "update machine",
      updateMachineToWire({ config: { image: "y" }, minSecretsVersion: 4, currentVersion: "01ABC" }),
      { config: { image: "y" }, min_secrets_version: 4, current_version: "01ABC" },
    ],
    [
      "create volume",
      createVolumeToWire({ name: "vm_data", region: "ord", sizeGb: 3, encrypted: true }),
      { name: "vm_data", region: "ord", size_gb: 3, encrypted: true },
    ],
    ["create ip", createIpToWire({ type: "private_v6", network: "" }), { type: "private_v6", network: "" }],
  ])("%s", (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });
});

describe("answers", () => {
  it("maps a machine", () => {
    const wire = wireMachineSchema.parse({
      id: "m1",
      name: "vm",
      state: "started",
      region: "ord",
      instance_id: "01V1",
      private_ip: "fdaa::1",
      config: { image: "x" },
      checks: [{ name: "health", status: "passing", output: "OK", updated_at: "2026-01-01T00:00:00Z" }],
      events: [
        { id: "e2", type: "exit", status: "stopped", source: "flyd", timestamp: 2, request: { exit_event: { exit_code: 1, requested_stop: false, restarting: true, oom_killed: false } } },
        { id: "e1", type: "start", status: "started", source: "flyd", timestamp: 1 },
      ],
      extra_field: 1,
    });
    expect(machineFromWire(wire)).toEqual({
      id: "m1",
      name: "vm",
      state: "started",
      region: "ord",
      instanceId: "01V1",
      privateIp: "fdaa::1",
      config: { image: "x" },
      checks: [{ name: "health", status: "passing", output: "OK", updatedAt: "2026-01-01T00:00:00Z" }],
      events: [
        { id: "e2", type: "exit", status: "stopped", timestamp: 2, exitCode: 1, requestedStop: false, restarting: true },
        { id: "e1", type: "start", status: "started", timestamp: 1 },
      ],
    });
  });

  it("maps an app", () => {
    expect(appFromWire({ id: "a1", name: "me-vm", status: "deployed", organization: { slug: "personal" } })).toEqual({
      id: "a1",
      name: "me-vm",
      status: "deployed",
      orgSlug: "personal",
    });
  });

  it("maps a volume, empty attachment as null", () => {
    const wire = wireVolumeSchema.parse({ id: "vol_1", name: "vm_data", region: "ord", size_gb: 3, state: "created", attached_machine_id: "" });
    expect(volumeFromWire(wire)).toEqual({ id: "vol_1", name: "vm_data", region: "ord", sizeGb: 3, state: "created", attachedMachineId: null });
  });

  it.each([
    ["wrapped", { status: "success", data: { nonce: "n1", expires_at: 100, owner: "me" } }],
    ["bare", { nonce: "n1", expires_at: 100, owner: "me" }],
  ])("reads a %s lease", (_name, body) => {
    expect(leaseFromWire(wireLeaseResponseSchema.parse(body))).toEqual({ nonce: "n1", expiresAt: 100, owner: "me" });
  });

  it.each([
    [{ version: 3 }, 3],
    [{ Version: 4 }, 4],
  ])("reads the secrets version from %j", (body, version) => {
    const parsed = wireSecretsUpdateSchema.parse(body);
    expect(parsed.version ?? parsed.Version).toBe(version);
  });

  it("rejects a secrets answer with no version", () => {
    expect(wireSecretsUpdateSchema.safeParse({ secrets: [] }).success).toBe(false);
  });
});

describe("ipTypeOf", () => {
  it.each([
    [{ ip: "fdaa:0:1::3", shared: false }, "private_v6"],
    [{ ip: "2a09:8280:1::5", shared: false }, "v6"],
    [{ ip: "66.241.124.10", shared: true }, "shared_v4"],
    [{ ip: "137.66.1.2", shared: false }, "v4"],
    [{ ip: "137.66.1.2", type: "shared_v4" }, "shared_v4"],
  ] as const)("%j -> %s", (wire, expected) => {
    expect(ipTypeOf(wire)).toBe(expected);
  });

  it("maps an IP assignment", () => {
    expect(ipFromWire({ ip: "fdaa:0:1::3", region: "global", service_name: "", shared: false })).toEqual({
      ip: "fdaa:0:1::3",
      type: "private_v6",
      region: "global",
      serviceName: "",
      shared: false,
    });
  });
});
