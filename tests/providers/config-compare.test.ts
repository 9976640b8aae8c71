// Refresh and rollouts compare only what the program sets: Fly's echo of a config (mount name, size_gb,
// encrypted; autostop booleans; defaults) is no drift, while a change to an owned field always is.
import { describe, expect, it } from "vitest";
import { configFromWire, type MachineConfig } from "../../components/fly/client";
import { configMatches, differingFields, ownedView } from "../../components/fly/config-compare";
import { vmMachineConfig } from "../../components/machine-configs";
import { parseSettings } from "../../config";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";

const settings = parseSettings({ twilioAccountSid: FAKE_ACCOUNT_SID, twilioWhatsappNumber: "+15550000000", allowedPhoneNumbers: "+15550001111" }, { twilioAuthToken: true, anthropicApiKey: true }, "cmp");
const want: MachineConfig = { ...vmMachineConfig(settings, "registry.example/textslash-vm:v1"), mounts: [{ volume: "vol_1", path: "/data" }] };

/** Fly's echo of `want`, as the local API (and, per fly-go's types, Fly) answers it. */
const echo = (overrides: (w: Record<string, unknown>) => void = () => undefined): MachineConfig => {
  const wire: Record<string, unknown> = {
    image: want.image,
    env: { ...want.env },
    guest: { cpu_kind: "shared", cpus: 1, memory_mb: 2048 },
    services: [{ protocol: "tcp", internal_port: 3001, ports: [{ port: 80, handlers: ["http"] }], autostop: true, autostart: true, min_machines_running: 0 }],
    checks: { health: { type: "http", port: 3001, method: "GET", path: "/health", interval: "15s", timeout: "5s", grace_period: "10s" } },
    mounts: [{ volume: "vol_1", path: "/data", name: "vm_data", size_gb: 3, encrypted: true }],
    restart: { policy: "on-failure", max_retries: 10 },
    init: {},
    metadata: { fly_platform_version: "v2" },
  };
  overrides(wire);
  return configFromWire(wire as Parameters<typeof configFromWire>[0]);
};

describe("configMatches on Fly's echo", () => {
  it("is no drift: mounts with name/size_gb/encrypted, autostop as a boolean, restart/init/metadata filled in", () => {
    expect(configMatches(want, echo())).toBe(true);
    expect(ownedView(want, echo()).mounts).toEqual([{ volume: "vol_1", path: "/data" }]);
  });

  it.each<[string, (w: Record<string, unknown>) => void, string[]]>([
    ["another image", (w) => (w.image = "ghcr.io/x/textslash-vm:evil"), ["image"]],
    ["an env var added outside Pulumi", (w) => (w.env = { ...(w.env as object), DEBUG: "1" }), ["env"]],
    ["another volume mounted", (w) => ((w.mounts as Record<string, unknown>[])[0]!.volume = "vol_2"), ["mounts"]],
    ["a second service", (w) => (w.services = [...(w.services as unknown[]), { protocol: "tcp", internal_port: 9, ports: [] }]), ["services"]],
    ["autostop turned off", (w) => ((w.services as Record<string, unknown>[])[0]!.autostop = false), ["services"]],
    ["more memory", (w) => (w.guest = { cpu_kind: "shared", cpus: 1, memory_mb: 4096 }), ["guest"]],
    ["a check path changed", (w) => ((w.checks as Record<string, Record<string, unknown>>).health!.path = "/"), ["checks"]],
  ])("is drift: %s", (_what, change, fields) => {
    expect(configMatches(want, echo(change))).toBe(false);
    expect(differingFields(want, echo(change))).toEqual(fields);
  });

  it("records a drifted field in the program's shape, so the next diff shows only the real change", () => {
    const view = ownedView(want, echo((w) => (w.image = "ghcr.io/x/textslash-vm:evil")));
    expect({ ...want, ...view }).toEqual({ ...want, image: "ghcr.io/x/textslash-vm:evil" });
  });
});
