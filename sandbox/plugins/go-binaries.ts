// Builds the stand-ins written in Go (random, command; docker is still Node, bundled by install.ts)
// with the machine's `go`, from this folder's Go module (go.mod, go.sum: every module the build may
// use is pinned there and fetched from the Go module proxy, like the CLI's build in scripts/toolchain).
// The real plugins are Go binaries, and so are these: a Node stand-in took about 0.14 s to print its
// port where a Go one takes about 0.02 s, paid on every plugin start of every engine test and in the
// deploy benchmark's fresh `up` (docs/stand-in-plugins.md).
//
// A binary is named by a hash of the module's sources and the version it reports, in the checkout's
// node_modules/.cache (beside the bundles): an edited source is a new binary, an unchanged one reuses
// the build. Built into a temporary name and renamed, so test files building at once never see half
// a binary.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { pinnedVersion, type StandInName } from "./versions";

const run = promisify(execFile);
const moduleDir = __dirname;
/**
 * Where the stand-ins' builds go, binaries and bundles (install.ts): in the checkout's node_modules,
 * so a bundle's packages (left external) resolve from its install.
 */
export const standInBuildDir = path.resolve(__dirname, "..", "..", "node_modules", ".cache", "textslash-stand-ins");

export const goStandIns: readonly StandInName[] = ["random", "command"];

/** go.mod, go.sum and every non-test .go file of the module, in a stable order. */
async function sources(dir = moduleDir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...(await sources(full)));
    else if ((e.name.endsWith(".go") && !e.name.endsWith("_test.go")) || (dir === moduleDir && (e.name === "go.mod" || e.name === "go.sum"))) files.push(full);
  }
  return files;
}

async function sourceHash(name: StandInName): Promise<string> {
  const hash = createHash("sha256").update(`${name}@${pinnedVersion(name)}\n`);
  for (const file of await sources()) hash.update(`${path.relative(moduleDir, file)}\n`).update(await readFile(file));
  return hash.digest("hex").slice(0, 16);
}

/** The stand-in's binary, built once per source hash. */
export async function buildGoStandIn(name: StandInName): Promise<string> {
  const binary = path.join(standInBuildDir, `${name}-go-${await sourceHash(name)}`, `pulumi-resource-${name}`);
  if (await access(binary).then(() => true, () => false)) return binary;
  await mkdir(path.dirname(binary), { recursive: true });
  const partial = `${binary}.${process.pid}.${Date.now()}.tmp`;
  try {
    await run("go", ["build", "-trimpath", "-ldflags", `-s -w -X main.version=${pinnedVersion(name)}`, "-o", partial, `./cmd/pulumi-resource-${name}`], {
      cwd: moduleDir,
      // As scripts/toolchain.sh builds: the checksum database does not know every Pulumi release the
      // proxy serves, so go.sum pins the hashes and -mod=readonly refuses anything not in it.
      env: { ...process.env, GONOSUMDB: "github.com/pulumi/*", GOFLAGS: "-mod=readonly -buildvcs=false" },
      timeout: 15 * 60_000,
    });
    await rename(partial, binary);
  } catch (err) {
    await rm(partial, { force: true });
    const e = err as Error & { code?: string; stderr?: string };
    if (e.code === "ENOENT") throw new Error(`building the ${name} stand-in needs Go (go 1.26+ on PATH, the one scripts/toolchain.sh builds the CLI with); none was found`);
    throw new Error(`building the ${name} stand-in (sandbox/plugins/cmd/pulumi-resource-${name}) failed: ${e.stderr?.trim() || e.message}`);
  }
  return binary;
}
