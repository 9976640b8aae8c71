// POST /status: Twilio's StatusCallback for the messages the relay sends (it sets StatusCallback =
// PUBLIC_URL/status on each). Signed like the inbound webhook. A failed or undelivered message is
// logged with Twilio's ErrorCode: the user never saw it, and nothing else would say so.
// https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { RelayEnv } from "../env";
import { maskNumber } from "../logger";
import { twilioSignatureValid } from "./signature";

const statusSchema = z.looseObject({
  MessageSid: z.string().regex(/^[A-Za-z0-9]{10,64}$/),
  MessageStatus: z.string().regex(/^[a-z_]{1,32}$/),
  To: z.string().max(64).default(""),
  ErrorCode: z.string().regex(/^\d{1,6}$/).optional(),
});

export function statusRoutes(app: FastifyInstance, env: RelayEnv): void {
  app.post("/status", async (request, reply) => {
    if (!twilioSignatureValid(env, request)) {
      request.log.warn("status callback refused: bad or missing X-Twilio-Signature");
      return reply.code(403).send({ error: "X-Twilio-Signature does not match this request" });
    }
    const parsed = statusSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: "malformed status callback" });
    const { MessageSid, MessageStatus, To, ErrorCode } = parsed.data;
    const fields = { sid: MessageSid, status: MessageStatus, to: maskNumber(To), ...(ErrorCode ? { errorCode: Number(ErrorCode) } : {}) };
    if (MessageStatus === "failed" || MessageStatus === "undelivered") {
      request.log.error({ ...fields, moreInfo: ErrorCode ? `https://www.twilio.com/docs/errors/${ErrorCode}` : undefined }, "outbound message not delivered");
    } else {
      request.log.debug(fields, "outbound message status");
    }
    return reply.code(204).send();
  });
}
