// Installs the stand-in plugins into a PULUMI_HOME that only the tests or the sandbox use, the way
// any plugin is installed: `pulumi plugin install resource <name> <version> --file <folder>`, which
// puts the folder's `pulumi-resource-<name>` into $PULUMI_HOME/plugins/resource-<name>-v<version>/,
// where the engine looks for that exact version. Nothing here touches the user's ~/.pulumi, and the
// launcher names paths of this checkout, so it is generated at install time and never committed.
//
// The engine starts every plugin of a stack on each preview, up, refresh and destroy, so a stand-in's
// start-up is paid hundreds of times per test run and by every user of a fleet benchmark. The random
// and command stand-ins are Go binaries, as the real plugins are (go-binaries.ts). The docker one is
// Node: run by tsx, it took 1.6-2.0 s to answer with its port (load 9 on this 2-core machine); bundled
// once into one CommonJS file by esbuild, 0.5-0.7 s under the same load. So its launcher runs a bundle.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as esbuild from "esbuild";
import { buildGoStandIn, goStandIns, standInBuildDir } from "./go-binaries";
import { pinnedVersion, standInNames, type StandInName } from "./versions";

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, "..", "..");

/**
 * A bundled source keeps its own `__dirname`/`__filename` (sandbox/images finds its build script next
 * to itself): esbuild gives every module of a bundle the bundle's, so each module that names them gets
 * its own constants, which esbuild's scope hoisting renames apart.
 */
const sourceLocation: esbuild.Plugin = {
  name: "source-location",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!/\b__(dirname|filename)\b/.test(source)) return undefined;
      const header = `const __dirname = ${JSON.stringify(path.dirname(args.path))}, __filename = ${JSON.stringify(args.path)};`;
      return { contents: `${header}\n${source}`, loader: "ts" };
    });
  },
};

/**
 * Bundles the stand-in's TypeScript (sandbox/plugins/<name>/main.ts and what it imports from this
 * checkout) into one CommonJS file named by its content's hash: an edited source is a new file, so a
 * new launcher, so a reinstall; an unchanged one reuses the file. npm packages stay external.
 */
export async function bundleStandIn(name: StandInName): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [path.join(repoRoot, "sandbox", "plugins", name, "main.ts")],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    packages: "external",
    // Before the bundle's first require (and after its "use strict", which must stay first):
    // grpc-js and the SDK's protobuf stubs then load from Node's compile cache, in a folder beside
    // the bundles, not the program's (components/compile-cache.cjs), which the deploy benchmark's
    // cold runs clear: the Go binaries these stand in for compile nothing. serve.ts writes it.
    banner: { js: '"use strict";\nrequire("node:module").enableCompileCache?.(require("node:path").join(__dirname, "compile-cache"));' },
    plugins: [sourceLocation],
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  const file = path.join(standInBuildDir, `${name}-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.cjs`);
  if ((await readFile(file).catch(() => undefined))?.equals(code)) return file;
  await mkdir(standInBuildDir, { recursive: true });
  // Whole or not at all: test files install stand-ins in parallel.
  const partial = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(partial, code);
  await rename(partial, file);
  return file;
}

/**
 * The launcher the engine starts: the stand-in's Go binary, or this checkout's Node running its
 * bundle. A script naming the build, rather than a copy of it, so a PULUMI_HOME holds no binary.
 */
export function launcherScript(name: StandInName, command: string[]): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    "#!/bin/sh",
    `# Stand-in for pulumi-resource-${name} v${pinnedVersion(name)}, written by sandbox/plugins/install.ts for tests and the sandbox.`,
    `exec ${command.map(q).join(" ")} "$@"`,
    "",
  ].join("\n");
}

/** What the launcher runs for the stand-in, built if need be. */
export async function standInCommand(name: StandInName): Promise<string[]> {
  return goStandIns.includes(name) ? [await buildGoStandIn(name)] : [process.execPath, await bundleStandIn(name)];
}

export function pluginDir(pulumiHome: string, name: StandInName): string {
  return path.join(pulumiHome, "plugins", `resource-${name}-v${pinnedVersion(name)}`);
}

/**
 * Installs every stand-in into `pulumiHome` with the CLI in `pulumiBinDir`; a plugin already there
 * with the same launcher is left alone (a sandbox keeps its PULUMI_HOME between runs).
 */
export async function installStandIns(options: { pulumiHome: string; pulumiBinDir: string; names?: StandInName[] }): Promise<void> {
  for (const name of options.names ?? standInNames) {
    const script = launcherScript(name, await standInCommand(name));
    const installed = path.join(pluginDir(options.pulumiHome, name), `pulumi-resource-${name}`);
    if ((await readFile(installed, "utf8").catch(() => "")) === script) continue;
    const dir = await mkdtemp(path.join(tmpdir(), `standin-${name}-`));
    try {
      const file = path.join(dir, `pulumi-resource-${name}`);
      await writeFile(file, script);
      await chmod(file, 0o755);
      await run(path.join(options.pulumiBinDir, "pulumi"), ["plugin", "install", "resource", name, pinnedVersion(name), "--file", dir, "--reinstall"], {
        env: {
          ...process.env,
          PULUMI_HOME: options.pulumiHome,
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        },
        timeout: 120_000,
      }).catch((err: Error & { stderr?: string }) => {
        throw new Error(`installing the ${name} stand-in into ${options.pulumiHome} failed: ${err.stderr?.trim() || err.message}`);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
