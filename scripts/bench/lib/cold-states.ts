// The cold states of the textslash project copy (a bench workspace's "textslash" folder), for
// bench:deploy's cold rows and bench:deploy-timeline alike: each puts the copy where a user's
// checkout is at that moment. The stand-in plugins keep their compile cache throughout
// (sandbox/plugins/install.ts): the Go binaries they stand in for compile nothing at run time.
import { execFile } from "node:child_process";
import { appendFile, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** The deploy's compile caches: the copy's node_modules is the checkout's. */
const { directory: compileCacheDirectory, WARMING } = createRequire(__filename)("../../../components/compile-cache.cjs") as { directory: string; WARMING: string };

/**
 * Resolves once no compile cache warmer is running: a run that found the cache missing leaves one
 * behind it (components/compile-cache.cjs warmMissingAfterExit), and a timed run must neither share
 * the CPU with it nor have it write into a cache the next state has just removed.
 */
export async function warmerSettled(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pid: number;
    try {
      pid = Number(await readFile(WARMING, "utf8"));
    } catch {
      return; // none running
    }
    try {
      process.kill(pid, 0);
    } catch {
      return; // it died holding the file: nothing is writing
    }
    if (Date.now() > deadline) throw new Error(`the compile cache warmer (pid ${pid}) was still running after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * No bundle and no compile cache, as an install whose scripts did not run leaves it: the run
 * builds the program and the providers (components/bundles.cjs), loads every module uncached and
 * leaves the warmer running after it, which BenchWorkspace.pulumi waits out before the next run.
 */
export async function nothingBuilt(dir: string): Promise<void> {
  await rm(join(dir, "dist"), { recursive: true, force: true });
  await rm(compileCacheDirectory, { recursive: true, force: true });
}

/** A fresh checkout after `npm ci` (CI, Pulumi Deployments): what its `prepare` builds and warms, nothing run. */
export async function afterInstall(dir: string): Promise<void> {
  await nothingBuilt(dir);
  await execFileAsync("npm", ["run", "--silent", "prepare"], { cwd: dir });
}

let pulls = 0;
/**
 * After a `git pull` that changed the program and the providers but no dependency: both bundles'
 * sources change (by a legal comment, which esbuild keeps, so each bundle's text changes and
 * nothing else does), so the run rebuilds both and compiles them afresh; every other module's cache
 * is as the last run left it.
 */
export async function afterPull(dir: string): Promise<void> {
  pulls++;
  for (const file of ["index.ts", "components/providers.ts"]) await appendFile(join(dir, file), `//! pull ${pulls}\n`);
}
