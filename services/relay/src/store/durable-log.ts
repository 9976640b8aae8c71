// A bounded, append-only key → value log on the relay's volume: the MessageSids already taken
// (so a replay after a restart is still a duplicate) and the answer chunks already sent (so a
// retried callback never sends one twice). Entries are staged in memory and made durable by
// `flushStaged()`, which its owner calls through a GroupCommit; only then are they remembered.
import { open, readFile, truncate, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { syncDir, writeFileSynced } from "./durable";

const safeToken = /^[A-Za-z0-9_#:.-]{1,160}$/;

export class DurableLog {
  private readonly entries = new Map<string, string>();
  private staged: [string, string][] = [];
  private file: FileHandle | undefined;
  /** Lines in the file (compaction rewrites it once it holds twice the limit). */
  private lines = 0;

  /** `limit` entries are kept, newest last; older ones are forgotten. */
  constructor(
    private readonly path: string,
    private readonly limit: number,
  ) {}

  async load(): Promise<void> {
    const text = await readFile(this.path, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return "";
      throw err;
    });
    // A crash mid-append leaves a last line without its newline: it was never acknowledged.
    const complete = text.lastIndexOf("\n") + 1;
    if (complete < text.length) await truncate(this.path, Buffer.byteLength(text.slice(0, complete)));
    for (const line of text.slice(0, complete).split("\n")) {
      if (line === "") continue;
      const [key, value = ""] = line.split("\t");
      if (key && safeToken.test(key)) this.set(key, value);
      this.lines++;
    }
    this.file = await open(this.path, "a");
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  /** The kept values, oldest first. */
  values(): IterableIterator<string> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Queues an entry for the next flush. Keys and values are ids: letters, digits, `_#:.-`. */
  stage(key: string, value = ""): void {
    if (!safeToken.test(key) || (value !== "" && !safeToken.test(value))) throw new Error(`not a loggable id: ${JSON.stringify(key)}`);
    this.staged.push([key, value]);
  }

  /** Writes and fsyncs what was staged; entries count as known only once this resolves. */
  async flushStaged(): Promise<void> {
    const batch = this.staged.splice(0);
    if (batch.length === 0) return;
    if (!this.file) throw new Error(`${this.path} is not open (load() first)`);
    try {
      await this.file.write(batch.map(([k, v]) => `${k}\t${v}\n`).join(""));
      await this.file.datasync();
    } catch (err) {
      // The lines may be half on disk: reopen so a later append starts a fresh line after `load`'s trim.
      await this.reopen().catch(() => undefined);
      throw err;
    }
    this.lines += batch.length;
    for (const [key, value] of batch) this.set(key, value);
    if (this.lines > 2 * this.limit) await this.compact();
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
  }

  private set(key: string, value: string): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Rewrites the file with only the entries kept in memory (atomically, then durably). */
  private async compact(): Promise<void> {
    const text = [...this.entries].map(([k, v]) => `${k}\t${v}\n`).join("");
    await this.file?.close();
    this.file = undefined;
    await writeFileSynced(this.path, text);
    await syncDir(dirname(this.path));
    this.lines = this.entries.size;
    this.file = await open(this.path, "a");
  }

  private async reopen(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    const text = await readFile(this.path, "utf8");
    const complete = text.lastIndexOf("\n") + 1;
    if (complete < text.length) await truncate(this.path, Buffer.byteLength(text.slice(0, complete)));
    this.file = await open(this.path, "a");
  }
}
