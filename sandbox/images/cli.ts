// Command line for the project's images (scripts/test.sh uses `ensure`):
//   npx tsx sandbox/images/cli.ts ensure [relay|vm ...]   build what changed; print size and build time
//   npx tsx sandbox/images/cli.ts check-ca <image>        fail if the image carries the build machine's CA
import path from "node:path";
import { buildCaFile } from "./build";
import { findBuildCaLeaks } from "./ca-check";
import { podman } from "./podman";
import { ensureServiceImage, type ServiceName } from "./service-images";

const repoRoot = path.resolve(__dirname, "../..");
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function sizeMb(tag: string): Promise<number> {
  return Number((await podman(["image", "inspect", "--format", "{{.Size}}", tag])).trim()) / 1e6;
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === "ensure") {
    const services = (rest.length > 0 ? rest : ["relay", "vm"]) as ServiceName[];
    for (const service of services) {
      if (service !== "relay" && service !== "vm") throw new Error(`unknown service ${String(service)}; use relay or vm`);
      const image = await ensureServiceImage(repoRoot, service, log);
      const how = image.built ? `built in ${image.seconds.toFixed(0)} s` : "up to date";
      console.log(`${image.tag}  ${(await sizeMb(image.tag)).toFixed(0)} MB  ${how}`);
    }
    return;
  }
  if (command === "check-ca" && rest[0]) {
    const ca = buildCaFile();
    if (!ca) return void console.log("no build CA on this machine: nothing to check");
    const leaks = await findBuildCaLeaks(rest[0], ca);
    for (const leak of leaks) console.log(`${leak.file ?? "(config)"}: ${leak.problem}`);
    if (leaks.length > 0) process.exit(1);
    console.log(`${rest[0]}: no trace of the build CA (${ca})`);
    return;
  }
  throw new Error("usage: cli.ts ensure [relay|vm ...] | check-ca <image>");
}

main().catch((error: unknown) => {
  log(`images: ${(error as Error).message}`);
  process.exit(1);
});
