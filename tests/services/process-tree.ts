// What the service tests need to know about processes on this machine, read from /proc: whether a
// pid still runs (a zombie waiting for its parent to reap it does not), and what a process runs as.
import { readFileSync } from "node:fs";

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
