// The stand-ins run from esbuild bundles (install.ts): content-addressed, reused while the sources are
// unchanged, and each bundled module keeps the directory it was written in.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bundleStandIn, launcherScript } from "./install";

const repoRoot = path.resolve(__dirname, "..", "..");

describe("stand-in bundles", () => {
  it("names a bundle by its content and reuses it while the sources are unchanged", async () => {
    const first = await bundleStandIn("random");
    expect(path.basename(first)).toMatch(/^random-[0-9a-f]{16}\.cjs$/);
    expect(await bundleStandIn("random")).toBe(first);
    expect(launcherScript("random", first, "/usr/bin/node")).toContain(`exec '/usr/bin/node' '${first}' "$@"`);
  });

  it("keeps sandbox/images' own __dirname inside the docker bundle (it finds build-base-image.sh there)", async () => {
    const code = await readFile(await bundleStandIn("docker"), "utf8");
    expect(code).toContain(`__dirname = ${JSON.stringify(path.join(repoRoot, "sandbox", "images"))}`);
  });

  it("leaves npm packages external, resolved from the checkout's install", async () => {
    const code = await readFile(await bundleStandIn("docker"), "utf8");
    expect(code).toMatch(/require\("@grpc\/grpc-js"\)/);
    expect(code).not.toMatch(/node_modules\/@grpc/);
  });

  it("turns Node's compile cache on before its first require, and stays strict-mode code", async () => {
    const bundle = await bundleStandIn("random");
    const lines = (await readFile(bundle, "utf8")).split("\n");
    expect(lines[0]).toBe('"use strict";');
    // A folder of its own beside the bundles: the benchmark's cold runs clear the program's cache,
    // and the Go binaries these stand in for have nothing to compile.
    expect(lines[1]).toContain('enableCompileCache?.(require("node:path").join(__dirname, "compile-cache"))');
    expect(lines.findIndex((l) => /require\("@grpc\/grpc-js"\)/.test(l))).toBeGreaterThan(1);
  });
});
