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
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";

/** The providers the bundle (components/providers.ts) serves, by name. */
export type ProviderName = "appProvider" | "volumeProvider" | "secretsProvider" | "ipProvider" | "machineProvider" | "webhookProvider";

/** The checkout this program runs from (this file is components/dynamic-resource.ts). */
const checkout = resolve(__dirname, "..");

/**
 * The `__provider` module text. The loader is looked up in the provider process's working directory
 * first (the engine starts it in the project, so a stack moved to another checkout or machine still
 * works), then in the checkout that wrote the state. Refresh and delete run the text stored in the
 * state, so it stays this small and leaves everything that may change to the loader.
 */
export function providerModuleText(name: ProviderName, from: string = checkout): string {
  return [
    `// textslash dynamic provider ${name}, served from the compiled bundle by components/bundles.cjs`,
    "exports.handler = function () {",
    '  var path = require("path");',
    '  var local = path.join(process.cwd(), "components", "bundles.cjs");',
    `  var loader = require("fs").existsSync(local) ? local : ${JSON.stringify(resolve(from, "components", "bundles.cjs"))};`,
    `  return require(loader).provider(path.dirname(path.dirname(loader)), ${JSON.stringify(name)});`,
    "};",
    "",
  ].join("\n");
}

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
