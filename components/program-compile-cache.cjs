// Preloaded into the program process (Pulumi.yaml `nodeargs: --require`), so Node's compile cache
// covers it from its first module on, @pulumi/pulumi's `cmd/run` included (compile-cache.cjs).
"use strict";
require("./compile-cache.cjs").enableCompileCache("program");
