// One task from start to answer: commands, saving photos, running Claude Code with the sender's
// session, and the reply (text, images, failure or timeout) through the relay.
import { join } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import type { Task } from "./inbox";
import type { Sessions } from "./sessions";
import type { RelayClient } from "./relay-client";
import { makeRunFolder, type DataDirs } from "./data-dirs";
import type { AgentIsolation } from "./env";
import { runClaude, type ClaudeOutcome } from "./claude";
import { collectOutbound, saveInbound } from "./images";
import { maskNumber } from "./logger";
import { cancelReason, type WorkResult } from "./queue";

export interface ProcessorDeps {
  dirs: DataDirs;
  sessions: Sessions;
  relay: RelayClient;
  log: FastifyBaseLogger;
  claudeBin: string;
  timeoutSeconds: number;
  childEnv: NodeJS.ProcessEnv;
  /** The agent's user and cgroup folder; absent only with AGENT_ISOLATION=off. */
  isolation?: AgentIsolation;
}

export const newConversationReply = "Started a new conversation.";
const newCommand = /^\/new\b\s*/i;

/**
 * Resolves "handed-back" when shutdown stopped the run (the task stays in the inbox for the next
 * start) and "cancelled" when the sender's cancel did (the cancel's own answer tells the sender).
 */
export async function processTask(task: Task, deps: ProcessorDeps, signal: AbortSignal): Promise<WorkResult> {
  const log = deps.log.child({ taskId: task.id, from: maskNumber(task.from) });
  let text = task.text.trim();
  if (newCommand.test(text)) {
    await deps.sessions.clear(task.from);
    text = text.replace(newCommand, "");
    log.info("session cleared by /new");
    if (text === "" && task.media.length === 0) {
      await reply(deps, log, { to: task.from, text: newConversationReply, images: [] });
      return "done";
    }
  }

  const runDir = join(deps.dirs.images, task.id);
  await makeRunFolder(runDir, deps.isolation);
  const inbound = await saveInbound(runDir, task.media);
  const prompt = [text || "(no text)", ...(inbound.length ? [`[The user sent ${inbound.length} image(s), saved at: ${inbound.join(", ")}]`] : [])].join("\n\n");
  const systemPrompt =
    `You are answering over WhatsApp. Keep answers short and plain. To send images (for example ` +
    `Playwright screenshots) to the user, save PNG or JPEG files in ${runDir}; they are attached to your answer.`;

  const started = Date.now();
  let sessionId = await deps.sessions.get(task.from);
  const run = (resume: string | undefined) =>
    runClaude({
      bin: deps.claudeBin,
      prompt,
      systemPrompt,
      ...(resume ? { sessionId: resume } : {}),
      cwd: deps.dirs.workspace,
      env: { ...deps.childEnv, TEXTSLASH_IMAGES_DIR: runDir },
      timeoutSeconds: deps.timeoutSeconds,
      signal,
      ...(deps.isolation ? { isolation: deps.isolation } : {}),
      onLeftover: (reason) => log.error({ reason }, "processes of the run could not be stopped"),
    });
  let outcome: ClaudeOutcome = await run(sessionId);
  if (outcome.kind === "error" && sessionId && /no conversation found/i.test(outcome.message) && !signal.aborted) {
    // The session id outlived Claude's own history (e.g. a wiped home): start afresh rather than fail forever.
    log.warn("stored session unknown to Claude Code; starting a new one");
    await deps.sessions.clear(task.from);
    sessionId = undefined;
    outcome = await run(undefined);
  }
  if (signal.aborted) return signal.reason === cancelReason ? "cancelled" : "handed-back";
  log.info({ outcome: outcome.kind, ms: Date.now() - started, resumed: Boolean(sessionId) }, "claude run finished");

  if (outcome.kind === "timeout") {
    await reply(deps, log, {
      to: task.from,
      text: `The task was stopped after ${outcome.seconds} seconds without finishing (TASK_TIMEOUT_SECONDS). Send a smaller step, or /new to start afresh.`,
      images: [],
    });
    return "done";
  }
  if (outcome.sessionId) await deps.sessions.set(task.from, outcome.sessionId);
  if (outcome.kind === "error") {
    log.error({ reason: outcome.message }, "claude run failed");
    await reply(deps, log, { to: task.from, text: `Sorry, the run failed. ${outcome.message}`, images: [] });
    return "done";
  }
  const { images, skipped } = await collectOutbound(runDir);
  const note = skipped.length ? `\n\n(${skipped.length} image(s) too large or too many to send: ${skipped.join(", ")})` : "";
  await reply(deps, log, { to: task.from, text: (outcome.text || "(no answer text)") + note, images });
  return "done";
}

async function reply(deps: ProcessorDeps, log: FastifyBaseLogger, body: Parameters<RelayClient["send"]>[0]): Promise<void> {
  try {
    await deps.relay.send(body);
  } catch (err) {
    log.error({ reason: err instanceof Error ? err.message : String(err) }, "answer could not be delivered to the relay");
  }
}
