// What docker.Image does against the Docker daemon (pulumi-docker provider/image.go dockerBuild),
// done with podman, offline: build the context with the Dockerfile and arguments, tag it
// imageName, and push it to the registry the name says, returning the digest the registry
// reported for the push (the `aux` PushResult the real provider prefers), so repoDigest is
// <name>@<that digest>. Differences this machine forces, none of them visible in the program:
// - base images come from local storage (--pull=never); sandbox/images builds the node base
//   images the Dockerfiles start FROM, as Docker Hub is out of reach;
// - RUN steps use the host's network (--network=host) unless build.network says otherwise;
// - the machine's CA bundle (its proxy inspects HTTPS) is passed as the build secret `build_ca`,
//   which the Dockerfiles mount only into `npm ci` (docs/images.md); a Docker daemon behind such
//   a proxy needs the same, and it is in no layer;
// - a loopback registry is pushed to over plain HTTP, as the Docker daemon does by default
//   (127.0.0.0/8 is an insecure registry); credentials go to podman in a private auth file,
//   never on a command line.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { baseImagesOf, buildCaFile, ensureBaseImage, podman, toolchainCache } from "../../images";
import { podmanLogged } from "../../images/podman";
import { convertToHostname, isLoopbackRegistry, parseNormalizedNamed, repoDigestOf } from "./references";

export interface BuildSpec {
  imageName: string;
  context: string;
  dockerfile: string;
  platform: string;
  args: Record<string, string>;
  target?: string;
  network?: string;
  addHosts: string[];
}

export interface PushAuth {
  /** The registry host the credentials are for (getRegistryAddrForAuth). */
  server: string;
  username: string;
  password: string;
}

/** podman build; resolves with the image id (sha256:…). Build output goes to a log file. */
export async function buildImage(spec: BuildSpec, log: (line: string) => void): Promise<string> {
  // `scratch` is no image: Docker and podman start from nothing.
  for (const base of baseImagesOf(spec.dockerfile).filter((b) => b !== "scratch")) await ensureBaseImage(base, log);
  const args = ["build", "--pull=never", "--format", "docker", "--layers", "--platform", spec.platform, "-f", spec.dockerfile, "-t", spec.imageName];
  args.push(`--network=${spec.network ?? "host"}`);
  for (const [key, value] of Object.entries(spec.args)) args.push("--build-arg", `${key}=${value}`);
  for (const host of spec.addHosts) args.push("--add-host", host);
  if (spec.target) args.push("--target", spec.target);
  const ca = buildCaFile();
  if (ca) args.push("--secret", `id=build_ca,src=${ca}`);
  args.push(spec.context);
  const logDir = path.join(toolchainCache(), "images", "logs");
  const logFile = path.join(logDir, `${spec.imageName.replace(/[^A-Za-z0-9_.-]+/g, "_")}.log`);
  await import("node:fs/promises").then((fs) => fs.mkdir(logDir, { recursive: true }));
  log(`Starting Docker build (podman; output in ${logFile})`);
  try {
    await podmanLogged(args, logFile);
  } catch (err) {
    throw new Error(`error building image: ${(err as Error).message}`);
  }
  const id = (await podman(["image", "inspect", "--format", "{{.Id}}", spec.imageName])).trim();
  log(`Image built successfully, local id "sha256:${id}"`);
  return `sha256:${id}`;
}

/** podman push of imageName to its own registry; resolves with repoDigest (<name>@sha256:…). */
export async function pushImage(imageName: string, auth: PushAuth | undefined, log: (line: string) => void): Promise<string> {
  const host = parseNormalizedNamed(imageName).domain;
  const dir = await mkdtemp(path.join(tmpdir(), "standin-push-"));
  try {
    const digestFile = path.join(dir, "digest");
    const args = ["push", "--format", "v2s2", "--digestfile", digestFile];
    if (isLoopbackRegistry(host)) args.push("--tls-verify=false");
    if (auth) {
      const authFile = path.join(dir, "auth.json");
      const encoded = Buffer.from(`${auth.username}:${auth.password}`).toString("base64");
      await writeFile(authFile, JSON.stringify({ auths: { [convertToHostname(auth.server)]: { auth: encoded } } }), { mode: 0o600 });
      args.push("--authfile", authFile);
    }
    args.push(imageName, `docker://${imageName}`);
    log("Pushing Image to the registry");
    await podman(args, { timeoutMs: 900_000 });
    const digest = (await readFile(digestFile, "utf8")).trim();
    log(`Pushed image with digest ${digest}`);
    return repoDigestOf(imageName, digest);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
