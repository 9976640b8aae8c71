// Everything the relay says to Twilio: outbound messages through the twilio library's client, and
// inbound media fetched with the account's credentials. TWILIO_API_URL points both at a fake Twilio.
import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient";

const twilioApiOrigin = "https://api.twilio.com";

/** Sends every request the library makes to `baseUrl` instead of api.twilio.com (tests, sandbox). */
class RedirectingRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super();
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = new URL(opts.uri);
    return super.request<TData>({ ...opts, uri: `${this.baseUrl}${uri.pathname}${uri.search}` });
  }
}

/** Twilio answered the media download with a 4xx: retrying will not help (deleted, or wrong credentials). */
export class MediaUnavailableError extends Error {
  constructor(readonly status: number) {
    super(`fetching inbound media answered ${status}`);
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
}

export function createTwilioGateway(settings: TwilioSettings): TwilioGateway {
  const client = twilio(settings.accountSid, settings.authToken, {
    ...(settings.apiUrl ? { httpClient: new RedirectingRequestClient(settings.apiUrl) } : {}),
    autoRetry: true,
    maxRetries: 3,
  });
  const trustedOrigins = new Set([twilioApiOrigin, ...(settings.apiUrl ? [new URL(settings.apiUrl).origin] : [])]);
  const basic = Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString("base64");

  return {
    async send(message) {
      const created = await client.messages.create({
        from: settings.from,
        to: message.to,
        ...(message.body ? { body: message.body } : {}),
        ...(message.mediaUrl ? { mediaUrl: [message.mediaUrl] } : {}),
      });
      return created.sid;
    },
    async fetchMedia(url) {
      const origin = new URL(url).origin;
      // Credentials go only to Twilio itself; fetch drops them if Twilio redirects to its storage.
      const headers: Record<string, string> = trustedOrigins.has(origin) ? { authorization: `Basic ${basic}` } : {};
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
      if (response.status >= 400 && response.status < 500) throw new MediaUnavailableError(response.status);
      if (!response.ok) throw new Error(`fetching inbound media answered ${response.status}`);
      return {
        contentType: response.headers.get("content-type") ?? "application/octet-stream",
        data: Buffer.from(await response.arrayBuffer()),
      };
    },
  };
}
