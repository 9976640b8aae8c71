// The compiled program and dynamic providers: esbuild bundles of the TypeScript sources, so neither
// the program process nor the engine's provider process loads a TypeScript compiler.
// - "program": index.ts into dist/program.js, which `pulumi up`, `preview`, `refresh` and `destroy`
//   run (Pulumi.yaml's `main` is components/program.cjs, which asks program(root) here);
// - "providers": components/providers.ts into dist/providers.js; the `__provider` text of every
//   dynamic resource (components/dynamic-resource.ts) calls provider(root, name) here;
// - "deployment-check": components/deployment-check/check.mjs into dist/deployment-check.mjs, an ES
//   module with zod inside it (the check is a process of its own: components/deployment-check/main.mjs).
// Plain JavaScript itself, because it runs before anything is compiled. `node components/bundles.cjs`
// builds them all (`npm ci` runs it as the `prepare` script), and a bundle that does not match its sources
// (a `git pull` or an edit since the last build) is rebuilt before it is loaded, so nothing ever runs
// code the checkout no longer has.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/**
 * Each bundle: its entry, its output, the manifest of its sources' SHA-256 written beside it, and
 * whether npm packages go inside it. The program and the providers leave them in node_modules (one
 * copy of @pulumi/pulumi, zod, ... per process, shared with the SDKs). The deployment check takes
 * zod in: bundled, only the parts of zod it uses are left (esbuild drops the other 63 locales and
 * the unused schemas, 19,858 → 5,623 lines), and the process takes two thirds of the time, at the
 * end of every `up` that changed something (docs/deployment-check.md).
 */
const BUNDLES = {
  providers: { entry: "components/providers.ts", out: "dist/providers.js", manifest: "dist/providers.sources.json", format: "cjs", packages: "external" },
  program: { entry: "index.ts", out: "dist/program.js", manifest: "dist/program.sources.json", format: "cjs", packages: "external" },
  "deployment-check": {
    entry: "components/deployment-check/check.mjs",
    out: "dist/deployment-check.mjs",
    manifest: "dist/deployment-check.sources.json",
    format: "esm",
    packages: "bundle",
  },
};
/** Read by esbuild without being an input of the bundle: a change to it may change the output too. */
const SETTINGS = ["tsconfig.json"];
const OUT = BUNDLES.providers.out;

const sha256 = (file) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

function bundleNamed(name) {
  const bundle = BUNDLES[name];
  if (bundle === undefined) throw new Error(`textslash: no bundle named ${name}; the bundles are ${Object.keys(BUNDLES).join(", ")}`);
  return bundle;
}

/** Undefined when the bundle under `root` matches its sources and this loader, else why not. */
function staleness(root, name = "providers") {
  const { out, manifest: manifestFile } = bundleNamed(name);
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(root, manifestFile), "utf8"));
  } catch {
    return `${out} has not been built`;
  }
  if (!fs.existsSync(path.join(root, out))) return `${out} is missing`;
  if (manifest.loader !== sha256(__filename)) return "components/bundles.cjs changed";
  for (const [file, hash] of Object.entries(manifest.sources)) {
    const abs = path.join(root, file);
    if (!fs.existsSync(abs) || sha256(abs) !== hash) return `${file} changed`;
  }
  return undefined;
}

/**
 * esbuild for `root`, loaded so that its buildSync runs the esbuild binary once per call instead of
 * starting a worker thread (a second V8 isolate loading esbuild's JavaScript again) to talk to a
 * long-lived one. A process here builds once or twice (the program process after a pull, the
 * provider host on its first Check, `npm ci`'s prepare), where the worker costs more than it
 * saves: the first build 101-110 -> 42 ms and half the CPU on this machine (evanw/esbuild#1689
 * measured the same). esbuild reads ESBUILD_WORKER_THREADS when it is loaded (lib/main.js); one the
 * user set is left as it is, and the variable is not passed on to anything this process starts.
 */
function loadEsbuild(root) {
  const file = require.resolve("esbuild", { paths: [root] });
  const userSet = process.env.ESBUILD_WORKER_THREADS !== undefined;
  if (!userSet) process.env.ESBUILD_WORKER_THREADS = "0";
  try {
    return require(file);
  } finally {
    if (!userSet) delete process.env.ESBUILD_WORKER_THREADS;
  }
}

/** Builds the bundle under `root`; returns the number of sources. Needs esbuild (a devDependency). */
function build(root, name = "providers") {
  const { entry, out: outFile, manifest, format, packages } = bundleNamed(name);
  let esbuild;
  try {
    esbuild = loadEsbuild(root);
  } catch {
    throw new Error(
      `textslash: the compiled ${name} (${outFile}) must be built and esbuild (a devDependency) is not installed: ` +
        "run `npm ci` in the project (it builds them), then retry.",
    );
  }
  const out = path.join(root, outFile);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Temporary names and renames: two processes may build at once, and neither may read half a file.
  const tmp = `${out}.${process.pid}.tmp`;
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: tmp,
    bundle: true,
    platform: "node",
    format,
    target: "node22",
    packages,
    metafile: true,
    logLevel: "silent",
  });
  const sources = {};
  for (const file of [...new Set([...Object.keys(result.metafile.inputs).map(packageOrSelf), ...SETTINGS])].sort()) sources[file] = sha256(path.join(root, file));
  const manifestTmp = `${path.join(root, manifest)}.${process.pid}.tmp`;
  fs.writeFileSync(manifestTmp, `${JSON.stringify({ loader: sha256(__filename), sources }, null, 2)}\n`);
  fs.renameSync(tmp, out);
  fs.renameSync(manifestTmp, path.join(root, manifest));
  return Object.keys(sources).length;
}

/**
 * A bundled npm package's file stands for its package.json in the manifest: a package changes only
 * with its version, and hashing a hundred of zod's files on every check would cost what bundling saves.
 */
function packageOrSelf(file) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
  return match ? `${match[1]}/package.json` : file;
}

/** The named bundle's file under `root`, rebuilt first when it is stale. */
function fresh(root, name) {
  if (staleness(root, name) !== undefined) build(root, name);
  return path.join(root, bundleNamed(name).out);
}

const loaded = new Map();

/** The module of the named bundle under `root`, rebuilt first when it is stale; once per process. */
function load(root, name) {
  const key = `${name}:${root}`;
  let mod = loaded.get(key);
  if (mod === undefined) {
    mod = require(fresh(root, name));
    loaded.set(key, mod);
  }
  return mod;
}

/** The named provider of the providers bundle under `root`. */
function provider(root, name) {
  const mod = load(root, "providers");
  const get = mod.providers && mod.providers[name];
  if (get === undefined) throw new Error(`textslash: ${OUT} has no provider ${name}; rebuild it with \`npm run build\``);
  return get();
}

/**
 * Loads the providers bundle under `root` and initialises the providers every stack calls (its
 * `preload` list): what a provider process's first calls would otherwise do, done ahead of them.
 */
function preload(root) {
  const mod = load(root, "providers");
  for (const name of mod.preload || []) mod.providers[name]();
}

/** Runs the program (index.ts, compiled) under `root`; returns its exports, the stack's outputs. */
function program(root) {
  return load(root, "program");
}

module.exports = { build, fresh, preload, provider, program, staleness, OUT, BUNDLES };

if (require.main === module) {
  const root = path.resolve(__dirname, "..");
  for (const name of Object.keys(BUNDLES)) {
    const started = Date.now();
    const count = build(root, name);
    console.log(`textslash: built ${BUNDLES[name].out} from ${count} sources in ${Date.now() - started} ms`);
  }
}
