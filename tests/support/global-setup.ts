// Vitest global setup for every run: gives the run its own temporary directory (TMPDIR, so each
// test's mkdtemp is recognisably this run's) and a marker in the environment, and at the end
// fails the run, naming them, if any process the tests started is still alive. Those known to be the
// run's (its marker) are then killed, so the machine is left as it was found.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { livePids, runProcesses, type RunProcess } from "./leftover-processes";
import { startSharedRegistry } from "./shared-registry";

const repoRoot = path.resolve(__dirname, "..", "..");
/** How long processes get to finish exiting once the last test is done (a loaded machine is slow). */
const GRACE_MS = 15_000;

export default async function setup(): Promise<() => Promise<void>> {
  const before = livePids();
  const runTmp = mkdtempSync(path.join(os.tmpdir(), "textslash-test-run-"));
  // As open as /tmp itself: some tests run a program as another user (the VM's agent user).
  chmodSync(runTmp, 0o1777);
  const marker = `TEXTSLASH_TEST_RUN=${randomBytes(8).toString("hex")}`;
  process.env.TMPDIR = runTmp;
  process.env.TEXTSLASH_TEST_RUN = marker.split("=")[1];
  const registry = await startSharedRegistry(runTmp);

  return async () => {
    await registry?.stop();
    await checkLeftovers(before, marker, runTmp);
  };
}

async function checkLeftovers(before: Set<number>, marker: string, runTmp: string): Promise<void> {
  const roots = [repoRoot, runTmp];
  let left = runProcesses({ before, marker, roots, self: process.pid });
  const deadline = Date.now() + GRACE_MS;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    left = runProcesses({ before, marker, roots, self: process.pid });
  }
  // Only a process known to be this run's is killed; one found by its folder alone is named.
  const killed = left.filter((p) => p.certain);
  for (const p of killed) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (left.length === 0) rmSync(runTmp, { recursive: true, force: true });
  if (left.length > 0) {
    // Vitest reports an error thrown here but still exits 0: the exit code is set as well.
    process.exitCode = 1;
    const line = (p: RunProcess) => `  pid ${p.pid}${p.certain ? "" : " (not killed: found by its folder or arguments only, it may not be the tests')"}: ${p.command}`;
    throw new Error(
      `the tests left ${left.length} process(es) running (${killed.length} killed); each test must stop what it starts:\n` +
        left.map(line).join("\n") + `\n(their temporary files are kept in ${runTmp})`,
    );
  }
}
