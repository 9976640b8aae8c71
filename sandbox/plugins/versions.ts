// The plugin version each stand-in answers to: the version the installed SDK package asks the
// engine for. The SDK registers every resource with `version` from its own package.json
// (utilities.getVersion() in each @pulumi/* package), and the language host lists the same version
// to the engine (the package.json "pulumi" block), so that is the version the engine looks for.
import { readFileSync } from "node:fs";

export type StandInName = "random" | "command" | "docker";
export const standInNames: StandInName[] = ["random", "command", "docker"];

export function pinnedVersion(name: StandInName): string {
  const manifest = JSON.parse(readFileSync(require.resolve(`@pulumi/${name}/package.json`), "utf8")) as {
    version: string;
    pulumi?: { version?: string };
  };
  return (manifest.pulumi?.version ?? manifest.version).replace(/^v/, "");
}
