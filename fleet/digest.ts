// The digest an image reference names now, asked of its registry (the Docker Registry HTTP API V2:
// HEAD /v2/<name>/manifests/<tag>, answered with a Docker-Content-Digest header). Anonymous: a registry
// that wants a login answers 401 and the digest is reported unknown, never guessed.
const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
].join(", ");

/** The registry wants a login (401, or Docker Hub) that the fleet's anonymous HEAD does not have. */
export class RegistryWantsLogin extends Error {}

/**
 * `registrySetting` is textslash:imageRegistry: when it names the reference's host with http://, the
 * registry is asked over plain HTTP (a local registry), otherwise over HTTPS.
 */
export async function resolveDigest(ref: string, registrySetting: string, timeoutMs = 10_000): Promise<string> {
  const pinned = /@(sha256:[0-9a-f]{64})$/.exec(ref);
  if (pinned) return pinned[1]!;
  const slash = ref.indexOf("/");
  const host = slash > 0 ? ref.slice(0, slash) : "";
  // Docker Hub (no registry host) wants a bearer token even for a public image.
  if (!/[.:]/.test(host) && host !== "localhost") throw new RegistryWantsLogin(`${ref} names no registry host (Docker Hub wants a token); the fleet resolves registry/name:tag references`);
  const rest = ref.slice(slash + 1);
  const colon = rest.lastIndexOf(":");
  const [name, tag] = colon > 0 ? [rest.slice(0, colon), rest.slice(colon + 1)] : [rest, "latest"];
  const plain = registrySetting.startsWith("http://") && registrySetting.replace(/^http:\/\//, "").replace(/\/$/, "") === host;
  const url = `${plain ? "http" : "https"}://${host}/v2/${name}/manifests/${tag}`;
  const res = await fetch(url, { method: "HEAD", headers: { Accept: MANIFEST_TYPES }, signal: AbortSignal.timeout(timeoutMs) });
  const digest = res.headers.get("docker-content-digest");
  if (res.status === 401) throw new RegistryWantsLogin(`HEAD ${url} answered 401 (the registry wants a login)`);
  if (res.status !== 200 || !digest) throw new Error(`HEAD ${url} answered ${res.status}`);
  return digest;
}

/**
 * `ref` pinned to the digest its tag names now (`registry/name:tag@sha256:…`, the tag kept for
 * people reading the config). A fleet command resolves each declared image once, so every user of
 * that command runs the same content even if the tag moves meanwhile, and no user's stack asks the
 * registry again (a stack given a digest declares no docker provider: components/service-image.ts).
 * A registry that wants a login leaves the tag as it is: each stack's docker provider resolves it
 * with the registry password (the Fly token), as a single-user `pulumi up` does.
 */
export async function pinToDigest(ref: string, registrySetting: string, log: (line: string) => void): Promise<string> {
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return ref;
  try {
    return `${ref}@${await resolveDigest(ref, registrySetting)}`;
  } catch (err) {
    if (err instanceof RegistryWantsLogin) {
      log(`  ${ref}: not resolved here: ${err.message}; each user's stack resolves the tag with its registry password`);
      return ref;
    }
    throw new Error(`cannot resolve ${ref} to a digest: ${(err as Error).message}. Check that the image is pushed, or name it by digest (name@sha256:…) in the fleet file`);
  }
}
