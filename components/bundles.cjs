// The compiled dynamic providers: components/providers.ts bundled by esbuild into
// dist/providers.js, so the engine's provider process runs plain JavaScript and needs no
// TypeScript compiler. Plain JavaScript itself, because it runs before anything is compiled:
// - `node components/bundles.cjs` builds the bundle (`npm ci` runs it as the `prepare` script);
// - the `__provider` text of every Fly and Twilio resource (components/dynamic-resource.ts) calls
//   provider(root, name) here. A bundle that does not match its sources (a `git pull` or an edit
//   since the last build) is rebuilt first, so a provider never runs code the checkout no longer has.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ENTRY = "components/providers.ts";
const OUT = "dist/providers.js";
/** The sources the bundle was built from and their SHA-256, written beside it. */
const MANIFEST = "dist/providers.sources.json";
/** Read by esbuild without being an input of the bundle: a change to it may change the output too. */
const SETTINGS = ["tsconfig.json"];

const sha256 = (file) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** Undefined when the bundle under `root` matches its sources and this loader, else why not. */
function staleness(root) {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(root, MANIFEST), "utf8"));
  } catch {
    return `${OUT} has not been built`;
  }
  if (!fs.existsSync(path.join(root, OUT))) return `${OUT} is missing`;
  if (manifest.loader !== sha256(__filename)) return "components/bundles.cjs changed";
  for (const [file, hash] of Object.entries(manifest.sources)) {
    const abs = path.join(root, file);
    if (!fs.existsSync(abs) || sha256(abs) !== hash) return `${file} changed`;
  }
  return undefined;
}

/** Builds the bundle under `root`; returns the number of sources. Needs esbuild (a devDependency). */
function build(root) {
  let esbuild;
  try {
    esbuild = require(require.resolve("esbuild", { paths: [root] }));
  } catch {
    throw new Error(
      `textslash: the compiled providers (${OUT}) must be built and esbuild (a devDependency) is not installed: ` +
        "run `npm ci` in the project (it builds them), then retry.",
    );
  }
  const out = path.join(root, OUT);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Temporary names and renames: two processes may build at once, and neither may read half a file.
  const tmp = `${out}.${process.pid}.tmp`;
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: [ENTRY],
    outfile: tmp,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node22",
    // @pulumi/pulumi, zod, twilio, ... load from node_modules, as in the program: one copy of each.
    packages: "external",
    metafile: true,
    logLevel: "silent",
  });
  const sources = {};
  for (const file of [...Object.keys(result.metafile.inputs), ...SETTINGS].sort()) sources[file] = sha256(path.join(root, file));
  const manifestTmp = `${path.join(root, MANIFEST)}.${process.pid}.tmp`;
  fs.writeFileSync(manifestTmp, `${JSON.stringify({ loader: sha256(__filename), sources }, null, 2)}\n`);
  fs.renameSync(tmp, out);
  fs.renameSync(manifestTmp, path.join(root, MANIFEST));
  return Object.keys(sources).length;
}

const loaded = new Map();

/** The named provider of the bundle under `root`, rebuilding the bundle first when it is stale. */
function provider(root, name) {
  let mod = loaded.get(root);
  if (mod === undefined) {
    if (staleness(root) !== undefined) build(root);
    mod = require(path.join(root, OUT));
    loaded.set(root, mod);
  }
  const get = mod.providers && mod.providers[name];
  if (get === undefined) throw new Error(`textslash: ${OUT} has no provider ${name}; rebuild it with \`npm run build\``);
  return get();
}

module.exports = { build, provider, staleness, OUT };

if (require.main === module) {
  const root = path.resolve(__dirname, "..");
  const started = Date.now();
  const count = build(root);
  console.log(`textslash: built ${OUT} from ${count} sources in ${Date.now() - started} ms`);
}
