// Which of the project's own services an image runs. Only these become local processes; any
// other image is kept as Fly API state only (the sandbox cannot run arbitrary containers).
export type ServiceKind = "relay" | "vm";

/**
 * `ghcr.io/x/textslash-vm:1.2@sha256:…` → "vm"; any registry, tag or digest; else undefined. The
 * images `pulumi up` builds are pushed as {registry}/{app}, so `{prefix}-relay` / `{prefix}-vm`
 * (e.g. 127.0.0.1:5000/sandbox-vm@sha256:…) name the services too.
 */
export function serviceForImage(image: string): ServiceKind | undefined {
  const withoutDigest = image.split("@")[0] ?? "";
  const lastSegment = withoutDigest.split("/").pop() ?? "";
  const repository = lastSegment.split(":")[0] ?? "";
  if (repository.endsWith("-relay")) return "relay";
  if (repository.endsWith("-vm")) return "vm";
  return undefined;
}

/** The service entry point, run from source with tsx (no build step), relative to the repo root. */
export function entryPointFor(kind: ServiceKind): string {
  return kind === "relay" ? "services/relay/src/server.ts" : "services/vm/src/server.ts";
}
