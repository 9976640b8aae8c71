// Runs the podman CLI (Debian's podman 4.3 with runc; scripts/install-containers.sh installs and
// configures it). Every container feature of the sandbox goes through here, so a machine without
// podman gets one clear message with the command that fixes it.
import { execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";

export const installCommand = "sudo bash scripts/install-containers.sh";

export class PodmanMissingError extends Error {
  constructor(detail: string) {
    super(
      `podman is not available (${detail}). The sandbox's container mode and the image tests build and run the ` +
      `project's images with podman. Install it (Debian: podman, runc, catatonit, debootstrap, docker-registry) with: ${installCommand}`,
    );
    this.name = "PodmanMissingError";
  }
}

let checked: Promise<string> | undefined;

/** Resolves with podman's version; rejects with PodmanMissingError naming the install command. */
export function requirePodman(): Promise<string> {
  checked ??= new Promise<string>((resolve, reject) => {
    execFile("podman", ["--version"], { timeout: 30_000 }, (error, stdout) => {
      if (error) reject(new PodmanMissingError((error as NodeJS.ErrnoException).code === "ENOENT" ? "no podman on PATH" : error.message));
      else resolve(stdout.trim());
    });
  });
  return checked;
}

export interface PodmanOptions {
  /** Extra environment for the podman process (e.g. the values of `-e NAME` flags). */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Standard input for the command. */
  input?: string;
}

/**
 * Runs `run` again (up to three times in all) when a `podman build` fails with "layer not known":
 * podman 4.3's storage lets a build race a concurrent `podman rmi` of another image, which can remove
 * a layer the build has just made before an image refers to it (containers/podman#18659,
 * containers/buildah#5674). Tests, the sandbox and the docker stand-in build and remove images at
 * once, each its own, so every build goes through here. Any other failure is thrown at once.
 */
export async function retryingLayerRace<T>(args: string[], run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (args[0] !== "build" || attempt >= 3 || !/layer not known/i.test(String((err as Error).message))) throw err;
    }
  }
}

/** Runs `podman <args>`; resolves with stdout, rejects with the command and the end of stderr. */
export function podman(args: string[], options: PodmanOptions = {}): Promise<string> {
  return retryingLayerRace(args, () => podmanOnce(args, options));
}

async function podmanOnce(args: string[], options: PodmanOptions): Promise<string> {
  await requirePodman();
  return new Promise((resolve, reject) => {
    const child = execFile("podman", args, {
      env: { ...process.env, ...options.env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: options.timeoutMs ?? 120_000,
    }, (error, stdout, stderr) => {
      if (error) reject(new Error(`podman ${args[0]} failed: ${stderr.trim().split("\n").slice(-5).join(" / ") || error.message}`));
      else resolve(stdout);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `podman <args>` that may fail: resolves true/false instead of throwing. */
export async function podmanOk(args: string[]): Promise<boolean> {
  try {
    await podman(args);
    return true;
  } catch {
    return false;
  }
}

/**
 * A long podman command (a build) with its output appended to `logFile`; on failure the error
 * carries the last lines of that output and the log's path.
 */
export function podmanLogged(args: string[], logFile: string, env: Record<string, string> = {}): Promise<void> {
  return retryingLayerRace(args, () => podmanLoggedOnce(args, logFile, env));
}

async function podmanLoggedOnce(args: string[], logFile: string, env: Record<string, string>): Promise<void> {
  await requirePodman();
  const log = createWriteStream(logFile, { flags: "a" });
  let tail = "";
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn("podman", args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const keep = (chunk: Buffer): void => {
      log.write(chunk);
      tail = (tail + chunk.toString("utf8")).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", reject);
    child.once("close", resolve);
  });
  await new Promise<void>((resolve) => log.end(resolve));
  if (code !== 0) {
    const last = tail.trim().split("\n").slice(-15).join("\n");
    throw new Error(`podman ${args[0]} exited with ${code}; the end of its output (all of it in ${logFile}):\n${last}`);
  }
}
