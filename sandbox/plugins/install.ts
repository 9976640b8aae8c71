// Installs the stand-in plugins into a PULUMI_HOME that only the tests or the sandbox use, the way
// any plugin is installed: `pulumi plugin install resource <name> <version> --file <folder>`, which
// puts the folder's `pulumi-resource-<name>` into $PULUMI_HOME/plugins/resource-<name>-v<version>/,
// where the engine looks for that exact version. Nothing here touches the user's ~/.pulumi, and the
// launcher names paths of this checkout, so it is generated at install time and never committed.
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { pinnedVersion, standInNames, type StandInName } from "./versions";

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, "..", "..");

/** The launcher the engine starts: this checkout's Node running the stand-in's TypeScript with tsx. */
export function launcherScript(name: StandInName, nodePath = process.execPath): string {
  const tsx = pathToFileURL(path.join(repoRoot, "node_modules", "tsx", "dist", "loader.mjs")).href;
  const main = path.join(repoRoot, "sandbox", "plugins", name, "main.ts");
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    "#!/bin/sh",
    `# Stand-in for pulumi-resource-${name} v${pinnedVersion(name)}, written by sandbox/plugins/install.ts for tests and the sandbox.`,
    `exec ${q(nodePath)} --import ${q(tsx)} ${q(main)} "$@"`,
    "",
  ].join("\n");
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
    const script = launcherScript(name);
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
