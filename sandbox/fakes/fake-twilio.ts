// A fake of the parts of Twilio's REST API the relay uses, for tests and the local sandbox:
// Messages.json with basic auth (recorded, MediaUrl fetched to prove it is reachable), inbound
// media files, and webhooks signed exactly as Twilio signs them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import twilio from "twilio";

export interface MediaFetch {
  url: string;
  status: number;
  contentType: string;
  bytes: number;
}

export interface RecordedMessage {
  sid: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  mediaFetches: MediaFetch[];
}

export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
  /** The next N sends are refused with a 500, to exercise the relay's error path. */
  failNextSends?: number;
}

interface StoredMedia {
  contentType: string;
  data: Buffer;
}

const messagesPath = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;

export class FakeTwilio {
  readonly messages: RecordedMessage[] = [];
  /** Every inbound-media download, with whether it carried the account's credentials. */
  readonly mediaRequests: { path: string; authorized: boolean }[] = [];
  private readonly media = new Map<string, StoredMedia>();
  private readonly waiters: (() => void)[] = [];
  private server: Server | undefined;
  private failNextSends: number;
  url = "";

  constructor(private readonly options: FakeTwilioOptions) {
    this.failNextSends = options.failNextSends ?? 0;
  }

  async start(port = 0, host = "127.0.0.1"): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => json(res, 500, { message: String(err) }));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    this.url = `http://${host}:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stores a file as if a WhatsApp user had sent it; returns the MediaUrl Twilio would give. */
  addMedia(data: Buffer, contentType: string): string {
    const id = `MEfake${randomBytes(8).toString("hex")}`;
    this.media.set(id, { contentType, data });
    return `${this.url}/2010-04-01/Accounts/${this.options.accountSid}/Messages/MMfake/Media/${id}`;
  }

  failSends(count: number): void {
    this.failNextSends = count;
  }

  /** Resolves once at least `count` messages were recorded; rejects after `timeoutMs`. */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<RecordedMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake Twilio: expected ${count} messages, got ${this.messages.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages.slice(0, count);
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
      if (!authorized) return json(res, 401, { code: 20003, message: "Authenticate", status: 401 });
      const item = this.media.get(mediaMatch[1]);
      if (!item) return json(res, 404, { code: 20404, message: "media not found", status: 404 });
      res.writeHead(200, { "content-type": item.contentType, "content-length": item.data.length });
      res.end(item.data);
      return;
    }
    if (req.method === "GET" && path === "/_fake/messages") return json(res, 200, this.messages);

    const match = messagesPath.exec(path);
    if (req.method !== "POST" || !match) return json(res, 404, { code: 20404, message: `no fake for ${req.method} ${path}`, status: 404 });
    if (match[1] !== this.options.accountSid || !this.authorized(req)) {
      return json(res, 401, { code: 20003, message: "Authenticate", status: 401 });
    }
    const form = new URLSearchParams(await readBody(req));
    const to = form.get("To") ?? "";
    const from = form.get("From") ?? "";
    const body = form.get("Body") ?? "";
    const mediaUrls = form.getAll("MediaUrl");
    if (!to || !from) return json(res, 400, { code: 21604, message: "A 'To' and 'From' are required", status: 400 });
    if (!body && mediaUrls.length === 0) return json(res, 400, { code: 21619, message: "A text message body or media urls must be specified", status: 400 });
    if (body.length > 1600) return json(res, 400, { code: 21617, message: "The concatenated message body exceeds the 1600 character limit", status: 400 });
    if (this.failNextSends > 0) {
      this.failNextSends--;
      return json(res, 500, { code: 20500, message: "Internal Server Error (fake)", status: 500 });
    }
    // Real Twilio fetches media after answering; fetching first keeps tests deterministic.
    const mediaFetches: MediaFetch[] = [];
    for (const url of mediaUrls) mediaFetches.push(await fetchMedia(url));
    const sid = `SMfake${randomBytes(12).toString("hex")}`;
    this.messages.push({ sid, from, to, body, mediaUrls, mediaFetches });
    for (const wake of this.waiters.splice(0)) wake();
    json(res, 201, {
      sid,
      account_sid: this.options.accountSid,
      from,
      to,
      body,
      status: "queued",
      num_media: String(mediaUrls.length),
      date_created: new Date().toUTCString(),
      uri: `/2010-04-01/Accounts/${this.options.accountSid}/Messages/${sid}.json`,
    });
  }
}

async function fetchMedia(url: string): Promise<MediaFetch> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const data = Buffer.from(await response.arrayBuffer());
    return { url, status: response.status, contentType: response.headers.get("content-type") ?? "", bytes: data.length };
  } catch {
    return { url, status: 0, contentType: "", bytes: 0 };
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

export interface InboundMessage {
  from: string;
  to: string;
  body: string;
  accountSid: string;
  messageSid?: string;
  media?: { url: string; contentType: string }[];
}

/** The form fields Twilio posts for an inbound WhatsApp message. */
export function inboundParams(message: InboundMessage): Record<string, string> {
  const media = message.media ?? [];
  const params: Record<string, string> = {
    SmsMessageSid: message.messageSid ?? `SMfake${randomBytes(12).toString("hex")}`,
    NumMedia: String(media.length),
    ProfileName: "Fake User",
    SmsSid: "",
    WaId: message.from.replace(/^whatsapp:\+/, ""),
    SmsStatus: "received",
    Body: message.body,
    To: message.to,
    NumSegments: "1",
    MessageSid: "",
    AccountSid: message.accountSid,
    From: message.from,
    ApiVersion: "2010-04-01",
  };
  params.SmsSid = params.SmsMessageSid ?? "";
  params.MessageSid = params.SmsMessageSid ?? "";
  media.forEach((m, i) => {
    params[`MediaUrl${i}`] = m.url;
    params[`MediaContentType${i}`] = m.contentType;
  });
  return params;
}

export interface SignedWebhook {
  /** Where the request really goes (e.g. http://127.0.0.1:PORT). */
  relayUrl: string;
  /** The relay's PUBLIC_URL: Twilio signs the URL it was configured with. */
  publicUrl: string;
  authToken: string;
  params: Record<string, string>;
  path?: string;
  /** Override the signature (tests of refusal). */
  signature?: string | null;
}

/** Posts a webhook to the relay, signed as Twilio signs it. */
export async function sendSignedWebhook(hook: SignedWebhook): Promise<{ status: number; body: string }> {
  const path = hook.path ?? "/webhook";
  const signature =
    hook.signature === undefined ? twilio.getExpectedTwilioSignature(hook.authToken, `${hook.publicUrl}${path}`, hook.params) : hook.signature;
  const response = await fetch(`${hook.relayUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": "TwilioProxy/1.1",
      ...(signature === null ? {} : { "x-twilio-signature": signature }),
    },
    body: new URLSearchParams(hook.params).toString(),
  });
  return { status: response.status, body: await response.text() };
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
