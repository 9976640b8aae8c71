// Snapshots as Fly documents them: states, retention bounds, restore rules, what outlives what.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { restoreVolumeDir, snapshotVolumeDir } from "../runtime/volume-snapshots";
import { closeHarness, flyErrorOf as errorOf, raw, RecordingHook, startHarness, type Harness } from "./test-helpers";

let h: Harness | undefined;
afterEach(async () => {
  await closeHarness(h);
  h = undefined;
});

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("volume snapshots", () => {
  it("an on-demand snapshot goes waiting → running → created and keeps the volume's retention and size", async () => {
    // Long enough that "waiting" is still what the first listing sees on a loaded machine.
    h = await startHarness({ transitionMs: 1500 });
    await h.fly.apps.create({ name: "snap-app", orgSlug: "personal" });
    const vol = await h.fly.volumes.create("snap-app", { name: "vm_data", region: "ord", sizeGb: 3, snapshotRetention: 9 });
    await h.fly.volumes.createSnapshot("snap-app", vol.id);
    const [first] = await h.fly.volumes.listSnapshots("snap-app", vol.id);
    expect(first).toMatchObject({ status: "waiting", volumeSize: 3, retentionDays: 9 });
    expect(first!.id).toMatch(/^vs_/);
    // The states as polled, in order. A loaded machine may poll too slowly to see "running" (the
    // transitions are transitionMs apart), so the test asks only that no state goes backwards.
    const seen = [String(first!.status)];
    await until("created", async () => (await h!.fly.volumes.listSnapshots("snap-app", vol.id))[0]!, (s) => {
      if (seen.at(-1) !== String(s.status)) seen.push(String(s.status));
      return s.status === "created";
    });
    const order = ["waiting", "running", "created"];
    expect(seen.filter((s) => order.includes(s))).toEqual(seen);
    expect(seen.every((s, i) => i === 0 || order.indexOf(s) > order.indexOf(seen[i - 1]!))).toBe(true);
  });

  it("refuses a retention outside Fly's 1-60 days", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "snap-app", orgSlug: "personal" });
    expect((await raw(h.api, "POST", "/v1/apps/snap-app/volumes", { body: { name: "d", region: "ord", size_gb: 1, snapshot_retention: 0 } })).status).toBe(400);
    const vol = await h.fly.volumes.create("snap-app", { name: "d", region: "ord", sizeGb: 1, snapshotRetention: 60 });
    expect((await errorOf(h.fly.volumes.update("snap-app", vol.id, { snapshotRetention: 61 }))).status).toBe(400);
  });

  it("restores into a volume of equal or greater size, in any region, from a created snapshot of the same app; it is restoring, then created", async () => {
    const hook = new RecordingHook();
    // Long enough that "waiting" and "restoring" are still seen on a loaded machine.
    h = await startHarness({ runtime: hook, transitionMs: 1500 });
    await h.fly.apps.create({ name: "snap-app", orgSlug: "personal" });
    await h.fly.apps.create({ name: "other-app", orgSlug: "personal" });
    const vol = await h.fly.volumes.create("snap-app", { name: "vm_data", region: "ord", sizeGb: 3 });
    await h.fly.volumes.createSnapshot("snap-app", vol.id);
    const notYet = (await h.fly.volumes.listSnapshots("snap-app", vol.id))[0]!;
    expect((await errorOf(h.fly.volumes.create("snap-app", { name: "vm_data", region: "ord", sizeGb: 3, snapshotId: notYet.id }))).message).toContain("created snapshot");
    const snap = await until("created", async () => (await h!.fly.volumes.listSnapshots("snap-app", vol.id))[0]!, (s) => s.status === "created");

    const smaller = await errorOf(h.fly.volumes.create("snap-app", { name: "vm_data", region: "ord", sizeGb: 2, snapshotId: snap.id }));
    expect(smaller.status).toBe(400);
    expect(smaller.message).toContain("equal or greater size");
    const elsewhere = await errorOf(h.fly.volumes.create("other-app", { name: "vm_data", region: "ord", sizeGb: 3, snapshotId: snap.id }));
    expect(elsewhere.status).toBe(404);
    expect((await errorOf(h.fly.volumes.create("snap-app", { name: "vm_data", region: "ord", sizeGb: 3, snapshotId: "vs_nosuch" }))).status).toBe(404);

    const restored = await h.fly.volumes.create("snap-app", { name: "vm_data", region: "ams", sizeGb: 5, snapshotId: snap.id });
    expect(restored).toMatchObject({ region: "ams", sizeGb: 5, state: "restoring" });
    const mount = await errorOf(h.fly.machines.create("snap-app", { region: "ams", config: { image: "demo:1", mounts: [{ volume: restored.id, path: "/data" }] } }));
    expect(mount.message).toContain("still restoring");
    await until("the restored volume", () => h!.fly.volumes.get("snap-app", restored.id), (v) => v.state === "created");
    await h.fly.machines.create("snap-app", { region: "ams", config: { image: "demo:1", mounts: [{ volume: restored.id, path: "/data" }] } });
  });

  it("a deleted volume's snapshots stay listed by its id; the app's deletion takes them", async () => {
    h = await startHarness({ transitionMs: 10, appLifecycleMs: 10 });
    await h.fly.apps.create({ name: "snap-app", orgSlug: "personal" });
    const vol = await h.fly.volumes.create("snap-app", { name: "vm_data", region: "ord", sizeGb: 1 });
    await h.fly.volumes.createSnapshot("snap-app", vol.id);
    await h.fly.volumes.delete("snap-app", vol.id);
    expect(await h.fly.volumes.listSnapshots("snap-app", vol.id)).toHaveLength(1);
    const snap = await until("created", async () => (await h!.fly.volumes.listSnapshots("snap-app", vol.id))[0]!, (s) => s.status === "created");
    const back = await h.fly.volumes.create("snap-app", { name: "vm_data", region: "ord", sizeGb: 1, snapshotId: snap.id });
    expect(back.state).toBe("restoring");
    await h.fly.apps.delete("snap-app");
    await until("the app gone", async () => h!.api.state().apps, (apps) => !apps.includes("snap-app"));
    expect(h.api.state().volumes.filter((v) => v.app === "snap-app")).toEqual([]);
  });
});

describe("the process runtime's volume snapshots", () => {
  it("copy a volume's directory and restore it into a new one", async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "textslash-snap-"));
    try {
      mkdirSync(path.join(stateDir, "volumes", "vol_a", "sessions"), { recursive: true });
      writeFileSync(path.join(stateDir, "volumes", "vol_a", "sessions", "15550001111.json"), '{"sessionId":"s1"}');
      expect(await snapshotVolumeDir(stateDir, "vol_a", "vs_1")).toBe(18);
      writeFileSync(path.join(stateDir, "volumes", "vol_a", "sessions", "15550001111.json"), '{"sessionId":"changed later"}');
      await restoreVolumeDir(stateDir, "vs_1", "vol_b");
      expect(readFileSync(path.join(stateDir, "volumes", "vol_b", "sessions", "15550001111.json"), "utf8")).toBe('{"sessionId":"s1"}');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
