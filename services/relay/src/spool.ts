// The relay's outbox: one JSON file per message under RELAY_DATA_DIR/outbox, written before Twilio
// hears "received" and removed only when the VM has acknowledged it, so restarts lose nothing.
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { z } from "zod";

export const spooledMessageSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  from: z.string(),
  text: z.string(),
  media: z.array(z.object({ url: z.url(), contentType: z.string() })),
  receivedAt: z.string(),
});
export type SpooledMessage = z.infer<typeof spooledMessageSchema>;

export interface SpoolEntry {
  file: string;
  message: SpooledMessage;
}

/** Writes `data` so that readers see the old file or the whole new one, never half of it. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, data, { flag: "wx" });
  await rename(temp, path);
}

export class Spool {
  private readonly dir: string;
  private readonly deadDir: string;
  private sequence = 0;
  /** Ids finished by this process: a late retry of one of them is a duplicate too. Bounded. */
  private readonly finished = new Set<string>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, "outbox");
    this.deadDir = join(dataDir, "outbox-rejected");
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await mkdir(this.deadDir, { recursive: true });
    // Temp files are writes a crash interrupted before their rename: never acknowledged, safe to drop.
    for (const name of await readdir(this.dir)) {
      if (name.endsWith(".tmp")) await rm(join(this.dir, name), { force: true });
    }
  }

  /** False when a message with this id is already waiting (Twilio retried its webhook). */
  async add(message: SpooledMessage): Promise<boolean> {
    if (this.finished.has(message.id)) return false;
    const existing = await readdir(this.dir);
    if (existing.some((name) => name.endsWith(`-${message.id}.json`))) return false;
    // Zero-padded time plus a counter: names sort in arrival order, even within one millisecond.
    const stamp = `${String(Date.now()).padStart(15, "0")}-${String(this.sequence++).padStart(6, "0")}`;
    await writeFileAtomic(join(this.dir, `${stamp}-${message.id}.json`), JSON.stringify(message));
    return true;
  }

  /** Waiting messages, oldest first. A file that does not parse is moved aside, not retried forever. */
  async pending(): Promise<SpoolEntry[]> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith(".json")).sort();
    const entries: SpoolEntry[] = [];
    for (const file of names) {
      try {
        const message = spooledMessageSchema.parse(JSON.parse(await readFile(join(this.dir, file), "utf8")));
        entries.push({ file, message });
      } catch {
        await this.reject(file);
      }
    }
    return entries;
  }

  async count(): Promise<number> {
    return (await readdir(this.dir)).filter((n) => n.endsWith(".json")).length;
  }

  async remove(file: string): Promise<void> {
    await rm(join(this.dir, file), { force: true });
    // Names are `<time>-<counter>-<id>.json`; ids may contain "-" themselves.
    remember(this.finished, file.replace(/\.json$/, "").split("-").slice(2).join("-"));
  }

  /** Keeps a message the VM refused as malformed, for a human to look at. */
  async reject(file: string): Promise<void> {
    await rename(join(this.dir, file), join(this.deadDir, file));
  }
}

export function remember(set: Set<string>, id: string, limit = 1000): void {
  set.add(id);
  if (set.size > limit) set.delete(set.values().next().value as string);
}
