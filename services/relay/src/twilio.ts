// Everything the relay says to Twilio: outbound messages through twilio-node's REST client (its own
// 429 retry: autoRetry with exponential backoff and full jitter, base/RequestClient.js), and inbound
// media fetched with the account's credentials. TWILIO_API_URL points both at a fake Twilio.
// The REST client (axios, qs, jsonwebtoken…) is loaded on first use, not at start-up: it is a
// second of CPU on a shared core, and the webhook path never needs it (docs/relay-dependencies.md).
import type RequestClientType from "twilio/lib/base/RequestClient";
import type TwilioClient from "twilio/lib/rest/Twilio";

const twilioApiOrigin = "https://api.twilio.com";

/** Twilio answered the media download with a 4xx: retrying will not help (deleted, or wrong credentials). */
export class MediaUnavailableError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** Inbound media larger than the relay passes on to the VM. */
export class MediaTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`it is larger than ${Math.round(limit / 1024 / 1024)} MB`);
  }
}

export interface OutboundMessage {
  to: string;
  body?: string;
  mediaUrl?: string;
}

export interface TwilioGateway {
  send(message: OutboundMessage): Promise<string>;
  fetchMedia(url: string): Promise<{ contentType: string; data: Buffer }>;
}

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from: string;
  apiUrl?: string;
  /** Where Twilio posts delivery status (PUBLIC_URL/status); omitted = no status callbacks. */
  statusCallback?: string;
  /** 429 retries of twilio-node's own client (it waits up to min(maxRetryDelayMs, 100·2^n) ms, jittered). */
  maxRetries?: number;
  maxRetryDelayMs?: number;
  /** Inbound media above this many bytes is refused (WhatsApp's own ceiling is 16 MB). */
  maxMediaBytes?: number;
}

export const defaultTwilioRetries = { maxRetries: 6, maxRetryDelayMs: 3_000 };

export function createTwilioGateway(settings: TwilioSettings): TwilioGateway {
  const trustedOrigins = new Set([twilioApiOrigin, ...(settings.apiUrl ? [new URL(settings.apiUrl).origin] : [])]);
  const basic = Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString("base64");
  const maxMediaBytes = settings.maxMediaBytes ?? 16 * 1024 * 1024;
  let client: Promise<TwilioClient> | undefined;

  return {
    async send(message) {
      client ??= loadClient(settings);
      const created = await (await client).messages.create({
        from: settings.from,
        to: message.to,
        ...(message.body ? { body: message.body } : {}),
        ...(message.mediaUrl ? { mediaUrl: [message.mediaUrl] } : {}),
        ...(settings.statusCallback ? { statusCallback: settings.statusCallback } : {}),
      });
      return created.sid;
    },
    async fetchMedia(url) {
      const origin = new URL(url).origin;
      // Credentials go only to Twilio itself; fetch drops them if Twilio redirects to its storage.
      const headers: Record<string, string> = trustedOrigins.has(origin) ? { authorization: `Basic ${basic}` } : {};
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
      if (response.status >= 400 && response.status < 500) {
        await response.body?.cancel();
        throw new MediaUnavailableError(response.status);
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      if (Number(response.headers.get("content-length") ?? 0) > maxMediaBytes) {
        await response.body?.cancel();
        throw new MediaTooLargeError(maxMediaBytes);
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of response.body ?? []) {
        bytes += (chunk as Uint8Array).length;
        if (bytes > maxMediaBytes) throw new MediaTooLargeError(maxMediaBytes);
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
      return { contentType: response.headers.get("content-type") ?? "application/octet-stream", data: Buffer.concat(chunks) };
    },
  };
}

async function loadClient(settings: TwilioSettings): Promise<TwilioClient> {
  const [{ default: Twilio }, { default: RequestClient }] = await Promise.all([
    import("twilio/lib/rest/Twilio.js"),
    import("twilio/lib/base/RequestClient.js"),
  ]);
  const retry = {
    autoRetry: true,
    maxRetries: settings.maxRetries ?? defaultTwilioRetries.maxRetries,
    maxRetryDelay: settings.maxRetryDelayMs ?? defaultTwilioRetries.maxRetryDelayMs,
  };
  // A client given to twilio() is used as is: it must carry the retry settings itself, or a test
  // against the fake would run without the 429 handling production has.
  const httpClient = settings.apiUrl ? new (redirecting(RequestClient))(settings.apiUrl, retry) : new RequestClient(retry);
  return new Twilio(settings.accountSid, settings.authToken, { httpClient });
}

/** A RequestClient that sends every request to `baseUrl` instead of api.twilio.com (tests, sandbox). */
function redirecting(Base: typeof RequestClientType) {
  return class RedirectingRequestClient extends Base {
    constructor(
      private readonly baseUrl: string,
      options: RequestClientType.RequestClientOptions,
    ) {
      super(options);
    }

    override request<TData>(opts: RequestClientType.RequestOptions<TData>) {
      const uri = new URL(opts.uri);
      return super.request<TData>({ ...opts, uri: `${this.baseUrl}${uri.pathname}${uri.search}` });
    }
  };
}
