// POST /webhook: Twilio's WhatsApp webhook. Verify, check the sender, write durably, answer Twilio
// at once. A message the relay did not keep is answered 200 with a TwiML <Message> telling the
// sender, never with a 5xx or 429: for those Twilio logs error 11217 ("Twilio's webhooks do not
// support rate limiting", https://www.twilio.com/docs/api/errors/11217) and, for a messaging
// webhook, "an error is logged and nothing more is done"
// (https://twilio.com/en-us/blog/a-hidden-gem-fallback-urls-html). Its only retry is `rc` (default 1)
// "if its connection to your webhook fails", widened by the URL fragment's `rp`
// (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides), and any retry comes
// within the same 15 s (`tt`), into the same overload. docs/relay-benchmarks.md, "Shedding".
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { RelayEnv } from "../env";
import type { Outbox } from "../store/outbox";
import type { Delivery } from "../delivery";
import type { Intake } from "../intake";
import { isCancelCommand, type CancelCommand } from "../cancel";
import { maskNumber } from "../logger";
import { emptyTwiml, notices, replyTwiml } from "../twiml";
import { twilioSignatureValid } from "./signature";
import { webhookBodyLimit } from "../form";

const webhookSchema = z.looseObject({
  MessageSid: z.string().regex(/^[A-Za-z0-9]{10,64}$/, "must be a Twilio message SID"),
  From: z.string().regex(/^whatsapp:\+[1-9]\d{6,14}$/, "must be a whatsapp:+E.164 address"),
  Body: z.string().max(65_536).default(""),
  NumMedia: z.coerce.number().int().min(0).max(10).default(0),
});

export interface WebhookDeps {
  env: RelayEnv;
  outbox: Outbox;
  delivery: Delivery;
  intake: Intake;
  cancel: CancelCommand;
  loopDelay: { behindMs(): number };
}

const twiml = (reply: FastifyReply, body: string) => reply.type("text/xml").send(body);

export function webhookRoutes(app: FastifyInstance, { env, outbox, delivery, intake, cancel, loopDelay }: WebhookDeps): void {
  const allowed = new Set(env.ALLOWED_PHONE_NUMBERS);
  // Webhooks between their headers and their answer. Past RELAY_WEBHOOK_CONCURRENCY, or with the
  // event loop more than RELAY_SHED_LOOP_DELAY_MS late (requests are then queueing unseen in socket
  // buffers, loop-delay.ts), the relay is behind: it answers "busy" at once, before reading,
  // parsing or verifying anything, so overload costs almost nothing per request and the sender is
  // told. Answering unverified is safe: TwiML only acts when the request really came from Twilio
  // (it is Twilio that sends the <Message>). Why a 200 with a <Message> and not a 503 or 429 that
  // Twilio might retry: docs/relay-benchmarks.md, "Shedding".
  let inFlight = 0;
  const counted = new WeakSet<object>();
  const release = (request: object) => {
    if (counted.delete(request)) inFlight--;
  };

  // One log line a second while shedding, with how many: a line per shed webhook would cost the
  // relay CPU exactly when it has none (about 700 a second when 1500 webhooks a second came, relay-load benchmark).
  let shedSinceLog = 0;
  let lastShedLog = -Infinity;
  const shed = {
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
      const behindMs = loopDelay.behindMs();
      if (inFlight >= env.RELAY_WEBHOOK_CONCURRENCY || behindMs > env.RELAY_SHED_LOOP_DELAY_MS) {
        shedSinceLog++;
        const now = performance.now();
        if (now - lastShedLog >= 1000) {
          request.log.warn({ shed: shedSinceLog, inFlight, loopDelayMs: Math.round(behindMs) }, "webhooks shed: the relay is behind; each sender is told to resend");
          shedSinceLog = 0;
          lastShedLog = now;
        }
        // A small unread body (what Twilio sends) is read and dropped by Node and the connection kept
        // for the next webhook; anything larger, or of unknown length, ends the connection instead.
        // Closing every shed connection made each shed webhook cost a new one: at 1500/s the
        // reconnects overflowed the listen queue and SYN retransmits (1 s, 3 s, 7 s…) became
        // 20-second answers (relay-load benchmark, "listen overflows").
        const length = Number(request.headers["content-length"]);
        const small = Number.isInteger(length) && length >= 0 && length <= webhookBodyLimit;
        return twiml(small ? reply : reply.header("connection", "close"), replyTwiml(notices.busy));
      }
      inFlight++;
      counted.add(request);
    },
    onResponse: async (request: FastifyRequest) => release(request),
    onRequestAbort: async (request: FastifyRequest) => release(request),
  };

  app.post("/webhook", shed, async (request, reply) => {
    if (!twilioSignatureValid(env, request)) {
      request.log.warn({ hasSignature: typeof request.headers["x-twilio-signature"] === "string" }, "webhook refused: bad or missing X-Twilio-Signature");
      return reply.code(403).send({ error: "X-Twilio-Signature does not match this request; check TWILIO_AUTH_TOKEN and PUBLIC_URL" });
    }
    const params = request.body as Record<string, unknown>;
    const parsed = webhookSchema.safeParse(params);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
      request.log.warn({ problems }, "webhook refused: malformed body");
      return reply.code(400).send({ error: "malformed webhook body", problems });
    }
    const { MessageSid, From, Body, NumMedia } = parsed.data;
    // One log line per webhook (its outcome), with the message and the masked sender on it.
    const ctx = { messageId: MessageSid, from: maskNumber(From) };
    const log = request.log;

    if (!allowed.has(From)) {
      log.warn(ctx, "message from a sender outside ALLOWED_PHONE_NUMBERS ignored");
      return twiml(reply, emptyTwiml);
    }
    if (outbox.isDuplicate(MessageSid)) {
      log.info(ctx, "duplicate MessageSid (a Twilio retry or a replay) ignored");
      return twiml(reply, emptyTwiml);
    }

    if (isCancelCommand(Body)) {
      try {
        await cancel.run(From);
        await outbox.remember(MessageSid);
      } catch (err) {
        log.error({ ...ctx, err }, "/cancel failed on the relay's disk");
        return twiml(reply, replyTwiml(notices.cancelFailed));
      }
      return twiml(reply, emptyTwiml);
    }

    const media = [];
    for (let i = 0; i < NumMedia; i++) {
      const url = params[`MediaUrl${i}`];
      const contentType = params[`MediaContentType${i}`];
      if (typeof url !== "string" || !URL.canParse(url)) {
        return reply.code(400).send({ error: `MediaUrl${i} is missing or not a URL although NumMedia is ${NumMedia}` });
      }
      media.push({ url, contentType: typeof contentType === "string" ? contentType : "application/octet-stream" });
    }

    const refusal = intake.admit(From);
    if (refusal) {
      log.warn({ ...ctx, reason: refusal.reason }, "message refused: over a limit; the sender is told");
      return twiml(reply, replyTwiml(refusal.notice));
    }
    let added: boolean;
    try {
      added = await outbox.add({ id: MessageSid, from: From, text: Body, media, receivedAt: new Date().toISOString() });
    } catch (err) {
      // Logged with its code and path for the operator; the answer names neither.
      log.error({ ...ctx, err }, "message not saved: the outbox write failed; the sender is told to resend");
      return twiml(reply, replyTwiml(notices.notSaved));
    } finally {
      intake.done(From);
    }
    log.info({ ...ctx, media: media.length, duplicate: !added, ms: Math.round(reply.elapsedTime) }, "message spooled");
    delivery.kick();
    return twiml(reply, emptyTwiml);
  });
}
