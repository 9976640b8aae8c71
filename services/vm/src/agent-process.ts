// Starts a program as the agent and stops everything it started. With isolation (the image), the
// program runs as the agent user with no capabilities, in a cgroup of its own that the VM kills as a
// whole: a process can leave its process group (setsid) but not its cgroup. Without isolation (a
// local sandbox) it runs as the VM's user in its own process group, which setsid escapes.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile, rmdir, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AgentIsolation } from "./env";

export interface AgentProcess {
  child: ChildProcess;
  /** SIGTERM to every process of the run: a chance to save their state. */
  terminate(): void;
  /** SIGKILL to every process of the run; resolves once none is left (and its cgroup is removed). */
  killAll(): Promise<void>;
}

export interface AgentSpawn {
  cwd: string;
  env: NodeJS.ProcessEnv;
  isolation?: AgentIsolation;
}

/** How long killAll waits for the kernel to finish a cgroup's processes before it gives up. */
const emptyTimeoutMs = 30_000;
const runPrefix = "run-";

/**
 * The launcher, as the VM's user: move itself into the run's cgroup (its children can never leave),
 * then setpriv to the agent's uid and gid with no supplementary groups, no inheritable or ambient
 * capabilities and no_new_privs (so no setuid binary gives any back), then `env -C` into the working
 * folder as the agent. Each step execs the next: the pid Node knows is Claude's.
 */
const launcher = 'echo $$ > "$1" && shift && exec "$@"';

export async function spawnAgent(bin: string, args: string[], options: AgentSpawn): Promise<AgentProcess> {
  const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
  const { isolation } = options;
  if (!isolation) {
    const child = spawn(bin, args, { cwd: options.cwd, env: options.env, detached: true, stdio });
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group is gone.
      }
    };
    return { child, terminate: () => signalGroup("SIGTERM"), killAll: async () => signalGroup("SIGKILL") };
  }
  const cgroup = join(isolation.cgroup, `${runPrefix}${randomBytes(6).toString("hex")}`);
  await mkdir(cgroup);
  const privileges = ["setpriv", `--reuid=${isolation.uid}`, `--regid=${isolation.gid}`, "--clear-groups", "--inh-caps=-all", "--no-new-privs", "--"];
  const child = spawn("/bin/sh", ["-c", launcher, "textslash-agent", join(cgroup, "cgroup.procs"), ...privileges, "env", "-C", options.cwd, "--", bin, ...args], {
    // "/" and not the working folder: the launcher starts as the VM's user, which may not enter it.
    cwd: "/",
    env: options.env,
    // Its own process group too, so a run never receives the signals meant for the VM's group.
    detached: true,
    stdio,
  });
  let killed: Promise<void> | undefined;
  return {
    child,
    terminate: () => void signalCgroup(cgroup, "SIGTERM"),
    killAll: () => (killed ??= killCgroup(cgroup)),
  };
}

async function signalCgroup(cgroup: string, signal: NodeJS.Signals): Promise<void> {
  const pids = (await readFile(join(cgroup, "cgroup.procs"), "utf8").catch(() => "")).split("\n").filter((l) => l !== "");
  for (const pid of pids) {
    try {
      process.kill(Number(pid), signal);
    } catch {
      // Exited in between.
    }
  }
}

/**
 * cgroup.kill SIGKILLs every process in the cgroup and its descendants, including those forked while
 * it runs (Linux 5.14+, Documentation/admin-guide/cgroup-v2.rst, "cgroup.kill"); "populated 0" in
 * cgroup.events says none is left, and only then can the folder be removed.
 */
async function killCgroup(cgroup: string): Promise<void> {
  const deadline = Date.now() + emptyTimeoutMs;
  for (;;) {
    try {
      await writeFile(join(cgroup, "cgroup.kill"), "1");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    if (/^populated 0$/m.test(await readFile(join(cgroup, "cgroup.events"), "utf8"))) break;
    if (Date.now() > deadline) throw new Error(`processes of ${cgroup} survived cgroup.kill for ${emptyTimeoutMs / 1000} s`);
    await sleep(20);
  }
  await rmdir(cgroup);
}

/** Kills and removes the run cgroups a previous VM process left (it crashed or was killed mid-run). */
export async function sweepStaleRuns(isolation: AgentIsolation): Promise<number> {
  const stale = (await readdir(isolation.cgroup, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name.startsWith(runPrefix));
  for (const entry of stale) await killCgroup(join(isolation.cgroup, entry.name));
  return stale.length;
}

/**
 * Start-up check that isolation works here: `true` run as the agent in a cgroup of its own. Fails
 * with what is missing instead of failing the user's first message.
 */
export async function checkIsolation(isolation: AgentIsolation): Promise<void> {
  const where = `AGENT_CGROUP=${isolation.cgroup}`;
  const names = await readdir(isolation.cgroup).catch(() => undefined);
  if (!names?.includes("cgroup.procs")) throw new Error(`${where} is not a cgroup folder (the image's entrypoint makes one on the cgroup v2 mount)`);
  if (!names.includes("cgroup.kill")) throw new Error(`${where} has no cgroup.kill: it must be on a cgroup v2 mount, Linux 5.14 or later`);
  let agent: AgentProcess;
  try {
    agent = await spawnAgent("true", [], { cwd: "/", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, isolation });
  } catch (err) {
    throw new Error(`cannot create a run cgroup in ${where}: ${(err as Error).message} (the folder must be delegated to the VM's user)`);
  }
  let stderr = "";
  agent.child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => {
    agent.child.on("error", () => resolve(-1));
    agent.child.on("close", (c) => resolve(c));
  });
  await agent.killAll();
  if (code !== 0) {
    throw new Error(
      `cannot run the agent as uid ${isolation.uid} gid ${isolation.gid} in ${where}: ${stderr.trim() || `exit ${code}`} ` +
        "(the VM needs CAP_SETUID and CAP_SETGID, which the image's entrypoint grants, and write access to the cgroup folder)",
    );
  }
}

