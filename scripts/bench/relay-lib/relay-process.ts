// The relay as production runs it, for the relay benchmarks: compiled with tsc, started with node
// as a process of its own, logging JSON at info to a pipe this process drains (as Fly's log
// shipper does). CPU and peak memory come from /proc, so they are the relay's alone.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { setPriority, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const repoRoot = resolve(__dirname, "../../..");
const clockTicks = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

export const bench = {
  accountSid: "ACfake",
  authToken: "fake-twilio-auth-token",
  sharedToken: "fake-shared-token-0123456789",
  whatsAppNumber: "whatsapp:+14155238886",
  publicUrl: "https://bench-relay.example",
};

/** `count` allowed senders, whatsapp:+1555000xxxx. */
export function senders(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `whatsapp:+1555000${String(1000 + i).padStart(4, "0")}`);
}

/** Compiles services/relay (or another checkout's) with tsc; returns the folder holding dist/server.js. */
export function buildRelay(relayDir = join(repoRoot, "services/relay")): string {
  const tsc = join(repoRoot, "node_modules/.bin/tsc");
  const result = spawnSync(tsc, ["-p", join(relayDir, "tsconfig.json")], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`tsc failed for ${relayDir}:\n${result.stdout}${result.stderr}`);
  return relayDir;
}

/**
 * The relay at git ref `ref` (e.g. the commit before a change), extracted to a temp folder with its
 * own locked dependencies installed (npm ci), and built: the "before" side of a paired benchmark.
 */
export async function checkoutRelay(ref: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "textslash-bench-baseline-"));
  const archive = spawnSync("sh", ["-c", `git -C "${repoRoot}" archive "${ref}" services/relay | tar -x -C "${root}"`], { encoding: "utf8" });
  if (archive.status !== 0) throw new Error(`git archive ${ref} failed: ${archive.stderr}`);
  const dir = join(root, "services/relay");
  const install = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, encoding: "utf8" });
  if (install.status !== 0) throw new Error(`npm ci for ${ref} failed: ${install.stderr}`);
  buildRelay(dir);
  return { dir, remove: () => rm(root, { recursive: true, force: true }) };
}

export interface RelayProcess {
  url: string;
  pid: number;
  /** True when it runs in a memory cgroup of its machine's size (see memoryCgroup). */
  memoryLimited: boolean;
  logLines: () => number;
  /** User + system CPU of the relay process so far, in milliseconds. */
  cpuMs: () => number;
  /** Peak resident memory (VmHWM) in MB. */
  peakRssMb: () => number;
  outbox: () => Promise<number>;
  stop: () => Promise<void>;
  kill9: () => Promise<void>;
}

/**
 * A memory cgroup of `mb` for the relay, as its Fly machine has (relayMemoryMb, 256 by default): Node
 * sizes its heap from the limit it finds there (a young generation of about 1 MB instead of 48 MB on
 * a large host), and going past it is an OOM kill, as on Fly. Needs root and a memory controller
 * (cgroup v2, or v1's memory hierarchy); undefined where there is none.
 */
export function memoryCgroup(name: string, mb: number): { procs: string; remove: () => boolean } | undefined {
  const bytes = String(mb * 1024 * 1024);
  for (const [dir, file] of [[`/sys/fs/cgroup/${name}`, "memory.max"], [`/sys/fs/cgroup/memory/${name}`, "memory.limit_in_bytes"]] as const) {
    try {
      if (file === "memory.max" && !readFileSync("/sys/fs/cgroup/cgroup.controllers", "utf8").includes("memory")) continue;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, file), bytes);
      /** True once the cgroup is gone (rmdir works once its processes are gone). */
      const remove = (): boolean => {
        try {
          rmdirSync(dir);
          return true;
        } catch (err) {
          return (err as NodeJS.ErrnoException).code === "ENOENT";
        }
      };
      return { procs: join(dir, "cgroup.procs"), remove };
    } catch {
      // not this hierarchy
    }
  }
  return undefined;
}

export const relayMemoryMb = 256;

let starts = 0;

// Relays still running when the benchmark ends, however it ends: none may outlive it.
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export async function startRelayProcess(options: { dir: string; port: number; env: Record<string, string>; nodeArgs?: string[]; memoryMb?: number; nice?: number }): Promise<RelayProcess> {
  const entry = join(options.dir, "dist/server.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build the relay first`);
  // A name of its own per start: a restarted relay must not share a cgroup the old one's exit removes.
  const cgroup = memoryCgroup(`textslash-bench-relay-${process.pid}-${++starts}`, options.memoryMb ?? relayMemoryMb);
  const argv = [...(options.nodeArgs ?? []), entry];
  // Into the cgroup before node starts (it reads the limit once, at start-up).
  const [command, args] = cgroup ? ["sh", ["-c", `echo $$ > "${cgroup.procs}" && exec "$0" "$@"`, process.execPath, ...argv]] : [process.execPath, argv];
  const child: ChildProcess = spawn(command, args, {
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(options.port), LOG_LEVEL: "info", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  // A scheduling priority (a negative nice needs root): the relay's share of a shared machine.
  if (options.nice !== undefined && child.pid) setPriority(child.pid, options.nice);
  let lines = 0;
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-4000)));
  const exited = new Promise<void>((r) =>
    child.once("exit", () => {
      live.delete(child);
      // An emptied cgroup outlives the process unless removed; the kernel may count the process
      // for a moment after its exit, so stop() and kill9() wait (up to 2 s) until it is gone.
      void (async () => {
        for (let i = 0; i < 40 && cgroup && !cgroup.remove(); i++) await sleep(50);
        r();
      })();
    }),
  );
  const url = `http://127.0.0.1:${options.port}`;
  const pid = child.pid ?? 0;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`relay did not start (exit ${child.exitCode}):\n${stderr}`);
    await sleep(50);
  }
  const proc = (name: string) => readFileSync(`/proc/${pid}/${name}`, "utf8");
  return {
    url,
    pid,
    memoryLimited: cgroup !== undefined,
    logLines: () => lines,
    cpuMs: () => {
      // Fields 14 and 15 (utime, stime) after the command name in parentheses.
      const fields = proc("stat").slice(proc("stat").lastIndexOf(")") + 2).split(" ");
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
    },
    peakRssMb: () => Number(/VmHWM:\s+(\d+) kB/.exec(proc("status"))?.[1] ?? 0) / 1024,
    outbox: async () => ((await (await fetch(`${url}/health`)).json()) as { outbox: number }).outbox,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
    kill9: async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** The relay environment for a benchmark: fake Twilio and VM on loopback, limits set by the caller. */
export function relayEnv(options: { dataDir: string; vmUrl: string; twilioUrl: string; allowed: string[]; extra?: Record<string, string> }): Record<string, string> {
  return {
    PUBLIC_URL: bench.publicUrl,
    CLAUDE_HOST: options.vmUrl,
    TWILIO_ACCOUNT_SID: bench.accountSid,
    TWILIO_AUTH_TOKEN: bench.authToken,
    TWILIO_WHATSAPP_NUMBER: bench.whatsAppNumber,
    ALLOWED_PHONE_NUMBERS: options.allowed.join(","),
    RELAY_SHARED_TOKEN: bench.sharedToken,
    TWILIO_API_URL: options.twilioUrl,
    RELAY_DATA_DIR: options.dataDir,
    SHUTDOWN_GRACE_SECONDS: "0",
    ...options.extra,
  };
}
