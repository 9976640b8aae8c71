// The /data volume's backups against the local Fly API: a snapshot is taken and waited for before a delete
// (and its id printed), no snapshot means no delete, retention is set in place, and a volume is restored
// from a snapshot (by id or "latest"), waiting until it can be mounted.
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { FlyClient } from "../../components/fly/client";
import { volumeProvider } from "../../components/fly/volume";
import { snapshotTimeoutMs } from "../../components/fly/volume-snapshot";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";
import { writes } from "../engine/fly-stack";

const token = "fake-fly-token";
let api: LocalFlyApi;
let fly: FlyClient;
const p = volumeProvider as Required<typeof volumeProvider>;

beforeAll(async () => {
  api = await startFlyApi({ port: 0, token, transitionMs: 50 });
  fly = new FlyClient({ token, baseUrl: api.url });
  const values: Record<string, string> = { "textslash:flyApiUrl": api.url, "textslash:flyApiToken": token };
  await p.configure({ config: { get: (key: string) => values[key] } } as unknown as pulumi.dynamic.ConfigureRequest);
});
afterAll(async () => {
  await api?.close();
});
afterEach(() => {
  delete process.env.TEXTSLASH_SNAPSHOT_TIMEOUT_SECONDS;
  vi.restoreAllMocks();
});

const base = (appName: string) => ({ appName, name: "vm_data", region: "ord", sizeGb: 3, adopt: false, allowDataLoss: true, backup: true, keptOnDestroy: true, providerVersion: 1 });

describe("FlyVolume backups", () => {
  it("delete takes a snapshot, waits until it is created, prints its id and how to restore, then deletes", async () => {
    await fly.apps.create({ name: "bk-del", orgSlug: "personal" });
    const created = await p.create({ ...base("bk-del"), snapshotRetention: 7 });
    expect((await fly.volumes.get("bk-del", created.id)).snapshotRetention).toBe(7);
    const printed: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void printed.push(line));
    api.clearRequests();
    await p.delete(created.id, created.outs);
    expect(writes(api.requests())).toEqual([`POST /v1/apps/bk-del/volumes/${created.id}/snapshots`, `DELETE /v1/apps/bk-del/volumes/${created.id}`]);
    const [snapshot] = await fly.volumes.listSnapshots("bk-del", created.id);
    expect(snapshot).toMatchObject({ status: "created", retentionDays: 7 });
    expect(printed).toEqual([
      `backup: snapshot ${snapshot!.id} of volume ${created.id} (/data of bk-del), kept 7 days. A destroy keeps the emptied app bk-del (textslash:keepBackupOnDestroy), so the snapshot survives it. ` +
        `Restore it: pulumi config set textslash:restoreFromSnapshot ${snapshot!.id} && pulumi up`,
    ]);
  });

  it("no snapshot within the time allowed: nothing is deleted, and the error says what to do", async () => {
    const slow = await startFlyApi({ port: 0, token, transitionMs: 4_000, appLifecycleMs: 10 });
    try {
      const slowFly = new FlyClient({ token, baseUrl: slow.url });
      await slowFly.apps.create({ name: "bk-slow", orgSlug: "personal" });
      const vol = await slowFly.volumes.create("bk-slow", { name: "vm_data", region: "ord", sizeGb: 1 });
      const values: Record<string, string> = { "textslash:flyApiUrl": slow.url, "textslash:flyApiToken": token };
      await p.configure({ config: { get: (key: string) => values[key] } } as unknown as pulumi.dynamic.ConfigureRequest);
      process.env.TEXTSLASH_SNAPSHOT_TIMEOUT_SECONDS = "1";
      await expect(p.delete(vol.id, { ...base("bk-slow"), volumeId: vol.id })).rejects.toThrow(
        new RegExp(`the snapshot of volume ${vol.id} \\(bk-slow\\) was not created within 1 s .*nothing was deleted`),
      );
      expect((await slowFly.volumes.get("bk-slow", vol.id)).state).toBe("created");
    } finally {
      const values: Record<string, string> = { "textslash:flyApiUrl": api.url, "textslash:flyApiToken": token };
      await p.configure({ config: { get: (key: string) => values[key] } } as unknown as pulumi.dynamic.ConfigureRequest);
      await slow.close();
    }
  });

  it("a retention change is one PUT on the volume", async () => {
    await fly.apps.create({ name: "bk-ret", orgSlug: "personal" });
    const created = await p.create({ ...base("bk-ret"), snapshotRetention: 5 });
    expect(await p.diff(created.id, created.outs, { ...base("bk-ret"), snapshotRetention: 14 })).toMatchObject({ changes: true, replaces: [] });
    api.clearRequests();
    await p.update(created.id, created.outs, { ...base("bk-ret"), snapshotRetention: 14 });
    expect(writes(api.requests())).toEqual([`PUT /v1/apps/bk-ret/volumes/${created.id}`]);
    expect((await fly.volumes.get("bk-ret", created.id)).snapshotRetention).toBe(14);
  });

  it("restores a volume from a snapshot id or the latest one, at least the snapshot's size, created before it returns", async () => {
    await fly.apps.create({ name: "bk-res", orgSlug: "personal" });
    const first = await p.create({ ...base("bk-res"), sizeGb: 4 });
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    await p.delete(first.id, first.outs);
    const [snap] = await fly.volumes.listSnapshots("bk-res", first.id);

    const restored = await p.create({ ...base("bk-res"), region: "ams", restoreFromSnapshot: snap!.id });
    expect(restored.outs).toMatchObject({ region: "ams", sizeGb: 4, restoredFrom: snap!.id });
    expect(await fly.volumes.get("bk-res", restored.id)).toMatchObject({ state: "created", region: "ams", sizeGb: 4 });

    await p.delete(restored.id, restored.outs);
    const newest = (await fly.volumes.listSnapshots("bk-res", restored.id))[0]!;
    const latest = await p.create({ ...base("bk-res"), restoreFromSnapshot: "latest" });
    expect(latest.outs).toMatchObject({ restoredFrom: newest.id });

    // Clearing the key later is no change; a new snapshot id replaces the volume.
    expect(await p.diff(latest.id, latest.outs, { ...base("bk-res"), restoreFromSnapshot: "" })).toMatchObject({ changes: false });
    expect(await p.diff(latest.id, latest.outs, { ...base("bk-res"), restoreFromSnapshot: snap!.id })).toMatchObject({ replaces: ["restoreFromSnapshot"] });
    await expect(p.diff(latest.id, { ...latest.outs, allowDataLoss: false }, { ...base("bk-res"), allowDataLoss: false, restoreFromSnapshot: snap!.id })).rejects.toThrow(/textslash:allowDataLoss/);
  });

  it("a snapshot that is not this app's is refused by name, before anything is created", async () => {
    await fly.apps.create({ name: "bk-none", orgSlug: "personal" });
    await expect(p.create({ ...base("bk-none"), restoreFromSnapshot: "vs_nosuchsnapshot" })).rejects.toThrow(
      "snapshot vs_nosuchsnapshot (textslash:restoreFromSnapshot) is not a snapshot of any volume of bk-none",
    );
    await expect(p.create({ ...base("bk-none"), restoreFromSnapshot: "latest" })).rejects.toThrow(/no volume vm_data of bk-none has a created snapshot/);
    expect(await fly.volumes.list("bk-none")).toEqual([]);
  });

  it("the wait is bounded by TEXTSLASH_SNAPSHOT_TIMEOUT_SECONDS, checked", () => {
    expect(snapshotTimeoutMs({})).toBe(15 * 60_000);
    expect(snapshotTimeoutMs({ TEXTSLASH_SNAPSHOT_TIMEOUT_SECONDS: "30" })).toBe(30_000);
    expect(() => snapshotTimeoutMs({ TEXTSLASH_SNAPSHOT_TIMEOUT_SECONDS: "soon" })).toThrow(/whole number of seconds/);
  });
});
