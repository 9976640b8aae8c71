// Preloaded into the program process (Pulumi.yaml `nodeargs: --require`), before @pulumi/pulumi's
// cmd/run loads: what has to be in place before the SDK's own start-up.
// - Node's compile cache, from the process's first module on, cmd/run's included, and the warmer
//   after the run if a folder of it is missing (compile-cache.cjs).
// - What @pulumi/pulumi loads or starts and the program never uses, left to first use: the
//   TypeScript compiler, the Automation API, the closure serializer's inspector session and the
//   tracing SDK (lazy-modules.cjs).
"use strict";
const path = require("node:path");

const compileCache = require("./compile-cache.cjs");
compileCache.useCompileCache("program");
compileCache.warmMissingAfterExit();
require("./lazy-modules.cjs").deferUnusedSdk(path.resolve(__dirname, ".."));
