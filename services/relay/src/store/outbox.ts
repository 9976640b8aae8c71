// The relay's outbox: one JSON file per message under RELAY_DATA_DIR/outbox, fsync'd (file, then
// directory through a group commit) before Twilio hears "received", removed when the VM has it.
// An in-memory index, loaded once at start, answers every question about it in O(1): nothing on
// the webhook path lists the directory or reads another message's file. A message taken by this
// process is also kept in memory (within a byte budget) until delivered, so handing it to the VM
// does not read back the file just written; the file is what a restart recovers from.
import { mkdir, readdir, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { GroupCommit, removeFile, syncDir, writeFileSynced } from "./durable";
import { DurableLog } from "./durable-log";

export const spooledMessageSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  from: z.string(),
  text: z.string(),
  media: z.array(z.object({ url: z.url(), contentType: z.string() })),
  receivedAt: z.string(),
});
export type SpooledMessage = z.infer<typeof spooledMessageSchema>;

export interface OutboxEntry {
  file: string;
  id: string;
  from: string;
  /** The message as written, while the memory budget allows; absent: read from its file. */
  message?: SpooledMessage;
  /** Bytes of `message` counted against the budget. */
  bytes?: number;
}

export interface OutboxOptions {
  /** MessageSids remembered after their message left the outbox (a replay of one is a duplicate). */
  seenLimit?: number;
  /**
   * Bytes of waiting messages kept in memory for delivery (default 8 MB; 0 = always read the file).
   * Bounded because a message may be 64 KB and thousands may wait while the VM sleeps.
   */
  memoryBudgetBytes?: number;
}

export class Outbox {
  private readonly dir: string;
  private readonly deadDir: string;
  /** Waiting messages by file name, in arrival order (a Map keeps insertion order). */
  private readonly waiting = new Map<string, OutboxEntry>();
  private readonly waitingIds = new Set<string>();
  private readonly perSender = new Map<string, number>();
  /** Ids being written right now: a concurrent retry of one of them is a duplicate too. */
  private readonly adding = new Set<string>();
  /** Every MessageSid this relay took (bounded, durable): Twilio's retries and replays stop here. */
  readonly seen: DurableLog;
  readonly commits: GroupCommit;
  private sequence = 0;
  private readonly memoryBudget: number;
  private memoryUsed = 0;
  /** When the newest message was taken (ms since the epoch), from `seen`'s values; null if none recorded. */
  private lastTakenAtMs: number | null = null;

  constructor(dataDir: string, options: OutboxOptions = {}) {
    this.dir = join(dataDir, "outbox");
    this.deadDir = join(dataDir, "outbox-rejected");
    this.seen = new DurableLog(join(dataDir, "seen-message-sids.log"), options.seenLimit ?? 10_000);
    this.memoryBudget = options.memoryBudgetBytes ?? 8 * 1024 * 1024;
    // One flush makes the new files' names and their MessageSids durable for a whole batch.
    this.commits = new GroupCommit(async () => {
      await Promise.all([syncDir(this.dir), this.seen.flushStaged()]);
    });
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await mkdir(this.deadDir, { recursive: true });
    await this.seen.load();
    // Each taken MessageSid is logged with the time it was taken, so the time survives restarts.
    for (const value of this.seen.values()) {
      const ms = Number(value);
      if (value !== "" && Number.isSafeInteger(ms) && ms > (this.lastTakenAtMs ?? 0)) this.lastTakenAtMs = ms;
    }
    const names = (await readdir(this.dir)).sort();
    for (const name of names) {
      // Temp files are writes a crash interrupted before their rename: never acknowledged, safe to drop.
      if (name.endsWith(".tmp")) {
        await removeFile(join(this.dir, name));
        continue;
      }
      if (!name.endsWith(".json")) continue;
      try {
        const message = spooledMessageSchema.parse(JSON.parse(await readFile(join(this.dir, name), "utf8")));
        this.insert({ file: name, id: message.id, from: message.from });
      } catch {
        // A file that does not parse is moved aside for a human, not retried forever.
        await rename(join(this.dir, name), join(this.deadDir, name));
      }
    }
  }

  /** True when this MessageSid is waiting, being written, or was taken before (even before a restart). */
  isDuplicate(id: string): boolean {
    return this.waitingIds.has(id) || this.adding.has(id) || this.seen.has(id);
  }

  /**
   * Writes the message durably; false when it is a duplicate. Throws on a disk error, after
   * removing whatever it wrote: the caller must then tell the sender it was not saved.
   */
  async add(message: SpooledMessage): Promise<boolean> {
    if (this.isDuplicate(message.id)) return false;
    this.adding.add(message.id);
    // Zero-padded time plus a counter: names sort in arrival order, even within one millisecond.
    const file = `${String(Date.now()).padStart(15, "0")}-${String(this.sequence++).padStart(6, "0")}-${message.id}.json`;
    const json = JSON.stringify(message);
    try {
      await writeFileSynced(join(this.dir, file), json);
      const takenAt = Date.now();
      this.seen.stage(message.id, String(takenAt));
      try {
        await this.commits.commit();
      } catch (err) {
        await removeFile(join(this.dir, file)).catch(() => undefined);
        throw err;
      }
      // JSON length approximates the bytes held (UTF-16 strings may take up to twice that).
      const bytes = 2 * json.length;
      const keep = this.memoryUsed + bytes <= this.memoryBudget;
      this.insert(keep ? { file, id: message.id, from: message.from, message, bytes } : { file, id: message.id, from: message.from });
      this.lastTakenAtMs = Math.max(this.lastTakenAtMs ?? 0, takenAt);
      return true;
    } finally {
      this.adding.delete(message.id);
    }
  }

  /** Records a MessageSid that needs no outbox file (a /cancel), so a replay of it is a duplicate. */
  async remember(id: string): Promise<void> {
    this.seen.stage(id);
    await this.commits.commit();
  }

  count(): number {
    return this.waiting.size;
  }

  /** When the relay last took a message from WhatsApp (ISO), or null when none is recorded. */
  lastMessageAt(): string | null {
    return this.lastTakenAtMs === null ? null : new Date(this.lastTakenAtMs).toISOString();
  }

  /** Bytes of waiting messages held in memory (tests check the budget holds). */
  memoryBytes(): number {
    return this.memoryUsed;
  }

  countFrom(from: string): number {
    return this.perSender.get(from) ?? 0;
  }

  /** The oldest waiting message. */
  next(): OutboxEntry | undefined {
    const first = this.waiting.values().next();
    return first.done ? undefined : first.value;
  }

  /**
   * The message: from memory when this process took it (within the budget), else from its file.
   * A file that no longer parses is moved aside and reported as undefined.
   */
  async read(entry: OutboxEntry): Promise<SpooledMessage | undefined> {
    if (entry.message) return entry.message;
    try {
      return spooledMessageSchema.parse(JSON.parse(await readFile(join(this.dir, entry.file), "utf8")));
    } catch {
      await this.reject(entry);
      return undefined;
    }
  }

  /** The VM has it: forget the file (its MessageSid stays in `seen`). */
  async remove(entry: OutboxEntry): Promise<void> {
    await removeFile(join(this.dir, entry.file));
    this.forget(entry);
  }

  /** Keeps a message the VM refused, for a human to look at. */
  async reject(entry: OutboxEntry): Promise<void> {
    await rename(join(this.dir, entry.file), join(this.deadDir, entry.file)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    this.forget(entry);
  }

  /** False once the entry left the outbox (delivered, set aside, or dropped by /cancel). */
  holds(entry: OutboxEntry): boolean {
    return this.waiting.has(entry.file);
  }

  /**
   * /cancel: drops every waiting message of this sender, the one the delivery loop is retrying
   * included (it notices through `holds`); returns how many.
   */
  async dropFrom(from: string): Promise<number> {
    const doomed = [...this.waiting.values()].filter((e) => e.from === from);
    for (const entry of doomed) {
      await removeFile(join(this.dir, entry.file));
      this.forget(entry);
    }
    // A cancelled message must not come back after a crash.
    if (doomed.length > 0) await syncDir(this.dir);
    return doomed.length;
  }

  async close(): Promise<void> {
    await this.seen.close();
  }

  private insert(entry: OutboxEntry): void {
    this.memoryUsed += entry.bytes ?? 0;
    this.waiting.set(entry.file, entry);
    this.waitingIds.add(entry.id);
    this.perSender.set(entry.from, this.countFrom(entry.from) + 1);
  }

  private forget(entry: OutboxEntry): void {
    const stored = this.waiting.get(entry.file);
    if (!stored) return;
    this.waiting.delete(entry.file);
    this.memoryUsed -= stored.bytes ?? 0;
    this.waitingIds.delete(entry.id);
    const left = this.countFrom(entry.from) - 1;
    if (left > 0) this.perSender.set(entry.from, left);
    else this.perSender.delete(entry.from);
  }
}
