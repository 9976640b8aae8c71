// What the end-of-run check counts as a run's leftover: its marker, or a path in the run's folders,
// and never a process of another run in the same checkout (which it would otherwise kill); and which
// of them it may kill: only those a marker says are the run's, not a stranger found by its folder.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { livePids, runProcesses } from "./leftover-processes";

const ours = "TEXTSLASH_TEST_RUN=feedface00000001";
const theirs = "TEXTSLASH_TEST_RUN=feedface00000002";
let root: string;
let sibling: string;
const started: ChildProcess[] = [];
let before: Set<number>;

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** `sh -c <script>` in its own process group; what the script starts is a grandchild of this test. */
function start(script: string, cwd: string, marker: string | undefined): void {
  const env = { ...process.env };
  delete env.TEXTSLASH_TEST_RUN;
  if (marker) env.TEXTSLASH_TEST_RUN = marker.split("=")[1];
  started.push(spawn("sh", ["-c", script], { cwd, env, detached: true, stdio: "ignore" }));
}

beforeAll(async () => {
  const base = await mkdtemp(join(tmpdir(), "textslash-leftovers-"));
  root = join(base, "run");
  sibling = join(base, "run-2");
  await Promise.all([mkdir(root), mkdir(sibling)]);
  before = livePids();
  start("sleep 3001 & wait", "/", ours); // this run's marker
  start("env -i sleep 3002 & wait", root, ours); // a scratch environment, in the run's folder
  start("sleep 3003 & wait", root, theirs); // another run's, in the same folder
  start("env -i sleep 3004 & wait", root, theirs); // scratch environment, child of another run's process
  start("env -i sleep 3005 & wait", sibling, undefined); // a folder whose name only starts the same
  start("env -i sleep 3006 & wait", root, undefined); // no run's marker at all, in the run's folder (a developer's shell)
  // Wait until every sleep runs (sh starts them a moment later).
  const sleeps = () => [...livePids()].filter((pid) => /^sleep 300[1-6]$/.test(readOr(`/proc/${pid}/cmdline`).split("\0").filter(Boolean).join(" "))).length;
  for (let i = 0; i < 300 && sleeps() < 6; i++) await new Promise((r) => setTimeout(r, 100));
  expect(sleeps()).toBe(6);
});

afterAll(async () => {
  for (const child of started) {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (root) await rm(join(root, ".."), { recursive: true, force: true });
});

describe("a run's leftover processes", () => {
  it("are those with its marker or in its folders, never another run's in the same folder", () => {
    const found = runProcesses({ before, marker: ours, roots: [root], self: process.pid }).map((p) => p.command).filter((c) => c.startsWith("sleep 300"));
    expect(found.sort()).toEqual(["sleep 3001", "sleep 3002", "sleep 3006"]);
  });

  it("are certain (so killed) only when a marker says they are the run's; one found by its folder only is not", () => {
    const found = runProcesses({ before, marker: ours, roots: [root], self: process.pid }).filter((p) => p.command.startsWith("sleep 300"));
    expect(Object.fromEntries(found.map((p) => [p.command, p.certain]))).toEqual({ "sleep 3001": true, "sleep 3002": true, "sleep 3006": false });
  });

  it("seen from the other run, are its own", () => {
    const found = runProcesses({ before, marker: theirs, roots: [root], self: process.pid }).map((p) => p.command).filter((c) => c.startsWith("sleep 300"));
    expect(found.sort()).toEqual(["sleep 3003", "sleep 3004", "sleep 3006"]);
  });
});
