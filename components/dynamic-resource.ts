// The program's side of the Fly and Twilio dynamic resources, without Pulumi's closure serialization.
//
// A dynamic resource's `__provider` input is the source of a CommonJS module whose `handler()`
// returns the provider; the engine's pulumi-nodejs provider process evaluates each distinct text
// once (@pulumi/pulumi cmd/dynamic-provider/index.js, getProvider). pulumi.dynamic.Resource makes
// that text by serializing a closure (the V8 inspector and a parse of each function, in the program
// process, on every run). Here the text is written out: a few lines that ask the bundle loader
// (components/bundles.cjs) for the named provider of the compiled bundle (dist/providers.js), so the
// program process never loads zod, the Fly client or a provider, and the provider process runs
// plain JavaScript, with no TypeScript compiler.
import * as pulumi from "@pulumi/pulumi";
import { providerModuleText, type ProviderName } from "./provider-text";

/**
 * A dynamic resource served by a provider of the bundle. The type token is the one
 * pulumi.dynamic.Resource gives (`pulumi-nodejs:dynamic/textslash:<type>`), so URNs and the engine's
 * choice of provider are unchanged for stacks deployed before.
 */
export abstract class DynamicResource extends pulumi.CustomResource {
  protected constructor(provider: ProviderName, type: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(`pulumi-nodejs:dynamic/textslash:${type}`, name, { ...props, __provider: providerModuleText(provider) }, opts);
  }
}
