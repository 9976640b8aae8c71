// GET /health: Fly's check; also shows how busy the VM is.
import type { FastifyInstance } from "fastify";
import type { SenderQueues } from "../queue";

export function healthRoutes(app: FastifyInstance, queues: SenderQueues): void {
  // Checked every few seconds by Fly: keep its request logs out of the info stream.
  app.get("/health", { logLevel: "warn" }, async () => ({ ok: true, ...queues.stats() }));
}
