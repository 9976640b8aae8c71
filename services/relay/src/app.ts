// The relay app factory: the server entry point and the tests build the same app from (env, deps).
import Fastify, { type FastifyInstance } from "fastify";
import formbody from "@fastify/formbody";
import type { RelayEnv } from "./env";
import { loggerOptions } from "./logger";
import { Spool } from "./spool";
import { MediaStore } from "./media-store";
import { Delivery, defaultBackoff, type BackoffOptions } from "./delivery";
import { createTwilioGateway, type TwilioGateway } from "./twilio";
import { webhookRoutes } from "./routes/webhook";
import { callbackRoutes } from "./routes/callback";
import { mediaRoutes } from "./routes/media";
import { healthRoutes } from "./routes/health";

export interface RelayDeps {
  /** Where JSON log lines go (tests read them); stdout when absent. */
  logStream?: { write(line: string): void };
  twilio?: TwilioGateway;
  backoff?: BackoffOptions;
}

export interface Relay {
  app: FastifyInstance;
  delivery: Delivery;
  spool: Spool;
}

export const unreachableNotice =
  "Your message is saved, but the agent's machine did not answer. It will be tried again when you send the next message.";

export async function buildApp(env: RelayEnv, deps: RelayDeps = {}): Promise<Relay> {
  const app = Fastify({ logger: { ...loggerOptions(env.LOG_LEVEL), ...(deps.logStream ? { stream: deps.logStream } : {}) }, trustProxy: true });
  const twilio =
    deps.twilio ??
    createTwilioGateway({
      accountSid: env.TWILIO_ACCOUNT_SID,
      authToken: env.TWILIO_AUTH_TOKEN,
      from: env.TWILIO_WHATSAPP_NUMBER,
      ...(env.TWILIO_API_URL ? { apiUrl: env.TWILIO_API_URL } : {}),
    });
  const spool = new Spool(env.RELAY_DATA_DIR);
  const media = new MediaStore(env.RELAY_DATA_DIR);
  await spool.init();
  await media.init();

  const delivery = new Delivery({
    spool,
    vmUrl: env.CLAUDE_HOST,
    token: env.RELAY_SHARED_TOKEN,
    log: app.log,
    backoff: deps.backoff ?? defaultBackoff,
    fetchMedia: (url) => twilio.fetchMedia(url),
    onGiveUp: async (message) => {
      await twilio.send({ to: message.from, body: unreachableNotice });
    },
  });

  await app.register(formbody);
  webhookRoutes(app, { env, spool, delivery });
  callbackRoutes(app, { env, media, twilio });
  mediaRoutes(app, media);
  healthRoutes(app, spool);

  // Messages left by the previous process go out first; shutdown leaves unsent ones on disk.
  app.addHook("onReady", async () => delivery.kick());
  app.addHook("onClose", async () => delivery.stop(env.SHUTDOWN_GRACE_SECONDS * 1000));
  return { app, delivery, spool };
}
