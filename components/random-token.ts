// A random token generated once per stack (the relay↔VM shared token). @pulumi/random's plugin
// cannot be installed offline, so this is a tiny dynamic resource; its value is a secret output
// (additionalSecretOutputs) so the state file holds only ciphertext.
import * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";

const tokenProvider: pulumi.dynamic.ResourceProvider<{ bytes: number }> = {
  diff: async (_id, olds, news) => ({ changes: olds.bytes !== news.bytes, replaces: ["bytes"] }),
  create: async (inputs) => ({ id: randomBytes(8).toString("hex"), outs: { bytes: inputs.bytes, value: randomBytes(inputs.bytes).toString("base64url") } }),
};

export class RandomToken extends pulumi.dynamic.Resource {
  declare readonly value: pulumi.Output<string>;
  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(tokenProvider, name, { bytes: 32, value: undefined }, { ...opts, additionalSecretOutputs: ["value"] }, "textslash", "RandomToken");
  }
}
