// How far behind the relay's event loop is, for shedding webhooks before they queue. Requests
// waiting in socket buffers are invisible to a count of requests in flight (they have not started),
// but they are waiting because the loop is busy; a timer that should fire every `intervalMs` fires
// late by about as long as they wait. So the relay refuses new work while the loop is late, and
// each refusal is cheap (no body read, no disk), which is what lets it catch up instead of
// collapsing (issue 20: at 1500 webhooks/s answers took up to a minute with only a count).
export class LoopDelay {
  private lastTick: number;
  private lastLateMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly intervalMs = 20,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastTick = now();
    this.timer = setInterval(() => this.tick(), intervalMs);
    // A gauge, not work: it never keeps the process alive.
    this.timer.unref();
  }

  /** Runs on every interval (tests call it with a fake clock). */
  tick(): void {
    const at = this.now();
    this.lastLateMs = Math.max(0, at - this.lastTick - this.intervalMs);
    this.lastTick = at;
  }

  /**
   * How late the loop is now: how late the last tick came, or, when the next tick is already
   * overdue (the loop is busy at this moment), by how much. 0 when on time.
   */
  behindMs(): number {
    return Math.max(this.lastLateMs, this.now() - this.lastTick - this.intervalMs, 0);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
