// Behaviours of the fake claude that play a hostile or careless agent, for the VM's isolation tests:
//   "orphan"  start a grandchild in a session of its own (setsid) that sleeps, as a dev server or a
//             browser left running would; its pid goes to $FAKE_CLAUDE_STATE_DIR/orphans.txt
//   "probe"   try to reach what the agent must not: the VM's environment (/proc/$PPID/environ, and
//             every /proc/*/environ), the VM's files on /data, root, another uid, another cgroup;
//             what it found goes to $FAKE_CLAUDE_STATE_DIR/probe.json
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export async function startOrphan(stateDir: string): Promise<void> {
  const file = join(stateDir, "orphans.txt");
  const before = existsSync(file) ? readFileSync(file, "utf8") : "";
  // setsid(1) makes a new session (and process group), so a kill of Claude's group misses it.
  const child = spawn("setsid", ["sh", "-c", 'echo $$ >> "$0"; exec sleep 600', file], { stdio: "ignore" });
  child.unref();
  // Go on only once it runs, so whoever reads the file knows the orphan exists.
  while (!existsSync(file) || readFileSync(file, "utf8") === before) await new Promise((r) => setTimeout(r, 20));
}

export function orphanPids(stateDir: string): number[] {
  const file = join(stateDir, "orphans.txt");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map(Number) : [];
}

function attempt(action: () => unknown): string {
  try {
    action();
    return "ok";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

export interface ProbeReport {
  uid: number | undefined;
  ppid: number;
  /** "ok" when the parent's environment could be read, else the error code. */
  parentEnviron: string;
  /** Every process whose environment this run could read, and those holding the relay token. */
  readableEnvirons: number[];
  tokenHolders: number[];
  ownEnvironment: string[];
  /** Listing the VM's folders on /data: "ok" or the error code. */
  dataFolders: Record<string, string>;
  status: Record<string, string>;
  setuidRoot: string;
  setuidParent: string;
  leaveCgroup: string;
}

export function probe(stateDir: string): ProbeReport {
  const readableEnvirons: number[] = [];
  const tokenHolders: number[] = [];
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const environ = readFileSync(`/proc/${name}/environ`, "latin1");
      readableEnvirons.push(Number(name));
      if (environ.split("\0").some((v) => v.startsWith("RELAY_SHARED_TOKEN="))) tokenHolders.push(Number(name));
    } catch {
      // Not ours to read (or gone).
    }
  }
  // The VM starts runs in its workspace, /data/workspace: the VM's folders are its siblings.
  const data = dirname(process.cwd());
  const dataFolders: Record<string, string> = {};
  for (const folder of ["", "inbox", "sessions", "images"]) dataFolders[folder || "."] = attempt(() => readdirSync(join(data, folder)));
  const status = Object.fromEntries(
    readFileSync("/proc/self/status", "utf8")
      .split("\n")
      .filter((l) => /^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Amb)|NoNewPrivs):/.test(l))
      .map((l) => [l.split(":")[0] ?? "", (l.split(":")[1] ?? "").trim()]),
  );
  const parentUid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${process.ppid}/status`, "utf8"))?.[1]);
  const cgroup = (readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::")) ?? "0::/").slice(3);
  const mount = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")).find((f) => f[2] === "cgroup2")?.[1] ?? "/sys/fs/cgroup";
  const report: ProbeReport = {
    uid: process.getuid?.(),
    ppid: process.ppid,
    parentEnviron: attempt(() => readFileSync(`/proc/${process.ppid}/environ`)),
    readableEnvirons,
    tokenHolders,
    ownEnvironment: Object.keys(process.env).sort(),
    dataFolders,
    status,
    setuidRoot: attempt(() => process.setuid?.(0)),
    setuidParent: attempt(() => process.setuid?.(parentUid)),
    // Into the parent cgroup, out of the one the VM kills.
    leaveCgroup: attempt(() => appendFileSync(join(mount, dirname(cgroup), "cgroup.procs"), String(process.pid))),
  };
  writeFileSync(join(stateDir, "probe.json"), JSON.stringify(report, null, 2));
  return report;
}
