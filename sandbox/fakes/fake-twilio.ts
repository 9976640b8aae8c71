// A fake of the parts of Twilio's REST API the relay uses, for tests and the local sandbox, strict
// where Twilio is strict (twilio-rules.ts has each rule and its source; docs/sandbox.md lists what
// differs): Messages.json with basic auth, Twilio's error bodies, 429 with error 20429, WhatsApp's
// media and length rules, delivery reported through signed StatusCallbacks, and inbound media files.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import twilio from "twilio";
import { judgeWhatsAppMedia, maxBodyLength, twilioBodyLength, twilioError, type TwilioErrorBody } from "./twilio-rules";
import { closeServer, listenOn } from "./http-server";

export { inboundParams, sendSignedWebhook, type InboundMessage, type SignedWebhook } from "./twilio-webhooks";

export interface MediaFetch {
  url: string;
  status: number;
  contentType: string;
  bytes: number;
}

export type MessageStatus = "queued" | "sent" | "delivered" | "failed" | "undelivered";

export interface RecordedMessage {
  sid: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  mediaFetches: MediaFetch[];
  statusCallback: string;
  status: MessageStatus;
  errorCode: number | null;
  errorMessage: string | null;
}

export interface StatusCallbackPost {
  url: string;
  params: Record<string, string>;
  /** The relay's answer, or 0 when it could not be reached. */
  answer: number;
}

export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
  /** The next N sends are refused with a 500, to exercise the relay's error path. */
  failNextSends?: number;
  /**
   * Where the fake really sends a request for `url` (MediaUrl fetches, StatusCallbacks): real Twilio
   * reaches the relay's public URL, which in the sandbox only the proxy can route. Default: as is.
   * Only loopback targets are ever contacted.
   */
  resolveUrl?: (url: string) => string;
}

interface StoredMedia {
  contentType: string;
  data: Buffer;
}

const messagesPath = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const messagePath = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([A-Za-z0-9]+)\.json$/;

export class FakeTwilio {
  readonly messages: RecordedMessage[] = [];
  /** Every POST to Messages.json, taken or refused (a 429 the client retried counts each time). */
  readonly sendAttempts: { status: number; code?: number }[] = [];
  readonly statusCallbacks: StatusCallbackPost[] = [];
  /** Every inbound-media download, with whether it carried the account's credentials. */
  readonly mediaRequests: { path: string; authorized: boolean }[] = [];
  private readonly media = new Map<string, StoredMedia>();
  private readonly waiters: (() => void)[] = [];
  private readonly background = new Set<Promise<void>>();
  private server: Server | undefined;
  private failNextSends: number;
  private okBeforeFailing = 0;
  private rateLimitNext = 0;
  private undeliverNext: { count: number; errorCode: number } = { count: 0, errorCode: 0 };
  url = "";

  constructor(private readonly options: FakeTwilioOptions) {
    this.failNextSends = options.failNextSends ?? 0;
  }

  async start(port = 0, host = "127.0.0.1"): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => json(res, 500, twilioError(500, 20500, String(err))));
    });
    this.server = server;
    this.url = await listenOn(server, port, host);
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await Promise.all([...this.background]);
    await closeServer(this.server);
  }

  /** Stores a file as if a WhatsApp user had sent it; returns the MediaUrl Twilio would give. */
  addMedia(data: Buffer, contentType: string): string {
    const id = `MEfake${randomBytes(8).toString("hex")}`;
    this.media.set(id, { contentType, data });
    return `${this.url}/2010-04-01/Accounts/${this.options.accountSid}/Messages/MMfake/Media/${id}`;
  }

  /** After `after` more sends are taken, the `count` following ones are answered 500 (error 20500). */
  failSends(count: number, { after = 0 }: { after?: number } = {}): void {
    this.failNextSends = count;
    this.okBeforeFailing = after;
  }

  /** The next `count` sends are answered 429 with error 20429, as Twilio does past a rate limit. */
  rateLimit(count: number): void {
    this.rateLimitNext = count;
  }

  /** The next `count` messages are taken (201) but then reported undelivered with `errorCode`. */
  undeliver(count: number, errorCode: number): void {
    this.undeliverNext = { count, errorCode };
  }

  /** Resolves once at least `count` messages were recorded; rejects after `timeoutMs`. */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<RecordedMessage[]> {
    await this.waitUntil(() => this.messages.length >= count, timeoutMs, () => `expected ${count} messages, got ${this.messages.length}`);
    return this.messages.slice(0, count);
  }

  /** Resolves once at least `count` StatusCallbacks were posted (whatever the answer). */
  async waitForStatusCallbacks(count: number, timeoutMs = 10_000): Promise<StatusCallbackPost[]> {
    await this.waitUntil(() => this.statusCallbacks.length >= count, timeoutMs, () => `expected ${count} status callbacks, got ${this.statusCallbacks.length}`);
    return this.statusCallbacks.slice(0, count);
  }

  private async waitUntil(done: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake Twilio: ${describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  private authorized(req: IncomingMessage): boolean {
    const expected = `Basic ${Buffer.from(`${this.options.accountSid}:${this.options.authToken}`).toString("base64")}`;
    return req.headers.authorization === expected;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const mediaMatch = /\/Media\/([A-Za-z0-9]+)$/.exec(path);
    if (req.method === "GET" && mediaMatch?.[1]) {
      const authorized = this.authorized(req);
      this.mediaRequests.push({ path, authorized });
      if (!authorized) return json(res, 401, twilioError(401, 20003, "Authenticate"));
      const item = this.media.get(mediaMatch[1]);
      if (!item) return json(res, 404, twilioError(404, 20404, "The requested resource was not found"));
      res.writeHead(200, { "content-type": item.contentType, "content-length": item.data.length });
      res.end(item.data);
      return;
    }
    if (req.method === "GET" && path === "/_fake/messages") return json(res, 200, this.messages);

    const one = messagePath.exec(path);
    if (req.method === "GET" && one) {
      if (one[1] !== this.options.accountSid || !this.authorized(req)) return json(res, 401, twilioError(401, 20003, "Authenticate"));
      const message = this.messages.find((m) => m.sid === one[2]);
      return message ? json(res, 200, this.resource(message)) : json(res, 404, twilioError(404, 20404, "The requested resource was not found"));
    }

    const match = messagesPath.exec(path);
    if (req.method !== "POST" || !match) return json(res, 404, twilioError(404, 20404, `no fake for ${req.method} ${path}`));
    const refuse = (status: number, error: TwilioErrorBody) => {
      this.sendAttempts.push({ status, code: error.code });
      json(res, status, error);
    };
    if (match[1] !== this.options.accountSid || !this.authorized(req)) return refuse(401, twilioError(401, 20003, "Authenticate"));
    // 20429 "Too Many Requests": https://www.twilio.com/docs/api/errors/20429
    if (this.rateLimitNext > 0) {
      this.rateLimitNext--;
      return refuse(429, twilioError(429, 20429, "Too Many Requests"));
    }
    const form = new URLSearchParams(await readBody(req));
    const to = form.get("To") ?? "";
    const from = form.get("From") ?? "";
    const body = form.get("Body") ?? "";
    const mediaUrls = form.getAll("MediaUrl");
    const statusCallback = form.get("StatusCallback") ?? "";
    if (!to) return refuse(400, twilioError(400, 21604, "A 'To' phone number is required."));
    if (!from) return refuse(400, twilioError(400, 21603, "A 'From' phone number is required."));
    if (!body && mediaUrls.length === 0) return refuse(400, twilioError(400, 21619, "A text message body or media urls must be specified."));
    if (twilioBodyLength(body) > maxBodyLength) {
      return refuse(400, twilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit."));
    }
    // 21623: "You may send up to 10 media files in a single message" (https://www.twilio.com/docs/api/errors/21623).
    if (mediaUrls.length > 10) return refuse(400, twilioError(400, 21623, "Number of media files exceeds allowed limit"));
    if (this.failNextSends > 0) {
      if (this.okBeforeFailing > 0) this.okBeforeFailing--;
      else {
        this.failNextSends--;
        return refuse(500, twilioError(500, 20500, "Internal Server Error (fake)"));
      }
    }
    // Real Twilio fetches media after answering; fetching first keeps tests deterministic, and the
    // verdict still arrives as Twilio's does: a 201, then a failed status with its ErrorCode.
    const mediaFetches: MediaFetch[] = [];
    for (const url of mediaUrls) mediaFetches.push(await this.fetchMedia(url));
    // One attachment per WhatsApp message; Twilio ignores the others (help.twilio.com, "Sending and
    // Receiving Media with WhatsApp Messaging on Twilio").
    const verdict = to.startsWith("whatsapp:") && mediaFetches[0] ? judgeWhatsAppMedia(mediaFetches[0]) : {};
    const sid = `SM${randomBytes(16).toString("hex")}`;
    const message: RecordedMessage = { sid, from, to, body, mediaUrls, mediaFetches, statusCallback, status: "queued", errorCode: null, errorMessage: null };
    this.messages.push(message);
    this.sendAttempts.push({ status: 201 });
    this.wake();
    json(res, 201, this.resource(message));
    this.track(this.progress(message, verdict));
  }

  /** queued → sent → delivered, or → failed / undelivered with an ErrorCode; no callback for "queued". */
  private async progress(message: RecordedMessage, verdict: { errorCode?: number; errorMessage?: string }): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (verdict.errorCode) return this.setStatus(message, "failed", verdict.errorCode, verdict.errorMessage ?? "");
    await this.setStatus(message, "sent");
    if (this.undeliverNext.count > 0) {
      this.undeliverNext.count--;
      return this.setStatus(message, "undelivered", this.undeliverNext.errorCode, "Message undelivered (fake)");
    }
    await this.setStatus(message, "delivered");
  }

  private async setStatus(message: RecordedMessage, status: MessageStatus, errorCode?: number, errorMessage?: string): Promise<void> {
    message.status = status;
    if (errorCode) {
      message.errorCode = errorCode;
      message.errorMessage = errorMessage ?? null;
    }
    if (!message.statusCallback) return;
    // The parameters Twilio posts to a StatusCallback (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status),
    // form-encoded and signed like any webhook, over the URL as given.
    const params: Record<string, string> = {
      MessageSid: message.sid,
      SmsSid: message.sid,
      AccountSid: this.options.accountSid,
      From: message.from,
      To: message.to,
      MessageStatus: status,
      SmsStatus: status,
      ApiVersion: "2010-04-01",
      ...(errorCode ? { ErrorCode: String(errorCode) } : {}),
    };
    const signature = twilio.getExpectedTwilioSignature(this.options.authToken, message.statusCallback, params);
    let answer = 0;
    const target = this.resolve(message.statusCallback);
    try {
      if (!target) throw new Error("not reachable from the fake");
      const response = await fetch(target, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature, "user-agent": "TwilioProxy/1.1" },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(15_000),
      });
      answer = response.status;
      await response.body?.cancel();
    } catch {
      answer = 0;
    }
    this.statusCallbacks.push({ url: message.statusCallback, params, answer });
    this.wake();
  }

  private resource(message: RecordedMessage): Record<string, unknown> {
    const accountSid = this.options.accountSid;
    return {
      sid: message.sid,
      account_sid: accountSid,
      from: message.from,
      to: message.to,
      body: message.body,
      status: message.status,
      error_code: message.errorCode,
      error_message: message.errorMessage,
      num_media: String(message.mediaUrls.length),
      date_created: new Date().toUTCString(),
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${message.sid}.json`,
    };
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch(() => undefined).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /**
   * Where to send a request for `url`, or undefined when the fake must not: it only ever talks to
   * this machine (a test's relay), never to a real host such as a sandbox app's public fly.dev name.
   */
  private resolve(url: string): string | undefined {
    const target = this.options.resolveUrl ? this.options.resolveUrl(url) : url;
    const host = URL.canParse(target) ? new URL(target).hostname : "";
    return ["127.0.0.1", "localhost", "[::1]"].includes(host) ? target : undefined;
  }

  private async fetchMedia(url: string): Promise<MediaFetch> {
    const target = this.resolve(url);
    if (!target) return { url, status: 0, contentType: "", bytes: 0 };
    try {
      const response = await fetch(target, { signal: AbortSignal.timeout(10_000) });
      const data = Buffer.from(await response.arrayBuffer());
      return { url, status: response.status, contentType: response.headers.get("content-type") ?? "", bytes: data.length };
    } catch {
      return { url, status: 0, contentType: "", bytes: 0 };
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

// `npx tsx sandbox/fakes/fake-twilio.ts` runs it alone (the sandbox starts it this way).
if (require.main === module) {
  const fake = new FakeTwilio({
    accountSid: process.env.FAKE_TWILIO_ACCOUNT_SID ?? "ACfake",
    authToken: process.env.FAKE_TWILIO_AUTH_TOKEN ?? "fake-twilio-auth-token",
  });
  fake.start(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1").then(
    (url) => console.log(JSON.stringify({ msg: "fake Twilio listening", url })),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
