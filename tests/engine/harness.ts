// Test harness for engine tests: runs the real, pinned `pulumi` CLI (through Pulumi's Automation
// API) on a throwaway copy of a program, with a temporary file backend and passphrase secrets
// provider, and with everything that would reach the network turned off.
import { execFile, execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import * as automation from "@pulumi/pulumi/automation";
import { installStandIns } from "../../sandbox/plugins/install";

const run = promisify(execFile);

export const repoRoot = resolve(__dirname, "..", "..");

/** Obviously fake: protects test stacks' secrets, nothing else. */
export const testPassphrase = "fake-passphrase-for-engine-tests";

let binDirPromise: Promise<string> | undefined;

/**
 * The directory of the pinned `pulumi`, its language host and the dynamic-provider plugin, as
 * scripts/toolchain.sh provides them (building them on a cold machine). Rejects, never skips,
 * when the CLI cannot be had: an engine test without an engine proves nothing.
 */
export function pulumiBinDir(): Promise<string> {
  binDirPromise ??= run("bash", [join(repoRoot, "scripts", "toolchain.sh")], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 20 * 60_000,
  }).then(
    ({ stdout }) => stdout.trim().split("\n").pop() ?? "",
    (err: Error & { stderr?: string }) => {
      throw new Error(
        `the pinned pulumi CLI is not available: scripts/toolchain.sh failed (${err.message.split("\n")[0]}).\n` +
          `${err.stderr ?? ""}\nRun 'npm run toolchain' to see why; it needs Go and the Go module proxy, or pulumi on PATH.`,
      );
    },
  );
  return binDirPromise;
}

export interface EngineProjectOptions {
  /** Files of the program, relative path → content. */
  files?: Record<string, string>;
  /** Paths (relative to the repository root) copied into the project, e.g. ["index.ts", "components"]. */
  copyFromRepo?: string[];
  stackName?: string;
  /** Extra environment for the CLI and the program (e.g. FLY_API_URL of a local Fly API). */
  env?: Record<string, string>;
  /**
   * Install the stand-in random/command/docker plugins into the project's PULUMI_HOME (default
   * true). False gives the PULUMI_HOME of a user who has installed nothing.
   */
  standIns?: boolean;
}

export interface CliOptions {
  /** Aborts the CLI with SIGKILL (an interrupted run: no graceful cancel). */
  kill?: AbortSignal;
  /** Environment for this one command, on top of the project's. */
  env?: Record<string, string>;
  /**
   * Stops the CLI, with everything it started, when it has not ended after this long, and answers
   * with its output so far and a line saying so (exit code 124). A command that stalls then fails
   * its test naming itself and where it was, instead of the test's own timeout firing with no output
   * while the CLI runs on, holding the stack's lock, into the next test.
   */
  timeoutMs?: number;
}

export interface EngineProject {
  dir: string;
  stack: automation.Stack;
  env: Record<string, string>;
  /**
   * Runs the CLI directly, for commands the Automation API does not cover; never throws on exit code.
   * `kill` aborts it with SIGKILL (an interrupted run: no graceful cancel).
   */
  cli(args: string[], options?: CliOptions): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The raw checkpoint of the stack as stored by the file backend. */
  readStateFile(): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createEngineProject(options: EngineProjectOptions): Promise<EngineProject> {
  const binDir = await pulumiBinDir();
  const dir = await mkdtemp(join(tmpdir(), "textslash-engine-"));
  const project = join(dir, "project");
  const backend = join(dir, "backend");
  const home = join(dir, "pulumi-home");
  await Promise.all([mkdir(project), mkdir(backend), mkdir(home)]);
  // The engine finds them as it finds any plugin, in $PULUMI_HOME/plugins (sandbox/plugins/install.ts).
  if (options.standIns ?? true) await installStandIns({ pulumiHome: home, pulumiBinDir: binDir });

  for (const path of options.copyFromRepo ?? []) {
    // A service's installed dependencies and build output are not part of a checkout (and .dockerignore leaves them out).
    await cp(join(repoRoot, path), join(project, path), { recursive: true, filter: (src) => !/\/(node_modules|dist)(\/|$)/.test(src.slice(repoRoot.length)) });
  }
  for (const [path, content] of Object.entries(options.files ?? {})) {
    await mkdir(dirname(join(project, path)), { recursive: true });
    await writeFile(join(project, path), content);
  }
  // The program resolves @pulumi/pulumi, zod, ... from the repository's own install.
  await symlink(join(repoRoot, "node_modules"), join(project, "node_modules"), "dir");

  const env: Record<string, string> = {
    PATH: `${binDir}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: testPassphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    ...options.env,
  };
  const pulumiCommand = await automation.PulumiCommand.get({ root: dirname(binDir), skipVersionCheck: true });
  const stack = await automation.LocalWorkspace.createStack(
    { stackName: options.stackName ?? "test", workDir: project },
    { envVars: env, pulumiCommand, pulumiHome: home },
  );

  return {
    dir: project,
    stack,
    env,
    async cli(args, options = {}) {
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      try {
        const running = run(join(binDir, "pulumi"), [...args, "--non-interactive"], {
          cwd: project,
          env: { ...process.env, ...env, ...options.env },
          maxBuffer: 64 * 1024 * 1024,
        });
        // The language host and plugins die with it, as in a power cut (killed alone, they would linger).
        options.kill?.addEventListener("abort", () => {
          if (running.child.pid !== undefined) killTree(running.child.pid);
        });
        if (options.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            timedOut = true;
            if (running.child.pid !== undefined) killTree(running.child.pid);
          }, options.timeoutMs);
        }
        const { stdout, stderr } = await running;
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        if (timedOut) {
          const bound = `pulumi ${args.join(" ")} had not ended after ${options.timeoutMs! / 1000} s (load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}) and was stopped; its output so far is above`;
          return { code: 124, stdout: e.stdout ?? "", stderr: `${e.stderr ?? ""}\n${bound}` };
        }
        return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
      } finally {
        clearTimeout(timer);
      }
    },
    async readStateFile() {
      const stacksDir = join(backend, ".pulumi", "stacks");
      const found = await findFiles(stacksDir, (name) => name.endsWith(".json"));
      if (found.length === 0) throw new Error(`no checkpoint under ${stacksDir}`);
      return (await Promise.all(found.map((f) => readFile(f, "utf8")))).join("\n");
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function findFiles(dir: string, match: (name: string) => boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? findFiles(join(dir, e.name), match) : [])),
  );
  return [...entries.filter((e) => e.isFile() && match(e.name)).map((e) => join(dir, e.name)), ...nested.flat()];
}

/** SIGKILL to a process and all its descendants, children first found from `ps`. */
function killTree(root: number): void {
  const children = new Map<number, number[]>();
  for (const line of execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" }).split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid !== undefined && ppid !== undefined && !Number.isNaN(pid)) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const all: number[] = [];
  const walk = (pid: number): void => {
    all.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  for (const pid of all) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
