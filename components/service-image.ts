// The image a service's machine runs, always pinned by digest, so a change of the machine's image
// field is a change of the image's content and nothing else:
// - by default it is built from this checkout's services/<service> with @pulumi/docker and pushed
//   to {registry}/{app} (registry.fly.io by default, as `fly deploy` does; user "x" and the Fly
//   token as password, the login `flyctl auth docker` writes: superfly/flyctl
//   internal/command/auth/docker.go), and the machine runs its repoDigest. docker.Image rebuilds
//   only when its inputs change, and its inputs include a digest of the build context, so an
//   unchanged checkout is no change at all;
// - with textslash:relayImage / textslash:vmImage set, a published image is resolved to its digest
//   by docker.getRegistryImage each time the program runs (preview included): a tag published
//   again with new content is a change of the machine. A reference that already names a digest
//   (name@sha256:…) runs as it is.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export type ServiceName = "relay" | "vm";

/** Where built images are pushed: the configured address (http:// marks a plain-HTTP registry) and its host. */
export interface RegistryTarget {
  /** As configured: "registry.fly.io", or "http://127.0.0.1:5000" for the sandbox's registry. */
  address: string;
  /** The host part that image names start with. */
  host: string;
}

export function registryTarget(address: string): RegistryTarget {
  return { address, host: address.replace(/^https?:\/\//, "").replace(/\/+$/, "") };
}

/** `host/name:tag` (or `host/name:tag@sha256:…`) and a digest → `host/name@<digest>`. */
export function pinnedReference(ref: string, digest: string): string {
  const withoutDigest = ref.split("@")[0]!;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.indexOf(":", lastSlash + 1);
  return `${colon === -1 ? withoutDigest : withoutDigest.slice(0, colon)}@${digest}`;
}

/** The build target platform: Fly machines run x86-64, whatever the machine running `pulumi up` is. */
export const FLY_PLATFORM = "linux/amd64";

export interface ServiceImageArgs {
  service: ServiceName;
  appName: string;
  /** A published image reference, or "" to build services/<service> from this checkout. */
  published: string;
  registry: RegistryTarget;
  /** The registry password (the Fly token), a secret. */
  registryPassword: pulumi.Output<string>;
  /** Build arguments of the service's Dockerfile. */
  buildArgs?: Record<string, string>;
}

/** The image reference (name@digest) the service's machine runs. */
export function serviceImage(
  name: string,
  args: ServiceImageArgs,
  /** `provider()` declares the docker provider on first use: a digest needs none. */
  opts: { parent: pulumi.Resource; dependsOn: pulumi.Resource[]; provider: () => docker.Provider },
): pulumi.Output<string> {
  if (args.published) {
    // A reference that names a digest is already pinned: nothing to look up. (getRegistryImage
    // could not look it up anyway: terraform-provider-docker's parseImageOptions takes what
    // follows the first ':' as the tag, so `host/name@sha256:…` without a tag asks the registry
    // for repository `name@sha256`; only `name:tag@sha256:…` parses.)
    const digest = /@(sha256:[0-9a-f]{64})$/.exec(args.published)?.[1];
    if (digest) return pulumi.output(pinnedReference(args.published, digest));
    const found = docker.getRegistryImageOutput({ name: args.published }, { parent: opts.parent, provider: opts.provider() });
    return found.sha256Digest.apply((digest) => pinnedReference(args.published, digest));
  }
  const image = new docker.Image(
    name,
    {
      imageName: `${args.registry.host}/${args.appName}:latest`,
      // Relative to the project root, where the engine runs the provider: the state holds no path of this machine.
      build: { context: `services/${args.service}`, platform: FLY_PLATFORM, ...(args.buildArgs ? { args: args.buildArgs } : {}) },
      registry: { server: args.registry.host, username: "x", password: args.registryPassword },
    },
    { ...opts, provider: opts.provider() },
  );
  return image.repoDigest;
}
