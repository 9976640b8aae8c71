// Builds an image from a Dockerfile with podman, offline: bases come from local storage only
// (--pull=never; ensureBaseImage provides them), RUN steps use the host's network (npm and apt
// reach their registries the way the host does), and the format is Docker's (HEALTHCHECK kept).
// A machine whose HTTPS goes through an inspecting proxy passes that proxy's CA as the build
// secret `build_ca`, mounted only into the RUN steps that ask for it: it is never in a layer
// (assertNoBuildCa checks a built image). A build whose inputs did not change is skipped: the
// image carries a hash of its context, Dockerfile, build arguments and base image ids.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { baseImagesOf, ensureBaseImage, qualified, toolchainCache } from "./base-image";
import { podman, podmanLogged } from "./podman";

export interface BuildOptions {
  /** The build context (a service folder). */
  context: string;
  /** The name to tag, e.g. localhost/textslash-relay:sandbox. */
  tag: string;
  /** Default: <context>/Dockerfile. */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  /** A PEM bundle the RUN steps may trust (default: buildCaFile()); null for none. */
  caFile?: string | null;
  log?: (line: string) => void;
}

export interface BuiltImage {
  tag: string;
  id: string;
  /** False when an image with the same inputs was already there. */
  built: boolean;
  seconds: number;
}

const hashLabel = "textslash.inputs-hash";

/** The CA bundle a build behind this machine's proxy needs: TEXTSLASH_BUILD_CA, NODE_EXTRA_CA_CERTS or the system store. */
export function buildCaFile(): string | undefined {
  for (const candidate of [process.env.TEXTSLASH_BUILD_CA, process.env.NODE_EXTRA_CA_CERTS, "/etc/ssl/certs/ca-certificates.crt"]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** .dockerignore as the services write it: top-level names and `*` globs (node_modules, dist, *.log). */
function ignoredNames(context: string): (name: string) => boolean {
  const file = path.join(context, ".dockerignore");
  if (!existsSync(file)) return () => false;
  const patterns = readFileSync(file, "utf8").split("\n").map((l) => l.trim().replace(/^\/|\/$/g, "")).filter((l) => l && !l.startsWith("#"))
    .map((l) => new RegExp(`^${l.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`));
  return (name) => patterns.some((p) => p.test(name));
}

function hashContext(context: string, hash: ReturnType<typeof createHash>): void {
  const ignored = ignoredNames(context);
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      if (!rel && ignored(name)) continue;
      const full = path.join(dir, name);
      const stat = statSync(full);
      if (stat.isDirectory()) walk(full, relPath);
      else if (stat.isFile()) hash.update(`${relPath}\0${stat.mode & 0o111 ? "x" : "-"}\0`).update(readFileSync(full)).update("\0");
    }
  };
  walk(context, "");
}

async function labelOf(tag: string): Promise<string | undefined> {
  try {
    const out = await podman(["image", "inspect", "--format", `{{index .Labels "${hashLabel}"}}`, tag]);
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function imageId(ref: string): Promise<string> {
  return (await podman(["image", "inspect", "--format", "{{.Id}}", ref])).trim();
}

export async function buildImage(options: BuildOptions): Promise<BuiltImage> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const dockerfile = options.dockerfile ?? path.join(options.context, "Dockerfile");
  const bases = baseImagesOf(dockerfile);
  for (const base of bases) await ensureBaseImage(base, log);
  const hash = createHash("sha256");
  hash.update(readFileSync(dockerfile));
  for (const [key, value] of Object.entries(options.buildArgs ?? {}).sort()) hash.update(`arg ${key}=${value}\0`);
  for (const base of bases) hash.update(`base ${await imageId(qualified(base))}\0`);
  hashContext(options.context, hash);
  const inputs = hash.digest("hex");
  if ((await labelOf(options.tag)) === inputs) {
    return { tag: options.tag, id: await imageId(options.tag), built: false, seconds: (Date.now() - started) / 1000 };
  }

  const caFile = options.caFile === undefined ? buildCaFile() : options.caFile ?? undefined;
  const logDir = path.join(toolchainCache(), "images", "logs");
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${options.tag.replace(/[^A-Za-z0-9_.-]+/g, "_")}.log`);
  log(`[images] building ${options.tag} from ${path.relative(process.cwd(), dockerfile) || dockerfile} (log: ${logFile})`);
  const args = ["build", "--pull=never", "--network=host", "--format", "docker", "--layers", "-f", dockerfile, "-t", options.tag, "--label", `${hashLabel}=${inputs}`];
  for (const [key, value] of Object.entries(options.buildArgs ?? {})) args.push("--build-arg", `${key}=${value}`);
  if (caFile) args.push("--secret", `id=build_ca,src=${caFile}`);
  args.push(options.context);
  await podmanLogged(args, logFile);
  const seconds = (Date.now() - started) / 1000;
  log(`[images] built ${options.tag} in ${seconds.toFixed(0)} s`);
  return { tag: options.tag, id: await imageId(options.tag), built: true, seconds };
}
