// The digest an image reference names now, asked of its registry (the Docker Registry HTTP API V2:
// HEAD /v2/<name>/manifests/<tag>, answered with a Docker-Content-Digest header). Anonymous: a registry
// that wants a login answers 401 and the digest is reported unknown, never guessed.
const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
].join(", ");

/**
 * `registrySetting` is textslash:imageRegistry: when it names the reference's host with http://, the
 * registry is asked over plain HTTP (a local registry), otherwise over HTTPS.
 */
export async function resolveDigest(ref: string, registrySetting: string, timeoutMs = 10_000): Promise<string> {
  const pinned = /@(sha256:[0-9a-f]{64})$/.exec(ref);
  if (pinned) return pinned[1]!;
  const slash = ref.indexOf("/");
  const host = slash > 0 ? ref.slice(0, slash) : "";
  if (!/[.:]/.test(host) && host !== "localhost") throw new Error(`${ref} names no registry host; the fleet resolves registry/name:tag references`);
  const rest = ref.slice(slash + 1);
  const colon = rest.lastIndexOf(":");
  const [name, tag] = colon > 0 ? [rest.slice(0, colon), rest.slice(colon + 1)] : [rest, "latest"];
  const plain = registrySetting.startsWith("http://") && registrySetting.replace(/^http:\/\//, "").replace(/\/$/, "") === host;
  const url = `${plain ? "http" : "https"}://${host}/v2/${name}/manifests/${tag}`;
  const res = await fetch(url, { method: "HEAD", headers: { Accept: MANIFEST_TYPES }, signal: AbortSignal.timeout(timeoutMs) });
  const digest = res.headers.get("docker-content-digest");
  if (res.status !== 200 || !digest) throw new Error(`HEAD ${url} answered ${res.status}${res.status === 401 ? " (the registry wants a login)" : ""}`);
  return digest;
}
