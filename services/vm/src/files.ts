// Small file helpers shared by the VM's on-disk state (inbox, sessions).
import { rename, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";

/** Writes `data` so that readers see the old file or the whole new one, never half of it. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, data, { flag: "wx" });
  await rename(temp, path);
}

/** `whatsapp:+15551234567` → `15551234567`: safe as a file name. */
export function senderKey(from: string): string {
  return from.replace(/[^0-9A-Za-z]/g, "");
}
