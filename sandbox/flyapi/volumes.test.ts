import { afterEach, describe, expect, it } from "vitest";
import { closeHarness, flyErrorOf as errorOf, raw, RecordingHook, startHarness, type Harness } from "./test-helpers";

let h: Harness | undefined;
afterEach(async () => {
  await closeHarness(h);
  h = undefined;
});

describe("volumes", () => {
  it("validates names, pins to a region, attaches to one machine, grows only, refuses to delete while attached", async () => {
    const hook = new RecordingHook();
    h = await startHarness({ runtime: hook });
    await h.fly.apps.create({ name: "vol-app", orgSlug: "personal" });
    const badName = await raw(h.api, "POST", "/v1/apps/vol-app/volumes", { body: { name: "Bad-Name", region: "ord", size_gb: 1 } });
    expect(badName.status).toBe(400);
    expect(badName.text).toContain("name");
    const vol = await h.fly.volumes.create("vol-app", { name: "vm_data", region: "ord", sizeGb: 3 });
    expect(vol).toMatchObject({ name: "vm_data", region: "ord", sizeGb: 3 });
    expect(vol.id).toMatch(/^vol_/);

    const elsewhere = await errorOf(
      h.fly.machines.create("vol-app", { region: "ams", config: { image: "demo:1", mounts: [{ volume: vol.id, path: "/data" }] } }),
    );
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.message).toContain("region");

    const m = await h.fly.machines.create("vol-app", { region: "ord", config: { image: "demo:1", mounts: [{ volume: vol.id, path: "/data" }] } });
    expect((await h.fly.volumes.get("vol-app", vol.id)).attachedMachineId).toBe(m.id);
    await h.fly.machines.wait("vol-app", m.id, { state: "started", timeoutSeconds: 5 });
    expect(hook.calls[0]).toMatchObject({ op: "start", spec: { mounts: [{ volumeId: vol.id, path: "/data" }] } });

    const second = await errorOf(
      h.fly.machines.create("vol-app", { region: "ord", config: { image: "demo:1", mounts: [{ volume: vol.id, path: "/data" }] } }),
    );
    expect(second.status).toBe(422);
    expect(second.message).toContain(vol.id);
    expect(second.message).toContain(m.id);

    expect((await errorOf(h.fly.volumes.extend("vol-app", vol.id, 2))).status).toBe(400);
    expect((await errorOf(h.fly.volumes.extend("vol-app", vol.id, 3))).status).toBe(400);
    const grown = await h.fly.volumes.extend("vol-app", vol.id, 5);
    expect(grown.volume.sizeGb).toBe(5);

    const attached = await errorOf(h.fly.volumes.delete("vol-app", vol.id));
    expect(attached.status).toBeGreaterThanOrEqual(400);
    expect(attached.message).toContain(m.id);

    await h.fly.machines.delete("vol-app", m.id, { force: true });
    await h.fly.machines.wait("vol-app", m.id, { state: "destroyed", timeoutSeconds: 5 });
    const deleted = await raw(h.api, "DELETE", `/v1/apps/vol-app/volumes/${vol.id}`);
    expect(deleted.json).toMatchObject({ id: vol.id, state: "scheduling_destroy" });
    // Fly lists a destroyed volume while it goes scheduling_destroy → pending_destroy (soft-deleted for 24 h).
    for (let i = 0; i < 200 && (await h.fly.volumes.get("vol-app", vol.id)).state !== "pending_destroy"; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await h.fly.volumes.list("vol-app")).map((v) => v.state)).toEqual(["pending_destroy"]);
    const remount = await errorOf(h.fly.machines.create("vol-app", { region: "ord", config: { image: "demo:1", mounts: [{ volume: vol.id, path: "/data" }] } }));
    expect(remount.message).toContain("is pending_destroy and cannot be mounted");
  });

  it("records snapshots and updates retention", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "vol-app", orgSlug: "personal" });
    const vol = await h.fly.volumes.create("vol-app", { name: "data", region: "ord", sizeGb: 1 });
    await h.fly.volumes.createSnapshot("vol-app", vol.id);
    const snaps = await h.fly.volumes.listSnapshots("vol-app", vol.id);
    expect(snaps).toHaveLength(1);
    const updated = await h.fly.volumes.update("vol-app", vol.id, { snapshotRetention: 10 });
    expect(updated.snapshotRetention).toBe(10);
  });
});
