// Images in and out of a run: the user's photos are saved into the run's folder under
// /data/images, and whatever images Claude saves there beside them are sent back. The agent can
// write in that folder, so the VM never follows a link there (it would read or overwrite the target
// with the VM's own rights, /proc/self/environ included) and never opens anything but a plain file.
import { constants } from "node:fs";
import { mkdir, open, readdir } from "node:fs/promises";
import { extname, join } from "node:path";

const byType: Record<string, string> = { "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp" };
const byExt: Record<string, string> = { ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp" };
/** WhatsApp refuses images over 5 MB; ten is the most one callback carries. */
const maxBytes = 5 * 1024 * 1024;
const maxImages = 10;

export async function saveInbound(runDir: string, media: { contentType: string; dataBase64: string }[]): Promise<string[]> {
  await mkdir(runDir, { recursive: true });
  const paths: string[] = [];
  for (const [i, item] of media.entries()) {
    const path = join(runDir, `inbound-${i}${byType[item.contentType] ?? ".bin"}`);
    const file = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
    try {
      await file.writeFile(Buffer.from(item.dataBase64, "base64"));
    } finally {
      await file.close();
    }
    paths.push(path);
  }
  return paths;
}

export async function collectOutbound(runDir: string): Promise<{ images: { contentType: string; dataBase64: string }[]; skipped: string[] }> {
  const images: { contentType: string; dataBase64: string }[] = [];
  const skipped: string[] = [];
  const names = (await readdir(runDir).catch(() => [] as string[])).filter((n) => !n.startsWith("inbound-")).sort();
  for (const name of names) {
    const contentType = byExt[extname(name).toLowerCase()];
    if (!contentType) continue;
    // O_NONBLOCK: a FIFO named like an image must not hang the VM; fstat then skips it.
    const file = await open(join(runDir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
    if (!file) continue;
    try {
      const info = await file.stat();
      if (!info.isFile()) continue;
      if (info.size > maxBytes || images.length >= maxImages) {
        skipped.push(name);
        continue;
      }
      images.push({ contentType, dataBase64: (await file.readFile()).toString("base64") });
    } finally {
      await file.close();
    }
  }
  return { images, skipped };
}
