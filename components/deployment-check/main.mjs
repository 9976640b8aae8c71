// @ts-check
// The deployment check's entry point: the stack's command runs `node components/deployment-check/main.mjs`
// (textslash-stack.ts). Node's compile cache first, in a folder of this process's own
// (compile-cache.cjs), then the check: check.mjs compiled into one ES module with the parts of zod
// it uses (dist/deployment-check.mjs, rebuilt first if a source changed since: components/bundles.cjs).
// Imported dynamically: the modules of a static import are compiled before this one runs, so the
// cache would not cover them.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const requireHere = createRequire(import.meta.url);
requireHere("../compile-cache.cjs").useCompileCache("deployment-check");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** @type {{ runCheck(): Promise<void> }} */
const check = await import(pathToFileURL(requireHere("../bundles.cjs").fresh(root, "deployment-check")).href);
await check.runCheck();
