// Images in and out of a run: the user's photos are saved into the run's folder under
// /data/images, and whatever images Claude saves there beside them are sent back.
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
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
    await writeFile(path, Buffer.from(item.dataBase64, "base64"));
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
    const path = join(runDir, name);
    const info = await stat(path);
    if (!info.isFile()) continue;
    if (info.size > maxBytes || images.length >= maxImages) {
      skipped.push(name);
      continue;
    }
    images.push({ contentType, dataBase64: (await readFile(path)).toString("base64") });
  }
  return { images, skipped };
}
