// Webhooks as Twilio sends them: the inbound-message form fields and the X-Twilio-Signature over
// the URL Twilio was configured with (twilio-node's getExpectedTwilioSignature, which the relay's
// validateRequest checks). Used by the tests, the sandbox and the benchmarks.
import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import twilio from "twilio";

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

/**
 * Posts a webhook to the relay, signed as Twilio signs it, on a connection of its own. With fetch's
 * pooled keep-alive sockets, a POST sent on a socket the server was just closing failed ("fetch
 * failed", not retried: a POST is not idempotent) whenever the test process's event loop ran a
 * second late, as on a loaded machine; the sandbox's check probes met the same race
 * (sandbox/runtime/http-probe.ts). What the relay receives is otherwise the same request.
 */
export function sendSignedWebhook(hook: SignedWebhook): Promise<{ status: number; body: string }> {
  const path = hook.path ?? "/webhook";
  const signature =
    hook.signature === undefined ? twilio.getExpectedTwilioSignature(hook.authToken, `${hook.publicUrl}${path}`, hook.params) : hook.signature;
  const url = new URL(`${hook.relayUrl}${path}`);
  const form = new URLSearchParams(hook.params).toString();
  const headers = {
    "content-type": "application/x-www-form-urlencoded",
    "content-length": String(Buffer.byteLength(form)),
    "user-agent": "TwilioProxy/1.1",
    ...(signature === null ? {} : { "x-twilio-signature": signature }),
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === "https:" ? https : http).request(url, { method: "POST", agent: false, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(form);
  });
}
