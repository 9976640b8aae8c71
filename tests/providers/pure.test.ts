import { describe, expect, it } from "vitest";
import { digestsOf } from "../../components/fly/secrets";
import { dataLossMessage, volumeProvider } from "../../components/fly/volume";
import { machineProvider } from "../../components/fly/machine";
import type { FlyMachine, MachineEvent } from "../../components/fly/client";
import { configMatches } from "../../components/fly/config-compare";
import { DEFAULT_ROLLOUT_TIMEOUT_MS, rolloutFailure, rolloutTimeoutMs, sleepsWhenIdle } from "../../components/fly/machine-rollout";
import { relayMachineConfig, vmMachineConfig } from "../../components/machine-configs";
import { parseSettings } from "../../config";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";

describe("secret digests", () => {
  it("are salted, stable and never contain the value", () => {
    const a = digestsOf("salt-1", { TWILIO_AUTH_TOKEN: "fake-twilio-auth-token" });
    expect(a).toEqual(digestsOf("salt-1", { TWILIO_AUTH_TOKEN: "fake-twilio-auth-token" }));
    expect(a).not.toEqual(digestsOf("salt-2", { TWILIO_AUTH_TOKEN: "fake-twilio-auth-token" }));
    expect(JSON.stringify(a)).not.toContain("fake-twilio-auth-token");
  });
});

describe("machine diff", () => {
  it("ignores adopt (create-only), so turning textslash:adoptExisting off restarts no machine; a config change still updates", async () => {
    const settings = parseSettings({ twilioAccountSid: FAKE_ACCOUNT_SID, twilioWhatsappNumber: "+14155238886", allowedPhoneNumbers: "+15550000001" }, { twilioAuthToken: true, anthropicApiKey: true }, "unit");
    const inputs = { appName: "unit-vm", name: "unit-vm-1", region: "ord", config: vmMachineConfig(settings, "registry.example/textslash-vm:v1"), secretsVersion: 1, adopt: false, providerVersion: 1 };
    const olds = { ...inputs, adopt: true, machineId: "m1" };
    expect(await machineProvider.diff!("m1", olds, inputs)).toMatchObject({ changes: false, replaces: [] });
    expect(await machineProvider.diff!("m1", olds, { ...inputs, secretsVersion: 2 })).toMatchObject({ changes: true, replaces: [] });
  });
});

describe("volume guard", () => {
  it("refuses delete without allowDataLoss, naming the key and what is lost", async () => {
    await expect(volumeProvider.delete!("vol_1", { appName: "me-vm", allowDataLoss: false })).rejects.toThrow(/textslash:allowDataLoss/);
    expect(dataLossMessage("me-vm", "vol_1")).toMatch(/\/data/);
    // destroy does not run the program: the message says to record the setting with `pulumi up`.
    expect(dataLossMessage("me-vm", "vol_1")).toContain("`pulumi up`");
  });

  it("refuses a replacing diff without allowDataLoss", async () => {
    const olds = { appName: "me-vm", name: "vm_data", region: "ord", sizeGb: 3, adopt: false, allowDataLoss: false, providerVersion: 1 };
    await expect(volumeProvider.diff!("vol_1", olds, { ...olds, region: "ams" })).rejects.toThrow(/allowDataLoss/);
    await expect(volumeProvider.diff!("vol_1", olds, { ...olds, sizeGb: 5 })).resolves.toMatchObject({ changes: true, replaces: [] });
  });

  it("takes a volume found larger than asked (adopted) as no change", async () => {
    const news = { appName: "me-vm", name: "vm_data", region: "ord", sizeGb: 3, adopt: true, allowDataLoss: false, providerVersion: 1 };
    // The stored outputs: the size found, and the volume id (an output only, never a change).
    const stored = { ...news, sizeGb: 10, volumeId: "vol_1" };
    await expect(volumeProvider.diff!("vol_1", stored, news)).resolves.toMatchObject({ changes: false });
  });

  it("refuses to shrink in check, naming the property", async () => {
    const olds = { appName: "me-vm", name: "vm_data", region: "ord", sizeGb: 5, adopt: false, allowDataLoss: false, providerVersion: 1 };
    const res = await volumeProvider.check!(olds, { ...olds, sizeGb: 3 });
    expect(res.failures?.[0]?.property).toBe("sizeGb");
  });
});

describe("configMatches", () => {
  it("compares only the fields we own", () => {
    expect(configMatches({ image: "a", env: { X: "1" } }, { image: "a", env: { X: "1" }, metadata: { fly: "x" } })).toBe(true);
    expect(configMatches({ image: "a" }, { image: "b" })).toBe(false);
  });
});

describe("rolloutTimeoutMs", () => {
  it("defaults, takes whole seconds from the environment, and names the variable when bad", () => {
    expect(rolloutTimeoutMs({})).toBe(DEFAULT_ROLLOUT_TIMEOUT_MS);
    expect(rolloutTimeoutMs({ TEXTSLASH_ROLLOUT_TIMEOUT_SECONDS: "20" })).toBe(20_000);
    expect(() => rolloutTimeoutMs({ TEXTSLASH_ROLLOUT_TIMEOUT_SECONDS: "soon" })).toThrow(/TEXTSLASH_ROLLOUT_TIMEOUT_SECONDS .*"soon"/);
  });
});

describe("rolloutFailure", () => {
  const crash = (id: string): MachineEvent => ({ id, type: "exit", status: "stopped", exitCode: 1, requestedStop: false, restarting: true });
  const machine = (state: string, events: MachineEvent[]): FlyMachine =>
    ({ id: "m1", name: "m", state, region: "ord", instanceId: "v2", config: { image: "x" }, checks: [], events });

  it("keeps waiting while the machine comes up, and counts only crashes after the rollout's start", () => {
    expect(rolloutFailure(machine("starting", []), "me-vm")).toBeUndefined();
    // Three crashes of the previous version (before event "u0", the newest seen when the update was sent) do not count.
    const old = [crash("c3"), crash("c2"), crash("c1")];
    expect(rolloutFailure(machine("started", [{ id: "u1", type: "update" }, { id: "u0", type: "start" }, ...old]), "me-vm", "u0")).toBeUndefined();
    expect(rolloutFailure(machine("started", [crash("n2"), crash("n1"), { id: "u0", type: "start" }, ...old]), "me-vm", "u0")).toBeUndefined();
    expect(rolloutFailure(machine("started", [crash("n3"), crash("n2"), crash("n1"), { id: "u0", type: "start" }]), "me-vm", "u0")).toMatch(
      /^machine m1 of me-vm keeps crashing: 3 exits since it was started, the last when its process exited with code 1; its logs say why: `fly logs -a me-vm --machine m1`$/,
    );
  });

  it("fails a machine that is no longer coming up, saying how it stopped", () => {
    const exited = { id: "e1", type: "exit", exitCode: 0, requestedStop: false, restarting: false };
    expect(rolloutFailure(machine("stopped", [exited]), "me-vm")).toMatch(/is stopped instead of passing its checks: its process exited with code 0/);
    expect(rolloutFailure(machine("stopped", [{ ...exited, exitCode: undefined }]), "me-vm")).toMatch(/its process was ended by a signal/);
    expect(rolloutFailure(machine("suspended", [{ ...exited, requestedStop: true }]), "me-vm")).toMatch(/is suspended .* stopped on request \(Fly Proxy's autostop/);
    expect(rolloutFailure(machine("destroyed", []), "me-vm")).toMatch(/is destroyed instead of passing its checks: it was stopped/);
  });
});

describe("sleepsWhenIdle", () => {
  it("is false for the relay (autostop off: an update starts it when found stopped) and true for the VM either way", () => {
    for (const vmAutostop of ["stop", "suspend"]) {
      const settings = parseSettings(
        { twilioAccountSid: FAKE_ACCOUNT_SID, twilioWhatsappNumber: "+14155238886", allowedPhoneNumbers: "+15550000001", vmAutostop },
        { twilioAuthToken: true, anthropicApiKey: true },
        "sleep",
      );
      expect(sleepsWhenIdle(relayMachineConfig(settings, "registry.example/textslash-relay:v1"))).toBe(false);
      expect(sleepsWhenIdle(vmMachineConfig(settings, "registry.example/textslash-vm:v1"))).toBe(true);
    }
    expect(sleepsWhenIdle({ image: "x" })).toBe(false);
  });
});
