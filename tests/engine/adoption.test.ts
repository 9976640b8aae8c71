// Issue 4 §6: a deployment made by the setup script (apps, vm_data, one machine each, secrets
// set with `fly secrets set`, addresses from `fly deploy`) is taken over by `up` with
// textslash:adoptExisting=true without recreating anything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MachineConfig } from "../../components/fly/client";
import { startFlyStack, writes, type FlyStack } from "./fly-stack";

const scriptImage = (kind: string) => `ghcr.io/sendtwothreeyears/textslash-${kind}:latest`;

/** What setup.sh left behind, made directly through the API. */
async function deployLikeTheScript(s: FlyStack) {
  const { fly } = s;
  await fly.apps.create({ name: s.relayApp, orgSlug: "personal" });
  await fly.apps.create({ name: s.vmApp, orgSlug: "personal" });
  const volume = await fly.volumes.create(s.vmApp, { name: "vm_data", region: "ord", sizeGb: 3 });
  await fly.secrets.update(s.relayApp, {
    TWILIO_ACCOUNT_SID: "ACfake",
    TWILIO_AUTH_TOKEN: "fake-twilio-auth-token",
    TWILIO_WHATSAPP_NUMBER: "+14155238886",
    ALLOWED_PHONE_NUMBERS: "+15550000001",
    CLAUDE_HOST: `http://${s.vmApp}.flycast`,
    PUBLIC_URL: `https://${s.relayApp}.fly.dev`,
  });
  await fly.secrets.update(s.vmApp, { ANTHROPIC_API_KEY: "fake-anthropic-key", RELAY_CALLBACK_URL: `http://${s.relayApp}.flycast:3000` });
  // `fly deploy` gives any app with services public addresses, the VM included.
  for (const type of ["shared_v4", "v6", "private_v6"] as const) await fly.ips.create(s.relayApp, { type });
  for (const type of ["shared_v4", "v6", "private_v6"] as const) await fly.ips.create(s.vmApp, { type });
  const service = (port: number, autostop: "off" | "stop"): MachineConfig["services"] => [
    { protocol: "tcp", internalPort: port, ports: [{ port: 80, handlers: ["http"] }], autostopMachines: autostop, autostartMachines: true, minMachinesRunning: 0 },
  ];
  const relay = await fly.machines.create(s.relayApp, { region: "ord", config: { image: scriptImage("relay"), services: service(3000, "off") } });
  const vm = await fly.machines.create(s.vmApp, {
    region: "ord",
    config: { image: scriptImage("vm"), services: service(3001, "stop"), mounts: [{ volume: volume.id, path: "/data" }] },
  });
  await fly.machines.waitForState(s.relayApp, relay.id, { state: "started", timeoutMs: 30_000 });
  await fly.machines.waitForState(s.vmApp, vm.id, { state: "started", timeoutMs: 30_000 });
  return { relayMachine: relay.id, vmMachine: vm.id, vmVolume: volume.id };
}

describe("taking over a deployment made by the setup script", () => {
  let s: FlyStack;

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "adopt", config: { adoptExisting: "true" } });
  }, 300_000);

  afterAll(async () => {
    await s?.close();
  });

  it("up adopts the apps, vm_data and both machines without recreating them", async () => {
    const before = await deployLikeTheScript(s);
    const ipsBefore = s.api.state().ips;
    const vmPublic = ipsBefore.filter((ip) => ip.app === s.vmApp && ip.type !== "private_v6").map((ip) => ip.address);
    expect(vmPublic).toHaveLength(2);
    s.api.clearRequests();
    await s.up();

    const written = writes(s.api.requests());
    // Nothing the script made is created again: no app, no vm_data, no machine, no address.
    expect(written).not.toContain("POST /v1/apps");
    expect(written).not.toContain(`POST /v1/apps/${s.vmApp}/volumes`);
    expect(written).not.toContain(`POST /v1/apps/${s.relayApp}/machines`);
    expect(written).not.toContain(`POST /v1/apps/${s.vmApp}/machines`);
    expect(written.filter((w) => w.endsWith("/ip_assignments"))).toEqual([]);
    // ...and the VM, private by design, loses the public addresses the script's deploy gave it.
    expect(written.filter((w) => w.includes("/ip_assignments/")).sort()).toEqual(vmPublic.map((a) => `DELETE /v1/apps/${s.vmApp}/ip_assignments/${a}`).sort());
    // What the script lacked is added: the relay's outbox volume.
    expect(written).toContain(`POST /v1/apps/${s.relayApp}/volumes`);

    const st = s.api.state();
    const live = (app: string) => st.machines.filter((m) => m.app === app && m.state !== "destroyed").map((m) => m.id);
    expect(live(s.relayApp)).toEqual([before.relayMachine]);
    expect(live(s.vmApp)).toEqual([before.vmMachine]);
    expect(st.volumes.filter((v) => v.name === "vm_data").map((v) => v.id)).toEqual([before.vmVolume]);
    const kept = ipsBefore.filter((ip) => !vmPublic.includes(ip.address));
    expect(st.ips.map((ip) => ip.address).sort()).toEqual(kept.map((ip) => ip.address).sort());
    expect(st.ips.filter((ip) => ip.app === s.vmApp).map((ip) => ip.type)).toEqual(["private_v6"]);
    // Converged to the stack's config: images, and the script's stray secrets (which would
    // override the machines' env) are gone.
    expect(st.machines.find((m) => m.id === before.vmMachine)?.image).toBe(s.published.vm.pinned);
    expect(st.machines.find((m) => m.id === before.relayMachine)?.image).toBe(s.published.relay.pinned);
    expect(st.secrets[s.relayApp]!.names).not.toContain("CLAUDE_HOST");
    expect(st.secrets[s.vmApp]!.names).not.toContain("RELAY_CALLBACK_URL");

    // The adopted objects are in the state: a second up is a no-op.
    const writesBefore = s.api.writeCount();
    await s.up();
    expect(s.api.writeCount() - writesBefore).toBe(0);
  }, 300_000);
});
