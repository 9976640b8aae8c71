// POST /callback: the VM's answer (text and images) sent on to the user through Twilio, in order.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { RelayEnv } from "../env";
import { toWhatsAppAddress } from "../env";
import { bearerMatches } from "../auth";
import { MediaStore } from "../media-store";
import { splitMessage } from "../split";
import type { TwilioGateway } from "../twilio";
import { maskNumber } from "../logger";

export const callbackSchema = z
  .object({
    to: z.string().min(1),
    text: z.string().max(100_000).default(""),
    images: z
      .array(
        z.object({
          contentType: z.string().refine(MediaStore.supports, "must be image/png, image/jpeg, image/gif or image/webp"),
          dataBase64: z.base64(),
        }),
      )
      .max(10)
      .default([]),
  })
  .refine((b) => b.text.trim() !== "" || b.images.length > 0, "needs text or at least one image");

export interface CallbackDeps {
  env: RelayEnv;
  media: MediaStore;
  twilio: TwilioGateway;
}

export function callbackRoutes(app: FastifyInstance, { env, media, twilio }: CallbackDeps): void {
  const allowed = new Set(env.ALLOWED_PHONE_NUMBERS);

  app.post("/callback", { bodyLimit: 40 * 1024 * 1024 }, async (request, reply) => {
    if (!bearerMatches(request.headers.authorization, env.RELAY_SHARED_TOKEN)) {
      return reply.code(401).send({ error: "missing or wrong bearer token (RELAY_SHARED_TOKEN)" });
    }
    const parsed = callbackSchema.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ error: "malformed callback body", problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
    }
    const to = toWhatsAppAddress(parsed.data.to);
    // The relay only ever writes to people allowed to write to it.
    if (!allowed.has(to)) return reply.code(403).send({ error: "`to` is not in ALLOWED_PHONE_NUMBERS" });

    const urls: string[] = [];
    for (const image of parsed.data.images) {
      const id = await media.put(image.contentType, Buffer.from(image.dataBase64, "base64"));
      urls.push(`${env.PUBLIC_URL}/media/${id}`);
    }
    const chunks = splitMessage(parsed.data.text);
    const sids: string[] = [];
    try {
      // One at a time, each awaited: WhatsApp shows them in the order Twilio accepted them.
      for (const body of chunks) sids.push(await twilio.send({ to, body }));
      for (const mediaUrl of urls) sids.push(await twilio.send({ to, mediaUrl }));
    } catch (err) {
      request.log.error({ err, to: maskNumber(to), sent: sids.length }, "Twilio refused an outbound message");
      return reply.code(502).send({ error: "Twilio refused the message", sent: sids.length });
    }
    request.log.info({ to: maskNumber(to), messages: sids.length }, "answer sent");
    return { sent: sids.length, sids };
  });
}
