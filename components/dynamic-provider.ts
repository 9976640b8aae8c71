// A pulumi-nodejs provider instance for dynamic resources, configured with exactly the keys they
// read in configure() and nothing else. Without one, the engine runs dynamic resources under the
// default pulumi-nodejs provider, which it configures with the WHOLE stack configuration, every
// namespace and every secret (pulumi/pulumi pkg/resource/deploy/target.go, GetPackageConfig: "For
// dynamic providers, we always pass the full configuration"), and records those inputs in that
// provider's state. An explicit provider's configuration is its own inputs: the stack makes one per
// credential (the Fly API's, Twilio's), so each token is in state once, as ciphertext, in the
// provider that uses it (destroy and refresh, which do not run the program, find it there).
import * as pulumi from "@pulumi/pulumi";

export class DynamicProvider extends pulumi.ProviderResource {
  /** `config`: full keys as the provider's configure() reads them, e.g. "textslash:flyApiUrl". */
  constructor(name: string, config: Record<string, pulumi.Input<string>>, opts?: pulumi.ResourceOptions) {
    super("pulumi-nodejs", name, config, opts);
  }
}
