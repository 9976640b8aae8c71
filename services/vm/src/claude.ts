// Runs Claude Code headless once: `claude -p <prompt> --output-format json [--resume <id>]`, in its
// own process group so a timeout stops it and everything it started (browsers included).
import { spawn } from "node:child_process";
import { z } from "zod";

const resultSchema = z.looseObject({
  type: z.literal("result"),
  is_error: z.boolean().default(false),
  result: z.string().default(""),
  session_id: z.string().min(1),
});

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
}

const killGraceMs = 5_000;
const maxOutput = 10 * 1024 * 1024;

export function runClaude(run: ClaudeRun): Promise<ClaudeOutcome> {
  const args = ["-p", run.prompt, "--output-format", "json", "--dangerously-skip-permissions", "--append-system-prompt", run.systemPrompt];
  if (run.sessionId) args.push("--resume", run.sessionId);

  return new Promise((resolve) => {
    // Aborted while the task was being prepared: an abort listener added now would never fire.
    if (run.signal?.aborted) return resolve({ kind: "error", message: "stopped: the VM is shutting down" });
    const child = spawn(run.bin, args, { cwd: run.cwd, env: run.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let settled = false;
    const finish = (outcome: ClaudeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal?.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const killGroup = () => {
      const pid = child.pid;
      if (pid === undefined) return;
      const send = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          // Already gone.
        }
      };
      send("SIGTERM");
      setTimeout(() => send("SIGKILL"), killGraceMs).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, run.timeoutSeconds * 1000);
    const onAbort = () => killGroup();
    run.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout.on("data", (chunk: Buffer) => {
      if (stdout.length < maxOutput) stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString("utf8");
    });
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
  return { kind: "error", message: `Claude Code ${how}: ${detail}`, ...(parsed ? { sessionId: parsed.session_id } : {}) };
}
