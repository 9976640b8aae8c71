// POST /cancel: the relay's call when a user sends /cancel on WhatsApp. Drops what the sender has
// waiting (inbox included, so it does not come back at the next start), stops its running task,
// answers with the counts and tells the sender through the relay.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { bearerMatches } from "../auth";
import { taskSchema } from "../inbox";
import type { Cancelled, SenderQueues } from "../queue";
import { maskNumber } from "../logger";

const cancelSchema = z.object({ from: taskSchema.shape.from });

export interface CancelRouteDeps {
  token: string;
  queues: SenderQueues;
  notify: (to: string, text: string) => void;
}

export function cancelReply({ cancelledQueued: n, stoppedRunning }: Cancelled): string {
  const dropped = `dropped ${n} queued message${n === 1 ? "" : "s"}`;
  if (stoppedRunning && n > 0) return `Cancelled: stopped the running task and ${dropped}.`;
  if (stoppedRunning) return "Cancelled: stopped the running task.";
  if (n > 0) return `Cancelled: ${dropped}.`;
  return "Nothing to cancel: no task was running or waiting.";
}

export function cancelRoutes(app: FastifyInstance, { token, queues, notify }: CancelRouteDeps): void {
  app.post("/cancel", { bodyLimit: 4 * 1024 }, async (request, reply) => {
    if (!bearerMatches(request.headers.authorization, token)) {
      return reply.code(401).send({ error: "missing or wrong bearer token (RELAY_SHARED_TOKEN)" });
    }
    const parsed = cancelSchema.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ error: "malformed cancel", problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
    }
    const { from } = parsed.data;
    const result = await queues.cancel(from);
    request.log.info({ from: maskNumber(from), ...result }, "cancelled by the sender");
    notify(from, cancelReply(result));
    return reply.code(200).send(result);
  });
}
