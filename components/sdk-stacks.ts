// Program process only (index.ts imports this first). The program runs under source-map-support
// (cmd/run installs it), which maps every stack through source maps, parsing @pulumi/pulumi's own
// .js.map files to do so. Two kinds of stack the SDK takes for itself, hundreds per run, are not
// worth that (CPU profiles of a no-op `up`, docs/deploy-benchmarks.md):
// - debuggablePromise (runtime/debuggable.js) stamps every promise with `new Error().stack`, which
//   only PULUMI_DEBUG_PROMISE_LEAKS ever prints (a leak report at exit). Without it the stack is a
//   placeholder that says so; with it, V8's own format, unmapped. 910 of them in a no-op up.
// - Resource.callsites (resource.js) reads `new Error().stack` for each resource's source position
//   and stack trace, which it sends to the engine. Its program frames are in dist/program.js, which
//   has no source map, so they read the same either way; mapping only rewrote the SDK's own frames
//   to .ts files the package does not ship. V8's own format. 41 of them in a no-op up.
// Every other stack (errors above all) is mapped as before.
type PrepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => unknown;

const mapped = Error.prepareStackTrace as PrepareStackTrace | undefined;
const recordPromiseStacks = Boolean(process.env.PULUMI_DEBUG_PROMISE_LEAKS);

/** V8's own format: the error's toString, then one `at` line a frame. */
const unmapped = (error: Error, frames: NodeJS.CallSite[]): string => [String(error), ...frames.map((f) => `    at ${String(f)}`)].join("\n");

const notRecorded = "Error: promise stack not recorded (set PULUMI_DEBUG_PROMISE_LEAKS=true to record it)";

if (mapped !== undefined) {
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
    switch (frames[0]?.getFunctionName()) {
      case "debuggablePromise":
        return recordPromiseStacks ? unmapped(error, frames) : notRecorded;
      case "callsites":
        return unmapped(error, frames);
      default:
        return mapped(error, frames);
    }
  };
}
