// POST /callback: the VM's answer (text and images) sent on to the user through Twilio, in order.
// The token is checked in onRequest, before a byte of the body is read, and the bodies being read
// share a byte budget: nobody without the token can make the relay buffer anything, and the token's
// holder can make it buffer at most RELAY_CALLBACK_BODY_MB at a time.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { RelayEnv } from "../env";
import { toWhatsAppAddress } from "../env";
import { bearerMatches } from "../auth";
import { MediaStore } from "../store/media-store";
import { ByteBudget } from "../limits";
import { maskNumber } from "../logger";
import { BudgetError, SendError, planAnswer, type AnswerSender } from "../answer";

export const callbackSchema = z
  .object({
    /** The task id: chunks already sent under it are not sent again when the VM retries. */
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
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
  answers: AnswerSender;
}

export function callbackRoutes(app: FastifyInstance, { env, answers }: CallbackDeps): void {
  const allowed = new Set(env.ALLOWED_PHONE_NUMBERS);
  const bodyLimit = env.RELAY_CALLBACK_BODY_MB * 1024 * 1024;
  const budget = new ByteBudget(bodyLimit);
  const releases = new WeakMap<object, () => void>();
  const release = (request: object) => releases.get(request)?.();

  app.post(
    "/callback",
    {
      bodyLimit,
      onRequest: async (request, reply) => {
        if (!bearerMatches(request.headers.authorization, env.RELAY_SHARED_TOKEN)) {
          // Closing the connection stops the client's upload: the body is never read.
          return reply.code(401).header("connection", "close").send({ error: "missing or wrong bearer token (RELAY_SHARED_TOKEN)" });
        }
      },
      preParsing: async (request, _reply, payload) => {
        const declared = Number(request.headers["content-length"] ?? bodyLimit);
        releases.set(request, await budget.acquire(Number.isFinite(declared) ? declared : bodyLimit));
        return payload;
      },
      onResponse: async (request) => release(request),
      onRequestAbort: async (request) => release(request),
    },
    async (request, reply) => {
      const parsed = callbackSchema.safeParse(request.body);
      if (!parsed.success) {
        return reply.code(400).send({ error: "malformed callback body", problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
      }
      const to = toWhatsAppAddress(parsed.data.to);
      // The relay only ever writes to people allowed to write to it.
      if (!allowed.has(to)) return reply.code(403).send({ error: "`to` is not in ALLOWED_PHONE_NUMBERS" });

      const images = parsed.data.images.map((image) => ({ contentType: image.contentType, data: Buffer.from(image.dataBase64, "base64") }));
      const chunks = planAnswer(parsed.data.text, images);
      const log = request.log.child({ to: maskNumber(to), ...(parsed.data.id ? { taskId: parsed.data.id } : {}) });
      try {
        const { sids, skipped } = await answers.send(parsed.data.id, to, chunks, log);
        log.info({ messages: sids.length, skipped }, "answer sent");
        return { sent: sids.length, skipped, sids };
      } catch (err) {
        if (err instanceof BudgetError) {
          log.error({ chunks: chunks.length }, "answer refused: the recipient's outbound budget is used up");
          const seconds = Math.ceil(err.retryAfterMs / 1000);
          return reply.code(429).header("retry-after", String(seconds)).send({ error: `${err.message}; try again in ${seconds} s (RELAY_OUTBOUND_PER_HOUR)` });
        }
        if (err instanceof SendError) {
          log.error({ err: err.cause, sent: err.sent }, "Twilio refused an outbound message");
          return reply.code(502).send({ error: "Twilio refused the message", sent: err.sent });
        }
        throw err;
      }
    },
  );
}
