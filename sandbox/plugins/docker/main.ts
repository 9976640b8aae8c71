// Stand-in for pulumi-resource-docker (the plugin @pulumi/docker 5.2.0 asks for), serving only what
// the program uses: docker.Image (image.ts, builds with podman), getRegistryImage
// (registry-image.ts) and the provider's registryAuth. Installed into test and sandbox
// PULUMI_HOMEs only (sandbox/plugins/install.ts); see docs/stand-in-plugins.md.
import { serve } from "../host/serve";
import type { StandInProvider } from "../host/types";
import { pinnedVersion } from "../versions";
import { DOCKER_IMAGE, dockerImage } from "./image";
import { GET_REGISTRY_IMAGE, getRegistryImage, registryAuthFromConfig, type RegistryAuth } from "./registry-image";

let auths = new Map<string, RegistryAuth>();

export const dockerProvider: StandInProvider = {
  name: "docker",
  version: pinnedVersion("docker"),
  // provider/hybrid.go answers Configure with the bridged provider's answer plus supportsPreview;
  // the bridge does not set acceptSecrets (pkg/tfbridge/provider.go), so the engine sends plain
  // values and marks secret again what the program gave as secret.
  supportsPreview: true,
  acceptSecrets: false,
  configure(config) {
    auths = registryAuthFromConfig(config);
  },
  resources: { [DOCKER_IMAGE]: dockerImage },
  functions: { [GET_REGISTRY_IMAGE]: (args) => getRegistryImage(args, auths) },
};

if (require.main === module) void serve(dockerProvider, process.argv.slice(2));
