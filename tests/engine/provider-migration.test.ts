// A stack deployed before the providers were bundled keeps working with the bundled program. Its
// state holds, in every Fly resource's inputs and outputs, the `__provider` text Pulumi serialized
// from components/fly/lazy-provider.ts (a forwarder that loads the TypeScript source with tsx).
// The test writes such a state with the real old forwarder, then runs today's program on it:
// `up` changes nothing (no replacement, no update, no Fly write), the engine records the new
// `__provider` in the inputs while the outputs keep the one the resource was created with (a
// SameStep keeps outputs), and refresh and destroy, which run the text in the outputs, still work.
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALLOW_DATA_LOSS_ENV } from "../../components/data-loss-consent";
import { leftOnFly, startFlyStack, writes, type FlyStack } from "./fly-stack";
import { repoRoot } from "./harness";

/** The program's base class of the Fly and Twilio resources, as it was: pulumi.dynamic.Resource over the lazy forwarder. */
const legacyBase = `
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { lazyProvider } from "./fly/lazy-provider";

const files: Record<string, string> = {
  appProvider: "components/fly/app.ts",
  volumeProvider: "components/fly/volume.ts",
  secretsProvider: "components/fly/secrets.ts",
  ipProvider: "components/fly/ip.ts",
  machineProvider: "components/fly/machine.ts",
  webhookProvider: "components/twilio/webhook.ts",
};

export abstract class DynamicResource extends pulumi.dynamic.Resource {
  protected constructor(provider: string, type: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    const file = files[provider]!;
    super(lazyProvider(file, path.resolve(__dirname, "..", file), provider), name, props, opts, "textslash", type);
  }
}
`;

const classFiles = ["components/fly/resources.ts", "components/twilio/webhook-resource.ts"];

interface StateResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

let s: FlyStack;

async function flyResources(): Promise<StateResource[]> {
  const checkpoint = JSON.parse(await s.project.readStateFile()) as { checkpoint: { latest: { resources: StateResource[] } } };
  return checkpoint.checkpoint.latest.resources.filter((r) => /^pulumi-nodejs:dynamic\/textslash:Fly/.test(r.type));
}

const isLegacy = (text: unknown) => typeof text === "string" && text.includes("tsx/cjs/api");
const isBundled = (text: unknown) => typeof text === "string" && text.includes("bundles.cjs") && !text.includes("tsx");

beforeAll(async () => {
  s = await startFlyStack({ stackName: "migrate" });
  // The program as it was: the same resources, classes and inputs, over the old forwarder.
  await writeFile(join(s.project.dir, "components", "legacy-dynamic-resource.ts"), legacyBase);
  for (const file of classFiles) {
    const source = await readFile(join(s.project.dir, file), "utf8");
    const legacy = source.replace(/from "\.\.\/dynamic-resource"/, 'from "../legacy-dynamic-resource"');
    if (legacy === source) throw new Error(`${file} no longer imports ../dynamic-resource; update this test`);
    await writeFile(join(s.project.dir, file), legacy);
  }
  await s.up();
}, 600_000);
afterAll(async () => s?.close());

describe("a stack deployed with the tsx forwarder, under the bundled providers", () => {
  it("was written with the old forwarder in every Fly resource", async () => {
    const resources = await flyResources();
    expect(resources.map((r) => r.type).sort()).toEqual(expect.arrayContaining(["pulumi-nodejs:dynamic/textslash:FlyApp", "pulumi-nodejs:dynamic/textslash:FlyMachine", "pulumi-nodejs:dynamic/textslash:FlyVolume"]));
    for (const r of resources) {
      expect(isLegacy(r.inputs?.__provider), r.urn).toBe(true);
      expect(isLegacy(r.outputs?.__provider), r.urn).toBe(true);
    }
  });

  it("converges with today's program: nothing replaced or updated, no Fly write", async () => {
    for (const file of classFiles) await copyFile(join(repoRoot, file), join(s.project.dir, file));
    s.api.clearRequests();
    const result = await s.project.stack.up({ onOutput: (line) => s.transcript.push(line) });
    expect(writes(s.api.requests())).toEqual([]);
    const changes = result.summary.resourceChanges ?? {};
    expect(Object.keys(changes).filter((kind) => kind !== "same")).toEqual([]);
  }, 300_000);

  it("records the new __provider in the inputs; the outputs keep the old one (a SameStep keeps outputs)", async () => {
    for (const r of await flyResources()) {
      expect(isBundled(r.inputs?.__provider), r.urn).toBe(true);
      expect(isLegacy(r.outputs?.__provider), r.urn).toBe(true);
    }
  });

  it("refreshes with the old forwarder and finds nothing changed", async () => {
    const result = await s.cli(["refresh", "--yes", "--skip-preview"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const again = await s.cli(["preview", "--expect-no-changes"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  }, 300_000);

  it("destroys with the old forwarder and leaves nothing on Fly", async () => {
    const result = await s.cli(["destroy", "--yes", "--skip-preview"], { env: { [ALLOW_DATA_LOSS_ENV]: "true" } });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(leftOnFly(s)).toEqual({ apps: [], machines: [], volumes: [], ips: [], secrets: [] });
  }, 300_000);
});
