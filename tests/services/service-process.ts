// A service's entry point run as a real process, for tests of start-up, signals and what the
// process's own environment exposes.
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { deferCleanup } from "./harness";
import { descendants, killIfAlive } from "./process-tree";

export const repoRoot = resolve(__dirname, "../..");

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

/**
 * The service as its own process: node with tsx's loader, as the sandbox runs it, and not through the
 * `tsx` CLI. That CLI runs the script in a child and relays SIGTERM to it, then SIGKILLs the child if
 * the child has not reported the signal back over IPC within 30 ms (tsx 4.23 dist/cli.mjs,
 * relaySignalToChild): on a loaded machine that killed the VM mid-shutdown (exit 143) and left its
 * Claude run behind.
 */
export function run(entry: string, env: Record<string, string>, wrapper: string[] = []): ServiceProcess {
  // The entry relative to the working folder: a wrapper may move it (agent-fixture.ts imageEntrypoint).
  const [command = process.execPath, ...args] = [...wrapper, process.execPath, "--import", "tsx", `./${entry}`];
  const child = spawn(command, args, { cwd: repoRoot, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  deferCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // The service and whatever it started, a wrapper's children included.
      const below = child.pid === undefined ? [] : descendants(child.pid);
      child.kill("SIGKILL");
      killIfAlive(below);
      await exit;
    }
  });
  return { child, output: () => output, exit };
}

/** The pid in the service's first JSON log line (pino logs its own pid). */
export function loggedPid(service: ServiceProcess): number | undefined {
  const line = service.output().split("\n").find((l) => l.startsWith("{"));
  return line ? (JSON.parse(line) as { pid?: number }).pid : undefined;
}
