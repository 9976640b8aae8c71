// Each dynamic provider driven directly (no engine) through create → diff → update → read →
// delete → delete-again against the local Fly API, asserting the outputs it returns and the
// requests the API received.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appProvider } from "../../components/fly/app";
import { FlyClient } from "../../components/fly/client";
import { ipProvider } from "../../components/fly/ip";
import { machineProvider } from "../../components/fly/machine";
import { CHANGED_OUTSIDE, secretsProvider } from "../../components/fly/secrets";
import { volumeProvider } from "../../components/fly/volume";
import { relayMachineConfig, vmMachineConfig } from "../../components/machine-configs";
import { parseSettings } from "../../config";
import { configureProviders } from "./configure";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";
import { writes } from "../engine/fly-stack";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";

const token = "fake-fly-token";
let api: LocalFlyApi;

beforeAll(async () => {
  api = await startFlyApi({ port: 0, token });
  await configureProviders(api.url, token, [appProvider, volumeProvider, secretsProvider, ipProvider, machineProvider]);
});

afterAll(async () => {
  await api?.close();
});

beforeEach(() => api.clearRequests());

const appInputs = (name: string, allowDataLoss = false) => ({ name, orgSlug: "personal", adopt: false, privateOnly: false, allowDataLoss, providerVersion: 1 });

async function newApp(name: string): Promise<void> {
  await appProvider.create!(appInputs(name));
}

describe("FlyApp", () => {
  it("create → no-op diff → read → delete → delete again", async () => {
    const created = await appProvider.create!(appInputs("prov-app"));
    expect(created).toEqual({ id: "prov-app", outs: { ...appInputs("prov-app"), adopted: false, publicIps: [] } });
    expect(writes(api.requests())).toEqual(["POST /v1/apps"]);

    await expect(appProvider.diff!("prov-app", created.outs, appInputs("prov-app"))).resolves.toMatchObject({ changes: false });
    await expect(appProvider.diff!("prov-app", created.outs, appInputs("prov-app-2"))).resolves.toMatchObject({ changes: true, replaces: ["name"] });
    await expect(appProvider.read!("prov-app", created.outs)).resolves.toEqual({ id: "prov-app", props: created.outs });

    api.clearRequests();
    await appProvider.delete!("prov-app", created.outs);
    // Fly deletes an app asynchronously (202): the delete is finished only when the app reads as 404.
    const first = api.requests().map((r) => `${r.method} ${r.path} ${r.status}`);
    // First: no volume the app would take along (the guard), then its machines.
    expect(first.slice(0, 3)).toEqual(["GET /v1/apps/prov-app/volumes 200", "GET /v1/apps/prov-app/machines 200", "DELETE /v1/apps/prov-app 202"]);
    expect(first.at(-1)).toBe("GET /v1/apps/prov-app 404");
    expect(first.slice(3, -1).every((r) => r === "GET /v1/apps/prov-app 200")).toBe(true);
    api.clearRequests();
    await appProvider.delete!("prov-app", created.outs); // 404 counts as done
    expect(writes(api.requests())).toEqual(["DELETE /v1/apps/prov-app"]);
    expect(api.requests().map((r) => r.status)).toEqual([404, 404, 404, 404]);
    await expect(appProvider.read!("prov-app", created.outs)).resolves.toEqual({});
  });

  it("refuses to delete an app that still holds a volume the stack lost track of, unless data loss is allowed", async () => {
    const created = await appProvider.create!(appInputs("prov-held"));
    const vol = await volumeProvider.create!({ appName: "prov-held", name: "vm_data", region: "ord", sizeGb: 1, adopt: false, allowDataLoss: false, providerVersion: 1 });
    // As after `pulumi state delete` of the volume: the app's delete is all that is left.
    api.clearRequests();
    await expect(appProvider.delete!("prov-held", created.outs)).rejects.toThrow(
      `refusing to delete app prov-held: it still holds volume vm_data (${vol.id}), which Fly would delete with the app`,
    );
    expect(writes(api.requests())).toEqual([]);
    expect(api.state().apps).toContain("prov-held");
    // Allowed (recorded by an up, as a destroy reads it): the app goes, and its volume with it.
    await appProvider.delete!("prov-held", { ...created.outs, allowDataLoss: true });
    expect(api.state().apps).not.toContain("prov-held");
  });

  it("counts a state without allowDataLoss (older stacks) as false, not as a change", async () => {
    const { allowDataLoss: _omitted, ...older } = appInputs("prov-older");
    await expect(appProvider.diff!("prov-older", { ...older, adopted: false, publicIps: [] }, appInputs("prov-older"))).resolves.toMatchObject({ changes: false });
    await expect(appProvider.diff!("prov-older", { ...older, adopted: false, publicIps: [] }, appInputs("prov-older", true))).resolves.toMatchObject({ changes: true, replaces: [] });
  });

  it("a private app releases public addresses found by read, in an update", async () => {
    const inputs = { ...appInputs("prov-private"), privateOnly: true };
    const created = await appProvider.create!(inputs);
    await ipProvider.create!({ appName: "prov-private", type: "private_v6", providerVersion: 1 });
    await ipProvider.create!({ appName: "prov-private", type: "shared_v4", providerVersion: 1 });
    const read = await appProvider.read!("prov-private", created.outs);
    expect(read.props?.publicIps).toHaveLength(1);
    const diff = await appProvider.diff!("prov-private", read.props, inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    api.clearRequests();
    const updated = await appProvider.update!("prov-private", read.props, inputs);
    expect(updated.outs).toMatchObject({ publicIps: [] });
    expect(writes(api.requests())).toEqual([`DELETE /v1/apps/prov-private/ip_assignments/${read.props?.publicIps[0]}`]);
    expect(api.state().ips.filter((ip) => ip.app === "prov-private").map((ip) => ip.type)).toEqual(["private_v6"]);
  });
});

describe("FlyVolume", () => {
  it("create → extend in place → read → guarded delete → delete → delete again", async () => {
    await newApp("prov-vol");
    const inputs = { appName: "prov-vol", name: "vm_data", region: "ord", sizeGb: 1, adopt: false, allowDataLoss: false, providerVersion: 1 };
    api.clearRequests();
    const created = await volumeProvider.create!(inputs);
    expect(created.outs).toMatchObject({ ...inputs, volumeId: created.id });
    expect(writes(api.requests())).toEqual(["POST /v1/apps/prov-vol/volumes"]);

    await expect(volumeProvider.diff!(created.id, created.outs, inputs)).resolves.toMatchObject({ changes: false });
    const bigger = { ...inputs, sizeGb: 2 };
    await expect(volumeProvider.diff!(created.id, created.outs, bigger)).resolves.toMatchObject({ changes: true, replaces: [] });
    api.clearRequests();
    const updated = await volumeProvider.update!(created.id, created.outs, bigger);
    expect(updated.outs).toMatchObject({ sizeGb: 2, volumeId: created.id });
    expect(writes(api.requests())).toEqual([`PUT /v1/apps/prov-vol/volumes/${created.id}/extend`]);
    await expect(volumeProvider.read!(created.id, updated.outs)).resolves.toMatchObject({ id: created.id, props: { sizeGb: 2 } });

    api.clearRequests();
    await expect(volumeProvider.delete!(created.id, updated.outs)).rejects.toThrow(/textslash:allowDataLoss/);
    expect(writes(api.requests())).toEqual([]);
    const allowed = { ...updated.outs, allowDataLoss: true };
    await volumeProvider.delete!(created.id, allowed);
    // Fly keeps a destroyed volume listed (scheduling_destroy, then soft-deleted pending_destroy): deleting it
    // again is done, without a second DELETE. Allowed means "a snapshot exists": one is taken and created first.
    await volumeProvider.delete!(created.id, allowed);
    expect(writes(api.requests())).toEqual([`POST /v1/apps/prov-vol/volumes/${created.id}/snapshots`, `DELETE /v1/apps/prov-vol/volumes/${created.id}`]);
    expect(await new FlyClient({ token, baseUrl: api.url }).volumes.listSnapshots("prov-vol", created.id)).toEqual([expect.objectContaining({ status: "created", volumeSize: 2 })]);
    expect(api.state().volumes.filter((v) => v.app === "prov-vol").map((v) => v.state)).toEqual([expect.stringMatching(/^(scheduling|pending)_destroy$/)]);
    await expect(volumeProvider.read!(created.id, allowed)).resolves.toEqual({}); // refresh drops it
  });

  it("refuses a second volume of its name while the first is mounted (up --replace), before any write, unless allowed", async () => {
    await newApp("prov-repl");
    const inputs = { appName: "prov-repl", name: "vm_data", region: "ord", sizeGb: 1, adopt: false, allowDataLoss: false, providerVersion: 1 };
    const first = await volumeProvider.create!(inputs);
    const fly = new FlyClient({ token, baseUrl: api.url });
    const m = await fly.machines.create("prov-repl", { region: "ord", config: { image: "demo:1", mounts: [{ volume: first.id, path: "/data" }] } });
    api.clearRequests();
    await expect(volumeProvider.create!(inputs)).rejects.toThrow(
      `refusing to create a second vm_data volume in prov-repl: ${first.id}, mounted by machine ${m.id}, holds /data`,
    );
    expect(writes(api.requests())).toEqual([]);
    const allowed = await volumeProvider.create!({ ...inputs, allowDataLoss: true });
    expect(allowed.id).not.toBe(first.id);
  });
});

describe("FlySecrets", () => {
  it("create → no-op diff → change one value → remove one key; outputs hold digests only", async () => {
    await newApp("prov-sec");
    const inputs = { appName: "prov-sec", values: { A_KEY: "fake-value-a", B_KEY: "fake-value-b" }, adopt: false, providerVersion: 1 };
    api.clearRequests();
    const created = (await secretsProvider.create!(inputs)).outs!;
    expect(JSON.stringify(created)).not.toContain("fake-value");
    expect(Object.keys(created.digests)).toEqual(["A_KEY", "B_KEY"]);
    expect(writes(api.requests())).toEqual(["POST /v1/apps/prov-sec/secrets"]);

    await expect(secretsProvider.diff!("prov-sec", created, inputs)).resolves.toMatchObject({ changes: false });
    const changed = { ...inputs, values: { A_KEY: "fake-value-a2" } };
    await expect(secretsProvider.diff!("prov-sec", created, changed)).resolves.toMatchObject({ changes: true });
    const updated = (await secretsProvider.update!("prov-sec", created, changed)).outs!;
    expect(updated.version).toBeGreaterThan(created.version);
    expect(api.state().secrets["prov-sec"]).toEqual({ names: ["A_KEY"], version: updated.version });
    await expect(secretsProvider.read!("prov-sec", updated)).resolves.toEqual({ id: "prov-sec", props: updated });

    // Changed with `fly secrets` behind Pulumi's back: one value reset, one stray added.
    const fly = new FlyClient({ token, baseUrl: api.url });
    await fly.secrets.update("prov-sec", { A_KEY: "fake-set-by-hand", STRAY_KEY: "fake-stray" });
    const read = await secretsProvider.read!("prov-sec", updated);
    expect(read.props?.digests).toEqual({ A_KEY: CHANGED_OUTSIDE, STRAY_KEY: CHANGED_OUTSIDE });
    await expect(secretsProvider.diff!("prov-sec", read.props!, changed)).resolves.toMatchObject({ changes: true });
    const repaired = (await secretsProvider.update!("prov-sec", read.props!, changed)).outs!;
    expect(api.state().secrets["prov-sec"]?.names).toEqual(["A_KEY"]);
    await expect(secretsProvider.read!("prov-sec", repaired)).resolves.toEqual({ id: "prov-sec", props: repaired });
    await secretsProvider.delete!("prov-sec", repaired); // the app's deletion takes them: no call
  });
});

describe("FlyIp", () => {
  it("create → create again reuses → read → delete → delete again → read gone", async () => {
    await newApp("prov-ip");
    const inputs = { appName: "prov-ip", type: "private_v6" as const, providerVersion: 1 };
    api.clearRequests();
    const created = await ipProvider.create!(inputs);
    const again = await ipProvider.create!(inputs);
    expect(again.id).toBe(created.id);
    expect(writes(api.requests())).toEqual(["POST /v1/apps/prov-ip/ip_assignments"]);
    await expect(ipProvider.diff!(created.id, created.outs, inputs)).resolves.toMatchObject({ changes: false });
    await expect(ipProvider.read!(created.id, created.outs)).resolves.toMatchObject({ id: created.id });
    await ipProvider.delete!(created.id, created.outs);
    await ipProvider.delete!(created.id, created.outs);
    await expect(ipProvider.read!(created.id, created.outs)).resolves.toEqual({});
    await appProvider.delete!("prov-ip", appInputs("prov-ip"));
    await expect(ipProvider.read!(created.id, created.outs)).resolves.toEqual({}); // app gone: 404 on the list
  });
});

describe("FlyMachine", () => {
  it("create waits for started → image update under a lease → read → delete waits for destroyed → delete again", async () => {
    await newApp("prov-m");
    const inputs = {
      appName: "prov-m",
      name: "prov-m-1",
      region: "ord",
      config: { image: "registry.example/app:v1", env: { PORT: "8080" } },
      adopt: false,
      providerVersion: 1,
    };
    api.clearRequests();
    const created = await machineProvider.create!(inputs);
    expect(created.outs).toMatchObject({ machineId: created.id, config: inputs.config });
    expect(writes(api.requests())).toEqual(["POST /v1/apps/prov-m/machines"]);
    expect(api.state().machines.find((m) => m.id === created.id)?.state).toBe("started");

    await expect(machineProvider.diff!(created.id, created.outs, inputs)).resolves.toMatchObject({ changes: false });
    const v2 = { ...inputs, config: { ...inputs.config, image: "registry.example/app:v2" } };
    await expect(machineProvider.diff!(created.id, created.outs, v2)).resolves.toMatchObject({ changes: true, replaces: [] });
    api.clearRequests();
    const updated = await machineProvider.update!(created.id, created.outs, v2);
    expect(updated.outs).toMatchObject({ machineId: created.id });
    const base = `/v1/apps/prov-m/machines/${created.id}`;
    expect(writes(api.requests())).toEqual([`POST ${base}/lease`, `POST ${base}`, `DELETE ${base}/lease`]);
    expect(api.state().machines.find((m) => m.id === created.id)).toMatchObject({ image: "registry.example/app:v2", state: "started" });

    await expect(machineProvider.read!(created.id, updated.outs)).resolves.toEqual({ id: created.id, props: updated.outs });
    api.clearRequests();
    await machineProvider.delete!(created.id, updated.outs);
    expect(api.state().machines.find((m) => m.id === created.id && m.state !== "destroyed")).toBeUndefined();
    await machineProvider.delete!(created.id, updated.outs);
    await expect(machineProvider.read!(created.id, updated.outs)).resolves.toEqual({});
  });

  it("reads back the stack's full configs as unchanged (no false drift after refresh), and a changed one as drift", async () => {
    const settings = parseSettings(
      { twilioAccountSid: FAKE_ACCOUNT_SID, twilioWhatsappNumber: "+14155238886", allowedPhoneNumbers: "+15550000001", vmAutostop: "suspend" },
      { twilioAuthToken: true, anthropicApiKey: true },
      "drift",
    );
    await newApp("prov-drift");
    for (const config of [relayMachineConfig(settings, "registry.example/textslash-relay:v1"), vmMachineConfig(settings, "registry.example/textslash-vm:v1")]) {
      const inputs = { appName: "prov-drift", name: "m", region: "ord", config, adopt: false, providerVersion: 1 };
      const created = await machineProvider.create!(inputs);
      await expect(machineProvider.read!(created.id, created.outs)).resolves.toEqual({ id: created.id, props: created.outs });
      await machineProvider.delete!(created.id, created.outs);
    }
    const inputs = { appName: "prov-drift", name: "m", region: "ord", config: vmMachineConfig(settings, "registry.example/textslash-vm:v1"), adopt: false, providerVersion: 1 };
    const created = await machineProvider.create!(inputs);
    const live = new FlyClient({ token, baseUrl: api.url });
    const lease = await live.leases.acquire("prov-drift", created.id, { ttlSeconds: 30 });
    const current = await live.machines.get("prov-drift", created.id);
    await live.machines.update("prov-drift", created.id, { config: { ...current.config, image: "registry.example/other:v9" } }, { leaseNonce: lease.nonce });
    await live.leases.release("prov-drift", created.id, lease.nonce);
    const read = await machineProvider.read!(created.id, created.outs);
    expect(read.props?.config.image).toBe("registry.example/other:v9");
    await expect(machineProvider.diff!(created.id, read.props, inputs)).resolves.toMatchObject({ changes: true, replaces: [] });
  });

  it("a created machine whose check fails is reported with its id, so the engine keeps track of it", async () => {
    await newApp("prov-fail");
    const inputs = { appName: "prov-fail", name: "m", region: "ord", config: { image: "registry.example/app:v1", checks: { health: { type: "http" as const, port: 8080, path: "/health" } } }, adopt: false, providerVersion: 1 };
    api.setFaults({ failingChecks: { health: "fake probe: 503" } });
    process.env.TEXTSLASH_ROLLOUT_TIMEOUT_SECONDS = "3";
    try {
      const error = (await machineProvider.create!(inputs).then(
        () => undefined,
        (e: unknown) => e,
      )) as Error & { id?: string; properties?: Record<string, unknown>; reasons?: string[] };
      expect(error?.message).toMatch(/check "health" did not pass .*fake probe: 503/);
      const live = api.state().machines.filter((m) => m.app === "prov-fail");
      expect(live).toHaveLength(1);
      expect(error.id).toBe(live[0]!.id);
      expect(error.properties).toMatchObject({ machineId: live[0]!.id, appName: "prov-fail" });
      expect(error.reasons).toEqual([error.message]);
    } finally {
      delete process.env.TEXTSLASH_ROLLOUT_TIMEOUT_SECONDS;
      api.setFaults({});
    }
  });

  it("adoption refuses an app with more than one machine, saying how to fix it, and writes nothing", async () => {
    // An app made outside this provider process (the setup script's): its contents are unknown, so they are listed.
    const fly = new FlyClient({ token, baseUrl: api.url });
    await fly.apps.create({ name: "prov-two", orgSlug: "personal" });
    for (let i = 0; i < 2; i++) await fly.machines.create("prov-two", { region: "ord", config: { image: "registry.example/app:v0" } });
    api.clearRequests();
    const inputs = { appName: "prov-two", name: "m", region: "ord", config: { image: "registry.example/app:v1" }, adopt: true, providerVersion: 1 };
    await expect(machineProvider.create!(inputs)).rejects.toThrow(/prov-two has 2 machines .*fly scale count 1 -a prov-two/);
    expect(writes(api.requests())).toEqual([]);
  });
});
