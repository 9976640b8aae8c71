// Images from the VM, kept under RELAY_DATA_DIR/media and served at PUBLIC_URL/media/:id so Twilio
// (or the user, for a link) can fetch them. Ids are 128 random bits: knowing the URL is the only
// way in. The store has a byte quota, so a leaked relay token cannot fill the volume.
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { writeFileSynced } from "./durable";

const extensions: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" };
const types = Object.fromEntries(Object.entries(extensions).map(([type, ext]) => [ext, type]));
export const mediaIdPattern = /^[A-Za-z0-9_-]{22}\.(png|jpg|gif|webp)$/;

/** A day is long past Twilio's fetch; expired files are pruned when new media arrives (no timer). */
const keepMs = 24 * 60 * 60 * 1000;

export class MediaQuotaError extends Error {
  constructor(readonly bytes: number, readonly quota: number) {
    super(`the relay's media store is full (${quota} bytes); an image of ${bytes} bytes was not stored`);
  }
}

export class MediaStore {
  private readonly dir: string;
  /** Stored files by name with size and time, oldest first. */
  private readonly files = new Map<string, { bytes: number; at: number }>();
  private total = 0;

  constructor(dataDir: string, private readonly quotaBytes: number) {
    this.dir = join(dataDir, "media");
  }

  static supports(contentType: string): boolean {
    return contentType in extensions;
  }

  get bytesStored(): number {
    return this.total;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const found: [string, { bytes: number; at: number }][] = [];
    for (const name of await readdir(this.dir)) {
      if (name.endsWith(".tmp")) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (info?.isFile()) found.push([name, { bytes: info.size, at: info.mtimeMs }]);
    }
    for (const [name, meta] of found.sort((a, b) => a[1].at - b[1].at)) this.track(name, meta);
    await this.prune();
  }

  /** Stores the image and returns its id; throws MediaQuotaError when it would not fit. */
  async put(contentType: string, data: Buffer): Promise<string> {
    await this.prune();
    if (this.total + data.length > this.quotaBytes) throw new MediaQuotaError(data.length, this.quotaBytes);
    const id = `${randomBytes(16).toString("base64url")}.${extensions[contentType] ?? "bin"}`;
    await writeFileSynced(join(this.dir, id), data);
    this.track(id, { bytes: data.length, at: Date.now() });
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

  private track(name: string, meta: { bytes: number; at: number }): void {
    this.files.set(name, meta);
    this.total += meta.bytes;
  }

  private async prune(): Promise<void> {
    const cutoff = Date.now() - keepMs;
    for (const [name, meta] of this.files) {
      if (meta.at >= cutoff) break;
      await rm(join(this.dir, name), { force: true });
      this.files.delete(name);
      this.total -= meta.bytes;
    }
  }
}
