// Reads and sets the incoming-message webhook of a Twilio object with the official library
// (twilio-node), built at call time so the auth token lives only for the call:
//   Messaging Service MG…  GET/POST messaging.twilio.com/v1/Services/{Sid}  (form: InboundRequestUrl,
//                          InboundMethod, UseInboundWebhookOnNumber; twilio-node messaging.v1.services)
//   WhatsApp sender XE…    GET/POST messaging.twilio.com/v2/Channels/Senders/{Sid}  (JSON:
//                          webhook.callback_url/callback_method; twilio-node messaging.v2.channelsSenders)
// Fields and SID patterns: twilio/twilio-oai spec/json/twilio_messaging_v1.json and _v2.json.
import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient";

export type WebhookTargetKind = "messaging-service" | "whatsapp-sender";

export const TARGET_SID = /^(MG|XE)[0-9a-fA-F]{32}$/;

export function targetKind(sid: string): WebhookTargetKind {
  if (sid.startsWith("MG")) return "messaging-service";
  if (sid.startsWith("XE")) return "whatsapp-sender";
  throw new Error(`${sid} is neither a Messaging Service SID (MG…) nor a WhatsApp sender SID (XE…)`);
}

/** What the target answers to an incoming message with. Null: none set. */
export interface WebhookSetting {
  url: string | null;
  method: string | null;
  /** Messaging Services only: when true, each number's own webhook wins over the service's. */
  useInboundWebhookOnNumber?: boolean | null;
}

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
  /** Base URL replacing every Twilio host (a fake Twilio in tests); unset on real Twilio. */
  apiUrl?: string | undefined;
}

/** Sends every request the library makes to `baseUrl` instead of *.twilio.com (tests, sandbox). */
class RedirectingRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super();
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = new URL(opts.uri);
    return super.request<TData>({ ...opts, uri: `${this.baseUrl.replace(/\/$/, "")}${uri.pathname}${uri.search}` });
  }
}

/** A Twilio call that failed, in words a user can act on (never the token); `status` 0 when no answer came. */
export class TwilioCallError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = "TwilioCallError";
  }
}

export const isTwilioNotFound = (err: unknown): boolean => err instanceof TwilioCallError && err.status === 404;

export function explainTwilioError(err: unknown, what: string, sid: string, accountSid: string): TwilioCallError {
  const e = err as { status?: number; code?: number; message?: string; moreInfo?: string };
  if (typeof e.status !== "number") return new TwilioCallError(`${what} ${sid}: could not reach Twilio (${e.message ?? String(err)})`, 0);
  const more = e.moreInfo ? ` (${e.moreInfo})` : "";
  if (e.status === 401) {
    return new TwilioCallError(
      `${what} ${sid}: Twilio refused the credentials (401, error ${e.code ?? "?"}: ${e.message}). ` +
        "Check textslash:twilioAccountSid and the secret textslash:twilioAuthToken.",
      401,
    );
  }
  if (e.status === 404) {
    return new TwilioCallError(
      `${what} ${sid}: Twilio account ${accountSid} has no such object (404, error ${e.code ?? "?"})${more}. ` +
        "Check textslash:twilioWebhookSid (a Messaging Service SID MG… or a WhatsApp sender SID XE… of this account), or unset it and set the webhook by hand.",
      404,
    );
  }
  return new TwilioCallError(`${what} ${sid}: Twilio answered ${e.status} (error ${e.code ?? "?"}: ${e.message})${more}`, e.status);
}

export interface WebhookApi {
  get(sid: string): Promise<WebhookSetting>;
  set(sid: string, setting: WebhookSetting): Promise<WebhookSetting>;
}

export function webhookApi(creds: TwilioCredentials): WebhookApi {
  const client = twilio(creds.accountSid, creds.authToken, creds.apiUrl ? { httpClient: new RedirectingRequestClient(creds.apiUrl) } : {});
  const call = async <T>(what: string, sid: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw explainTwilioError(err, what, sid, creds.accountSid);
    }
  };
  return {
    async get(sid) {
      if (targetKind(sid) === "messaging-service") {
        const s = await call("reading Messaging Service", sid, () => client.messaging.v1.services(sid).fetch());
        return { url: s.inboundRequestUrl ?? null, method: s.inboundMethod ?? null, useInboundWebhookOnNumber: s.useInboundWebhookOnNumber ?? null };
      }
      const sender = await call("reading WhatsApp sender", sid, () => client.messaging.v2.channelsSenders(sid).fetch());
      const webhook = (sender.webhook ?? {}) as { callbackUrl?: string | null; callbackMethod?: string | null; callback_url?: string | null; callback_method?: string | null };
      // The library's class maps callback_url to callbackUrl; accept either in case it passes the JSON through.
      return { url: webhook.callbackUrl ?? webhook.callback_url ?? null, method: webhook.callbackMethod ?? webhook.callback_method ?? null };
    },
    async set(sid, setting) {
      if (targetKind(sid) === "messaging-service") {
        await call("setting the webhook of Messaging Service", sid, () =>
          client.messaging.v1.services(sid).update({
            // An empty value clears it (the service then has none, as before we set it).
            inboundRequestUrl: setting.url ?? "",
            inboundMethod: (setting.method ?? "POST") as "GET" | "POST",
            ...(typeof setting.useInboundWebhookOnNumber === "boolean" ? { useInboundWebhookOnNumber: setting.useInboundWebhookOnNumber } : {}),
          }),
        );
      } else {
        // The Senders API takes JSON as Twilio documents it (snake_case); the library sends the object as is.
        const body = { webhook: { callback_url: setting.url, callback_method: setting.method ?? "POST" } };
        await call("setting the webhook of WhatsApp sender", sid, () =>
          client.messaging.v2.channelsSenders(sid).update(body as unknown as Parameters<ReturnType<typeof client.messaging.v2.channelsSenders>["update"]>[0]),
        );
      }
      return this.get(sid);
    },
  };
}
