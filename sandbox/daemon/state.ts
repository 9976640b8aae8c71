import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

// Where the sandbox keeps its files and what .sandbox/daemon.json says about the running daemon.
// The scripts (sandbox:up/send/down) read it; only the daemon writes it. .sandbox/ is gitignored.

export const repoRoot = path.resolve(__dirname, "..", "..");

/** The sandbox's directory: <repo>/.sandbox, or TEXTSLASH_SANDBOX_DIR (tests run a daemon elsewhere). */
export function sandboxPaths(root = repoRoot, dir = process.env.TEXTSLASH_SANDBOX_DIR || path.join(root, ".sandbox")) {
  return {
    dir,
    daemonJson: path.join(dir, "daemon.json"),
    daemonLog: path.join(dir, "daemon.log"),
    /** Each machine process's output, as <app>-<machine id>.log (sandbox/runtime writes them under stateDir). */
    machineLogs: path.join(dir, "logs"),
    flyApiState: path.join(dir, "flyapi.json"),
    tokenFile: path.join(dir, "fly-token"),
    pulumiBackend: path.join(dir, "pulumi"),
    pulumiHome: path.join(dir, "pulumi-home"),
    passphraseFile: path.join(dir, "pulumi-passphrase"),
    stackConfig: path.join(dir, "Pulumi.sandbox.yaml"),
    stackInitDir: path.join(dir, "stack-init"),
  };
}
export type SandboxPaths = ReturnType<typeof sandboxPaths>;

export const daemonInfoSchema = z.object({
  pid: z.number().int().positive(),
  apiUrl: z.url(),
  /** Absent in the daemon.json of a daemon started before the sandbox had an image registry. */
  registryUrl: z.url().optional(),
  proxyUrl: z.url(),
  twilioUrl: z.url(),
  token: z.string().min(1),
  startedAt: z.string(),
  log: z.string(),
});
export type DaemonInfo = z.infer<typeof daemonInfoSchema>;

/** The daemon's info, or undefined when there is no daemon.json; throws naming the file if it is corrupt. */
export function readDaemonInfo(paths: SandboxPaths = sandboxPaths()): DaemonInfo | undefined {
  if (!existsSync(paths.daemonJson)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(paths.daemonJson, "utf8"));
  } catch (error) {
    throw new Error(`${paths.daemonJson} is not JSON (${(error as Error).message}); stop the daemon by its pid and delete the file`);
  }
  const parsed = daemonInfoSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${paths.daemonJson} is invalid (${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}); delete it and run npm run sandbox:up`);
  return parsed.data;
}

/** Owner-only: the file holds the local Fly API token. */
export function writePrivateFile(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function writeDaemonInfo(info: DaemonInfo, paths: SandboxPaths = sandboxPaths()): void {
  writePrivateFile(paths.daemonJson, `${JSON.stringify(info, null, 2)}\n`);
}

export function removeDaemonInfo(paths: SandboxPaths = sandboxPaths()): void {
  rmSync(paths.daemonJson, { force: true });
}

/** True when a process with this pid exists (signal 0 checks without touching it). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
