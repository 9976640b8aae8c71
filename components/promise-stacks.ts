// Program process only (index.ts imports this first). @pulumi/pulumi stamps every promise it makes
// with `new Error().stack` (runtime/debuggable.js debuggablePromise), read only when
// PULUMI_DEBUG_PROMISE_LEAKS reports a leaked promise at exit. The program runs under
// source-map-support (cmd/run and ts-node install it), which maps each of those stacks through
// source maps, parsing @pulumi/pulumi's own .js.map files to do so. A CPU profile of a no-op `up`
// (issue 20.1; docs/deploy-benchmarks.md) put a quarter of the program process's time there, plus
// the garbage it leaves: three times what the empty program spends. Such a stack is formatted as V8
// does by default, unmapped; every other stack (errors, Resource.callsites' source positions) is
// still mapped as before.
type PrepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => unknown;

const mapped = Error.prepareStackTrace as PrepareStackTrace | undefined;

/** V8's own format: the error's toString, then one `at` line a frame. */
const unmapped = (error: Error, frames: NodeJS.CallSite[]): string => [String(error), ...frames.map((f) => `    at ${String(f)}`)].join("\n");

if (mapped !== undefined) {
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) =>
    frames[0]?.getFunctionName() === "debuggablePromise" ? unmapped(error, frames) : mapped(error, frames);
}
