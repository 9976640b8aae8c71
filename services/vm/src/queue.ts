// One task at a time per sender, in arrival order; different senders run side by side. Nothing
// here polls: a sender's worker exists only while that sender has tasks.
import type { Task } from "./inbox";

export type Worker = (task: Task, signal: AbortSignal) => Promise<"done" | "handed-back">;

export class SenderQueues {
  private readonly waiting = new Map<string, { task: Task; finished: () => void }[]>();
  private readonly workers = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private running = 0;
  private stopping = false;

  constructor(
    private readonly work: Worker,
    private readonly onDone: (task: Task) => Promise<void>,
    private readonly onError: (task: Task, err: unknown) => void,
  ) {}

  /** Resolves when the task has finished, failed, or been handed back at shutdown. */
  enqueue(task: Task): Promise<void> {
    if (this.stopping) return Promise.resolve();
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const list = this.waiting.get(task.from) ?? [];
    list.push({ task, finished });
    this.waiting.set(task.from, list);
    if (!this.workers.has(task.from)) {
      // drain() always awaits before it ends, so the entry is set before drain removes it.
      this.workers.set(task.from, this.drain(task.from));
    }
    return done;
  }

  stats(): { running: number; queued: number } {
    let queued = 0;
    for (const list of this.waiting.values()) queued += list.length;
    return { running: this.running, queued };
  }

  /** Resolves when no sender has work (tests wait on it). */
  async idle(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers.values()]);
  }

  /**
   * Shutdown: start nothing new, give running tasks `graceMs` to finish, then stop them. Stopped and
   * waiting tasks stay in the inbox and run again at the next start.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const list of this.waiting.values()) for (const item of list.splice(0)) item.finished();
    const all = Promise.all([...this.workers.values()]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([all, grace]);
    clearTimeout(timer);
    this.abort.abort();
    await all;
  }

  private async drain(from: string): Promise<void> {
    const list = this.waiting.get(from);
    while (list && list.length > 0) {
      const { task, finished } = list.shift() as { task: Task; finished: () => void };
      this.running++;
      try {
        const result = await this.work(task, this.abort.signal);
        if (result === "done") await this.onDone(task);
      } catch (err) {
        this.onError(task, err);
        await this.onDone(task).catch(() => undefined);
      } finally {
        this.running--;
        finished();
      }
    }
    // Removed in the same tick the loop saw an empty list, so a later enqueue starts a new worker.
    this.waiting.delete(from);
    this.workers.delete(from);
  }
}
