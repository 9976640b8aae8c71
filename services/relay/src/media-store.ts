// Images from the VM, kept under RELAY_DATA_DIR/media and served at PUBLIC_URL/media/:id so Twilio
// can fetch them. Ids are 128 random bits: knowing the URL is the only way in.
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { writeFileAtomic } from "./spool";

const extensions: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" };
const types = Object.fromEntries(Object.entries(extensions).map(([type, ext]) => [ext, type]));
export const mediaIdPattern = /^[A-Za-z0-9_-]{22}\.(png|jpg|gif|webp)$/;

/** A day is long past Twilio's fetch; pruned when new media arrives, so an idle relay runs no timer. */
const keepMs = 24 * 60 * 60 * 1000;

export class MediaStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "media");
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  static supports(contentType: string): boolean {
    return contentType in extensions;
  }

  async put(contentType: string, data: Buffer): Promise<string> {
    await this.prune();
    const id = `${randomBytes(16).toString("base64url")}.${extensions[contentType] ?? "bin"}`;
    await writeFileAtomic(join(this.dir, id), data);
    return id;
  }

  async get(id: string): Promise<{ contentType: string; data: Buffer } | undefined> {
    if (!mediaIdPattern.test(id)) return undefined;
    try {
      const data = await readFile(join(this.dir, id));
      return { contentType: types[id.split(".")[1] ?? ""] ?? "application/octet-stream", data };
    } catch {
      return undefined;
    }
  }

  private async prune(): Promise<void> {
    const cutoff = Date.now() - keepMs;
    for (const name of await readdir(this.dir)) {
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) await rm(join(this.dir, name), { force: true });
    }
  }
}
