// One task at a time per sender, in arrival order; different senders run side by side. Nothing
// here polls: a sender's worker exists only while that sender has tasks. A sender may cancel what
// it has waiting and running, and may have at most `maxQueuedPerSender` tasks waiting.
import type { Task } from "./inbox";

/** "cancelled": stopped by the sender's cancel; "handed-back": stopped by shutdown, run again at start. */
export type WorkResult = "done" | "handed-back" | "cancelled";
export type Worker = (task: Task, signal: AbortSignal) => Promise<WorkResult>;

export interface QueueHooks {
  /** The task is over for good (answered, failed or cancelled): forget it. */
  onDone: (task: Task) => Promise<void>;
  onError: (task: Task, err: unknown) => void;
}

export interface Cancelled {
  cancelledQueued: number;
  stoppedRunning: boolean;
}

/** Abort reasons, so a run knows why it was stopped. */
export const cancelReason = "cancelled";
export const shutdownReason = "shutdown";

interface Waiting {
  task: Task;
  finished: () => void;
}

interface Running {
  stop: AbortController;
  result: Promise<WorkResult>;
}

export class SenderQueues {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly workers = new Map<string, Promise<void>>();
  private readonly current = new Map<string, Running>();
  /** Senders told their queue is full, not told again until it has room. */
  private readonly toldFull = new Set<string>();
  private readonly abort = new AbortController();
  private running = 0;
  private stopping = false;

  constructor(
    private readonly work: Worker,
    private readonly hooks: QueueHooks,
    private readonly maxQueuedPerSender = Number.POSITIVE_INFINITY,
  ) {}

  /** Resolves when the task has finished, failed, been cancelled or been handed back at shutdown. */
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

  /** False when the sender already has `maxQueuedPerSender` tasks waiting (the running one aside). */
  admits(from: string): boolean {
    return (this.waiting.get(from)?.length ?? 0) < this.maxQueuedPerSender;
  }

  /** True once per full queue: the first refused message is explained, the rest are not, until there is room. */
  fullNoticeDue(from: string): boolean {
    if (this.toldFull.has(from)) return false;
    this.toldFull.add(from);
    return true;
  }

  /**
   * Drops the sender's waiting tasks (through onDone, so they are gone from the inbox too) and stops
   * its running one; resolves once that run is over.
   */
  async cancel(from: string): Promise<Cancelled> {
    const dropped = this.waiting.get(from)?.splice(0) ?? [];
    this.toldFull.delete(from);
    for (const { task, finished } of dropped) {
      await this.hooks.onDone(task).catch((err: unknown) => this.hooks.onError(task, err));
      finished();
    }
    const running = this.current.get(from);
    running?.stop.abort(cancelReason);
    const stoppedRunning = running ? (await running.result) === "cancelled" : false;
    return { cancelledQueued: dropped.length, stoppedRunning };
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
    this.abort.abort(shutdownReason);
    await all;
  }

  private async drain(from: string): Promise<void> {
    const list = this.waiting.get(from);
    while (list && list.length > 0) {
      const { task, finished } = list.shift() as Waiting;
      if (list.length < this.maxQueuedPerSender) this.toldFull.delete(from);
      const stop = new AbortController();
      const result = this.work(task, AbortSignal.any([this.abort.signal, stop.signal]));
      this.current.set(from, { stop, result: result.catch(() => "done" as const) });
      this.running++;
      try {
        if ((await result) !== "handed-back") await this.hooks.onDone(task);
      } catch (err) {
        this.hooks.onError(task, err);
        await this.hooks.onDone(task).catch(() => undefined);
      } finally {
        this.current.delete(from);
        this.running--;
        finished();
      }
    }
    // Removed in the same tick the loop saw an empty list, so a later enqueue starts a new worker.
    this.waiting.delete(from);
    this.workers.delete(from);
  }
}
