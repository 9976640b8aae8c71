// GET /health: Fly's check. Answers without touching Twilio or the VM (the VM may be asleep).
import type { FastifyInstance } from "fastify";
import type { Spool } from "../spool";

export function healthRoutes(app: FastifyInstance, spool: Spool): void {
  // Checked every few seconds by Fly: keep its request logs out of the info stream.
  app.get("/health", { logLevel: "warn" }, async () => ({ ok: true, outbox: await spool.count() }));
}
