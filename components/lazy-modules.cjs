// Parts of @pulumi/pulumi that load or start eagerly and that the program never uses, made to load
// or start on first use instead; code that does use them still gets them, when it needs them.
// - The TypeScript compiler (about half a second of CPU): the closure serializer
//   (runtime/closure/parseFunction.js, 3.276) requires it at module load through typescript-shim.js,
//   for the parse it makes when a function is serialized (pulumi.dynamic.Resource,
//   runtime.serializeFunction). The program serializes no function (its dynamic resources name a
//   provider of the compiled bundle instead, components/dynamic-resource.ts).
// - The Automation API (`pulumi.automation`: execa, LocalWorkspace, its gRPC server; 0.15 s to
//   load on this machine): the index requires ./automation for the namespace. The program is what
//   the Automation API runs, never its user (the fleet loads it in its own process).
// - The inspector session for the same serializer, which cmd/run opens before it runs any program.
// - The OpenTelemetry SDK cmd/run's tracing loads for `--tracing`.
// All four deferred by deferUnusedSdk, from the program's preload (components/program-preload.cjs),
// before cmd/run and @pulumi/pulumi's index load.
"use strict";
const Module = require("node:module");
const path = require("node:path");

/**
 * Puts a stand-in for the module at `file` in Node's module cache, its exports made by
 * `exportsOf(load, loaded)`: load() loads the real module (once, in place of the stand-in) and
 * returns it, loaded() returns it if it has been loaded. Nothing happens if `file` is already in
 * the cache (loaded, or deferred before).
 */
function putStandIn(file, exportsOf) {
  if (require.cache[file] !== undefined) return;
  let real;
  const load = () => {
    if (real === undefined) {
      delete require.cache[file];
      real = require(file);
    }
    return real;
  };
  const stand = new Module(file, module);
  stand.filename = file;
  stand.loaded = true;
  stand.exports = exportsOf(load, () => real);
  require.cache[file] = stand;
}

/**
 * Puts a stand-in for the module at `file` in Node's module cache that loads the real one on first
 * use. `esModule` answers `__esModule` without loading: TypeScript's __importStar asks it at once
 * and, given true, keeps the stand-in itself as the namespace.
 */
function defer(file, esModule) {
  putStandIn(
    file,
    (load) =>
      new Proxy(
        {},
        {
          get: (_target, key) => (esModule && key === "__esModule" ? true : load()[key]),
          has: (_target, key) => key in load(),
          ownKeys: () => Reflect.ownKeys(load()),
          getOwnPropertyDescriptor: (_target, key) => {
            const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
            return descriptor && { ...descriptor, configurable: true };
          },
        },
      ),
  );
}

/** Defers TypeScript and the Automation API, for the @pulumi/pulumi that `root` resolves. */
function deferUnusedSdkParts(root) {
  for (const [id, esModule] of [["@pulumi/pulumi/typescript-shim", false], ["@pulumi/pulumi/automation", true]]) {
    let file;
    try {
      file = require.resolve(id, { paths: [root] });
    } catch {
      continue; // another @pulumi/pulumi layout: nothing to defer, it loads as it always did
    }
    defer(file, esModule);
  }
}

/**
 * cmd/run opens an in-process inspector session with the Debugger enabled before it runs any
 * program (cmd/run/index.js initializeHooks → runtime/closure/v8Hooks.js isInitializedAsync), so
 * that the closure serializer can map a function's scriptId to its file from Debugger.scriptParsed
 * events. With the Debugger on, V8 reports every script compiled afterwards (the program's bundle,
 * zod, the provider SDKs) to that session: about 0.1 s of the program process's CPU in a no-op
 * `up` on this machine (docs/deploy-benchmarks.md), for a serializer the program never calls.
 *
 * This opens the session on first use instead, with v8Hooks' own exports replaced: the serializer
 * reaches the session and the map only through them (runtime/closure/v8.js calls getSessionAsync and
 * getScriptUrl on the module object). Nothing is lost by opening it late: Debugger.enable reports
 * every script still loaded ("also fired for all known and uncollected scripts upon enabling
 * debugger", Chrome DevTools Protocol, Debugger.scriptParsed), and the listener is attached before
 * it, so the map is filled with what was loaded before as well as after.
 *
 * Must run before cmd/run starts the program (the preload does). Loading v8Hooks sets V8's
 * --allow-natives-syntax, so everything cmd/run loads after this is compiled under that flag (the
 * compile cache's warmer does the same, warm-compile-cache.cjs). Another @pulumi/pulumi whose v8Hooks
 * lacks these exports is left as it is.
 */
function deferInspectorSession(root) {
  let hooks;
  try {
    hooks = require(require.resolve("@pulumi/pulumi/runtime/closure/v8Hooks", { paths: [root] }));
  } catch {
    return;
  }
  if (!["isInitializedAsync", "getSessionAsync", "getScriptUrl"].every((name) => typeof hooks[name] === "function")) return;
  const scriptUrls = new Map();
  let session;
  const openSession = async () => {
    const inspector = require("node:inspector");
    const opened = new inspector.Session();
    opened.connect();
    opened.on("Debugger.scriptParsed", ({ params }) => scriptUrls.set(params.scriptId, params.url));
    await new Promise((resolve, reject) => opened.post("Debugger.enable", (err) => (err ? reject(err) : resolve())));
    return opened;
  };
  hooks.isInitializedAsync = async () => undefined;
  hooks.getSessionAsync = () => (session ??= openSession());
  hooks.getScriptUrl = (id) => scriptUrls.get(id);
}

/**
 * cmd/run's tracing (cmd/run/tracing.js) requires OpenTelemetry's SDK at load (resources,
 * sdk-trace-base, sdk-trace-node, instrumentation, instrumentation-grpc, exporter-zipkin: 70-85 ms
 * on this machine) and uses it only in start(), which cmd/run calls when `pulumi` runs with
 * `--tracing`. This puts a stand-in for that file in Node's module cache: start() loads the real
 * module and starts it, and from then on every call goes to the real one; until then newSpan() is
 * the real one's with no root span (only start() sets one), which needs only @opentelemetry/api,
 * loaded anyway (cmd/run/instrumentation.js), and stop() has nothing to stop. An SDK whose
 * tracing.js has other exports is left as it is. Must run before cmd/run loads (the preload does).
 */
function deferTracing(root) {
  let file;
  try {
    file = require.resolve("@pulumi/pulumi/cmd/run/tracing", { paths: [root] });
  } catch {
    return;
  }
  if (require.cache[file] !== undefined) return;
  const source = require("node:fs").readFileSync(file, "utf8");
  const exported = [...source.matchAll(/^exports\.(\w+) = /gm)].map((m) => m[1]).sort();
  if (exported.join() !== "newSpan,start,stop") return;
  let api;
  try {
    api = require(require.resolve("@opentelemetry/api", { paths: [path.dirname(file)] }));
  } catch {
    return; // cmd/run will report it, as it would without this
  }
  putStandIn(file, (load, loaded) => ({
    __esModule: true,
    start: (destinationUrl) => load().start(destinationUrl),
    stop: () => loaded()?.stop(),
    newSpan(name) {
      const real = loaded();
      if (real !== undefined) return real.newSpan(name);
      const ctx = api.trace.setSpan(api.context.active(), api.trace.getActiveSpan());
      return api.trace.getTracer("nodejs-runtime").startSpan(name, undefined, ctx);
    },
  }));
}

/** All four, for the @pulumi/pulumi that `root` resolves; idempotent. Before cmd/run loads. */
function deferUnusedSdk(root) {
  deferUnusedSdkParts(root);
  deferInspectorSession(root);
  deferTracing(root);
}

module.exports = { deferUnusedSdk };
