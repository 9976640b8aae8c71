// What a test run left running: processes that did not exist when the run began and that belong
// to it, found by /proc (Linux). A process belongs to the run when its environment carries the
// run's marker (inherited by everything the tests start, unless a program builds a child's
// environment from scratch), or its command line or working directory points into the checkout
// or into the run's own temporary directory (every test's mkdtemp lands there). Other people's
// processes on the same machine match none of these, and neither does anything of another test run
// in the same checkout (a process, or the child of one, carrying that run's marker): two runs at
// once in one checkout must not kill each other's processes (an engine run lost its providers to
// "Killed" when a fast run beside it ended).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface RunProcess {
  pid: number;
  command: string;
  /**
   * Known to be this run's (its marker, itself or an ancestor's, or a descendant of the runner): safe
   * to kill. A process found only by its folder or arguments may be someone's shell or editor in the
   * checkout, so it is named but left alone.
   */
  certain: boolean;
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

const MARKER_NAME = "TEXTSLASH_TEST_RUN=";

/** The test-run marker in a process's environment, if any. */
function markerOf(pid: number): string | undefined {
  return (read(`/proc/${pid}/environ`) ?? "").split("\0").find((entry) => entry.startsWith(MARKER_NAME));
}

/**
 * Whose run `pid` belongs to: the nearest of it and its ancestors that says so carries this run's
 * marker or another's, or is another run's vitest ("another": a runner's own /proc environment
 * predates the marker its global setup adds, so the runner is known by its command line).
 * "unknown" when none says, or when the walk reaches this runner's own ancestors first (the shell
 * that started the run may start other things meanwhile).
 */
function whoseRun(pid: number, marker: string, mine: Set<number>): "this" | "another" | "unknown" {
  for (const p of lineage(pid)) {
    if (mine.has(p)) return "unknown";
    const found = markerOf(p);
    if (found !== undefined) return found === marker ? "this" : "another";
    if ((read(`/proc/${p}/cmdline`) ?? "").includes("vitest")) return "another";
  }
  return "unknown";
}

/** `path` is `root` or inside it (not merely a sibling whose name starts the same: /srv/a2 is not in /srv/a). */
const inside = (path: string, root: string) => path === root || path.startsWith(`${root}/`);

export function runProcesses(options: { before: Set<number>; marker: string; roots: string[]; self: number }): RunProcess[] {
  const mine = lineage(options.self);
  const found: RunProcess[] = [];
  for (const pid of livePids()) {
    if (options.before.has(pid) || mine.has(pid) || parentOf(pid) === options.self) continue;
    const cmdline = read(`/proc/${pid}/cmdline`);
    if (cmdline === undefined || cmdline === "") continue; // exited, or a kernel thread
    const args = cmdline.split("\0").filter(Boolean);
    const command = args.join(" ");
    let cwd = "";
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // exited meanwhile
    }
    const whose = whoseRun(pid, options.marker, mine);
    const inRunFolders = options.roots.some((root) => inside(cwd, root) || args.some((arg) => arg.split("=").some((part) => inside(part, root))));
    if (whose === "this" || (whose === "unknown" && inRunFolders)) {
      found.push({ pid, command: command.length > 200 ? `${command.slice(0, 197)}...` : command, certain: whose === "this" });
    }
  }
  return found;
}
