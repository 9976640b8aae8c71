// What a test run left running: processes that did not exist when the run began and that belong
// to it, found by /proc (Linux). A process belongs to the run when its environment carries the
// run's marker (inherited by everything the tests start, unless a program builds a child's
// environment from scratch), or its command line or working directory points into the checkout
// or into the run's own temporary directory (every test's mkdtemp lands there). Other people's
// processes on the same machine match none of these.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface RunProcess {
  pid: number;
  command: string;
}

export function livePids(): Set<number> {
  return new Set(readdirSync("/proc").filter((name) => /^[0-9]+$/.test(name)).map(Number));
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/** The parent pid, from /proc/<pid>/stat (the field after the parenthesised command). */
function parentOf(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** `pid` and its ancestors: the runner itself is never a leftover. */
function lineage(pid: number): Set<number> {
  const seen = new Set<number>();
  for (let p: number | undefined = pid; p !== undefined && p > 1 && !seen.has(p); p = parentOf(p)) seen.add(p);
  return seen;
}

export function runProcesses(options: { before: Set<number>; marker: string; roots: string[]; self: number }): RunProcess[] {
  const mine = lineage(options.self);
  const found: RunProcess[] = [];
  for (const pid of livePids()) {
    if (options.before.has(pid) || mine.has(pid) || parentOf(pid) === options.self) continue;
    const cmdline = read(`/proc/${pid}/cmdline`);
    if (cmdline === undefined || cmdline === "") continue; // exited, or a kernel thread
    const command = cmdline.split("\0").filter(Boolean).join(" ");
    let cwd = "";
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // exited meanwhile
    }
    const environ = read(`/proc/${pid}/environ`) ?? "";
    const ours = environ.split("\0").includes(options.marker) ||
      options.roots.some((root) => command.includes(root) || cwd === root || cwd.startsWith(`${root}/`));
    if (ours) found.push({ pid, command: command.length > 200 ? `${command.slice(0, 197)}...` : command });
  }
  return found;
}
