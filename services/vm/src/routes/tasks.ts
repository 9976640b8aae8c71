// POST /tasks: a message from the relay. Saved to the inbox before it is acknowledged, then queued.
import { PassThrough } from "node:stream";
import type { FastifyInstance } from "fastify";
import { bearerMatches } from "../auth";
import { taskSchema, type Inbox } from "../inbox";
import type { SenderQueues } from "../queue";
import { maskNumber } from "../logger";
import { cancelReply } from "./cancel";

export interface TaskRouteDeps {
  token: string;
  inbox: Inbox;
  queues: SenderQueues;
  notify: (to: string, text: string) => void;
  maxQueued: number;
}

const cancelCommand = /^\s*\/cancel\s*$/i;

export function queueFullReply(maxQueued: number): string {
  return `You already have ${maxQueued} messages waiting, so this one was not queued (nor any more until there is room). Wait for the answers, or send /cancel to drop the waiting ones.`;
}

export function taskRoutes(app: FastifyInstance, { token, inbox, queues, notify, maxQueued }: TaskRouteDeps): void {
  app.post("/tasks", { bodyLimit: 60 * 1024 * 1024 }, async (request, reply) => {
    if (!bearerMatches(request.headers.authorization, token)) {
      return reply.code(401).send({ error: "missing or wrong bearer token (RELAY_SHARED_TOKEN)" });
    }
    const parsed = taskSchema.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ error: "malformed task", problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
    }
    const task = parsed.data;
    if (cancelCommand.test(task.text) && task.media.length === 0 && !(await inbox.holds(task.id))) {
      // A relay that forwards /cancel as a message: it must not wait behind what it cancels.
      const result = await queues.cancel(task.from);
      await inbox.remove(task.id);
      request.log.info({ taskId: task.id, from: maskNumber(task.from), ...result }, "cancelled by the sender");
      notify(task.from, cancelReply(result));
      return reply.code(200).send({ accepted: true, duplicate: false, ...result });
    }
    if (!(await inbox.holds(task.id)) && !queues.admits(task.from)) {
      // Taken (2xx, so the relay does not retry it) but dropped, and the sender told once.
      request.log.warn({ taskId: task.id, from: maskNumber(task.from) }, "sender's queue is full; task refused");
      if (queues.fullNoticeDue(task.from)) notify(task.from, queueFullReply(maxQueued));
      return reply.code(200).send({ accepted: false, duplicate: false, reason: `the sender already has ${maxQueued} tasks waiting` });
    }
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
