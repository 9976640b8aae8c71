// GET /health: Fly's check; also shows how busy the VM is.
import type { FastifyInstance } from "fastify";
import type { SenderQueues } from "../queue";

export function healthRoutes(app: FastifyInstance, queues: SenderQueues): void {
  app.get("/health", async () => ({ ok: true, ...queues.stats() }));
}
