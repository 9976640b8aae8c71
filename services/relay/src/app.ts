// The relay app factory: the server entry point and the tests build the same app from (env, deps).
import Fastify, { LogController, type FastifyError, type FastifyInstance } from "fastify";
import type { RelayEnv } from "./env";
import { loggerOptions, maskNumber } from "./logger";
import { Outbox } from "./store/outbox";
import { MediaStore } from "./store/media-store";
import { Delivery, defaultBackoff, type BackoffOptions } from "./delivery";
import { createTwilioGateway, type TwilioGateway } from "./twilio";
import { Intake } from "./intake";
import { CancelCommand } from "./cancel";
import { AnswerSender } from "./answer";
import { registerFormParser, webhookBodyLimit } from "./form";
import { webhookRoutes } from "./routes/webhook";
import { callbackRoutes } from "./routes/callback";
import { statusRoutes } from "./routes/status";
import { mediaRoutes } from "./routes/media";
import { healthRoutes } from "./routes/health";
import { DiskGauge } from "./disk";
import { LoopDelay } from "./loop-delay";

export { unreachableNotice } from "./delivery";

export interface RelayDeps {
  /** Where JSON log lines go (tests read them); stdout when absent. */
  logStream?: { write(line: string): void };
  twilio?: TwilioGateway;
  backoff?: BackoffOptions;
  /** twilio-node's own 429 retries (tests shorten the wait, never turn them off). */
  twilioRetries?: { maxRetries: number; maxRetryDelayMs: number };
  /** /cancel's attempts at the VM and the pause between them. */
  cancelRetry?: { attempts: number; delayMs: number };
  /** How late the event loop is, for shedding (tests may pass a gauge they control). */
  loopDelay?: { behindMs(): number; stop(): void };
}

export interface Relay {
  app: FastifyInstance;
  delivery: Delivery;
  outbox: Outbox;
  media: MediaStore;
  cancel: CancelCommand;
}

export async function buildApp(env: RelayEnv, deps: RelayDeps = {}): Promise<Relay> {
  const app = Fastify({
    logger: { ...loggerOptions(env.LOG_LEVEL), ...(deps.logStream ? { stream: deps.logStream } : {}) },
    trustProxy: true,
    // One line per request (below) instead of Fastify's two; /webhook logs its own outcome line.
    // (Fastify 5.12 deprecates the top-level disableRequestLogging for this LogController option.)
    logController: new LogController({ disableRequestLogging: true }),
    // Routes that take a body say how much; everything else gets the webhook's small limit.
    bodyLimit: webhookBodyLimit,
  });
  const twilio =
    deps.twilio ??
    createTwilioGateway({
      accountSid: env.TWILIO_ACCOUNT_SID,
      authToken: env.TWILIO_AUTH_TOKEN,
      from: env.TWILIO_WHATSAPP_NUMBER,
      statusCallback: `${env.PUBLIC_URL}/status`,
      ...(env.TWILIO_API_URL ? { apiUrl: env.TWILIO_API_URL } : {}),
      ...(deps.twilioRetries ?? {}),
    });
  const notify = async (to: string, body: string) => {
    await twilio.send({ to, body });
  };
  const outbox = new Outbox(env.RELAY_DATA_DIR);
  const media = new MediaStore(env.RELAY_DATA_DIR, env.RELAY_MEDIA_QUOTA_MB * 1024 * 1024);
  const answers = new AnswerSender({ dataDir: env.RELAY_DATA_DIR, twilio, media, publicUrl: env.PUBLIC_URL, perHour: env.RELAY_OUTBOUND_PER_HOUR });
  await outbox.init();
  await media.init();
  await answers.init();

  const delivery = new Delivery({
    outbox,
    vmUrl: env.CLAUDE_HOST,
    token: env.RELAY_SHARED_TOKEN,
    log: app.log,
    backoff: deps.backoff ?? defaultBackoff,
    fetchMedia: (url) => twilio.fetchMedia(url),
    notify,
  });
  const cancel = new CancelCommand({
    outbox,
    vmUrl: env.CLAUDE_HOST,
    token: env.RELAY_SHARED_TOKEN,
    log: app.log,
    notify,
    ...(deps.cancelRetry ? { vmAttempts: deps.cancelRetry.attempts, vmRetryDelayMs: deps.cancelRetry.delayMs } : {}),
  });

  // A 5xx says nothing about the inside (no paths, no error codes); the log has the details.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err }, "request failed");
      return reply.code(500).send({ error: "internal error; the relay's log has the details" });
    }
    return reply.code(status).send({ error: err.message });
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url;
    // A 200 webhook has logged its outcome; refusals before the handler (413, 400) have not.
    if (route === "/health" || (route === "/webhook" && reply.statusCode < 400)) return;
    request.log.info({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request completed");
  });
  registerFormParser(app);
  const loopDelay = deps.loopDelay ?? new LoopDelay();
  webhookRoutes(app, { env, outbox, delivery, intake: new Intake(env, outbox), cancel, loopDelay });
  callbackRoutes(app, { env, answers });
  statusRoutes(app, env);
  mediaRoutes(app, media);
  const disk = new DiskGauge(env.RELAY_DATA_DIR);
  await disk.refresh();
  healthRoutes(app, outbox, disk);

  // Messages left by the previous process go out first; shutdown leaves unsent ones on disk.
  app.addHook("onReady", async () => {
    app.log.info({ outbox: outbox.count(), senders: env.ALLOWED_PHONE_NUMBERS.map(maskNumber) }, "relay ready");
    delivery.kick();
  });
  app.addHook("onClose", async () => {
    loopDelay.stop();
    await delivery.stop(env.SHUTDOWN_GRACE_SECONDS * 1000);
    await cancel.idle();
    await Promise.all([outbox.close(), answers.close()]);
  });
  return { app, delivery, outbox, media, cancel };
}
