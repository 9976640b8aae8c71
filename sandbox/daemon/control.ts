import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { pidAlive, readDaemonInfo, removeDaemonInfo, repoRoot, sandboxPaths, type DaemonInfo, type SandboxPaths } from "./state";

// Starting and stopping the daemon from the scripts: start it detached (it outlives the script),
// reuse a healthy one, clear a stale daemon.json, and on stop wait until the daemon and every
// machine process it ran are gone, checked by pid.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when the daemon's Fly API answers its token-checked state endpoint. */
export async function daemonHealthy(info: DaemonInfo): Promise<boolean> {
  try {
    const res = await fetch(`${info.apiUrl}/__sandbox/state`, { headers: { authorization: `Bearer ${info.token}` }, signal: AbortSignal.timeout(3_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function logTail(file: string, lines = 20): string {
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** Reuses a running daemon or starts one detached; resolves with its info once it serves. */
export async function ensureDaemon(options: { paths?: SandboxPaths; idleMs?: number; say?: (line: string) => void } = {}): Promise<DaemonInfo> {
  const paths = options.paths ?? sandboxPaths();
  const say = options.say ?? ((line: string) => console.log(line));
  const existing = readDaemonInfo(paths);
  if (existing && pidAlive(existing.pid) && (await daemonHealthy(existing))) {
    say(`sandbox daemon already running (pid ${existing.pid})`);
    return existing;
  }
  if (existing && pidAlive(existing.pid)) {
    throw new Error(`the sandbox daemon (pid ${existing.pid}) runs but its Fly API at ${existing.apiUrl} does not answer; see ${paths.daemonLog}, then npm run sandbox:down`);
  }
  if (existing) removeDaemonInfo(paths); // stale: the daemon died without cleaning up

  mkdirSync(paths.dir, { recursive: true });
  const out = openSync(paths.daemonLog, "a");
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.idleMs !== undefined) env.SANDBOX_IDLE_MS = String(options.idleMs);
  env.TEXTSLASH_SANDBOX_DIR = paths.dir;
  const child = spawn(process.execPath, ["--import", "tsx", path.join("sandbox", "daemon", "main.ts")], {
    cwd: repoRoot, detached: true, stdio: ["ignore", out, out], env,
  });
  child.unref();
  say(`starting the sandbox daemon (pid ${child.pid}, log ${path.relative(process.cwd(), paths.daemonLog)})`);
  let exited = false;
  child.once("exit", () => { exited = true; });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the sandbox daemon exited during start-up; last lines of ${paths.daemonLog}:\n${logTail(paths.daemonLog)}`);
    const info = readDaemonInfo(paths);
    if (info && info.pid === child.pid && (await daemonHealthy(info))) return info;
    await sleep(200);
  }
  throw new Error(`the sandbox daemon did not become ready within 60 s; see ${paths.daemonLog}`);
}

const pidsSchema = z.array(z.number().int().positive());

/** The machine processes the daemon last reported (.sandbox/machine-pids.json). */
export function readMachinePids(paths: SandboxPaths = sandboxPaths()): number[] {
  const file = path.join(paths.dir, "machine-pids.json");
  if (!existsSync(file)) return [];
  const parsed = pidsSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  return parsed.success ? parsed.data : [];
}

/**
 * SIGTERM to the daemon (it stops its machines first), then waits until the daemon and every
 * machine pid it reported are gone. Resolves with the pids that were checked.
 */
export async function stopDaemon(options: { paths?: SandboxPaths; say?: (line: string) => void; alsoCheck?: number[] } = {}): Promise<{ daemonPid?: number; machinePids: number[] }> {
  const paths = options.paths ?? sandboxPaths();
  const say = options.say ?? ((line: string) => console.log(line));
  const info = readDaemonInfo(paths);
  const machinePids = [...new Set([...(options.alsoCheck ?? []), ...readMachinePids(paths)])];
  if (!info || !pidAlive(info.pid)) {
    if (info) removeDaemonInfo(paths);
    const left = machinePids.filter(pidAlive);
    if (left.length > 0) throw new Error(`no daemon runs, but machine processes ${left.join(", ")} are still alive; they were started by the sandbox: kill them by pid`);
    say("no sandbox daemon is running");
    return { machinePids };
  }
  say(`stopping the sandbox daemon (pid ${info.pid})`);
  process.kill(info.pid, "SIGTERM");
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline && (pidAlive(info.pid) || machinePids.some(pidAlive))) await sleep(200);
  const left = [info.pid, ...machinePids].filter(pidAlive);
  if (left.length > 0) {
    throw new Error(`sandbox processes still alive after 45 s: ${left.join(", ")}; see ${paths.daemonLog}, then kill them by pid`);
  }
  removeDaemonInfo(paths);
  return { daemonPid: info.pid, machinePids };
}

const volumeStateSchema = z.object({ volumes: z.array(z.object({ id: z.string() })) });

/**
 * Deletes .sandbox/volumes/<id> directories of volumes the Fly API no longer has (the runtime
 * maps volumes to directories but is not told about volume deletion). Returns the removed ids.
 */
export async function pruneVolumeDirs(info: DaemonInfo, paths: SandboxPaths = sandboxPaths()): Promise<string[]> {
  const res = await fetch(`${info.apiUrl}/__sandbox/state`, { headers: { authorization: `Bearer ${info.token}` } });
  if (!res.ok) throw new Error(`GET /__sandbox/state answered ${res.status}; volume directories left as they are`);
  const live = new Set(volumeStateSchema.parse(await res.json()).volumes.map((v) => v.id));
  const dir = path.join(paths.dir, "volumes");
  if (!existsSync(dir)) return [];
  const gone = readdirSync(dir).filter((id) => !live.has(id));
  for (const id of gone) rmSync(path.join(dir, id), { recursive: true, force: true });
  return gone;
}
