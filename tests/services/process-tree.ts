// What the service tests need to know about processes on this machine, read from /proc: whether a
// pid still runs (a zombie waiting for its parent to reap it does not), and what a process runs as.
import { readdirSync, readFileSync } from "node:fs";

/** False for a pid that is gone or a zombie (it has exited; only its parent's wait is missing). */
export function processAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses, so read after the last ")".
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

/** SIGKILL to each pid still running; for cleanups, so no test leaves a process behind. */
export function killIfAlive(pids: number[]): void {
  for (const pid of pids) {
    try {
      if (processAlive(pid)) process.kill(pid, "SIGKILL");
    } catch {
      // Gone in between.
    }
  }
}

/** Every process below `pid` (children, their children, …), read from /proc at this moment. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = children.get(queue.shift() ?? 0) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}
