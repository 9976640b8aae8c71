// GET /health: Fly's check. Answers without touching Twilio or the VM (the VM may be asleep).
import type { FastifyInstance } from "fastify";
import type { Spool } from "../spool";

export function healthRoutes(app: FastifyInstance, spool: Spool): void {
  app.get("/health", async () => ({ ok: true, outbox: await spool.count() }));
}
