// Loading @pulumi/pulumi loads the whole TypeScript compiler (about half a second of CPU): its
// closure serializer (runtime/closure/parseFunction.js, 3.276) requires it at module load through
// typescript-shim.js, for the parse it makes when a function is serialized (pulumi.dynamic.Resource,
// runtime.serializeFunction). The program serializes no function (its dynamic resources name a
// provider of the compiled bundle instead, components/dynamic-resource.ts), so that load is pure
// cost on every `up`. Installed before @pulumi/pulumi is first required, this puts a stand-in for
// the shim in Node's module cache that loads the real one on first use: code that does serialize a
// function still gets TypeScript, when it needs it.
"use strict";
const Module = require("node:module");

/** Makes `typescript-shim` of the @pulumi/pulumi that `root` resolves load on first use; idempotent. */
function deferTypeScript(root) {
  let shim;
  try {
    shim = require.resolve("@pulumi/pulumi/typescript-shim", { paths: [root] });
  } catch {
    return; // another @pulumi/pulumi layout: nothing to defer, it loads as it always did
  }
  if (require.cache[shim] !== undefined) return; // already loaded (or deferred)
  let real;
  const load = () => {
    if (real === undefined) {
      delete require.cache[shim];
      real = require(shim);
    }
    return real;
  };
  const stand = new Module(shim, module);
  stand.filename = shim;
  stand.loaded = true;
  stand.exports = new Proxy(
    {},
    {
      get: (_target, key) => load()[key],
      has: (_target, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_target, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
  require.cache[shim] = stand;
}

module.exports = { deferTypeScript };
