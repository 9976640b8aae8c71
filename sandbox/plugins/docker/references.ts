// Image references and registry addresses as the real docker provider reads them (pure):
// - docker.Image uses github.com/distribution/reference: ParseNormalizedNamed fills in docker.io
//   and library/, ParseNamed refuses a name that is not already in that canonical form, and the
//   registry the credentials are for comes from getRegistryAddrForAuth (pulumi/pulumi-docker
//   provider/image.go, v5 line);
// - getRegistryImage and the provider's registryAuth use terraform-provider-docker v4.5.0's own
//   string handling (internal/provider/resource_docker_image_funcs.go parseImageOptions,
//   config.go normalizeRegistryAddress / canonicalizeRegistryAddress, provider.go convertToHostname).

const component = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const reference = new RegExp(`^(?:(${domain})/)?(${component}(?:/${component})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`);

export interface NamedReference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

/** reference.ParseNormalizedNamed: "node:24" → docker.io/library/node:24. */
export function parseNormalizedNamed(s: string): NamedReference {
  // splitDockerDomain: the first segment is a registry when it has "." or ":", is "localhost" or
  // has upper case; index.docker.io is docker.io; a one-segment Docker Hub name gets library/.
  const slash = s.indexOf("/");
  const first = slash === -1 ? "" : s.slice(0, slash);
  const hasDomain = slash !== -1 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first);
  let domainPart = hasDomain ? first : "docker.io";
  let remainder = hasDomain ? s.slice(slash + 1) : s;
  if (domainPart === "index.docker.io") domainPart = "docker.io";
  if (domainPart === "docker.io" && !remainder.includes("/")) remainder = `library/${remainder}`;
  const m = reference.exec(`${domainPart}/${remainder}`);
  if (!m || !m[1]) throw new Error(`invalid reference format: ${JSON.stringify(s)}`);
  const named: NamedReference = { domain: m[1], path: m[2]! };
  if (m[3]) named.tag = m[3];
  if (m[4]) named.digest = m[4];
  return named;
}

export const referenceString = (r: NamedReference): string => `${r.domain}/${r.path}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;

/** reference.ParseNamed: the normalized form must be the string itself. */
export function parseNamed(s: string): NamedReference {
  const named = parseNormalizedNamed(s);
  if (referenceString(named) !== s) throw new Error("repository name must be canonical");
  return named;
}

/** reference.TrimNamed(...).String() + "@" + digest: the repoDigest of a push. */
export const repoDigestOf = (imageName: string, digest: string): string => {
  const named = parseNormalizedNamed(imageName);
  return `${named.domain}/${named.path}@${digest}`;
};

const indexServer = "https://index.docker.io/v1/";

/** image.go getRegistryAddrForAuth: the registry the push credentials are for. */
export function registryAddrForAuth(serverName: string, imageName: string): string {
  let hostname: string;
  if (serverName === "") {
    try {
      hostname = parseNamed(imageName).domain;
    } catch (err) {
      throw new Error(
        `${JSON.stringify(imageName)}: ${(err as Error).message}.\nThis resource requires all image names to be fully qualified.\n` +
          "For example, if you are attempting to push to Dockerhub, prefix your image name with `docker.io`:\n\n`docker.io/repository/image:tag`",
      );
    }
  } else {
    hostname = convertToHostname(serverName);
  }
  return ["index.docker.io", "docker.io", "registry-1.docker.io"].includes(hostname) ? indexServer : hostname;
}

/** provider.go convertToHostname: scheme and path removed. */
export function convertToHostname(url: string): string {
  const stripped = url.replace(/^https?:\/\//, "");
  return stripped.split("/")[0] ?? stripped;
}

/** config.go canonicalizeRegistryAddress: https:// unless the address says http://. */
export function canonicalizeRegistryAddress(address: string): string {
  const normalized = /^https?:\/\//.test(address) ? address : `https://${address}`;
  return `${normalized.startsWith("http://") ? "http://" : "https://"}${convertToHostname(normalized)}`;
}

export interface PullOptions {
  registry: string;
  repository: string;
  tag: string;
}

/** resource_docker_image_funcs.go parseImageOptions (a digest after the tag wins over the tag). */
export function parseImageOptions(image: string): PullOptions {
  let registry = "";
  let repository = image;
  let tag = "";
  const firstSlash = image.indexOf("/");
  if ((image.match(/\//g) ?? []).length > 1 || (firstSlash !== -1 && (/[.:]/.test(image.slice(0, firstSlash)) || image.slice(0, firstSlash) === "localhost"))) {
    registry = image.slice(0, firstSlash);
  }
  const tagIndex = image.slice(registry.length).indexOf(":");
  if (tagIndex !== -1) {
    repository = image.slice(0, registry.length + tagIndex);
    tag = image.slice(registry.length + tagIndex + 1);
    const at = tag.indexOf("@");
    if (at !== -1) tag = tag.slice(at + 1);
  }
  if (tag === "") tag = "latest";
  if (registry === "") {
    registry = "registry-1.docker.io";
    if (!repository.includes("/")) repository = `library/${repository}`;
  } else {
    repository = repository.replace(`${registry}/`, "");
  }
  return { registry, repository, tag };
}

/** A loopback registry, which Docker's daemon talks to over plain HTTP by default (insecure-registries 127.0.0.0/8). */
export function isLoopbackRegistry(host: string): boolean {
  const name = host.replace(/:\d+$/, "");
  return name === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(name) || name === "[::1]";
}
