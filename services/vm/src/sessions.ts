// Each sender's Claude Code session id, kept on /data so a conversation continues across restarts.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { senderKey, writeFileAtomic } from "./files";

const sessionFile = z.object({ sessionId: z.string().min(1), updatedAt: z.string() });

export class Sessions {
  constructor(private readonly dir: string) {}

  private path(from: string): string {
    return join(this.dir, `${senderKey(from)}.json`);
  }

  async get(from: string): Promise<string | undefined> {
    try {
      return sessionFile.parse(JSON.parse(await readFile(this.path(from), "utf8"))).sessionId;
    } catch {
      return undefined;
    }
  }

  async set(from: string, sessionId: string): Promise<void> {
    await writeFileAtomic(this.path(from), JSON.stringify({ sessionId, updatedAt: new Date().toISOString() }));
  }

  async clear(from: string): Promise<void> {
    await rm(this.path(from), { force: true });
  }
}
