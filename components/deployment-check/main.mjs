// @ts-check
// The deployment check's entry point: the stack's command runs `node components/deployment-check/main.mjs`
// (textslash-stack.ts). Node's compile cache first, in a folder of this process's own
// (compile-cache.cjs), then the check (check.mjs). Imported dynamically: the modules of a static
// import are compiled before this one runs, so the cache would not cover them, and they are most of
// what this short-lived process does (zod, about 0.1 s uncached).
import { createRequire } from "node:module";

createRequire(import.meta.url)("../compile-cache.cjs").useCompileCache("deployment-check");
await import("./check.mjs");
