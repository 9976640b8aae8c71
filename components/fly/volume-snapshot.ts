// Backups of the /data volume with Fly's snapshots (docs volumes/snapshots): an on-demand snapshot taken
// and waited for ("waiting" → "running" → "created") before the volume is deleted or replaced, and the
// snapshot a new volume is restored from (create with `snapshot_id`, state "restoring" until "created").
import type { FlyClient, FlyVolumeSnapshot } from "./client";
import { isVolumeGoing } from "./client";

export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 15 * 60_000;
/** Polls start fast (a small volume snapshots in moments) and slow down to every 2 s. */
const POLL_MS = 2_000;
const nextPoll = (ms: number, max: number): number => Math.min(max, ms * 2);

/** How long a snapshot or a restore may take; TEXTSLASH_SNAPSHOT_TIMEOUT_SECONDS (provider process) changes it. */
export function snapshotTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const raw = env.TEXTSLASH_SNAPSHOT_TIMEOUT_SECONDS;
  if (raw === undefined || raw === "") return DEFAULT_SNAPSHOT_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 24 * 3600) {
    throw new Error(`TEXTSLASH_SNAPSHOT_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 86400 (got "${raw}")`);
  }
  return seconds * 1000;
}

const newest = (list: FlyVolumeSnapshot[]): FlyVolumeSnapshot | undefined =>
  [...list].sort((a, b) => String(b.createdAt ?? "").localeCompare(String(a.createdAt ?? "")))[0];

/**
 * Takes a snapshot of the volume and resolves once Fly says it is created. Fly answers the create with no
 * body, so the new snapshot is the one the listing did not have before.
 */
export async function snapshotAndWait(fly: FlyClient, appName: string, volumeId: string, timeoutMs = snapshotTimeoutMs(), pollMs = POLL_MS): Promise<FlyVolumeSnapshot> {
  const before = new Set((await fly.volumes.listSnapshots(appName, volumeId)).map((s) => s.id));
  await fly.volumes.createSnapshot(appName, volumeId);
  const deadline = Date.now() + timeoutMs;
  let last: FlyVolumeSnapshot | undefined;
  let wait = Math.min(200, pollMs);
  for (;;) {
    last = newest((await fly.volumes.listSnapshots(appName, volumeId)).filter((s) => !before.has(s.id)));
    if (last?.status === "created") return last;
    if (last?.status === "failed") throw new Error(`the snapshot ${last.id} of volume ${volumeId} (${appName}) failed`);
    if (Date.now() > deadline) {
      throw new Error(
        `the snapshot of volume ${volumeId} (${appName}) was not created within ${Math.round(timeoutMs / 1000)} s ` +
          `(${last ? `${last.id} is ${last.status ?? "without a status"}` : "Fly lists no new snapshot"}); nothing was deleted. ` +
          "Run the command again later, or raise TEXTSLASH_SNAPSHOT_TIMEOUT_SECONDS.",
      );
    }
    await new Promise((r) => setTimeout(r, wait));
    wait = nextPoll(wait, pollMs);
  }
}

export interface SnapshotOfApp extends FlyVolumeSnapshot {
  volumeId: string;
}

/**
 * The snapshot to restore: `vs_…` as given (it must belong to a volume of this app, deleted ones included),
 * or "latest", the newest created snapshot of any of the app's volumes of this name.
 */
export async function findSnapshot(fly: FlyClient, appName: string, volumeName: string, wanted: string): Promise<SnapshotOfApp> {
  const volumes = (await fly.volumes.list(appName)).filter((v) => wanted !== "latest" || v.name === volumeName);
  const all: SnapshotOfApp[] = [];
  for (const v of volumes) {
    for (const s of await fly.volumes.listSnapshots(appName, v.id)) all.push({ ...s, volumeId: v.id });
  }
  const created = all.filter((s) => (s.status ?? "created") === "created");
  const found = wanted === "latest" ? (newest(created) as SnapshotOfApp | undefined) : all.find((s) => s.id === wanted);
  if (!found) {
    throw new Error(
      wanted === "latest"
        ? `textslash:restoreFromSnapshot is "latest", but no volume ${volumeName} of ${appName} has a created snapshot; unset it to start with an empty /data`
        : `snapshot ${wanted} (textslash:restoreFromSnapshot) is not a snapshot of any volume of ${appName}: list them with \`fly volumes snapshots list <volume id> -a ${appName}\` (deleted volumes: \`fly volumes list --all -a ${appName}\`)`,
    );
  }
  if ((found.status ?? "created") !== "created") throw new Error(`snapshot ${found.id} of ${appName} is ${found.status}; restore from it once it is created`);
  return found;
}

/** Waits until a volume restored from a snapshot is created (mountable). */
export async function waitForVolumeCreated(fly: FlyClient, appName: string, volumeId: string, timeoutMs = snapshotTimeoutMs(), pollMs = POLL_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let wait = Math.min(200, pollMs);
  for (;;) {
    const v = await fly.volumes.get(appName, volumeId);
    if (v.state === "created") return;
    if (isVolumeGoing(v.state)) throw new Error(`volume ${volumeId} of ${appName} is ${v.state} while restoring from its snapshot`);
    if (Date.now() > deadline) throw new Error(`volume ${volumeId} of ${appName} is still ${v.state} after ${Math.round(timeoutMs / 1000)} s of restoring from its snapshot`);
    await new Promise((r) => setTimeout(r, wait));
    wait = nextPoll(wait, pollMs);
  }
}

/** The line a delete prints (the destroy output keeps it, under Diagnostics): where the backup is and how to restore it. */
export function backupNotice(appName: string, volumeId: string, s: FlyVolumeSnapshot, keptOnDestroy: boolean): string {
  const days = s.retentionDays !== undefined ? `kept ${s.retentionDays} days` : "kept for the volume's snapshot retention";
  const where = keptOnDestroy
    ? `A destroy keeps the emptied app ${appName} (textslash:keepBackupOnDestroy), so the snapshot survives it.`
    : `A destroy deletes the app ${appName} and this snapshot with it (textslash:keepBackupOnDestroy is false).`;
  return (
    `backup: snapshot ${s.id} of volume ${volumeId} (/data of ${appName}), ${days}. ${where} ` +
    `Restore it: pulumi config set textslash:restoreFromSnapshot ${s.id} && pulumi up`
  );
}
