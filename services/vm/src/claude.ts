// Runs Claude Code headless once: `claude -p --output-format json [--resume <id>] -- <prompt>`, as the
// agent (agent-process.ts), so a timeout or a stop ends it and everything it started (browsers included).
import { z } from "zod";
import { spawnAgent, type AgentProcess } from "./agent-process";
import type { AgentIsolation } from "./env";

const resultSchema = z.looseObject({
  type: z.literal("result"),
  is_error: z.boolean().default(false),
  result: z.string().default(""),
  session_id: z.string().min(1),
  /** The HTTP status of the Anthropic API error that ended the run (Claude Code's JSON result), if any. */
  api_error_status: z.number().int().nullable().optional(),
});

/** What an Anthropic API error means for the user, in words (https://docs.claude.com/en/api/errors). */
const apiErrorWords: Record<number, string> = {
  401: "Anthropic refused the API key (401). Set a valid one with `pulumi config set --secret textslash:anthropicApiKey <key>` and run `pulumi up`.",
  403: "the API key may not use this model or resource (403). Check the key's workspace and permissions in the Anthropic console.",
  429: "the Anthropic account hit its rate or spend limit (429). Try again in a minute; if it persists, check the limits in the Anthropic console.",
  500: "Anthropic's API had an internal error (500). Try again in a moment.",
  529: "Anthropic's API is overloaded right now (529). Try again in a few minutes.",
};

export type ClaudeOutcome =
  | { kind: "ok"; text: string; sessionId: string }
  | { kind: "error"; message: string; sessionId?: string }
  | { kind: "timeout"; seconds: number };

export interface ClaudeRun {
  bin: string;
  prompt: string;
  systemPrompt: string;
  sessionId?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutSeconds: number;
  signal?: AbortSignal;
  /** Run as the agent user in a cgroup of its own; absent only with AGENT_ISOLATION=off. */
  isolation?: AgentIsolation;
  /** Told when processes of the run could not be killed (they are still running). */
  onLeftover?: (message: string) => void;
}

const killGraceMs = 5_000;
const maxOutput = 10 * 1024 * 1024;

export async function runClaude(run: ClaudeRun): Promise<ClaudeOutcome> {
  // `-p` is a flag and the prompt a positional argument: after `--`, so a message such as
  // "--version" is the prompt, never an option of claude (the real CLI printed its version).
  const args = ["-p", "--output-format", "json", "--dangerously-skip-permissions", "--append-system-prompt", run.systemPrompt];
  if (run.sessionId) args.push("--resume", run.sessionId);
  args.push("--", run.prompt);

  // Aborted while the task was being prepared: an abort listener added now would never fire.
  if (run.signal?.aborted) return { kind: "error", message: "stopped: the VM is shutting down" };
  let agent: AgentProcess;
  try {
    agent = await spawnAgent(run.bin, args, { cwd: run.cwd, env: run.env, ...(run.isolation ? { isolation: run.isolation } : {}) });
  } catch (err) {
    return { kind: "error", message: `could not start ${run.bin}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const { child } = agent;

  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: ClaudeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      run.signal?.removeEventListener("abort", stop);
      // Answered only once nothing of the run is left: whatever it started in the background too.
      agent.killAll().then(
        () => resolve(outcome),
        (err: unknown) => {
          run.onLeftover?.(err instanceof Error ? err.message : String(err));
          resolve(outcome);
        },
      );
    };
    // SIGTERM first (Claude saves its session), then SIGKILL for everything the run started.
    function stop() {
      agent.terminate();
      killTimer ??= setTimeout(() => void agent.killAll().catch(() => undefined), killGraceMs);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, run.timeoutSeconds * 1000);
    run.signal?.addEventListener("abort", stop, { once: true });
    if (run.signal?.aborted) stop();

    child.stdout?.on("data", (chunk: Buffer) => {
      if (stdout.length < maxOutput) stdout += chunk.toString("utf8");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString("utf8");
    });
    // Claude has exited: what it left running dies with the run, which also closes the output
    // pipes those processes inherited (until then "close" would wait for them).
    child.on("exit", () => void agent.killAll().catch(() => undefined));
    child.on("error", (err) => finish({ kind: "error", message: `could not start ${run.bin}: ${err.message}` }));
    child.on("close", (code, signal) => {
      if (timedOut) return finish({ kind: "timeout", seconds: run.timeoutSeconds });
      if (run.signal?.aborted) return finish({ kind: "error", message: "stopped: the VM is shutting down" });
      finish(interpret(stdout, stderr, code, signal));
    });
  });
}

function interpret(stdout: string, stderr: string, code: number | null, signal: NodeJS.Signals | null): ClaudeOutcome {
  const line = stdout.trim().split("\n").filter((l) => l.trim().startsWith("{")).pop();
  let parsed: z.infer<typeof resultSchema> | undefined;
  try {
    parsed = line ? resultSchema.parse(JSON.parse(line)) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed && !parsed.is_error && code === 0) return { kind: "ok", text: parsed.result, sessionId: parsed.session_id };
  const detail = (parsed?.result || stderr.trim().split("\n").slice(-3).join(" ") || "no output").slice(0, 500);
  const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
  const words = parsed?.api_error_status ? apiErrorWords[parsed.api_error_status] : undefined;
  const message = words ? `Claude could not reach its model: ${words} (Claude Code said: ${detail})` : `Claude Code ${how}: ${detail}`;
  return { kind: "error", message, ...(parsed ? { sessionId: parsed.session_id } : {}) };
}
