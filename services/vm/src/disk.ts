// How full the /data volume is, for /health: Fly's volume API does not report it (npm run status
// reads it from the VM's health check output instead, so it never has to wake the VM to ask).
import { statfs } from "node:fs/promises";

export interface DiskUse {
  usedBytes: number;
  totalBytes: number;
}

/** statfs of the filesystem holding `dir`; undefined when it cannot be read (health must not fail on it). */
export async function diskUse(dir: string): Promise<DiskUse | undefined> {
  try {
    const s = await statfs(dir);
    return { usedBytes: (s.blocks - s.bfree) * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return undefined;
  }
}
