// Snapshots of the process runtime's volumes, which are directories (<stateDir>/volumes/<volume id>):
// a snapshot is a copy under <stateDir>/snapshots/<snapshot id>, restored by copying it into a new
// volume's directory. Point in time: taken when Fly would start it, before its status says "created".
import { cp, mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";

async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await bytesUnder(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}

export async function snapshotVolumeDir(stateDir: string, volumeId: string, snapshotId: string): Promise<number> {
  const from = path.join(stateDir, "volumes", volumeId);
  const to = path.join(stateDir, "snapshots", snapshotId);
  await mkdir(from, { recursive: true });
  await cp(from, to, { recursive: true });
  return bytesUnder(to);
}

export async function restoreVolumeDir(stateDir: string, snapshotId: string, volumeId: string): Promise<void> {
  const from = path.join(stateDir, "snapshots", snapshotId);
  const to = path.join(stateDir, "volumes", volumeId);
  await mkdir(to, { recursive: true });
  await cp(from, to, { recursive: true });
}
