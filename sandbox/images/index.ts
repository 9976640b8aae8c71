// Building, pushing and resolving the project's images offline (podman, a debootstrap base, Debian's
// docker-registry). The sandbox's container mode uses it; so can `pulumi up` against a local registry.
export { toolchainCache, baseImagesOf, ensureBaseImage, qualified } from "./base-image";
export { buildImage, buildCaFile, imageId, type BuildOptions, type BuiltImage } from "./build";
export { findBuildCaLeaks, machineOwnCerts } from "./ca-check";
export { podman, requirePodman, PodmanMissingError, installCommand } from "./podman";
export { startRegistry, pushImage, digestOf, manifestAccept, type LocalRegistry } from "./registry";
export { ensureServiceImage, ensureServiceImages, serviceImageTags, sandboxBuildArgs, type ServiceName } from "./service-images";
