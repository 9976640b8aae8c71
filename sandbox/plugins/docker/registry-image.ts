// docker.getRegistryImage (token docker:index/getRegistryImage:getRegistryImage), which
// pulumi-docker 5.x bridges from terraform-provider-docker v4.5.0 (the upstream submodule commit
// 5074970c): internal/provider/data_source_docker_registry_image.go and
// authentication_helpers.go. The digest of `name` (tag, or digest after the tag) as the registry
// stores it, asked every time the program runs, so a tag republished with new content reads as a
// new digest:
// - the registry is the name's first segment when it looks like a host, else Docker Hub;
// - credentials are the provider's registryAuth entry for that host (its address says https://,
//   the default, or http:// for a plain-HTTP registry); without one, none, over https://;
// - HEAD <registry>/v2/<repository>/manifests/<tag> accepting Docker v2 and OCI manifests and
//   indexes; 200 gives Docker-Content-Digest (or the sha256 of the body); 401 with a Bearer
//   challenge gets a token from its realm (basic auth when there are credentials) and asks again;
//   a failure is retried once with the schema-1 Accept header, then reported as
//   "Got error when attempting to fetch image version <repo>:<tag> from registry: <error>".
// Not implemented: credentials from a Docker config file or helper (configFile,
// configFileContent), and the ECR/ACR/GCR/GHCR-specific Authorization forms.
import { createHash } from "node:crypto";
import { Agent } from "undici";
import type { PropertyMap, Value } from "../host/values";
import { reveal } from "../host/values";
import { canonicalizeRegistryAddress, convertToHostname, parseImageOptions } from "./references";

export const GET_REGISTRY_IMAGE = "docker:index/getRegistryImage:getRegistryImage";

export interface RegistryAuth {
  /** https://host or http://host */
  serverAddress: string;
  username: string;
  password: string;
}

/** provider.go providerSetToRegistryAuth, for the username/password form; keyed by hostname. */
export function registryAuthFromConfig(config: PropertyMap): Map<string, RegistryAuth> {
  const auths = new Map<string, RegistryAuth>();
  let raw = reveal(config.registryAuth) as Value | undefined;
  // Generated SDKs send complex provider config JSON-encoded (Provider: pulumi.output(...).apply(JSON.stringify)).
  if (typeof raw === "string") raw = JSON.parse(raw) as Value;
  if (!Array.isArray(raw)) return auths;
  for (const entry of raw) {
    const e = (reveal(entry) ?? {}) as Record<string, Value>;
    if (typeof e.address !== "string") continue;
    const serverAddress = canonicalizeRegistryAddress(e.address);
    let username = typeof e.username === "string" ? e.username : (process.env.DOCKER_REGISTRY_USER ?? "");
    let password = typeof e.password === "string" ? e.password : (process.env.DOCKER_REGISTRY_PASS ?? "");
    if (e.authDisabled === true) {
      username = "username";
      password = "password";
    }
    if (username === "") {
      throw new Error(`Error loading registry auth config: credentials for ${e.address} from a Docker config file are not implemented by the docker stand-in; give username and password`);
    }
    auths.set(convertToHostname(serverAddress), { serverAddress, username, password });
  }
  return auths;
}

const acceptTypes = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
];

async function digestFromResponse(res: Response): Promise<string> {
  const header = res.headers.get("docker-content-digest");
  if (header) return header;
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length === 0) throw new Error("error reading registry response body: empty body");
  return `sha256:${createHash("sha256").update(body).digest("hex")}`;
}

function parseBearer(header: string | null): Record<string, string> {
  if (!header?.startsWith("Bearer")) throw new Error("missing or invalid www-authenticate header, does not start with 'Bearer'");
  return Object.fromEntries([...header.slice(7).matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1]!, m[2]!]));
}

async function imageDigest(registry: string, auth: RegistryAuth, repository: string, tag: string, insecure: boolean, fallback: boolean): Promise<string> {
  const dispatcher = insecure && auth.serverAddress.startsWith("https://") ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined;
  const send = (url: string, init: RequestInit): Promise<Response> => fetch(url, { ...init, ...(dispatcher ? { dispatcher } : {}) } as RequestInit);
  const headers: Record<string, string> = { Accept: fallback ? "application/vnd.docker.distribution.manifest.v1+prettyjws" : acceptTypes.join(", ") };
  const basic = auth.username ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` : undefined;
  if (basic) headers.Authorization = basic;
  const url = `${auth.serverAddress}/v2/${repository}/manifests/${tag}`;
  let res: Response;
  try {
    res = await send(url, { method: "HEAD", headers });
  } catch (err) {
    throw new Error(`Error during registry request: ${(err as Error).message}`);
  }
  if (res.status === 200) return digestFromResponse(res);
  if (res.status !== 401) throw new Error(`got bad response from registry: ${res.status} ${res.statusText}`);
  let challenge: Record<string, string>;
  try {
    challenge = parseBearer(res.headers.get("www-authenticate"));
  } catch {
    throw new Error(`bad credentials: ${res.status} ${res.statusText}`);
  }
  const params = new URLSearchParams({ service: challenge.service ?? "", scope: challenge.scope || `repository:${repository}:push,pull` });
  const tokenUrl = `${challenge.realm}?${params.toString()}`;
  let tokenRes = await send(tokenUrl, { headers: { Accept: "application/json", ...(basic ? { Authorization: basic } : {}) } });
  if (basic && (tokenRes.status === 401 || tokenRes.status === 403)) tokenRes = await send(tokenUrl, { headers: { Accept: "application/json" } });
  if (tokenRes.status !== 200) throw new Error(`got bad response from registry: ${tokenRes.status} ${tokenRes.statusText}`);
  const body = (await tokenRes.json()) as { token?: string; access_token?: string };
  const token = body.token || body.access_token;
  if (!token) throw new Error("Error during registry request: no token in the token response");
  for (const method of ["HEAD", "GET"]) {
    const again = await send(url, { method, headers: { ...headers, Authorization: `Bearer ${token}` } });
    if (again.status !== 200) throw new Error(`got bad response from registry: ${again.status} ${again.statusText}`);
    if (method === "GET" || again.headers.get("docker-content-digest")) return digestFromResponse(again);
  }
  throw new Error(`registry ${registry} answered no digest`);
}

/** The invoke: outputs as the bridged data source returns them. */
export async function getRegistryImage(args: PropertyMap, auths: Map<string, RegistryAuth>): Promise<PropertyMap> {
  const name = reveal(args.name) as string;
  if (typeof name !== "string" || name === "") throw new Error("Missing required argument: name");
  const insecure = reveal(args.insecureSkipVerify) === true;
  const pull = parseImageOptions(name);
  const auth = auths.get(pull.registry) ?? { serverAddress: `https://${pull.registry}`, username: "", password: "" };
  let digest: string;
  try {
    digest = await imageDigest(pull.registry, auth, pull.repository, pull.tag, insecure, false);
  } catch {
    try {
      digest = await imageDigest(pull.registry, auth, pull.repository, pull.tag, insecure, true);
    } catch (err) {
      throw new Error(`Got error when attempting to fetch image version ${pull.repository}:${pull.tag} from registry: ${(err as Error).message}`);
    }
  }
  return { id: digest, name, sha256Digest: digest, insecureSkipVerify: insecure };
}
