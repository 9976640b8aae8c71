// The VM app factory: the server entry point and the tests build the same app from (env, deps).
import Fastify, { type FastifyInstance } from "fastify";
import type { VmEnv } from "./env";
import { loggerOptions } from "./logger";
import { dataDirs, ensureDataDirs } from "./data-dirs";
import { Inbox } from "./inbox";
import { Sessions } from "./sessions";
import { SenderQueues } from "./queue";
import { processTask } from "./processor";
import { createRelayClient, type RelayClient } from "./relay-client";
import { taskRoutes } from "./routes/tasks";
import { healthRoutes } from "./routes/health";
import { cancelRoutes } from "./routes/cancel";
import { maskNumber } from "./logger";
import { claudeEnvironment } from "./agent-env";
import { checkIsolation, sweepStaleRuns } from "./agent-process";

export interface VmDeps {
  /** Where JSON log lines go (tests read them); stdout when absent. */
  logStream?: { write(line: string): void };
  relay?: RelayClient;
  /** Extra variables for the Claude process (tests point the fake claude at its state folder). */
  childEnv?: NodeJS.ProcessEnv;
}

export interface Vm {
  app: FastifyInstance;
  queues: SenderQueues;
}

export async function buildApp(env: VmEnv, deps: VmDeps = {}): Promise<Vm> {
  const app = Fastify({ logger: { ...loggerOptions(env.LOG_LEVEL), ...(deps.logStream ? { stream: deps.logStream } : {}) } });
  const dirs = dataDirs(env.DATA_DIR);
  await ensureDataDirs(dirs, env.agent);
  if (env.agent) {
    await checkIsolation(env.agent);
    const stale = await sweepStaleRuns(env.agent);
    if (stale) app.log.warn({ runs: stale }, "killed the runs a previous VM process left behind");
  } else {
    app.log.warn("AGENT_ISOLATION=off: Claude runs as the VM's own user and can read the relay token (local sandbox only)");
  }
  const inbox = new Inbox(dirs.inbox);
  const sessions = new Sessions(dirs.sessions);
  const relay = deps.relay ?? createRelayClient(env.RELAY_CALLBACK_URL, env.RELAY_SHARED_TOKEN);
  const processorDeps = {
    dirs,
    sessions,
    relay,
    log: app.log,
    claudeBin: env.CLAUDE_BIN,
    timeoutSeconds: env.TASK_TIMEOUT_SECONDS,
    childEnv: claudeEnvironment(env, dirs.home, process.env, deps.childEnv),
    ...(env.agent ? { isolation: env.agent } : {}),
  };
  const queues = new SenderQueues(
    (task, signal) => processTask(task, processorDeps, signal),
    {
      onDone: (task) => inbox.remove(task.id),
      onError: (task, err) => app.log.error({ err, taskId: task.id }, "task failed unexpectedly"),
    },
    env.MAX_QUEUED_PER_SENDER,
  );
  // Messages of the VM's own (queue full, cancelled): sent in the background, failures logged.
  const notify = (to: string, text: string) =>
    void relay.send({ to, text, images: [] }).catch((err: unknown) =>
      app.log.error({ reason: err instanceof Error ? err.message : String(err), to: maskNumber(to) }, "notice could not be delivered to the relay"),
    );

  taskRoutes(app, { token: env.RELAY_SHARED_TOKEN, inbox, queues, notify, maxQueued: env.MAX_QUEUED_PER_SENDER });
  cancelRoutes(app, { token: env.RELAY_SHARED_TOKEN, queues, notify });
  healthRoutes(app, queues, env.DATA_DIR);

  // Tasks acknowledged before a restart run first, in their original order.
  app.addHook("onReady", async () => {
    const pending = await inbox.pending((file) => app.log.error({ file }, "unreadable task file dropped"));
    if (pending.length) app.log.info({ tasks: pending.length }, "resuming tasks from the inbox");
    for (const task of pending) void queues.enqueue(task);
  });
  app.addHook("preClose", async () => queues.stop(env.SHUTDOWN_GRACE_SECONDS * 1000));
  return { app, queues };
}
