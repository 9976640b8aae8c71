// Turns one VM answer into WhatsApp messages and sends them, in order. Each message ("chunk") has
// a fixed place in the plan, so a callback the VM retries after a failure sends only the chunks
// Twilio has not taken yet: sent chunks are recorded durably per (callback id, index).
import type { FastifyBaseLogger } from "fastify";
import { join } from "node:path";
import { splitMessage } from "./split";
import { imageRefusal } from "./whatsapp-rules";
import { DurableLog } from "./store/durable-log";
import { GroupCommit } from "./store/durable";
import { MediaQuotaError, type MediaStore } from "./store/media-store";
import { RateLimiter } from "./limits";
import type { OutboundMessage, TwilioGateway } from "./twilio";

/** At most this many text messages per answer (16,000 characters); the rest is cut with a note. */
export const maxTextParts = 10;

export type Chunk =
  | { kind: "text"; body: string }
  | { kind: "image"; number: number; contentType: string; data: Buffer; refusal: string | undefined };

export function planAnswer(text: string, images: { contentType: string; data: Buffer }[]): Chunk[] {
  let parts = splitMessage(text);
  if (parts.length > maxTextParts) {
    const cut = parts.slice(maxTextParts - 1).join(" ").length;
    parts = [...parts.slice(0, maxTextParts - 1), `[The answer was cut here: ${cut} more characters did not fit in ${maxTextParts} WhatsApp messages.]`];
  }
  return [
    ...parts.map((body): Chunk => ({ kind: "text", body })),
    ...images.map((image, i): Chunk => ({ kind: "image", number: i + 1, ...image, refusal: imageRefusal(image.contentType, image.data.length) })),
  ];
}

/** Twilio refused a message part-way through; `sent` parts went out before it. */
export class SendError extends Error {
  constructor(
    readonly sent: number,
    override readonly cause: unknown,
  ) {
    super("Twilio refused the message");
  }
}

class TwilioRefusal extends Error {
  constructor(override readonly cause: unknown) {
    super("Twilio refused a message");
  }
}

/** The recipient's outbound budget would be exceeded: nothing was sent. */
export class BudgetError extends Error {
  constructor(readonly retryAfterMs: number) {
    super("outbound message budget for this recipient used up");
  }
}

export interface AnswerSenderOptions {
  dataDir: string;
  twilio: TwilioGateway;
  media: MediaStore;
  publicUrl: string;
  /** Outbound messages per recipient per hour (and at once). */
  perHour: number;
  /** Sent chunks remembered (a callback retried later than this many chunks ago sends again). */
  sentLimit?: number;
}

export class AnswerSender {
  private readonly sent: DurableLog;
  private readonly commits: GroupCommit;
  private readonly budget: RateLimiter;
  /** Callbacks with the same id run one after the other, so a retry never races the original. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: AnswerSenderOptions) {
    this.sent = new DurableLog(join(options.dataDir, "sent-chunks.log"), options.sentLimit ?? 20_000);
    this.commits = new GroupCommit(() => this.sent.flushStaged());
    this.budget = new RateLimiter(options.perHour, (60 * 60 * 1000) / options.perHour);
  }

  async init(): Promise<void> {
    await this.sent.load();
  }

  async close(): Promise<void> {
    await this.sent.close();
  }

  /** Sends the chunks not sent before under this id; returns the new sids and how many were skipped. */
  async send(id: string | undefined, to: string, chunks: Chunk[], log: FastifyBaseLogger): Promise<{ sids: string[]; skipped: number }> {
    if (id === undefined) return this.sendUnlocked(undefined, to, chunks, log);
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.sendUnlocked(id, to, chunks, log));
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }

  private async sendUnlocked(id: string | undefined, to: string, chunks: Chunk[], log: FastifyBaseLogger): Promise<{ sids: string[]; skipped: number }> {
    const key = (index: number) => `${id}#${index}`;
    const todo = chunks.map((chunk, index) => ({ chunk, index })).filter(({ index }) => id === undefined || !this.sent.has(key(index)));
    if (todo.length > 0 && !this.budget.take(to, todo.length)) throw new BudgetError(this.budget.waitMs(to, todo.length));
    const sids: string[] = [];
    for (const { chunk, index } of todo) {
      let sid: string;
      try {
        sid = await this.sendChunk(to, chunk, log);
      } catch (err) {
        // Twilio's refusals say how far the answer got; a disk error is the relay's own (500).
        if (err instanceof TwilioRefusal) throw new SendError(sids.length, err.cause);
        throw err;
      }
      sids.push(sid);
      if (id !== undefined) {
        this.sent.stage(key(index), sid);
        await this.commits.commit();
      }
    }
    return { sids, skipped: chunks.length - todo.length };
  }

  private async sendChunk(to: string, chunk: Chunk, log: FastifyBaseLogger): Promise<string> {
    const { media, publicUrl } = this.options;
    const twilio = {
      send: (message: OutboundMessage) =>
        this.options.twilio.send(message).catch((err: unknown) => {
          throw new TwilioRefusal(err);
        }),
    };
    if (chunk.kind === "text") return twilio.send({ to, body: chunk.body });
    let mediaId: string;
    try {
      mediaId = await media.put(chunk.contentType, chunk.data);
    } catch (err) {
      if (!(err instanceof MediaQuotaError)) throw err;
      log.error({ bytes: err.bytes, quota: err.quota }, "media store full; an image of the answer is not sent");
      return twilio.send({ to, body: `[Image ${chunk.number} could not be kept on the relay (its image storage is full), so it is not shown.]` });
    }
    const url = `${publicUrl}/media/${mediaId}`;
    if (chunk.refusal) {
      return twilio.send({ to, body: `[Image ${chunk.number} cannot be shown in WhatsApp: ${chunk.refusal}. Open it here (kept 24 hours): ${url}]` });
    }
    return twilio.send({ to, mediaUrl: url });
  }
}
