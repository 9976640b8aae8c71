// The long steps of `npm run sandbox:up`, each announced with what it does and how long it usually
// takes, with a progress line every 30 s while it runs and its time when done. A step that runs
// out of time is stopped (its whole process group) and named, with what to do; a command's own
// output goes to a log file, and a failure shows its last lines and where the rest is, instead of
// hundreds of `go: downloading` lines.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface Step {
  /** Short name, as the user will see it in "step <name>". */
  name: string;
  /** What it does, e.g. "building the pulumi CLI from source". */
  doing: string;
  /** How long it usually takes, e.g. "5-25 min, once". */
  usually: string;
  timeoutMs: number;
  /** What to do when it ran out of time. */
  whenSlow: string;
}

export type Say = (line: string) => void;

const minutes = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
};

export class StepTimeout extends Error {
  constructor(step: Step) {
    super(`step "${step.name}" (${step.doing}) did not finish within ${minutes(step.timeoutMs)} (usually ${step.usually}) and was stopped. ${step.whenSlow}`);
    this.name = "StepTimeout";
  }
}

/** Runs `action` as a step: announced, timed, with a heartbeat, stopped at its timeout. */
export async function runStep<T>(step: Step, action: (signal: AbortSignal, progress: () => string) => Promise<T>, say: Say, progress: () => string = () => ""): Promise<T> {
  const started = Date.now();
  say(`▶ ${step.name}: ${step.doing} (usually ${step.usually})`);
  const abort = new AbortController();
  const heartbeat = setInterval(() => {
    const detail = progress();
    say(`  … ${step.name}: still ${step.doing}, ${minutes(Date.now() - started)} so far${detail ? ` (${detail})` : ""}`);
  }, 30_000);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new StepTimeout(step));
    }, step.timeoutMs);
  });
  try {
    const result = await Promise.race([action(abort.signal, progress), timeout]);
    say(`✔ ${step.name}: done in ${minutes(Date.now() - started)}`);
    return result;
  } finally {
    clearInterval(heartbeat);
    clearTimeout(timer);
  }
}

/** Runs a command with its output in `logFile`; resolves with its stdout. Aborting kills its process group. */
export function runLogged(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; logFile: string; signal: AbortSignal }): Promise<string> {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile);
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout stops what it started too (go build's compilers).
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      log.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => log.write(chunk));
    const onAbort = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    options.signal.addEventListener("abort", onAbort, { once: true });
    child.once("error", reject);
    child.once("close", (code) => {
      options.signal.removeEventListener("abort", onAbort);
      // The log is read for the message only once everything is written to it.
      log.end(() => {
        if (code === 0) return resolve(stdout);
        const what = [command, ...args].map((a) => path.basename(a)).join(" ");
        reject(new Error(`${what.length > 60 ? `${what.slice(0, 57)}...` : what} failed (exit ${code ?? "signal"}); its last lines:\n${lastLines(options.logFile)}\n  the whole output is in ${options.logFile}`));
      });
    });
  });
}

export function lastLines(file: string, count = 15): string {
  if (!existsSync(file)) return "  (no output)";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-count).map((l) => `  | ${l}`).join("\n");
}

/** Progress of a Go build from its log: how many modules it has downloaded so far. */
export function goProgress(logFile: string): () => string {
  return () => {
    if (!existsSync(logFile)) return "";
    const text = readFileSync(logFile, "utf8");
    const downloads = text.split("\n").filter((l) => l.startsWith("go: downloading")).length;
    return downloads > 0 ? `${downloads} Go modules downloaded; log ${logFile}` : `log ${logFile}`;
  };
}
