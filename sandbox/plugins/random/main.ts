// Stand-in for pulumi-resource-random (the plugin @pulumi/random 4.21.2 asks for), serving only what
// the program uses: RandomPassword (password.ts). Installed into test and sandbox PULUMI_HOMEs only
// (sandbox/plugins/install.ts); see docs/stand-in-plugins.md.
import { serve } from "../host/serve";
import type { StandInProvider } from "../host/types";
import { UNKNOWN, type PropertyMap } from "../host/values";
import { pinnedVersion } from "../versions";
import { checkPassword, createPassword, diffPassword, RANDOM_PASSWORD, withDefaults } from "./password";

export const randomProvider: StandInProvider = {
  name: "random",
  version: pinnedVersion("random"),
  // pulumi-terraform-bridge's Configure (pkg/tfbridge/provider.go) answers supportsPreview (computed
  // outputs come back unknown) and not acceptSecrets: the engine sends plain values.
  supportsPreview: true,
  acceptSecrets: false,
  resources: {
    [RANDOM_PASSWORD]: {
      async check({ news }) {
        return { inputs: news, failures: checkPassword(news) };
      },
      async diff({ oldOutputs, news }) {
        return diffPassword(oldOutputs, news);
      },
      async create({ inputs, preview }) {
        const outputs: PropertyMap = preview ? { ...withDefaults(inputs), result: UNKNOWN, bcryptHash: UNKNOWN } : createPassword(inputs);
        return { id: "none", outputs };
      },
      // Only a change that does not replace gets here (keepers gaining null values, overrideSpecial
      // "" → unset): the plan keeps result and bcryptHash (UseStateForUnknown).
      async update({ oldOutputs, news }) {
        return { outputs: { ...withDefaults(news), result: oldOutputs.result ?? null, bcryptHash: oldOutputs.bcryptHash ?? null } };
      },
    },
  },
};

if (require.main === module) void serve(randomProvider, process.argv.slice(2));
