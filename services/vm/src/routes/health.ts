// GET /health: Fly's check; also shows how busy the VM is and how full /data is. Fly keeps the
// answer as the check's output, which is where `npm run status` reads it without waking the VM.
import type { FastifyInstance } from "fastify";
import { diskUse } from "../disk";
import type { SenderQueues } from "../queue";

export function healthRoutes(app: FastifyInstance, queues: SenderQueues, dataDir: string): void {
  // Checked every few seconds by Fly: keep its request logs out of the info stream.
  app.get("/health", { logLevel: "warn" }, async () => {
    const disk = await diskUse(dataDir);
    return { ok: true, ...queues.stats(), ...(disk ? { disk } : {}) };
  });
}
