// GET /health: Fly's check. Answers from memory, without touching the disk, Twilio or the VM.
import type { FastifyInstance } from "fastify";
import type { Outbox } from "../store/outbox";

export function healthRoutes(app: FastifyInstance, outbox: Outbox): void {
  // Checked every few seconds by Fly: keep its request logs out of the info stream.
  app.get("/health", { logLevel: "warn" }, async () => ({ ok: true, outbox: outbox.count() }));
}
