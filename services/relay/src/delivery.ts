// Hands spooled messages to the VM, oldest first, one at a time (so each sender's order holds),
// retrying with capped exponential backoff while the VM cold-starts behind Flycast.
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyBaseLogger } from "fastify";
import type { Spool, SpooledMessage } from "./spool";
import { maskNumber } from "./logger";
import { MediaUnavailableError } from "./twilio";

export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Attempts per message before the loop pauses until the next webhook or restart. */
  maxAttempts: number;
}

export const defaultBackoff: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 15_000, maxAttempts: 40 };

export interface DeliveryOptions {
  spool: Spool;
  vmUrl: string;
  token: string;
  log: FastifyBaseLogger;
  backoff: BackoffOptions;
  fetchMedia: (url: string) => Promise<{ contentType: string; data: Buffer }>;
  /** Told once per message when the VM stayed unreachable for every attempt. */
  onGiveUp: (message: SpooledMessage) => Promise<void>;
}

class PermanentError extends Error {}

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
        // A disk error must not crash the relay; the outbox is read again at the next kick.
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
    const { spool, log } = this.options;
    while (this.again && !this.abort.signal.aborted) {
      this.again = false;
      for (const entry of await spool.pending()) {
        const outcome = await this.deliverWithRetry(entry.message);
        if (outcome === "stopped") return;
        if (outcome === "delivered") await spool.remove(entry.file);
        if (outcome === "rejected") await spool.reject(entry.file);
        if (outcome === "gave-up") {
          log.error({ messageId: entry.message.id }, "VM unreachable after every retry; message kept in the outbox");
          await this.options.onGiveUp(entry.message).catch((err: unknown) => {
            log.error({ err }, "could not tell the sender that the VM is unreachable");
          });
          return;
        }
      }
    }
  }

  private async deliverWithRetry(message: SpooledMessage): Promise<"delivered" | "rejected" | "gave-up" | "stopped"> {
    const { backoff, log } = this.options;
    for (let attempt = 1; attempt <= backoff.maxAttempts; attempt++) {
      if (this.abort.signal.aborted) return "stopped";
      try {
        await this.deliverOnce(message);
        log.info({ messageId: message.id, from: maskNumber(message.from), attempt }, "message handed to the VM");
        return "delivered";
      } catch (err) {
        if (err instanceof PermanentError) {
          log.error({ messageId: message.id, reason: err.message }, "VM refused the message; moved to outbox-rejected");
          return "rejected";
        }
        if (this.abort.signal.aborted) return "stopped";
        const delay = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** (attempt - 1));
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

  private async deliverOnce(message: SpooledMessage): Promise<void> {
    const media = [];
    let text = message.text;
    for (const item of message.media) {
      try {
        const fetched = await this.options.fetchMedia(item.url);
        media.push({ contentType: fetched.contentType || item.contentType, dataBase64: fetched.data.toString("base64") });
      } catch (err) {
        // A photo Twilio will never hand over must not hold up this sender's queue forever.
        if (!(err instanceof MediaUnavailableError)) throw err;
        this.options.log.warn({ messageId: message.id, status: err.status }, "inbound media unavailable; delivering the message without it");
        text += `\n\n[An attachment (${item.contentType}) could not be downloaded from Twilio: HTTP ${err.status}.]`;
      }
    }
    // 30 s for the VM to acknowledge; the body after that is not bounded (see below).
    const ackTimeout = new AbortController();
    const timer = setTimeout(() => ackTimeout.abort(new Error("VM did not acknowledge within 30 s")), 30_000);
    let response: Response;
    try {
      response = await fetch(`${this.options.vmUrl}/tasks`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.options.token}`, "content-type": "application/json" },
        body: JSON.stringify({ id: message.id, from: message.from, text, media, receivedAt: message.receivedAt }),
        signal: AbortSignal.any([this.abort.signal, ackTimeout.signal]),
      });
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) {
      // The VM keeps an accepted task's response open until the task ends, so Fly Proxy does not
      // auto-stop it mid-run. Read it to the end in the background; the status was the acknowledgement.
      response.text().catch(() => undefined);
      return;
    }
    await response.body?.cancel();
    // 400/413/422: this message will never be accepted; other statuses (401 while a token rolls,
    // 5xx, Fly proxy 502/503 while the machine boots) may pass on a later try.
    if ([400, 413, 422].includes(response.status)) throw new PermanentError(`VM answered ${response.status}`);
    throw new Error(`VM answered ${response.status}`);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string } }).cause;
    return cause?.code ? `${err.message} (${cause.code})` : err.message;
  }
  return String(err);
}
