// The relay and VM images built from this checkout, as the sandbox's container mode and the image
// tests run them. The VM is built with BROWSER=debian: Playwright's browser download is out of reach
// here, so Debian's chromium stands in for it (production images keep Playwright's own build).
import path from "node:path";
import { buildImage, type BuiltImage } from "./build";

export type ServiceName = "relay" | "vm";

/** Local tags of the checkout's images (the sandbox runs these for textslash-relay / textslash-vm machines). */
export const serviceImageTags: Record<ServiceName, string> = {
  relay: "localhost/textslash-relay:sandbox",
  vm: "localhost/textslash-vm:sandbox",
};

export const sandboxBuildArgs: Record<ServiceName, Record<string, string>> = {
  relay: {},
  vm: { BROWSER: "debian" },
};

export function serviceContext(repoRoot: string, service: ServiceName): string {
  return path.join(repoRoot, "services", service);
}

/** Builds (or finds up to date) the service's image; see buildImage for the offline rules. */
export function ensureServiceImage(repoRoot: string, service: ServiceName, log?: (line: string) => void): Promise<BuiltImage> {
  return buildImage({
    context: serviceContext(repoRoot, service),
    tag: serviceImageTags[service],
    buildArgs: sandboxBuildArgs[service],
    ...(log ? { log } : {}),
  });
}

/** Both images, one after the other (two builds at once only slow each other down on two cores). */
export async function ensureServiceImages(repoRoot: string, log?: (line: string) => void): Promise<Record<ServiceName, BuiltImage>> {
  const relay = await ensureServiceImage(repoRoot, "relay", log);
  const vm = await ensureServiceImage(repoRoot, "vm", log);
  return { relay, vm };
}
