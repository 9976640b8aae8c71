// Machines as podman containers of the project's real images: the same interface as ProcessRuntime
// (the local Fly API calls start/update/stop/suspend/destroy/checks and listens for exits), with
// what Fly does to a machine (https://fly.io/docs/machines/overview/, /docs/reference/suspend-resume/,
// /docs/machines/runtime-environment/):
// - each start runs a fresh container from the image (Fly's root filesystem is "a blank slate on
//   every startup"); a Fly volume is a podman volume mounted at its path, without the image's
//   files copied into it (a Fly volume hides what the image had there);
// - env = machine config env + the app's secrets + Fly's FLY_* variables; values reach podman
//   through its environment (`-e NAME`), never on a command line;
// - stop = SIGTERM to the machine's process (catatonit as PID 1 forwards it, as Fly's init does),
//   SIGKILL after the timeout; suspend = the container paused with its memory (cgroup freezer),
//   start resumes it; a stop of a suspended machine discards that state, as on Fly.
// - a cgroup v2 folder of its own, delegated (Fly's init mounts cgroup v2 in every machine; the VM
//   runs each agent run in a cgroup of its own): a folder of the host's cgroup v2 hierarchy is
//   bind-mounted at /run/cgroup2, found by the image's entrypoint as the cgroup2 mount, removed
//   when the container is gone.
// Containers share the host's network: each listens on a free loopback port (PORT), reaches the
// sandbox proxy for .flycast/.fly.dev through the proxy preload, and the checks probe that port.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import path from "node:path";
import { podman, podmanOk } from "../images/podman";
import { probeChecks, waitUntilHealthy } from "./checks";
import { serviceForImage, type ServiceKind } from "./images";
import { freePort } from "./process-runtime";
import { parseMachineSpec, type CheckResult, type MachineSpec } from "./spec";

export interface ContainerRuntimeOptions {
  repoRoot: string;
  /** Usually <repo>/.sandbox: logs/ lives under it. */
  stateDir: string;
  /** The local images that machines of textslash-relay / textslash-vm images run (built from this checkout). */
  images: Record<ServiceKind, string>;
  /** Names containers and volumes (`<namespace>-<id>`), so sandboxes side by side never share one. */
  namespace: string;
  /** Sandbox-only env per service (fake Twilio URL, ANTHROPIC_BASE_URL). */
  sandboxEnv?: (kind: ServiceKind, spec: MachineSpec) => Record<string, string>;
  stopTimeoutMs?: number;
  log?: (line: string) => void;
  /** The sandbox proxy's URL; containers reach .flycast/.fly.dev through it. */
  proxyUrl?: string;
  /** Fly's FLY_REGION for the machines (default "ord"). */
  region?: string;
}

interface Running {
  spec: MachineSpec;
  kind: ServiceKind | undefined;
  port: number;
  name: string;
  /** The attached `podman run`: it lives exactly as long as the container. */
  client: ChildProcess;
  exited: Promise<number | null>;
  stopRequested: boolean;
  paused: boolean;
}

type ExitListener = (id: string, exitCode: number | null) => void;

const preloadInContainer = "/opt/textslash-sandbox/proxy-preload.ts";

export class ContainerRuntime {
  private readonly running = new Map<string, Running>();
  private readonly exitListeners = new Set<ExitListener>();
  private readonly log: (line: string) => void;

  constructor(private readonly options: ContainerRuntimeOptions) {
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  }

  containerName(id: string): string {
    return `${this.options.namespace}-${id}`;
  }

  volumeName(volumeId: string): string {
    return `${this.options.namespace}-${volumeId}`;
  }

  /** The image a machine runs: its own reference when podman has it (a pushed, digest-pinned image), else the checkout's build. */
  private async imageFor(spec: MachineSpec): Promise<{ image: string; kind: ServiceKind | undefined } | undefined> {
    const kind = serviceForImage(spec.image);
    if (await podmanOk(["image", "exists", spec.image])) return { image: spec.image, kind };
    return kind ? { image: this.options.images[kind], kind } : undefined;
  }

  async start(input: unknown): Promise<number | undefined> {
    const spec = parseMachineSpec(input);
    const existing = this.running.get(spec.id);
    if (existing?.paused) {
      await podman(["unpause", existing.name]);
      existing.paused = false;
      this.log(`[runtime] ${spec.appName}/${spec.id} resumed container ${existing.name} (suspend kept its memory)`);
      return existing.port;
    }
    if (existing) return existing.port;
    const resolved = await this.imageFor(spec);
    if (!resolved) return undefined;
    const port = await freePort();
    const name = this.containerName(spec.id);
    // A container of this name left by a daemon that died: its machine is being started afresh.
    await podmanOk(["rm", "--force", "--time", "0", name]);

    // The image's HEALTHCHECK is Docker's; Fly runs the machine config's checks instead (checks()).
    const args = ["run", "--rm", "--name", name, "--init", "--network", "host", "--pull", "never", "--no-healthcheck",
      "--label", `textslash.sandbox=${this.options.namespace}`, "--label", `textslash.machine=${spec.id}`,
      "--stop-timeout", String(Math.ceil((this.options.stopTimeoutMs ?? 25_000) / 1000))];
    for (const mount of spec.mounts) {
      const volume = await this.ensureVolume(mount.volumeId);
      args.push("--volume", `${volume}:${mount.path}:nocopy`);
    }
    const env = this.environment(spec, resolved.kind, port);
    if (this.options.proxyUrl) {
      args.push("--volume", `${path.join(__dirname, "proxy-preload.ts")}:${preloadInContainer}:ro`);
      args.push("--volume", `${path.join(this.options.repoRoot, "node_modules", "undici")}:/opt/textslash-sandbox/node_modules/undici:ro`);
    }
    const cgroup = hostCgroupFolder(name);
    if (cgroup) args.push("--volume", `${cgroup}:/run/cgroup2:rw`);
    for (const key of Object.keys(env)) args.push("--env", key);
    args.push(resolved.image);

    const logDir = path.join(this.options.stateDir, "logs");
    mkdirSync(logDir, { recursive: true });
    const logPath = path.join(logDir, `${spec.appName}-${spec.id}.log`);
    const logFile = createWriteStream(logPath, { flags: "a" });
    // Values only in podman's own environment: `--env NAME` takes them from there (secrets stay off argv).
    const client = spawn("podman", args, { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    client.stdout?.pipe(logFile);
    client.stderr?.pipe(logFile);
    const exited = new Promise<number | null>((resolve) => {
      client.once("error", (error) => { logFile.write(`podman could not start: ${error.message}\n`); resolve(127); });
      client.once("exit", (code) => resolve(code));
    });
    const entry: Running = { spec, kind: resolved.kind, port, name, client, exited, stopRequested: false, paused: false };
    this.running.set(spec.id, entry);
    void exited.then((code) => {
      if (cgroup) removeCgroupTree(cgroup);
      if (this.running.get(spec.id) === entry) this.running.delete(spec.id);
      const unasked = entry.stopRequested ? "" : ` on its own; see ${logPath}`;
      this.log(`[runtime] ${spec.appName}/${spec.id} container ${name} exited (code ${code ?? "signal"})${unasked}`);
      if (!entry.stopRequested) for (const listener of this.exitListeners) listener(spec.id, code);
    });
    this.log(`[runtime] ${spec.appName}/${spec.id} started container ${name} (${resolved.image}) on 127.0.0.1:${port}`);
    return port;
  }

  /** What the machine's process sees: config env, secrets, Fly's variables, then sandbox-only additions. */
  private environment(spec: MachineSpec, kind: ServiceKind | undefined, port: number): Record<string, string> {
    const env: Record<string, string> = {
      ...spec.env,
      ...spec.secrets,
      FLY_APP_NAME: spec.appName,
      FLY_MACHINE_ID: spec.id,
      FLY_ALLOC_ID: spec.id,
      FLY_REGION: this.options.region ?? "ord",
      FLY_IMAGE_REF: spec.image,
      ...(kind ? this.options.sandboxEnv?.(kind, spec) : {}),
      PORT: String(port),
      HOST: "127.0.0.1",
    };
    if (this.options.proxyUrl) {
      Object.assign(env, {
        HTTP_PROXY: this.options.proxyUrl, HTTPS_PROXY: this.options.proxyUrl, NO_PROXY: "127.0.0.1,localhost",
        NODE_OPTIONS: `--import ${preloadInContainer}`,
      });
    }
    return env;
  }

  async stop(id: string, reason = "stop"): Promise<void> {
    const entry = this.running.get(id);
    if (!entry) return;
    entry.stopRequested = true;
    if (entry.paused) {
      // Fly: stopping a suspended machine discards its snapshot; nothing runs to be told.
      this.log(`[runtime] ${entry.spec.appName}/${id} ${reason}: discarding the suspended container`);
      await podmanOk(["rm", "--force", "--time", "0", entry.name]);
    } else {
      const seconds = Math.ceil((this.options.stopTimeoutMs ?? 25_000) / 1000);
      this.log(`[runtime] ${entry.spec.appName}/${id} ${reason}: SIGTERM to container ${entry.name} (SIGKILL after ${seconds} s)`);
      await podmanOk(["stop", "--time", String(seconds), entry.name]);
    }
    const gone = await Promise.race([entry.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
    if (!gone) {
      entry.client.kill("SIGKILL");
      await podmanOk(["rm", "--force", "--time", "0", entry.name]);
    }
    await entry.exited;
  }

  /** Suspend: the container is frozen with its memory; start() resumes it. */
  async suspend(id: string): Promise<void> {
    const entry = this.running.get(id);
    if (!entry || entry.paused) return;
    await podman(["pause", entry.name]);
    entry.paused = true;
    this.log(`[runtime] ${entry.spec.appName}/${id} suspended: container ${entry.name} paused`);
  }

  async update(input: unknown): Promise<number | undefined> {
    const spec = parseMachineSpec(input);
    await this.stop(spec.id, "update");
    return this.start(spec);
  }

  async destroy(id: string): Promise<void> {
    await this.stop(id, "destroy");
  }

  onExit(listener: ExitListener): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** The port of a running (not suspended) machine. */
  portOf(id: string): number | undefined {
    const entry = this.running.get(id);
    return entry && !entry.paused ? entry.port : undefined;
  }
  isRunning(id: string): boolean { return this.portOf(id) !== undefined; }
  pidOf(id: string): number | undefined { return this.running.get(id)?.client.pid; }
  /** The attached podman clients: each lives exactly as long as its container. */
  pids(): number[] { return [...this.running.values()].flatMap((r) => (r.client.pid ? [r.client.pid] : [])); }
  /** Every container the runtime has (running or suspended), by name. */
  containers(): string[] { return [...this.running.values()].map((r) => r.name); }

  async checks(id: string): Promise<CheckResult[]> {
    const entry = this.running.get(id);
    return entry && !entry.paused ? probeChecks(entry.spec, entry.port) : [];
  }

  async waitHealthy(id: string, timeoutMs = 60_000): Promise<void> {
    await waitUntilHealthy(id, () => this.isRunning(id), () => this.checks(id), timeoutMs, path.join(this.options.stateDir, "logs"));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id, "shutdown")));
  }

  /** Removes the podman volume of a Fly volume (the runtime is not told of volume deletes; sandbox:down calls this). */
  async removeVolume(volumeId: string): Promise<void> {
    await podmanOk(["volume", "rm", "--force", this.volumeName(volumeId)]);
  }

  /**
   * A volume's podman volume exported as a tar under <stateDir>/snapshots/<snapshot id>.tar (the local
   * Fly API's snapshot hook, as ProcessRuntime copies a directory); resolves the bytes stored.
   */
  async snapshotVolume(volumeId: string, snapshotId: string): Promise<number> {
    const volume = await this.ensureVolume(volumeId);
    const file = this.snapshotFile(snapshotId);
    mkdirSync(path.dirname(file), { recursive: true });
    await podman(["volume", "export", "--output", file, volume]);
    return statSync(file).size;
  }

  /** A snapshot's tar imported into a volume's podman volume (created if no machine mounted it yet). */
  async restoreVolume(snapshotId: string, volumeId: string): Promise<void> {
    const file = this.snapshotFile(snapshotId);
    if (!existsSync(file)) throw new Error(`sandbox runtime: snapshot ${snapshotId} has no data at ${file}`);
    await podman(["volume", "import", await this.ensureVolume(volumeId), file]);
  }

  private snapshotFile(snapshotId: string): string {
    return path.join(this.options.stateDir, "snapshots", `${snapshotId}.tar`);
  }

  /** The podman volume of a Fly volume, created on first use. */
  private async ensureVolume(volumeId: string): Promise<string> {
    const volume = this.volumeName(volumeId);
    if (!(await podmanOk(["volume", "exists", volume]))) await podman(["volume", "create", "--label", `textslash.sandbox=${this.options.namespace}`, volume]);
    return volume;
  }

  /** Runs a command in a machine's container (tests look inside with it). */
  async exec(id: string, command: string[], user?: string): Promise<string> {
    const entry = this.running.get(id);
    if (!entry) throw new Error(`sandbox runtime: machine ${id} has no running container`);
    return podman(["exec", ...(user ? ["--user", user] : []), entry.name, ...command]);
  }
}

/** The host's cgroup v2 mount point (/sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a hybrid one). */
function hostCgroup2Mount(): string | undefined {
  const mounts = existsSync("/proc/mounts") ? readFileSync("/proc/mounts", "utf8") : "";
  return mounts.split("\n").map((l) => l.split(" ")).find((f) => f[2] === "cgroup2")?.[1];
}

/** A fresh folder for one container under <cgroup2>/textslash-sandbox/, or undefined without cgroup v2. */
function hostCgroupFolder(name: string): string | undefined {
  const mount = hostCgroup2Mount();
  if (!mount) return undefined;
  const dir = path.join(mount, "textslash-sandbox", name);
  try {
    removeCgroupTree(dir);
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return undefined;
  }
}

/** Removes a cgroup folder and its children, deepest first (a cgroup folder goes with rmdir only). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroupTree(path.join(dir, entry.name));
  try {
    rmdirSync(dir);
  } catch {
    // Still populated (a process outlived its container): left for the next start of this machine.
  }
}
