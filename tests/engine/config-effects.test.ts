// What a config change does to the running machines (components/config-effects.ts), one of each with
// the real CLI against the local Fly API: settings no machine reads change without a single machine
// call (and setting adoptExisting back to false restarts nothing); the allow-list, which the relay
// reads at start, rolls the relay alone, and the VM keeps running the same instance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_EFFECTS } from "../../components/config-effects";
import { startFlyStack, writes, type FlyStack } from "./fly-stack";

describe("config changes: live ones restart nothing, the others roll only their machine", () => {
  let s: FlyStack;
  const machine = (app: string) => {
    const found = s.api.state().machines.filter((m) => m.app === app && m.state !== "destroyed");
    expect(found, `machines of ${app}`).toHaveLength(1);
    return found[0]!;
  };
  /** The machine's current version: a restart or an update changes it. */
  const version = async (app: string) => (await s.fly.machines.get(app, machine(app).id)).instanceId;
  const machineWrites = () => writes(s.api.requests()).filter((w) => w.includes("/machines/"));

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "effects" });
    await s.up();
  }, 300_000);

  afterAll(async () => {
    await s?.close();
  });

  it("live settings (allowDataLoss, adoptExisting, flyApiUrl) touch no machine, and turning adoption off again neither", async () => {
    for (const key of ["allowDataLoss", "adoptExisting", "flyApiUrl"]) expect(CONFIG_EFFECTS[key]?.effect, key).toBe("live");
    const before = { relay: await version(s.relayApp), vm: await version(s.vmApp) };
    s.api.clearRequests();
    await s.setConfig("allowDataLoss", "true");
    await s.setConfig("adoptExisting", "true");
    await s.setConfig("flyApiUrl", s.api.url);
    await s.up();
    expect(machineWrites()).toEqual([]);

    s.api.clearRequests();
    await s.setConfig("adoptExisting", "false");
    const preview = await s.cli(["preview", "--diff"]);
    expect(preview.stdout).not.toMatch(/~ pulumi-nodejs:dynamic\/textslash:FlyMachine/);
    await s.up();
    expect(machineWrites()).toEqual([]);
    expect({ relay: await version(s.relayApp), vm: await version(s.vmApp) }).toEqual(before);
  }, 300_000);

  it("allowedPhoneNumbers rolls the relay (its secret is read at start) and leaves the VM alone", async () => {
    expect(CONFIG_EFFECTS.allowedPhoneNumbers?.effect).toBe("rolls the relay");
    const vmBefore = await version(s.vmApp);
    const relayBefore = await version(s.relayApp);
    s.api.clearRequests();
    await s.setConfig("allowedPhoneNumbers", "+15550000001,+15550000002");
    await s.up();
    const w = writes(s.api.requests());
    expect(w).toContain(`POST /v1/apps/${s.relayApp}/secrets`);
    expect(w.filter((x) => x.includes(`/apps/${s.vmApp}/`))).toEqual([]);
    expect(machineWrites().some((x) => x.startsWith(`POST /v1/apps/${s.relayApp}/machines/${machine(s.relayApp).id}`))).toBe(true);
    expect(await version(s.relayApp)).not.toBe(relayBefore);
    expect(await version(s.vmApp)).toBe(vmBefore);
  }, 300_000);
});
