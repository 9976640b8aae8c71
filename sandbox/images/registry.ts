// A local image registry: Debian's docker-registry (distribution 2.8, the registry behind Docker
// Hub and registry.fly.io's API) on a loopback port, storing under a folder of the caller's. Images
// are pushed to it with podman and resolved to the digest a machine config pins, exactly as a push
// to registry.fly.io is: HEAD /v2/<name>/manifests/<tag> answers Docker-Content-Digest.
// (distribution's API: https://distribution.github.io/distribution/spec/api/ — without an Accept
// header for the manifest's media type, 2.8 answers 404 or a converted schema-1 manifest whose
// digest is not the pushed one, so digestOf sends the v2/OCI manifest and index types.)
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { podman, installCommand } from "./podman";

export interface LocalRegistry {
  /** host:port, the registry part of image names: `${host}/textslash-relay:tag`. */
  host: string;
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Starts docker-registry on 127.0.0.1 (a free port unless given); storage and log under `dir`. */
export async function startRegistry(options: { dir: string; port?: number; bin?: string }): Promise<LocalRegistry> {
  const port = options.port || (await freePort());
  mkdirSync(path.join(options.dir, "storage"), { recursive: true });
  const config = path.join(options.dir, "config.yml");
  writeFileSync(config, [
    "version: 0.1",
    "log:",
    "  level: warn",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${path.join(options.dir, "storage")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    "",
  ].join("\n"));
  const log = createWriteStream(path.join(options.dir, "registry.log"), { flags: "a" });
  const child: ChildProcess = spawn(options.bin ?? "docker-registry", ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once("error", (error) => reject(new Error(`docker-registry could not start (${error.message}); install it with: ${installCommand}`)));
    void exited.then(() => reject(new Error(`docker-registry exited at start; see ${path.join(options.dir, "registry.log")}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  try {
    await Promise.race([failed, waitForV2(url)]);
  } catch (error) {
    await stop();
    throw error;
  }
  failed.catch(() => undefined);
  return { host: `127.0.0.1:${port}`, url, pid: child.pid, stop };
}

async function waitForV2(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer GET ${url}/v2/ within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The media types a client asks for to get the manifest that was pushed (and so its digest). */
export const manifestAccept = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** The digest the registry holds for `name:tag` (Docker-Content-Digest of a manifest HEAD). */
export async function digestOf(registryUrl: string, name: string, tag: string): Promise<string> {
  const res = await fetch(`${registryUrl}/v2/${name}/manifests/${tag}`, { method: "HEAD", headers: { Accept: manifestAccept } });
  const digest = res.headers.get("docker-content-digest");
  if (res.status !== 200 || !digest) throw new Error(`HEAD ${registryUrl}/v2/${name}/manifests/${tag} answered ${res.status} without a digest; was ${name}:${tag} pushed?`);
  return digest;
}

/**
 * Pushes a local image to the registry as `<host>/<name>:<tag>` (Docker v2 schema 2, as registry.fly.io
 * stores `fly deploy` pushes) and resolves with the reference a machine config pins: name@digest.
 */
export async function pushImage(localImage: string, registry: Pick<LocalRegistry, "host" | "url">, name: string, tag: string): Promise<{ ref: string; digest: string }> {
  const remote = `${registry.host}/${name}:${tag}`;
  await podman(["push", "--tls-verify=false", "--format", "v2s2", "--quiet", localImage, `docker://${remote}`], { timeoutMs: 600_000 });
  const digest = await digestOf(registry.url, name, tag);
  return { ref: `${registry.host}/${name}@${digest}`, digest };
}
