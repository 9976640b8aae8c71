// The relay's environment, read once at start-up. Names are the contract in docs/services.md.
import { z } from "zod";

/** `+15551234567`, `whatsapp:+15551234567` → `whatsapp:+15551234567` (Twilio's form of a WhatsApp address). */
export function toWhatsAppAddress(raw: string): string {
  const bare = raw.trim().replace(/^whatsapp:/i, "");
  return `whatsapp:${bare}`;
}

const e164 = /^\+[1-9]\d{6,14}$/;
const phone = z
  .string()
  .trim()
  .refine((v) => e164.test(v.replace(/^whatsapp:/i, "")), {
    message: "must be an E.164 number such as +15551234567, with or without the whatsapp: prefix",
  })
  .transform(toWhatsAppAddress);

const httpUrl = z
  .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
  .transform((v) => v.replace(/\/+$/, ""));

const count = z.coerce.number().int().min(1);

export const relayEnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  PUBLIC_URL: httpUrl,
  CLAUDE_HOST: httpUrl,
  TWILIO_ACCOUNT_SID: z.string().trim().min(1, "must not be empty"),
  TWILIO_AUTH_TOKEN: z.string().min(1, "must not be empty"),
  TWILIO_WHATSAPP_NUMBER: phone,
  ALLOWED_PHONE_NUMBERS: z
    .string()
    .transform((v) => v.split(",").map((s) => s.trim()).filter((s) => s !== ""))
    .pipe(z.array(phone).min(1, "must list at least one number (comma-separated)")),
  RELAY_SHARED_TOKEN: z.string().min(16, "must be at least 16 characters (it is generated per stack)"),
  TWILIO_API_URL: httpUrl.optional(),
  RELAY_DATA_DIR: z.string().min(1).default("./.relay-data"),
  /** How long SIGTERM waits for the outbox to reach the VM before stopping (Fly's kill timeout is 5 s). */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(4),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Bounds (docs/services.md, "Limits"): what one sender or one holder of the relay token can do.
  /** Messages one sender may have waiting in the outbox (the VM asleep or busy). */
  RELAY_SENDER_QUEUE_LIMIT: count.default(20),
  /** Messages one sender may send at once, and per hour after that (a token bucket). */
  RELAY_SENDER_BURST: count.default(30),
  RELAY_SENDER_PER_HOUR: count.default(120),
  /** Messages waiting in the outbox, all senders together. */
  RELAY_OUTBOX_LIMIT: count.default(2000),
  /**
   * Webhooks in flight at once; beyond it the sender is told to resend. What fills it is a slow
   * disk (each webhook waits for its fsync), not CPU (that is RELAY_SHED_LOOP_DELAY_MS). At 200/s
   * on a busy shared machine 64 told 346 of 6,000 senders to resend (three runs), 256 none of 4,000.
   */
  RELAY_WEBHOOK_CONCURRENCY: count.default(256),
  /**
   * How late the event loop may run before new webhooks are told to resend (ms): the loop is that
   * late when requests wait unread in socket buffers, which no count of requests in flight sees.
   * Waiting a second is better for a sender than being asked to resend, and far from Twilio's 15 s
   * timeout; on a loaded 2-core machine 500 ms refused a few messages even at 200/s.
   */
  RELAY_SHED_LOOP_DELAY_MS: count.default(1000),
  /** Outbound WhatsApp messages per recipient per hour (and at once), whatever the callbacks ask. */
  RELAY_OUTBOUND_PER_HOUR: count.default(200),
  /** Bytes of outbound images kept on the volume (a day each at most). */
  RELAY_MEDIA_QUOTA_MB: count.default(256),
  /** Largest callback body (text and base64 images) the relay reads. */
  RELAY_CALLBACK_BODY_MB: count.max(64).default(16),
});

export type RelayEnv = z.output<typeof relayEnvSchema>;

/** Every problem at once, one per line, naming the variable; never the value (it may be a secret). */
export function parseRelayEnv(source: Record<string, string | undefined>): RelayEnv {
  const result = relayEnvSchema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    const missing = issue.code === "invalid_type" && source[String(issue.path[0])] === undefined;
    return `  ${name}: ${missing ? "is required but not set" : issue.message}`;
  });
  throw new Error(`relay environment is invalid:\n${lines.join("\n")}\nSee docs/services.md for the variables.`);
}
