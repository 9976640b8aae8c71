// Twilio's webhooks are small application/x-www-form-urlencoded forms. The parser bounds what an
// unauthenticated request can cost before its signature is checked: the body size (Fastify's
// bodyLimit refuses it with 413 while it is still arriving) and the number of parameters (counted
// with one pass over the bytes, refused with 400 before anything is decoded).
//
// Twilio's inbound-message webhook (https://www.twilio.com/docs/messaging/guides/webhook-request)
// sends about 15 parameters for a WhatsApp text (MessageSid, SmsSid, SmsMessageSid, AccountSid,
// MessagingServiceSid, From, To, Body, NumMedia, NumSegments, ProfileName, WaId, SmsStatus,
// ApiVersion, …), a MediaUrl{N}/MediaContentType{N} pair per attachment (NumMedia is at most 10), and
// channel extras (location, button, referral and reply-context fields, ChannelMetadata): under 60 in
// all. Its Body is a WhatsApp text, at most 4,096 characters, each at most 12 bytes once UTF-8 and
// percent-encoded: about 48 KB. Twilio warns it adds parameters without notice, so the caps leave room.
import { parse } from "node:querystring";
import type { FastifyInstance } from "fastify";

export const webhookBodyLimit = 64 * 1024;
export const maxFormParameters = 128;

export class TooManyParametersError extends Error {
  readonly statusCode = 400;
  constructor(count: number) {
    super(`the form has ${count} parameters; a Twilio webhook has at most ${maxFormParameters}`);
  }
}

/** Counts `name=value` pairs without decoding anything: one pass over the bytes. */
export function countParameters(body: Buffer): number {
  if (body.length === 0) return 0;
  let count = 1;
  for (let i = body.indexOf(0x26); i !== -1; i = body.indexOf(0x26, i + 1)) count++;
  return count;
}

export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "buffer", bodyLimit: webhookBodyLimit }, (_req, body, done) => {
    const buffer = body as Buffer;
    const count = countParameters(buffer);
    if (count > maxFormParameters) {
      done(new TooManyParametersError(count), undefined);
      return;
    }
    done(null, parse(buffer.toString("utf8"), "&", "=", { maxKeys: maxFormParameters }));
  });
}
