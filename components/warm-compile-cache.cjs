// Fills Node's compile cache (compile-cache.cjs) at install time: package.json's `prepare`, which
// `npm ci` and `npm install` run, calls this after building the bundles, so that the first deploy
// of a checkout (the one CI and Pulumi Deployments run after installing) loads as warm as the next.
// A deploy that finds a folder of the cache missing (an install whose scripts did not run) runs
// uncached and starts this, detached, once its program process has exited (warmMissingAfterExit).
//
// One child process per kind of cache, each loading what that process loads, in the same order
// relative to the V8 flag @pulumi/pulumi's v8Hooks sets (V8 rejects an entry compiled under other
// flags), without running any: the program process's preload and cmd/run modules, then
// @pulumi/pulumi as program.cjs leaves it, zod and the SDKs the program bundle requires; the
// provider host's gRPC and protobuf modules and the providers it warms up (bundles.cjs preload);
// the deployment check's own modules and zod's ES modules.
// Node keys entries by the file's real path and checks each against the file's hash, so they serve
// any process that loads the same installed files; a module missed here is compiled and cached by
// the first deploy, as before. A failure costs speed only: it warns and exits 0, so an install
// never fails for it.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const { enableCompileCache, flushCompileCache, KINDS, WARMING } = require("./compile-cache.cjs");

const root = path.resolve(__dirname, "..");
const fromRoot = (id) => require(require.resolve(id, { paths: [root] }));

const load = {
  program() {
    const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [root] }));
    const fromSdk = (id) => require(require.resolve(id, { paths: [sdk] }));
    // The program's preload first (program-preload.cjs): it loads v8Hooks, which sets
    // --allow-natives-syntax, so everything after it is compiled under that flag, in the program
    // process as here. Then cmd/run/index.js's own requires, in its order (index.js itself, and
    // run.js which requires it, start a run when loaded); its tracing is the preload's stand-in,
    // and @pulumi/pulumi below loads as program.cjs finds it, with the preload's deferrals.
    require("./lazy-modules.cjs").deferUnusedSdk(root);
    require(path.join(sdk, "cmd/run/instrumentation.js"));
    fromSdk("source-map-support/register");
    for (const file of ["log/index.js", "runtime/settings.js"]) require(path.join(sdk, file));
    fromSdk("minimist");
    for (const file of ["cmd/run/tracing.js", "cmd/run/error.js", "runtime/stack.js", "runtime/manifest.js", "tsutils.js"]) require(path.join(sdk, file));
    for (const id of ["ini", "semver"]) fromSdk(id);
    for (const id of ["@pulumi/pulumi", "zod"]) fromRoot(id);
    // The SDKs' resource modules load on first use: these are the ones the program declares.
    const docker = fromRoot("@pulumi/docker");
    void [docker.Provider, docker.getRegistryImage, fromRoot("@pulumi/random").RandomPassword, fromRoot("@pulumi/command").local.Command];
  },
  "provider-host"() {
    require("./provider-host/wire.cjs");
    fromRoot("@grpc/grpc-js");
    fromRoot("@pulumi/pulumi/version");
    require("./bundles.cjs").preload(root);
  },
  // The check's bundle (loading it runs nothing; deployment-check/main.mjs calls its runCheck).
  async "deployment-check"() {
    await import(pathToFileURL(require("./bundles.cjs").fresh(root, "deployment-check")).href);
  },
};

/** In a child: loads one kind's modules into its cache; the message on failure is the parent's to print. */
async function warmOne(kind) {
  const cache = enableCompileCache(kind);
  if (!cache.enabled) {
    console.error(cache.why);
    process.exit(1);
  }
  try {
    await load[kind]();
  } finally {
    flushCompileCache();
  }
  // gRPC may hold handles open; nothing of this process is needed any more.
  process.exit(0);
}

/** Holds WARMING while the children run; a folder that cannot be made is left to the children to report. */
function holdWarming() {
  try {
    fs.mkdirSync(path.dirname(WARMING), { recursive: true });
    fs.writeFileSync(WARMING, String(process.pid));
  } catch {
    return () => undefined;
  }
  return () => fs.rmSync(WARMING, { force: true });
}

function warmAll() {
  const started = Date.now();
  const release = holdWarming();
  const children = KINDS.map(
    (kind) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [__filename, kind], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("error", (err) => resolve(`${kind}: ${err.message}`));
        child.on("close", (code) => resolve(code === 0 ? undefined : `${kind}: ${stderr.trim().split("\n")[0] || `exit ${code}`}`));
      }),
  );
  return Promise.all(children).then((results) => {
    release();
    const failures = results.filter(Boolean);
    if (failures.length > 0) {
      console.warn(`textslash: Node's compile cache is only partly warmed (the first deploy will be slower, nothing else changes): ${failures.join("; ")}`);
    } else {
      console.log(`textslash: warmed Node's compile cache (${KINDS.join(", ")}) in ${Date.now() - started} ms`);
    }
  });
}

// With no argument, the parent; with a kind, one child (enableCompileCache refuses an unknown kind).
const kind = process.argv[2];
if (kind === undefined) void warmAll();
else
  warmOne(kind).catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
