// POST /tasks: a message from the relay. Saved to the inbox before it is acknowledged, then queued.
import { PassThrough } from "node:stream";
import type { FastifyInstance } from "fastify";
import { bearerMatches } from "../auth";
import { taskSchema, type Inbox } from "../inbox";
import type { SenderQueues } from "../queue";
import { maskNumber } from "../logger";

export interface TaskRouteDeps {
  token: string;
  inbox: Inbox;
  queues: SenderQueues;
}

export function taskRoutes(app: FastifyInstance, { token, inbox, queues }: TaskRouteDeps): void {
  app.post("/tasks", { bodyLimit: 60 * 1024 * 1024 }, async (request, reply) => {
    if (!bearerMatches(request.headers.authorization, token)) {
      return reply.code(401).send({ error: "missing or wrong bearer token (RELAY_SHARED_TOKEN)" });
    }
    const parsed = taskSchema.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ error: "malformed task", problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
    }
    const task = parsed.data;
    if (!(await inbox.add(task))) {
      request.log.info({ taskId: task.id }, "task already accepted; duplicate ignored");
      return reply.code(200).send({ accepted: true, duplicate: true });
    }
    const finished = queues.enqueue(task);
    request.log.info({ taskId: task.id, from: maskNumber(task.from), media: task.media.length }, "task accepted");
    // The 202 and its first line go out now (that is the relay's acknowledgement); the response
    // stays open until the task ends, so Fly Proxy sees a request in flight and does not
    // auto-stop the machine in the middle of a run.
    const body = new PassThrough();
    body.write(`${JSON.stringify({ accepted: true, duplicate: false })}\n`);
    void finished.then(() => body.end());
    return reply.code(202).type("application/x-ndjson").send(body);
  });
}
