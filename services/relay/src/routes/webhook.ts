// POST /webhook: Twilio's WhatsApp webhook. Verify, check the sender, spool, answer Twilio at once.
import type { FastifyInstance } from "fastify";
import twilio from "twilio";
import { z } from "zod";
import type { RelayEnv } from "../env";
import type { Spool } from "../spool";
import type { Delivery } from "../delivery";
import { maskNumber } from "../logger";

const emptyTwiml = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

const webhookSchema = z.looseObject({
  MessageSid: z.string().regex(/^[A-Za-z0-9]{10,64}$/, "must be a Twilio message SID"),
  From: z.string().regex(/^whatsapp:\+[1-9]\d{6,14}$/, "must be a whatsapp:+E.164 address"),
  Body: z.string().max(65_536).default(""),
  NumMedia: z.coerce.number().int().min(0).max(10).default(0),
});

export interface WebhookDeps {
  env: RelayEnv;
  spool: Spool;
  delivery: Delivery;
}

export function webhookRoutes(app: FastifyInstance, { env, spool, delivery }: WebhookDeps): void {
  const allowed = new Set(env.ALLOWED_PHONE_NUMBERS);

  app.post("/webhook", async (request, reply) => {
    const params = (request.body ?? {}) as Record<string, unknown>;
    const signature = request.headers["x-twilio-signature"];
    // Twilio signs the URL it called, which is the public one, not what the proxy hands us.
    const url = `${env.PUBLIC_URL}${request.url}`;
    const valid =
      typeof signature === "string" &&
      typeof params === "object" &&
      twilio.validateRequest(env.TWILIO_AUTH_TOKEN, signature, url, params);
    if (!valid) {
      request.log.warn({ hasSignature: typeof signature === "string" }, "webhook refused: bad or missing X-Twilio-Signature");
      return reply.code(403).send({ error: "X-Twilio-Signature does not match this request; check TWILIO_AUTH_TOKEN and PUBLIC_URL" });
    }

    const parsed = webhookSchema.safeParse(params);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
      request.log.warn({ problems }, "webhook refused: malformed body");
      return reply.code(400).send({ error: "malformed webhook body", problems });
    }
    const { MessageSid, From, Body, NumMedia } = parsed.data;

    if (!allowed.has(From)) {
      request.log.warn({ from: maskNumber(From), messageId: MessageSid }, "message from a sender outside ALLOWED_PHONE_NUMBERS ignored");
      return reply.type("text/xml").send(emptyTwiml);
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

    const added = await spool.add({ id: MessageSid, from: From, text: Body, media, receivedAt: new Date().toISOString() });
    request.log.info({ messageId: MessageSid, from: maskNumber(From), media: media.length, duplicate: !added }, "message spooled");
    delivery.kick();
    return reply.type("text/xml").send(emptyTwiml);
  });
}
