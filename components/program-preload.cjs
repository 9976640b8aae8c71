// Preloaded into the program process (Pulumi.yaml `nodeargs: --require`), before @pulumi/pulumi's
// cmd/run loads: what has to be in place before the SDK's own start-up.
// - Node's compile cache, from the process's first module on, cmd/run's included (compile-cache.cjs).
// - The inspector session cmd/run opens for the closure serializer, opened on first use instead
//   (lazy-modules.cjs, deferInspectorSession).
"use strict";
const path = require("node:path");

require("./compile-cache.cjs").enableCompileCache("program");
require("./lazy-modules.cjs").deferInspectorSession(path.resolve(__dirname, ".."));
