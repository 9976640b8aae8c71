// Volume snapshots as Fly documents them (docs volumes/snapshots, machines/api/volumes-resource; the
// OpenAPI document's VolumeSnapshot): an on-demand snapshot goes "waiting" → "running" → "created";
// snapshots outlive their volume (a deleted volume's are listed by its id for their retention) and die
// with the app; a volume is created from one with `snapshot_id` at an equal or greater size, starting
// "restoring". The data is copied by the runtime when it keeps volumes (the process runtime).
import { createHash, randomBytes } from "node:crypto";
import type { SandboxCore } from "./core";
import { HttpError } from "./errors";
import { nowIso, type SnapshotRecord, type VolumeRecord } from "./model";

/** Fly's documented bounds for snapshot_retention ("Min 1, max 60"). */
export function checkRetention(days: number | undefined): void {
  if (days !== undefined && (days < 1 || days > 60)) {
    throw new HttpError(400, `snapshot_retention must be between 1 and 60 days (got ${days})`);
  }
}

/** Takes an on-demand snapshot: its data is copied now, its status reaches "created" a few steps later. */
export function takeSnapshot(core: SandboxCore, v: VolumeRecord): SnapshotRecord {
  const id = `vs_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;
  const snapshot: SnapshotRecord = {
    id, createdAt: nowIso(), sizeBytes: 0, volumeSizeGb: v.sizeGb, status: "waiting", retentionDays: v.snapshotRetention,
    digest: createHash("sha256").update(id).digest("hex").slice(0, 32),
  };
  v.snapshots.push(snapshot);
  core.changed();
  const copy = core.runtime?.snapshotVolume?.(v.id, id) ?? Promise.resolve(0);
  void (async () => {
    await core.sleep(core.options.transitionMs);
    snapshot.status = "running";
    core.changed();
    snapshot.sizeBytes = await copy.catch((err: unknown) => {
      core.log(`local Fly API: copying volume ${v.id} for snapshot ${id} failed: ${(err as Error).message}`);
      snapshot.status = "failed";
      return 0;
    });
    await core.sleep(core.options.transitionMs);
    if (snapshot.status === "running") snapshot.status = "created";
    core.changed();
  })();
  return snapshot;
}

/**
 * The snapshot a create names: one of this app's volumes' (a deleted volume's included), finished, and no
 * larger than the new volume. Another app's snapshot is refused (not found): whether Fly restores across
 * apps is not documented, so the stand-in takes the stricter side (docs/stand-ins.md).
 */
export function restoreSource(core: SandboxCore, appName: string, snapshotId: string, sizeGb: number): SnapshotRecord {
  for (const v of Object.values(core.data.volumes)) {
    if (v.app !== appName) continue;
    const s = v.snapshots.find((x) => x.id === snapshotId);
    if (s === undefined) continue;
    if ((s.status ?? "created") !== "created") throw new HttpError(400, `snapshot ${snapshotId} is ${s.status ?? ""}; a volume can be restored only from a created snapshot`);
    if (sizeGb < s.volumeSizeGb) {
      throw new HttpError(400, `snapshot ${snapshotId} is of a ${s.volumeSizeGb} GB volume; restore it into a volume of equal or greater size (size_gb ${sizeGb})`);
    }
    return s;
  }
  throw new HttpError(404, `snapshot ${snapshotId} not found in app "${appName}"`);
}

/** A volume created from a snapshot is "restoring" until its data is in, then "created". */
export function restoreInto(core: SandboxCore, v: VolumeRecord, snapshotId: string): void {
  v.state = "restoring";
  const copy = core.runtime?.restoreVolume?.(snapshotId, v.id) ?? Promise.resolve();
  void (async () => {
    await copy.catch((err: unknown) => core.log(`local Fly API: restoring snapshot ${snapshotId} into ${v.id} failed: ${(err as Error).message}`));
    await core.sleep(core.options.transitionMs);
    if (core.data.volumes[v.id] === v && v.state === "restoring") {
      v.state = "created";
      core.changed();
    }
  })();
}
