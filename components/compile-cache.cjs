// Node's on-disk compile cache (node:module enableCompileCache, Node 22.1+) for this project's own
// processes. Compiling @pulumi/pulumi's JavaScript is about half of its load: 0.58 s without the
// cache, 0.31 s with it on this machine (docs/deploy-benchmarks.md). The cache sits in
// node_modules/.cache, so it goes with the install it describes; Node checks each entry against its
// source's hash, so an edited or rebuilt file is compiled afresh. Where it cannot be enabled (an
// older Node, a read-only folder) everything loads as before.
//
// One folder per kind of process. V8 also checks each entry against the V8 flags it was compiled
// under, and the program process compiles nearly all of its modules after @pulumi/pulumi's
// runtime/closure/v8Hooks.js has set --allow-natives-syntax (its preload, program-preload.cjs, loads
// it first) while the provider host never sets it: in one shared folder each would reject,
// recompile and rewrite the other's entries for the modules both load (zod, grpc-js), on every deploy.
// The deployment check (a `node` of its own at the end of an `up` that changed something) has one too.
//
// The folders are made by the warmer (warm-compile-cache.cjs), which `npm ci`'s prepare runs. A run's
// processes use a folder only if it exists (useCompileCache): where it does not (an install whose
// scripts did not run), writing every module's entry as each process exits cost the run more than
// compiling uncached (0.6 s of a no-op `up` here, docs/deploy-benchmarks.md), so the run goes
// uncached and leaves the warmer running in the background once the program has exited
// (warmMissingAfterExit), as `git gc --auto` detaches from the command that found work for it.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const nodeModule = require("node:module");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
/** TEXTSLASH_COMPILE_CACHE_DIR moves it (the tests give a run a cache of its own). */
const directory = process.env.TEXTSLASH_COMPILE_CACHE_DIR || path.join(root, "node_modules", ".cache", "textslash-compile-cache");
const KINDS = ["program", "provider-host", "deployment-check"];

/** The file the warmer holds while it runs (its pid): what waits for it (the benchmarks) reads it. */
const WARMING = path.join(directory, ".warming");

const folderOf = (kind) => {
  if (!KINDS.includes(kind)) throw new Error(`textslash: no compile cache kind ${kind}; the kinds are ${KINDS.join(", ")}`);
  return path.join(directory, kind);
};

/**
 * Turns the cache on, in `kind`'s folder (made if need be), for every module the process loads
 * after this call: what the warmer does. Says whether it is on and, if not, why.
 */
function enableCompileCache(kind) {
  const folder = folderOf(kind);
  if (typeof nodeModule.enableCompileCache !== "function") return { enabled: false, why: `Node ${process.version} has no compile cache (22.1+)` };
  const result = nodeModule.enableCompileCache(folder);
  const enabled = result.status === nodeModule.constants.compileCacheStatus.ENABLED || result.status === nodeModule.constants.compileCacheStatus.ALREADY_ENABLED;
  return enabled ? { enabled } : { enabled, why: `${result.message || "not enabled"} (${folder})` };
}

/**
 * For a deploy's own processes: the program process preloads program-preload.cjs (Pulumi.yaml
 * `nodeargs`), the provider host and the deployment check (deployment-check/main.mjs) call this
 * first thing. Turns the cache on if `kind`'s folder exists; a deploy goes on either way.
 */
function useCompileCache(kind) {
  if (!fs.existsSync(folderOf(kind))) return { enabled: false, why: `${folderOf(kind)} has not been made yet` };
  return enableCompileCache(kind);
}

/**
 * In the program process: if any kind's folder is missing, runs the warmer once this process has
 * exited, detached, its output discarded (a failure costs speed only, as at install). Nothing where
 * Node has no compile cache.
 */
function warmMissingAfterExit() {
  if (typeof nodeModule.enableCompileCache !== "function") return;
  if (KINDS.every((kind) => fs.existsSync(folderOf(kind)))) return;
  process.on("exit", () => {
    try {
      spawn(process.execPath, [path.join(__dirname, "warm-compile-cache.cjs")], { cwd: root, detached: true, stdio: "ignore" }).unref();
    } catch {
      // the next run finds the folders missing and tries again
    }
  });
}

/**
 * Writes what was compiled so far. Node writes the cache at a normal exit only, and the engine ends
 * plugin processes with SIGKILL, so a plugin calls this once it has loaded what it needs.
 */
function flushCompileCache() {
  if (typeof nodeModule.flushCompileCache === "function") nodeModule.flushCompileCache();
}

module.exports = { enableCompileCache, useCompileCache, warmMissingAfterExit, flushCompileCache, directory, KINDS, WARMING };
