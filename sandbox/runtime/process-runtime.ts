import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { probeChecks, waitUntilHealthy } from "./checks";
import { childEnv } from "./env";
import { entryPointFor, serviceForImage, type ServiceKind } from "./images";
import { parseMachineSpec, type CheckResult, type MachineSpec } from "./spec";
import { restoreVolumeDir, snapshotVolumeDir } from "./volume-snapshots";

// Machines as local processes. Each machine whose image is textslash-relay/-vm runs as
// `node --import tsx services/<kind>/src/server.ts` on a free port; other images are state only.
// Suspend is modelled as stop (no memory snapshot on a laptop): the process exits and /data stays.

export interface ProcessRuntimeOptions {
  repoRoot: string;
  /** Usually <repo>/.sandbox: volumes/, machines/, logs/ live under it. */
  stateDir: string;
  /** Sandbox-only env per service (fake Twilio URL, CLAUDE_BIN, proxy preload). */
  sandboxEnv?: (kind: ServiceKind, spec: MachineSpec) => Record<string, string>;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  log?: (line: string) => void;
  /** The sandbox proxy's URL; when set, processes reach .flycast/.fly.dev through it. */
  proxyUrl?: string;
}

interface Running {
  spec: MachineSpec;
  kind: ServiceKind;
  port: number;
  child: ChildProcess;
  exited: Promise<void>;
  /** Set by stop(): an exit after it was asked for, not a crash. */
  stopRequested: boolean;
}

type ExitListener = (id: string, exitCode: number | null) => void;

export class ProcessRuntime {
  private readonly running = new Map<string, Running>();
  private readonly exitListeners = new Set<ExitListener>();
  private readonly log: (line: string) => void;

  constructor(private readonly options: ProcessRuntimeOptions) {
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  }

  /** Starts the machine's process; resolves with its port, or undefined for a state-only image. */
  async start(input: unknown): Promise<number | undefined> {
    const spec = parseMachineSpec(input);
    const kind = serviceForImage(spec.image);
    if (!kind) return undefined;
    const existing = this.running.get(spec.id);
    if (existing) return existing.port;
    const port = await freePort();
    const mountDirs = new Map<string, string>();
    for (const mount of spec.mounts) {
      const dir = path.join(this.options.stateDir, "volumes", mount.volumeId);
      mkdirSync(dir, { recursive: true });
      mountDirs.set(mount.path, dir);
    }
    const rootfsDir = path.join(this.options.stateDir, "machines", spec.id, "rootfs");
    mkdirSync(rootfsDir, { recursive: true });
    const env = childEnv(spec, { kind, port, mountDirs, rootfsDir, sandboxEnv: this.options.sandboxEnv?.(kind, spec) ?? {} });
    const logDir = path.join(this.options.stateDir, "logs");
    mkdirSync(logDir, { recursive: true });
    const logFile = createWriteStream(path.join(logDir, `${spec.appName}-${spec.id}.log`), { flags: "a" });
    const proxyEnv: Record<string, string> = this.options.proxyUrl
      ? { HTTP_PROXY: this.options.proxyUrl, HTTPS_PROXY: this.options.proxyUrl, NO_PROXY: "127.0.0.1,localhost" }
      : {};
    const preload = this.options.proxyUrl ? ["--import", path.join(__dirname, "proxy-preload.ts")] : [];
    const child = spawn(process.execPath, ["--import", "tsx", ...preload, entryPointFor(kind)], {
      cwd: this.options.repoRoot,
      // Only what the machine would have plus PATH/HOME; never the daemon's own secrets.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...proxyEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const entry: Running = { spec, kind, port, child, exited, stopRequested: false };
    this.running.set(spec.id, entry);
    void exited.then(() => {
      if (this.running.get(spec.id) === entry) this.running.delete(spec.id);
      const unasked = entry.stopRequested ? "" : ` on its own; see ${path.join(logDir, `${spec.appName}-${spec.id}.log`)}`;
      this.log(`[runtime] ${spec.appName}/${spec.id} process exited (code ${child.exitCode ?? "signal"})${unasked}`);
      if (!entry.stopRequested) for (const listener of this.exitListeners) listener(spec.id, child.exitCode);
    });
    this.log(`[runtime] ${spec.appName}/${spec.id} started ${kind} pid ${child.pid} on 127.0.0.1:${port}`);
    return port;
  }

  /** SIGTERM (graceful drain in the services), then SIGKILL after the timeout. */
  async stop(id: string, reason = "stop"): Promise<void> {
    const entry = this.running.get(id);
    if (!entry) return;
    entry.stopRequested = true;
    this.log(`[runtime] ${entry.spec.appName}/${id} ${reason}: SIGTERM to pid ${entry.child.pid}`);
    entry.child.kill("SIGTERM");
    const timeout = this.options.stopTimeoutMs ?? 25_000;
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => { entry.child.kill("SIGKILL"); resolve(); }, timeout);
    });
    await Promise.race([entry.exited, killed]);
    clearTimeout(timer);
    await entry.exited;
  }

  /** Suspend = stop here; the volume keeps /data, memory is not kept. */
  async suspend(id: string): Promise<void> {
    await this.stop(id, "suspend (modelled as stop)");
  }

  /**
   * Update replaces the process (new env/image/secrets) and, as on Fly, the root filesystem. The
   * Fly API calls it when it launches the updated machine, so the new process always starts, even
   * when the machine was stopped before (Fly starts a stopped machine on update unless skip_launch).
   */
  async update(input: unknown): Promise<number | undefined> {
    const spec = parseMachineSpec(input);
    await this.stop(spec.id, "update");
    rmSync(path.join(this.options.stateDir, "machines", spec.id, "rootfs"), { recursive: true, force: true });
    return this.start(spec);
  }

  async destroy(id: string): Promise<void> {
    await this.stop(id, "destroy");
    rmSync(path.join(this.options.stateDir, "machines", id), { recursive: true, force: true });
  }

  /** The Fly API subscribes here to learn of processes that exit without being stopped (see MachineRuntimeHook). */
  onExit(listener: ExitListener): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** A volume's directory copied as a snapshot (the local Fly API's snapshot hook); resolves the bytes stored. */
  snapshotVolume(volumeId: string, snapshotId: string): Promise<number> {
    return snapshotVolumeDir(this.options.stateDir, volumeId, snapshotId);
  }

  restoreVolume(snapshotId: string, volumeId: string): Promise<void> {
    return restoreVolumeDir(this.options.stateDir, snapshotId, volumeId);
  }

  portOf(id: string): number | undefined { return this.running.get(id)?.port; }
  isRunning(id: string): boolean { return this.running.has(id); }
  pidOf(id: string): number | undefined { return this.running.get(id)?.child.pid; }
  pids(): number[] { return [...this.running.values()].flatMap((r) => (r.child.pid ? [r.child.pid] : [])); }

  /** Probes each check path on the process for real; a stopped machine has no results. */
  async checks(id: string): Promise<CheckResult[]> {
    const entry = this.running.get(id);
    return entry ? probeChecks(entry.spec, entry.port) : [];
  }

  /** Waits (bounded) until every check passes; throws naming the failing check and the log file. */
  async waitHealthy(id: string, timeoutMs = 20_000): Promise<void> {
    await waitUntilHealthy(id, () => this.running.has(id), () => this.checks(id), timeoutMs, ".sandbox/logs");
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id, "shutdown")));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
