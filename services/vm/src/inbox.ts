// Tasks the VM has acknowledged but not yet answered, one JSON file each under /data/inbox, so a
// restart (deploy, auto-stop) reruns them instead of losing them.
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "./files";

export const taskSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, - or _"),
  from: z.string().regex(/^whatsapp:\+[1-9]\d{6,14}$/, "must be a whatsapp:+E.164 address"),
  text: z.string().max(65_536),
  media: z
    .array(z.object({ contentType: z.string().min(1), dataBase64: z.base64() }))
    .max(10)
    .default([]),
  receivedAt: z.string().optional(),
});
export type Task = z.infer<typeof taskSchema>;

export class Inbox {
  private sequence = 0;
  /** Ids finished by this process: a late retry of one of them is a duplicate too. Bounded. */
  private readonly finished = new Set<string>();

  constructor(private readonly dir: string) {}

  /** True when the task is waiting here or was finished by this process. */
  async holds(id: string): Promise<boolean> {
    if (this.finished.has(id)) return true;
    return (await readdir(this.dir)).some((n) => n.endsWith(`-${id}.json`));
  }

  /** False when the task is already here (the relay retried after a lost acknowledgement). */
  async add(task: Task): Promise<boolean> {
    if (await this.holds(task.id)) return false;
    const stamp = `${String(Date.now()).padStart(15, "0")}-${String(this.sequence++).padStart(6, "0")}`;
    await writeFileAtomic(join(this.dir, `${stamp}-${task.id}.json`), JSON.stringify(task));
    return true;
  }

  /** Waiting tasks in arrival order; unreadable files are dropped with their name reported. */
  async pending(onBad: (file: string) => void): Promise<Task[]> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith(".json")).sort();
    const tasks: Task[] = [];
    for (const name of names) {
      try {
        tasks.push(taskSchema.parse(JSON.parse(await readFile(join(this.dir, name), "utf8"))));
      } catch {
        onBad(name);
        await rm(join(this.dir, name), { force: true });
      }
    }
    return tasks;
  }

  async remove(id: string): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (name.endsWith(`-${id}.json`)) await rm(join(this.dir, name), { force: true });
    }
    this.finished.add(id);
    if (this.finished.size > 1000) this.finished.delete(this.finished.values().next().value as string);
  }
}
