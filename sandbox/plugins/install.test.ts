// The random and command stand-ins are Go binaries (go-binaries.ts), the docker one runs from an
// esbuild bundle (install.ts): both content-addressed and reused while the sources are unchanged;
// each bundled module keeps the directory it was written in.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import type * as pluginproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import { describe, expect, it } from "vitest";
import { buildGoStandIn } from "./go-binaries";
import { bundleStandIn, launcherScript } from "./install";
import { pinnedVersion } from "./versions";

const repoRoot = path.resolve(__dirname, "..", "..");

/** Starts a plugin as the engine does (its address as the last argument) and connects to the port it prints. */
async function startPlugin(binary: string): Promise<{ client: provrpc.ResourceProviderClient; stop: () => void }> {
  // No engine listens there: the provider only dials it (lazily) and health-checks it later.
  const child = spawn(binary, ["127.0.0.1:9"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once("exit", (code) => reject(new Error(`${binary} exited (${code}) before printing its port`)));
  });
  expect(port).toMatch(/^\d+$/);
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return { client, stop: () => (client.close(), child.kill()) };
}

const call = <Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> =>
  new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));

describe("Go stand-ins", () => {
  it("names a binary by its sources and reuses it while they are unchanged", async () => {
    const first = await buildGoStandIn("random");
    expect(path.relative(repoRoot, first)).toMatch(/^node_modules\/\.cache\/textslash-stand-ins\/random-go-[0-9a-f]{16}\/pulumi-resource-random$/);
    expect(await buildGoStandIn("random")).toBe(first);
    expect(launcherScript("random", [first])).toContain(`exec '${first}' "$@"`);
  }, 300_000);

  it.each([
    ["random", false],
    ["command", true],
  ] as const)("%s serves the provider protocol: the pinned version, and acceptSecrets as the real one answers", async (name, acceptSecrets) => {
    const { client, stop } = await startPlugin(await buildGoStandIn(name));
    try {
      const info = await call<emptyproto.Empty, pluginproto.PluginInfo>(client.getPluginInfo.bind(client), new emptyproto.Empty());
      expect(info.getVersion()).toBe(pinnedVersion(name));
      const configured = await call<provproto.ConfigureRequest, provproto.ConfigureResponse>(client.configure.bind(client), new provproto.ConfigureRequest());
      expect(configured.getAcceptsecrets()).toBe(acceptSecrets);
      expect(configured.getSupportspreview()).toBe(true);
      const unknownType = call(client.check.bind(client), new provproto.CheckRequest().setUrn("urn:pulumi:s::p::random:index/randomString:RandomString::x"));
      await expect(unknownType).rejects.toThrow(/resource type random:index\/randomString:RandomString is not implemented/);
    } finally {
      stop();
    }
  }, 300_000);
});

describe("stand-in bundles", () => {
  it("names a bundle by its content and reuses it while the sources are unchanged", async () => {
    const first = await bundleStandIn("docker");
    expect(path.basename(first)).toMatch(/^docker-[0-9a-f]{16}\.cjs$/);
    expect(await bundleStandIn("docker")).toBe(first);
    expect(launcherScript("docker", ["/usr/bin/node", first])).toContain(`exec '/usr/bin/node' '${first}' "$@"`);
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
    const bundle = await bundleStandIn("docker");
    const lines = (await readFile(bundle, "utf8")).split("\n");
    expect(lines[0]).toBe('"use strict";');
    // A folder of its own beside the bundles: the benchmark's cold runs clear the program's cache,
    // and the Go binaries these stand in for have nothing to compile.
    expect(lines[1]).toContain('enableCompileCache?.(require("node:path").join(__dirname, "compile-cache"))');
    expect(lines.findIndex((l) => /require\("@grpc\/grpc-js"\)/.test(l))).toBeGreaterThan(1);
  });
});
