import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describeMode, sandboxMode } from "./mode";
import { startSandbox } from "./sandbox";
import { pidAlive, readDaemonInfo, removeDaemonInfo, repoRoot, sandboxPaths, writeDaemonInfo, writePrivateFile } from "./state";

// The sandbox daemon: one long-running process holding the local Fly API (persisted in
// .sandbox/flyapi.json), the machine processes, the proxy and the fake Twilio. It writes
// .sandbox/daemon.json once everything listens and, on SIGTERM/SIGINT, stops every machine
// process before exiting, so no process outlives it. Started detached by `npm run sandbox:up`:
//   node --import tsx sandbox/daemon/main.ts      (SANDBOX_IDLE_MS overrides the idle time)

const paths = sandboxPaths();

const machinePids: { current?: () => number[] } = {};

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  // After each process start/exit, record the machine pids so sandbox:down can check them by pid.
  if (line.startsWith("[runtime]") && machinePids.current) {
    writePrivateFile(path.join(paths.dir, "machine-pids.json"), JSON.stringify(machinePids.current()));
  }
}

/** The local Fly API token: generated once, kept owner-only, so the persisted state stays usable. */
function localToken(): string {
  if (existsSync(paths.tokenFile)) return readFileSync(paths.tokenFile, "utf8").trim();
  const token = `sandbox-local-token-${randomBytes(16).toString("hex")}`;
  writePrivateFile(paths.tokenFile, `${token}\n`);
  return token;
}

async function main(): Promise<void> {
  mkdirSync(paths.dir, { recursive: true });
  const existing = readDaemonInfo(paths);
  if (existing && existing.pid !== process.pid && pidAlive(existing.pid)) {
    throw new Error(`a sandbox daemon already runs (pid ${existing.pid}, ${paths.daemonJson}); stop it with npm run sandbox:down`);
  }
  const idleMs = Number(process.env.SANDBOX_IDLE_MS ?? 30_000);
  if (!Number.isFinite(idleMs) || idleMs < 100) throw new Error(`SANDBOX_IDLE_MS must be a number of milliseconds ≥ 100 (got ${process.env.SANDBOX_IDLE_MS})`);
  const mode = await sandboxMode(undefined, (line) => log(`[daemon] ${line}`));
  log(`[daemon] machines run as ${describeMode(mode)} (SANDBOX_MODE=${process.env.SANDBOX_MODE ?? "auto"})`);
  const sandbox = await startSandbox({ repoRoot, stateDir: paths.dir, token: localToken(), persistPath: paths.flyApiState, idleMs, log, mode });
  machinePids.current = () => sandbox.pids();

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string): void => {
    stopping ??= (async () => {
      log(`[daemon] ${signal}: stopping machines, proxy, Fly API and fake Twilio`);
      await sandbox.close();
      removeDaemonInfo(paths);
      log("[daemon] stopped");
      process.exit(0);
    })();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  // A bug must not leave machine processes behind: stop everything, then fail.
  process.on("uncaughtException", (error) => {
    log(`[daemon] uncaught error: ${error.stack ?? error.message}`);
    shutdown("uncaught error");
  });

  writeDaemonInfo({ pid: process.pid, apiUrl: sandbox.apiUrl, registryUrl: sandbox.registryUrl, proxyUrl: sandbox.proxyUrl, twilioUrl: sandbox.twilioUrl,
    token: sandbox.token, startedAt: new Date().toISOString(), log: paths.daemonLog }, paths);
  log(`[daemon] ready (pid ${process.pid}); ${paths.daemonJson} written`);
}

main().catch((error: unknown) => {
  log(`[daemon] failed to start: ${(error as Error).message}`);
  process.exit(1);
});
