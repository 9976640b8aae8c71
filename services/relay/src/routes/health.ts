// GET /health: Fly's check. Answers from memory, without touching the disk, Twilio or the VM: the
// outbox depth, when the last message came in, and how full the volume is (a cached figure). Fly
// keeps the answer as the check's output; npm run status reads this route through the public URL.
import type { FastifyInstance } from "fastify";
import type { DiskGauge } from "../disk";
import type { Outbox } from "../store/outbox";

export function healthRoutes(app: FastifyInstance, outbox: Outbox, disk: DiskGauge): void {
  // Checked every few seconds by Fly: keep its request logs out of the info stream.
  app.get("/health", { logLevel: "warn" }, async () => {
    const use = disk.current();
    return { ok: true, outbox: outbox.count(), lastMessageAt: outbox.lastMessageAt(), ...(use ? { disk: use } : {}) };
  });
}
