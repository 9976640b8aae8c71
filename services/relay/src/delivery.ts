// Hands outbox messages to the VM, oldest first, one at a time (so each sender's order holds),
// retrying with capped exponential backoff while the VM cold-starts behind Flycast. What goes
// wrong with one message (a photo Twilio will not hand over, a message the VM refuses) is that
// message's problem: it is told to its sender as what it is and never holds up the queue.
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyBaseLogger } from "fastify";
import type { Outbox, OutboxEntry, SpooledMessage } from "./store/outbox";
import { maskNumber } from "./logger";
import { MediaTooLargeError, MediaUnavailableError } from "./twilio";
import { postTask, TaskRefusedError } from "./vm-client";

export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Attempts per message before the loop pauses until the next webhook or restart. */
  maxAttempts: number;
  /** Attempts at one inbound photo when Twilio answers 5xx or the network fails. */
  mediaAttempts: number;
}

export const defaultBackoff: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 15_000, maxAttempts: 40, mediaAttempts: 4 };

export interface DeliveryOptions {
  outbox: Outbox;
  vmUrl: string;
  token: string;
  log: FastifyBaseLogger;
  backoff: BackoffOptions;
  fetchMedia: (url: string) => Promise<{ contentType: string; data: Buffer }>;
  /** A WhatsApp message to the sender (failures are logged by the caller's wrapper, not retried). */
  notify: (to: string, text: string) => Promise<void>;
}

export const unreachableNotice =
  "Your message is saved, but the agent's machine did not answer. It will be tried again when you send the next message.";

type Outcome = "delivered" | "refused" | "gave-up" | "stopped" | "cancelled";

export class Delivery {
  private running: Promise<void> | undefined;
  private again = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: DeliveryOptions) {}

  /** Starts draining the outbox unless a drain is already under way (then it looks again after). */
  kick(): void {
    if (this.abort.signal.aborted) return;
    this.again = true;
    this.running ??= this.drain()
      .catch((err: unknown) => {
        // A disk error must not crash the relay; the outbox is looked at again at the next kick.
        this.options.log.error({ err }, "outbox drain failed");
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Resolves when the outbox is empty or the loop paused (tests and shutdown wait on it). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Shutdown: give a drain under way `graceMs` to hand the outbox over (a relay without a volume
   * loses its disk on an image update), then stop; what is left stays in the outbox for the next start.
   */
  async stop(graceMs = 0): Promise<void> {
    if (this.running && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.idle(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    this.abort.abort();
    await this.running;
  }

  private async drain(): Promise<void> {
    const { outbox, log } = this.options;
    while (this.again && !this.abort.signal.aborted) {
      this.again = false;
      for (let entry = outbox.next(); entry && !this.abort.signal.aborted; entry = outbox.next()) {
        const message = await outbox.read(entry);
        if (!message) {
          log.error({ file: entry.file }, "outbox file unreadable; moved to outbox-rejected");
          continue;
        }
        const { media, text, problems } = await this.fetchMedia(message);
        if (this.abort.signal.aborted) return;
        const outcome = await this.deliverWithRetry(entry, message, { text, media });
        if (outcome === "stopped") return;
        if (outcome === "cancelled") {
          log.info({ messageId: message.id }, "message dropped by /cancel before the VM took it");
          continue;
        }
        if (outcome === "gave-up") {
          log.error({ messageId: message.id }, "VM unreachable after every retry; message kept in the outbox");
          await this.tell(message.from, unreachableNotice);
          return;
        }
        if (outcome === "delivered") {
          await outbox.remove(entry);
          for (const problem of problems) await this.tell(message.from, problem);
        } else {
          await outbox.reject(entry);
          await this.tell(message.from, refusedNotice(message));
        }
      }
    }
  }

  /**
   * Downloads the message's photos from Twilio. A 4xx, a photo too large, or a 5xx/network error
   * that outlasts `mediaAttempts` leaves that photo out: the agent gets a note in the text and the
   * sender a message saying which photo and why.
   */
  private async fetchMedia(message: SpooledMessage): Promise<{ media: { contentType: string; dataBase64: string }[]; text: string; problems: string[] }> {
    const { backoff, log } = this.options;
    const media = [];
    const problems: string[] = [];
    let text = message.text;
    for (const [index, item] of message.media.entries()) {
      let failure = "";
      for (let attempt = 1; attempt <= backoff.mediaAttempts; attempt++) {
        try {
          const fetched = await this.options.fetchMedia(item.url);
          media.push({ contentType: fetched.contentType || item.contentType, dataBase64: fetched.data.toString("base64") });
          failure = "";
          break;
        } catch (err) {
          failure = describe(err);
          if (err instanceof MediaUnavailableError || err instanceof MediaTooLargeError || this.abort.signal.aborted) break;
          if (attempt < backoff.mediaAttempts) await sleep(delayFor(backoff, attempt), undefined, { signal: this.abort.signal }).catch(() => undefined);
        }
      }
      if (failure === "") continue;
      log.warn({ messageId: message.id, attachment: index, reason: failure }, "inbound media not downloaded; delivering the message without it");
      text += `\n\n[An attachment (${item.contentType}) could not be downloaded from Twilio: ${failure}.]`;
      problems.push(mediaNotice(item.contentType, failure, message.media.length));
    }
    return { media, text, problems };
  }

  private async deliverWithRetry(entry: OutboxEntry, message: SpooledMessage, body: { text: string; media: { contentType: string; dataBase64: string }[] }): Promise<Outcome> {
    const { backoff, log, outbox } = this.options;
    for (let attempt = 1; attempt <= backoff.maxAttempts; attempt++) {
      if (this.abort.signal.aborted) return "stopped";
      if (!outbox.holds(entry)) return "cancelled";
      try {
        const answer = await postTask(this.options.vmUrl, this.options.token, { id: message.id, from: message.from, receivedAt: message.receivedAt, ...body }, this.abort.signal);
        if (answer.queued) {
          log.info({ messageId: message.id, from: maskNumber(message.from), attempt }, "message handed to the VM");
        } else {
          // Kept by neither side from here: retrying would hold every sender's messages behind this
          // one, and the VM has told the sender. The limits are set so this does not happen
          // (MAX_QUEUED_PER_SENDER >= RELAY_SENDER_QUEUE_LIMIT); this line says when it does.
          log.warn({ messageId: message.id, from: maskNumber(message.from), reason: answer.reason }, "VM took the message but did not queue it (the VM told the sender)");
        }
        return "delivered";
      } catch (err) {
        if (err instanceof TaskRefusedError) {
          log.error({ messageId: message.id, status: err.status }, "VM refused the message; moved to outbox-rejected");
          return "refused";
        }
        if (this.abort.signal.aborted) return "stopped";
        const delay = delayFor(backoff, attempt);
        log.warn({ messageId: message.id, attempt, retryInMs: delay, reason: describe(err) }, "VM not reachable yet");
        try {
          await sleep(delay, undefined, { signal: this.abort.signal });
        } catch {
          return "stopped";
        }
      }
    }
    return "gave-up";
  }

  private async tell(to: string, text: string): Promise<void> {
    await this.options.notify(to, text).catch((err: unknown) => {
      this.options.log.error({ err, to: maskNumber(to) }, "could not tell the sender");
    });
  }
}

function delayFor(backoff: BackoffOptions, attempt: number): number {
  return Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** (attempt - 1));
}

function mediaNotice(contentType: string, reason: string, count: number): string {
  const what = contentType.startsWith("image/") ? "photo" : "attachment";
  const which = count > 1 ? `One ${what} (${contentType})` : `Your ${what}`;
  return `${which} could not be downloaded from Twilio (${reason}), so the agent got your message without it. Send it again if it matters.`;
}

function refusedNotice(message: SpooledMessage): string {
  const start = message.text.trim().slice(0, 40);
  const quoted = start ? ` "${start}${message.text.trim().length > 40 ? "…" : ""}"` : "";
  return `Your message${quoted} could not be passed to the agent: its machine refused it as malformed or too large. It was set aside and will not run.`;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string } }).cause;
    return cause?.code ? `${err.message} (${cause.code})` : err.message;
  }
  return String(err);
}
