// The whole Fly client surface against the local Fly API, with every request and response checked against Fly's
// OpenAPI document (requests in "client forms" mode). The Fly behaviours the pair must reproduce are in
// conformance-behaviours.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { ORG, flyFailure, machineConfig, startConformance, type Conformance } from "./conformance-harness";

// Started once for the file. Each test awaits it, so without Fly's OpenAPI document every test FAILS with the
// loader's instructions (a failing beforeAll would only mark them skipped).
const started = startConformance();
started.catch(() => undefined); // reported by each test, not as an unhandled rejection
let c: Conformance;
afterAll(async () => {
  await (await started.catch(() => undefined))?.close();
});

describe("the whole client surface conforms to the document", () => {
  it("apps create/get/delete and secrets list/update (null unsets)", async () => {
    c = await started;
    const { fly, checked } = c.client();
    const app = "conf-apps";
    const created = await fly.apps.create({ name: app, orgSlug: ORG });
    expect(created.name).toBe(app);
    expect((await fly.apps.get(app)).name).toBe(app);

    const v1 = await fly.secrets.update(app, { API_KEY: "fake-api-key", OTHER: "fake-other" });
    const v2 = await fly.secrets.update(app, { OTHER: null });
    expect(v2.version).toBeGreaterThan(v1.version);
    expect((await fly.secrets.list(app)).map((s) => s.name)).toEqual(["API_KEY"]);

    await fly.apps.delete(app);
    await fly.apps.waitUntilGone(app);
    expect((await flyFailure(fly.apps.get(app))).status).toBe(404);
    expect([...checked.operations()].sort()).toEqual(["Apps_create", "Apps_delete", "Apps_show", "Secrets_list", "Secrets_update"]);
    c.expectConformant();
  });

  it("machines create/get/list/update/start/stop/suspend/wait/delete with lease acquire/refresh/release", async () => {
    c = await started;
    const { fly, checked } = c.client();
    const app = "conf-machines";
    await fly.apps.create({ name: app, orgSlug: ORG });
    const { version } = await fly.secrets.update(app, { API_KEY: "fake-api-key" });

    const machine = await fly.machines.create(app, { config: machineConfig(), region: "iad", minSecretsVersion: version });
    await fly.machines.waitForState(app, machine.id, { state: "started", timeoutMs: 30_000 });
    expect((await fly.machines.get(app, machine.id)).state).toBe("started");
    expect((await fly.machines.list(app)).map((m) => m.id)).toEqual([machine.id]);

    const lease = await fly.leases.acquire(app, machine.id, { ttlSeconds: 30, description: "conformance" });
    expect(lease.nonce).not.toBe("");
    const refreshed = await fly.leases.refresh(app, machine.id, lease.nonce, { ttlSeconds: 60 });
    expect(refreshed.nonce).toBe(lease.nonce);
    const leased = { leaseNonce: lease.nonce };

    const updated = await fly.machines.update(app, machine.id, { config: { ...machineConfig(), env: { MODE: "updated" } } }, leased);
    expect(updated.config.env).toEqual({ MODE: "updated" });
    await fly.machines.waitForState(app, machine.id, { state: "started", version: updated.instanceId, timeoutMs: 30_000 });
    // current_version guards against lost updates: the machine moved on, so the old version is refused.
    const stale = await flyFailure(fly.machines.update(app, machine.id, { config: machineConfig(), currentVersion: machine.instanceId }, leased));
    expect(stale.status).toBe(412);
    await fly.machines.stop(app, machine.id, {}, leased);
    await fly.machines.waitForState(app, machine.id, { state: "stopped", timeoutMs: 30_000 });
    await fly.machines.start(app, machine.id, leased);
    await fly.machines.waitForState(app, machine.id, { state: "started", timeoutMs: 30_000 });
    await fly.machines.suspend(app, machine.id, leased);
    await fly.machines.waitForState(app, machine.id, { state: "suspended", timeoutMs: 30_000 });
    await fly.leases.release(app, machine.id, lease.nonce);

    await fly.machines.delete(app, machine.id, { force: true });
    await fly.machines.waitForState(app, machine.id, { state: "destroyed", timeoutMs: 30_000 });
    await fly.apps.delete(app);
    expect([...checked.operations()].sort()).toEqual(
      [
        "Apps_create", "Apps_delete", "Secrets_update",
        "Machines_create", "Machines_wait", "Machines_show", "Machines_list", "Machines_update", "Machines_stop",
        "Machines_start", "Machines_suspend", "Machines_delete",
        "Machines_create_lease", "Machines_release_lease",
      ].sort(),
    );
    c.expectConformant();
  });

  it("volumes create/get/list/update/extend/delete, snapshots list/create, and a machine mounting one", async () => {
    c = await started;
    const { fly, checked } = c.client();
    const app = "conf-volumes";
    await fly.apps.create({ name: app, orgSlug: ORG });
    const volume = await fly.volumes.create(app, { name: "workspace", region: "iad", sizeGb: 1 });
    expect((await fly.volumes.get(app, volume.id)).name).toBe("workspace");
    expect((await fly.volumes.list(app)).map((v) => v.id)).toEqual([volume.id]);
    expect((await fly.volumes.update(app, volume.id, { snapshotRetention: 7 })).id).toBe(volume.id);
    const extended = await fly.volumes.extend(app, volume.id, 2);
    expect(extended.volume.sizeGb).toBe(2);
    await fly.volumes.createSnapshot(app, volume.id);
    expect((await fly.volumes.listSnapshots(app, volume.id)).length).toBeGreaterThan(0);

    const machine = await fly.machines.create(app, { config: machineConfig(volume.id), region: "iad" });
    expect((await fly.volumes.get(app, volume.id)).attachedMachineId).toBe(machine.id);
    await fly.machines.delete(app, machine.id, { force: true });
    await fly.machines.waitForState(app, machine.id, { state: "destroyed", timeoutMs: 30_000 });
    await fly.volumes.delete(app, volume.id);
    // Soft-deleted: still readable, in a destroy state (Fly docs volumes/volume-states).
    expect((await fly.volumes.get(app, volume.id)).state).toMatch(/^(scheduling|pending)_destroy$/);
    await fly.apps.delete(app);
    expect([...checked.operations()].sort()).toEqual(
      [
        "Apps_create", "Apps_delete", "Machines_create", "Machines_delete", "Machines_wait",
        "Volumes_create", "Volumes_get_by_id", "Volumes_list", "Volumes_update", "Volumes_extend", "Volume_delete",
        "createVolumeSnapshot", "Volumes_list_snapshots",
      ].sort(),
    );
    c.expectConformant();
  });

  it("IP assignments list/create/delete", async () => {
    c = await started;
    const { fly, checked } = c.client();
    const app = "conf-ips";
    await fly.apps.create({ name: app, orgSlug: ORG });
    const flycast = await fly.ips.create(app, { type: "private_v6" });
    const shared = await fly.ips.create(app, { type: "shared_v4" });
    const listed = await fly.ips.list(app);
    expect(listed.map((i) => [i.ip, i.type]).sort()).toEqual([[flycast.ip, "private_v6"], [shared.ip, "shared_v4"]].sort());
    await fly.ips.delete(app, flycast.ip);
    expect((await fly.ips.list(app)).map((i) => i.ip)).toEqual([shared.ip]);
    await fly.apps.delete(app);
    expect([...checked.operations()].sort()).toEqual(
      ["Apps_create", "Apps_delete", "App_IPAssignments_create", "App_IPAssignments_list", "App_IPAssignments_delete"].sort(),
    );
    c.expectConformant();
  });
});
