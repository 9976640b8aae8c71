// Whether the relay takes one more message from a sender: per-sender queue and rate limits, the
// outbox's total size (how many webhooks are in flight is checked before the body is read, in
// routes/webhook.ts). A refusal says why, and
// every refused message gets that reply: a 200 without one means "kept", never "quietly dropped".
// Beyond capacity the relay answers at once instead of queueing.
import type { RelayEnv } from "./env";
import type { Outbox } from "./store/outbox";
import { RateLimiter } from "./limits";
import { notices } from "./twiml";

export type Refusal = { reason: "sender-queue" | "sender-rate" | "outbox-full"; notice: string };

export class Intake {
  private readonly rate: RateLimiter;
  private writing = 0;
  private readonly writingFrom = new Map<string, number>();

  constructor(
    private readonly env: RelayEnv,
    private readonly outbox: Outbox,
  ) {
    this.rate = new RateLimiter(env.RELAY_SENDER_BURST, (60 * 60 * 1000) / env.RELAY_SENDER_PER_HOUR);
  }

  /**
   * Undefined when the message may be written; the caller must then call `done(from)` once the
   * write is over. Messages being written count as waiting, so concurrent webhooks cannot all slip
   * under a limit at once.
   */
  admit(from: string): Refusal | undefined {
    const env = this.env;
    const writingFrom = this.writingFrom.get(from) ?? 0;
    if (this.outbox.count() + this.writing >= env.RELAY_OUTBOX_LIMIT) return { reason: "outbox-full", notice: notices.busy };
    if (this.outbox.countFrom(from) + writingFrom >= env.RELAY_SENDER_QUEUE_LIMIT) {
      return { reason: "sender-queue", notice: notices.senderQueueFull(env.RELAY_SENDER_QUEUE_LIMIT) };
    }
    if (!this.rate.take(from)) return { reason: "sender-rate", notice: notices.senderRate(env.RELAY_SENDER_BURST, env.RELAY_SENDER_PER_HOUR) };
    this.writing++;
    this.writingFrom.set(from, writingFrom + 1);
    return undefined;
  }

  done(from: string): void {
    this.writing--;
    const left = (this.writingFrom.get(from) ?? 1) - 1;
    if (left > 0) this.writingFrom.set(from, left);
    else this.writingFrom.delete(from);
  }
}
