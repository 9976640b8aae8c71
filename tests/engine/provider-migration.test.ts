// A stack deployed before the providers were bundled keeps working with the bundled program. Its
// state holds, in every Fly resource's inputs and outputs, the `__provider` text Pulumi serialized
// from components/fly/lazy-provider.ts (a forwarder that loads the TypeScript source with tsx),
// and in the DataLossGuard's a serialized closure (the guard as it was, below).
// The test writes such a state with the real old forwarder and guard, then runs today's program on
// it: `up` updates the guard alone (its provider text is part of its diff, no API call) and changes
// nothing else (no replacement, no Fly write), the engine records the new `__provider` in the Fly
// resources' inputs while their outputs keep the one they were created with (a SameStep keeps
// outputs), and refresh and destroy, which run the text in the outputs, still work; the bundled
// guard refuses a destroy without consent before anything is deleted.
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

/** components/data-loss-guard.ts as it was: a pulumi.dynamic.Resource whose provider Pulumi serialized. */
const legacyGuard = `import * as pulumi from "@pulumi/pulumi";
import { dataLossAllowed, HOW_TO_ALLOW_DELETE } from "./data-loss-consent";
import { refuse } from "./provider-errors";

interface GuardInputs {
  allowDataLoss: boolean;
  /** What would be lost, for the message: "volume vm_data (vol_…) of me-vm". */
  protects: string;
}

/** The serialized provider, which Pulumi keeps among the inputs. */
const PROVIDER_KEY = "__provider";

const guardProvider: pulumi.dynamic.ResourceProvider<GuardInputs> = {
  // A new version of this code is recorded only by an update, and a destroy runs the recorded
  // code: so a changed provider is a change too (an update with no API call).
  diff: async (_id, olds, news) => ({
    changes: olds.allowDataLoss !== news.allowDataLoss || olds.protects !== news.protects ||
      (olds as unknown as Record<string, unknown>)[PROVIDER_KEY] !== (news as unknown as Record<string, unknown>)[PROVIDER_KEY],
  }),
  create: async (inputs) => ({ id: "data-loss-guard", outs: inputs }),
  update: async (_id, _olds, news) => ({ outs: news }),
  delete: async (_id, props) => {
    if (dataLossAllowed(props.allowDataLoss)) return;
    refuse(
      \`refusing to delete this stack's Fly objects: \${props.protects} holds /data (the inbox, Claude sessions and every \` +
        \`cloned repository), which would be lost. Nothing has been deleted. \${HOW_TO_ALLOW_DELETE}\`,
    );
  },
};

export interface DataLossGuardArgs {
  allowDataLoss: pulumi.Input<boolean>;
  protects: pulumi.Input<string>;
}

export class DataLossGuard extends pulumi.dynamic.Resource {
  constructor(name: string, args: DataLossGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(guardProvider, name, args, opts, "textslash", "DataLossGuard");
  }
}
`;
const guardFile = "components/data-loss-guard.ts";

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

/** The guard's provider text as the state's outputs hold it (what a destroy runs). */
async function guardProviderText(): Promise<unknown> {
  const checkpoint = JSON.parse(await s.project.readStateFile()) as { checkpoint: { latest: { resources: StateResource[] } } };
  return checkpoint.checkpoint.latest.resources.find((r) => r.type === "pulumi-nodejs:dynamic/textslash:DataLossGuard")?.outputs?.__provider;
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
  await writeFile(join(s.project.dir, guardFile), legacyGuard);
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

  it("converges with today's program: the guard updated, nothing else, no Fly write", async () => {
    const legacyText = await guardProviderText();
    expect(legacyText).toContain("refusing to delete"); // the closure's own code, serialized
    expect(isBundled(legacyText)).toBe(false);
    for (const file of [...classFiles, guardFile]) await copyFile(join(repoRoot, file), join(s.project.dir, file));
    s.api.clearRequests();
    const result = await s.project.stack.up({ onOutput: (line) => s.transcript.push(line) });
    expect(writes(s.api.requests())).toEqual([]);
    const changes = result.summary.resourceChanges ?? {};
    expect(Object.keys(changes).filter((kind) => kind !== "same")).toEqual(["update"]);
    expect(changes.update).toBe(1);
    expect(isBundled(await guardProviderText())).toBe(true);
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

  it("refuses a destroy without consent in the bundled guard, before anything is deleted", async () => {
    s.api.clearRequests();
    const refused = await s.cli(["destroy", "--yes", "--skip-preview"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain("refusing to delete this stack's Fly objects");
    expect(writes(s.api.requests())).toEqual([]);
  }, 300_000);

  it("destroys with the old forwarder and leaves nothing on Fly", async () => {
    const result = await s.cli(["destroy", "--yes", "--skip-preview"], { env: { [ALLOW_DATA_LOSS_ENV]: "true" } });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(leftOnFly(s)).toEqual({ apps: [], machines: [], volumes: [], ips: [], secrets: [] });
  }, 300_000);
});
