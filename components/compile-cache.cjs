// Node's on-disk compile cache (node:module enableCompileCache, Node 22.1+) for this project's own
// processes: the program (Pulumi.yaml `nodeargs` preloads this file, so it covers @pulumi/pulumi's
// runtime, which `cmd/run` loads before the program) and the provider host. Compiling
// @pulumi/pulumi's JavaScript is about half of its load: 0.58 s without the cache, 0.31 s with it on
// this machine (docs/deploy-benchmarks.md). The cache sits in node_modules/.cache, so it goes with
// the install it describes; Node checks each entry against its source's hash, so an edited or
// rebuilt file is compiled afresh. Where it cannot be enabled (an older Node, a read-only folder)
// everything loads as before.
"use strict";
const nodeModule = require("node:module");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const directory = path.join(root, "node_modules", ".cache", "textslash-compile-cache");

/**
 * Writes what was compiled so far. Node writes the cache at a normal exit only, and the engine ends
 * plugin processes with SIGKILL, so a plugin calls this once it has loaded what it needs.
 */
function flushCompileCache() {
  if (typeof nodeModule.flushCompileCache === "function") nodeModule.flushCompileCache();
}

// Loading this file turns the cache on for every module the process loads after it: preloaded
// (`node --require`, Pulumi.yaml) or required first thing (the provider host).
if (typeof nodeModule.enableCompileCache === "function") nodeModule.enableCompileCache(directory);

module.exports = { flushCompileCache, directory };
