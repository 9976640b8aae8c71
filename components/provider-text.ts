// The `__provider` text of the program's dynamic resources (dynamic-resource.ts): a few lines that
// ask the bundle loader (components/bundles.cjs) for a named provider of the compiled bundle. No
// @pulumi/pulumi here: providers import it too (the guard's diff), and the provider process should
// not load the SDK for it.
import { resolve } from "node:path";

/** The providers the bundle (components/providers.ts) serves, by name. */
export type ProviderName =
  "appProvider" | "volumeProvider" | "secretsProvider" | "ipProvider" | "machineProvider" | "webhookProvider" | "guardProvider";

/** In the first line of every text providerModuleText writes. */
const BUNDLED = "served from the compiled bundle by components/bundles.cjs";

/** The checkout this program runs from (this file is in components/, and so is its bundle in dist/). */
const checkout = resolve(__dirname, "..");

/**
 * The `__provider` module text. The loader is looked up in the provider process's working directory
 * first (the engine starts it in the project, so a stack moved to another checkout or machine still
 * works), then in the checkout that wrote the state. Refresh and delete run the text stored in the
 * state, so it stays this small and leaves everything that may change to the loader.
 */
export function providerModuleText(name: ProviderName, from: string = checkout): string {
  return [
    `// textslash dynamic provider ${name}, ${BUNDLED}`,
    "exports.handler = function () {",
    '  var path = require("path");',
    '  var local = path.join(process.cwd(), "components", "bundles.cjs");',
    `  var loader = require("fs").existsSync(local) ? local : ${JSON.stringify(resolve(from, "components", "bundles.cjs"))};`,
    `  return require(loader).provider(path.dirname(path.dirname(loader)), ${JSON.stringify(name)});`,
    "};",
    "",
  ].join("\n");
}


/** True for a text providerModuleText wrote, whichever checkout it names; false for a serialized closure. */
export function isBundledProviderText(text: unknown): boolean {
  return typeof text === "string" && text.split("\n", 1)[0]!.endsWith(BUNDLED);
}
