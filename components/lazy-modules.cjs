// Two parts of @pulumi/pulumi that its index loads eagerly and the program never uses, made to load
// on first use instead. Installed before @pulumi/pulumi is first required (components/program.cjs);
// code that does use them still gets them, when it needs them.
// - The TypeScript compiler (about half a second of CPU): the closure serializer
//   (runtime/closure/parseFunction.js, 3.276) requires it at module load through typescript-shim.js,
//   for the parse it makes when a function is serialized (pulumi.dynamic.Resource,
//   runtime.serializeFunction). The program serializes no function (its dynamic resources name a
//   provider of the compiled bundle instead, components/dynamic-resource.ts).
// - The Automation API (`pulumi.automation`: execa, LocalWorkspace, its gRPC server; 0.15 s to
//   load on this machine): the index requires ./automation for the namespace. The program is what
//   the Automation API runs, never its user (the fleet loads it in its own process).
"use strict";
const Module = require("node:module");

/**
 * Puts a stand-in for the module at `file` in Node's module cache that loads the real one on first
 * use. `esModule` answers `__esModule` without loading: TypeScript's __importStar asks it at once
 * and, given true, keeps the stand-in itself as the namespace.
 */
function defer(file, esModule) {
  if (require.cache[file] !== undefined) return; // already loaded (or deferred)
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
  stand.exports = new Proxy(
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
  );
  require.cache[file] = stand;
}

/** Defers both, for the @pulumi/pulumi that `root` resolves; idempotent. */
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

module.exports = { deferUnusedSdkParts };
