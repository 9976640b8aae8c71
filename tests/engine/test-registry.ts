// A local registry for engine tests (Debian's docker-registry via sandbox/images) and tiny images
// "published" to it, for stacks that run published images (textslash:relayImage / vmImage) instead
// of building services/: the Fly API of the engine tests runs no container, so the image only has to
// exist in a registry, with a digest of its own. Needs podman and docker-registry
// (scripts/install-containers.sh); fails, never skips, without them.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { podman, requirePodman } from "../../sandbox/images/podman";
import { startRegistry, type LocalRegistry } from "../../sandbox/images/registry";

export interface Published {
  /** What a user sets in textslash:relayImage / vmImage: host/name:tag. */
  ref: string;
  digest: string;
  /** What the machine must run: host/name@digest. */
  pinned: string;
}

export interface TestRegistry {
  /** host:port, the start of image names. */
  host: string;
  /** textslash:imageRegistry for it (plain HTTP). */
  address: string;
  url: string;
  /** Builds a one-file image unique to this call and pushes it as `<host>/<name>:<tag>`. */
  publish(name: string, tag: string): Promise<Published>;
  /** The digest the registry holds for name:tag now, or undefined. */
  digestOf(name: string, tag: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** A registry of its own, or `sharedUrl` (the run's, tests/support/shared-registry.ts), which it leaves running. */
export async function startTestRegistry(sharedUrl?: string): Promise<TestRegistry> {
  await requirePodman();
  const dir = await mkdtemp(path.join(tmpdir(), "engine-registry-"));
  let registry: Pick<LocalRegistry, "host" | "url" | "stop">;
  try {
    registry = sharedUrl ? { host: new URL(sharedUrl).host, url: sharedUrl, stop: async () => undefined } : await startRegistry({ dir });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const localTags: string[] = [];
  let count = 0;
  return {
    host: registry.host,
    address: `http://${registry.host}`,
    url: registry.url,
    async publish(name, tag) {
      const context = path.join(dir, `image-${++count}`);
      await import("node:fs/promises").then((fs) => fs.mkdir(context));
      await writeFile(path.join(context, "Dockerfile"), "FROM scratch\nCOPY marker /marker\n");
      await writeFile(path.join(context, "marker"), `${name}:${tag} #${count} ${Date.now()}\n`);
      const ref = `${registry.host}/${name}:${tag}`;
      const localTag = `localhost/engine-test-${path.basename(dir).toLowerCase()}-${count}:latest`;
      await podman(["build", "--quiet", "--format", "docker", "-t", localTag, context], { timeoutMs: 300_000 });
      localTags.push(localTag);
      const digestFile = path.join(context, "digest");
      await podman(["push", "--quiet", "--tls-verify=false", "--format", "v2s2", "--digestfile", digestFile, localTag, `docker://${ref}`], { timeoutMs: 300_000 });
      const digest = (await readFile(digestFile, "utf8")).trim();
      return { ref, digest, pinned: `${registry.host}/${name}@${digest}` };
    },
    async digestOf(name, tag) {
      const res = await fetch(`${registry.url}/v2/${name}/manifests/${tag}`, {
        method: "HEAD",
        headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" },
      });
      return res.status === 200 ? (res.headers.get("docker-content-digest") ?? undefined) : undefined;
    },
    async stop() {
      await registry.stop();
      if (localTags.length > 0) await podman(["rmi", "--ignore", ...localTags]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
