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
"use strict";
const nodeModule = require("node:module");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
/** TEXTSLASH_COMPILE_CACHE_DIR moves it (the tests give a run a cache of its own). */
const directory = process.env.TEXTSLASH_COMPILE_CACHE_DIR || path.join(root, "node_modules", ".cache", "textslash-compile-cache");
const KINDS = ["program", "provider-host", "deployment-check"];

/**
 * Turns the cache on, in `kind`'s folder, for every module the process loads after this call: the
 * program process preloads program-preload.cjs (Pulumi.yaml `nodeargs`), the provider host and the
 * deployment check (deployment-check/main.mjs) call it first thing. Says whether it is on and, if
 * not, why; a deploy goes on either way.
 */
function enableCompileCache(kind) {
  if (!KINDS.includes(kind)) throw new Error(`textslash: no compile cache kind ${kind}; the kinds are ${KINDS.join(", ")}`);
  if (typeof nodeModule.enableCompileCache !== "function") return { enabled: false, why: `Node ${process.version} has no compile cache (22.1+)` };
  const result = nodeModule.enableCompileCache(path.join(directory, kind));
  const enabled = result.status === nodeModule.constants.compileCacheStatus.ENABLED || result.status === nodeModule.constants.compileCacheStatus.ALREADY_ENABLED;
  return enabled ? { enabled } : { enabled, why: `${result.message || "not enabled"} (${path.join(directory, kind)})` };
}

/**
 * Writes what was compiled so far. Node writes the cache at a normal exit only, and the engine ends
 * plugin processes with SIGKILL, so a plugin calls this once it has loaded what it needs.
 */
function flushCompileCache() {
  if (typeof nodeModule.flushCompileCache === "function") nodeModule.flushCompileCache();
}

module.exports = { enableCompileCache, flushCompileCache, directory, KINDS };
