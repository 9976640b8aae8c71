// Component structure with Pulumi mocks: the exact children and their key inputs.
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { checkAddresses } from "../../components/fly-service";
import { TextslashStack } from "../../components/textslash-stack";
import { parseSettings } from "../../config";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";

// Vitest's module transform makes provider closures unserializable; the engine tests cover the
// real serialization (tests/engine/preview.test.ts), so here closure serialization is stubbed.
const closure = createRequire(__filename)("@pulumi/pulumi/runtime/closure/serializeClosure") as {
  serializeFunction: (...args: unknown[]) => Promise<unknown>;
};
vi.spyOn(closure, "serializeFunction").mockResolvedValue({ text: "exports.handler = () => ({});", exportName: "handler", containsSecrets: false });

interface Created {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider: string | undefined;
}
const created: Created[] = [];
const invoked: { token: string; inputs: Record<string, unknown> }[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        // As the providers do: a volume's id is its Fly volume id, a machine's its machine id.
        const id = args.type.endsWith(":FlyVolume") ? "vol_1" : args.type.endsWith(":FlyMachine") ? `${args.name}-mid` : `${args.name}-id`;
        return {
          id,
          state: { ...args.inputs, name: args.inputs.name, version: 1, volumeId: "vol_1", machineId: `${args.name}-mid`, result: "fake-shared", repoDigest: `built/${args.name}@sha256:fake` },
        };
      },
      call: (args) => {
        invoked.push({ token: args.token, inputs: args.inputs });
        return args.token === "docker:index/getRegistryImage:getRegistryImage" ? { name: args.inputs.name, sha256Digest: `sha256:${"a".repeat(64)}` } : {};
      },
    },
    "textslash",
    "unit",
  );
});

// Secret inputs reach the mock monitor wrapped as { <secret signature>: ..., value }.
function unwrapSecret(v: unknown): Record<string, unknown> {
  const o = v as Record<string, unknown>;
  return "value" in o && Object.keys(o).length === 2 ? (o.value as Record<string, unknown>) : o;
}

async function build(extra: Record<string, string> = {}, name = "textslash") {
  const settings = parseSettings(
    { twilioAccountSid: FAKE_ACCOUNT_SID, twilioWhatsappNumber: "+14155238886", allowedPhoneNumbers: "+15550000001", ...extra },
    { twilioAuthToken: true, anthropicApiKey: true },
    "unit",
  );
  const secrets = {
    twilioAuthToken: pulumi.secret("fake-twilio-auth-token"),
    anthropicApiKey: pulumi.secret("fake-anthropic-key"),
    githubToken: pulumi.secret(""),
    flyApiToken: pulumi.secret(""),
  };
  const stack = new TextslashStack(name, { settings, secrets });
  await new Promise<void>((done) => {
    pulumi.all([stack.relay.machine.urn, stack.vm.machine.urn, stack.deploymentCheck.urn]).apply(() => done());
  });
  return stack;
}

describe("TextslashStack", () => {
  it("creates exactly the expected children with the design's wiring", async () => {
    await build();
    const byType = (t: string) => created.filter((c) => c.type.endsWith(t));
    expect(created.map((c) => c.name).sort()).toEqual(
      [
        "relay",
        "relay-app",
        "relay-image",
        "relay-ip-private_v6",
        "relay-ip-shared_v4",
        "relay-ip-v6",
        "relay-machine",
        "relay-secrets",
        "relay-volume",
        "textslash",
        "textslash-data-loss-guard",
        "textslash-deployment-check",
        "textslash-fly-api",
        "textslash-images",
        "textslash-relay-shared-token",
        "vm",
        "vm-app",
        "vm-image",
        "vm-ip-private_v6",
        "vm-machine",
        "vm-secrets",
        "vm-volume",
      ].sort(),
    );
    expect(byType("FlyApp").map((c) => c.inputs.name).sort()).toEqual(["unit-relay", "unit-vm"]);
    // The relay↔VM token: @pulumi/random's RandomPassword, replaced when textslash:tokenRotation changes.
    expect(created.find((c) => c.name === "textslash-relay-shared-token")).toMatchObject({
      type: "random:index/randomPassword:RandomPassword",
      inputs: { length: 48, special: false, keepers: { tokenRotation: "" } },
    });
    // Dynamic resources run under an explicit pulumi-nodejs provider configured with the Fly API settings only.
    const flyApi = created.find((c) => c.name === "textslash-fly-api")!;
    expect(flyApi.type).toBe("pulumi:providers:pulumi-nodejs");
    expect(Object.keys(flyApi.inputs).sort()).toEqual(["textslash:flyApiToken", "textslash:flyApiUrl"]);
    const dynamic = created.filter((c) => c.type.startsWith("pulumi-nodejs:dynamic"));
    expect(dynamic.length).toBeGreaterThan(10);
    for (const d of dynamic) expect(d.provider, d.name).toMatch(/pulumi:providers:pulumi-nodejs::textslash-fly-api::/);
    // Images: built from services/ and pushed to registry.fly.io/{app} with the Fly token; each
    // machine runs the pushed digest (repoDigest).
    const relayImage = created.find((c) => c.name === "relay-image")!;
    expect(relayImage).toMatchObject({
      type: "docker:index/image:Image",
      inputs: { imageName: "registry.fly.io/unit-relay:latest", build: { context: "services/relay", platform: "linux/amd64" } },
    });
    // The password (the Fly token) makes the registry input a secret.
    expect(relayImage.inputs.registry).toHaveProperty("4dabf18193072939515e22adb298388d");
    expect(unwrapSecret(relayImage.inputs.registry)).toEqual({ server: "registry.fly.io", username: "x", password: "" });
    expect(created.find((c) => c.name === "vm-image")!.inputs).toMatchObject({ imageName: "registry.fly.io/unit-vm:latest", build: { context: "services/vm", args: { BROWSER: "playwright" } } });
    expect(created.find((c) => c.name === "textslash-images")).toMatchObject({ type: "pulumi:providers:docker" });
    for (const image of created.filter((c) => c.type === "docker:index/image:Image")) expect(image.provider).toMatch(/pulumi:providers:docker::textslash-images::/);
    expect((created.find((c) => c.name === "relay-machine")!.inputs as { config: { image: string } }).config.image).toBe("built/relay-image@sha256:fake");
    expect((created.find((c) => c.name === "vm-machine")!.inputs as { config: { image: string } }).config.image).toBe("built/vm-image@sha256:fake");
    expect(invoked).toEqual([]);
    const vmMachine = created.find((c) => c.name === "vm-machine")!.inputs as { config: Record<string, unknown> };
    expect(vmMachine.config).toMatchObject({
      env: { PORT: "3001", RELAY_CALLBACK_URL: "http://unit-relay.internal:3000" },
      guest: { cpuKind: "shared", memoryMb: 2048 },
      mounts: [{ volume: "vol_1", path: "/data" }],
      services: [{ internalPort: 3001, ports: [{ port: 80 }], autostopMachines: "stop", autostartMachines: true }],
      checks: { health: { type: "http", path: "/health", port: 3001 } },
    });
    const relayMachine = created.find((c) => c.name === "relay-machine")!.inputs as { config: Record<string, unknown> };
    expect(relayMachine.config).toMatchObject({
      env: { PORT: "3000", HOST: "::", CLAUDE_HOST: "http://unit-vm.flycast", PUBLIC_URL: "https://unit-relay.fly.dev", RELAY_DATA_DIR: "/data/relay" },
      mounts: [{ volume: "vol_1", path: "/data" }],
      services: [{ internalPort: 3000, autostopMachines: "off", minMachinesRunning: 1, ports: [{ port: 80 }, { port: 443 }] }],
    });
    expect(created.find((c) => c.name === "vm-volume")!.inputs).toMatchObject({ name: "vm_data", sizeGb: 3, allowDataLoss: false });
    // The post-deploy check is @pulumi/command's local.Command running plain Node (no TypeScript at deploy time).
    const check = created.find((c) => c.name === "textslash-deployment-check")!;
    expect(check.type).toBe("command:local:Command");
    expect(check.inputs).toMatchObject({ create: "node components/deployment-check/main.mjs", environment: { TEXTSLASH_DEPLOYED_REVISION: expect.stringMatching(/^[0-9a-f]{32}$/) } });
    expect(check.inputs).not.toHaveProperty("triggers");
    const environment = (check.inputs as { environment: { TEXTSLASH_CHECK_ENDPOINTS: string } }).environment;
    expect(JSON.parse(environment.TEXTSLASH_CHECK_ENDPOINTS)).toMatchObject([{ name: "the relay's public /health", url: "https://unit-relay.fly.dev/health" }]);
    expect(created.find((c) => c.name === "textslash-data-loss-guard")!.inputs).toMatchObject({ allowDataLoss: false, protects: "volume vm_data (vol_1) of unit-vm" });
    // The relay's outbox volume is a queue, not user work: never guarded by textslash:allowDataLoss.
    expect(created.find((c) => c.name === "relay-volume")!.inputs).toMatchObject({ appName: "unit-relay", name: "relay_data", sizeGb: 1, region: "ord", allowDataLoss: true });
    const vmSecrets = created.find((c) => c.name === "vm-secrets")!.inputs as { values: Record<string, string> };
    expect(Object.keys(unwrapSecret(vmSecrets.values)).sort()).toEqual(["ANTHROPIC_API_KEY", "RELAY_SHARED_TOKEN"]);
    const relaySecrets = created.find((c) => c.name === "relay-secrets")!.inputs as { values: Record<string, string> };
    expect(Object.keys(unwrapSecret(relaySecrets.values)).sort()).toEqual([
      "ALLOWED_PHONE_NUMBERS",
      "RELAY_SHARED_TOKEN",
      "TWILIO_ACCOUNT_SID",
      "TWILIO_AUTH_TOKEN",
      "TWILIO_WHATSAPP_NUMBER",
    ]);
  }, 30_000);

  it("runs a published image by the digest the registry gives for it, and builds nothing for that service", async () => {
    created.length = 0;
    invoked.length = 0;
    await build({ prefix: "pub", relayImage: "ghcr.io/someone/textslash-relay:2.0" }, "pub");
    expect(invoked).toEqual([{ token: "docker:index/getRegistryImage:getRegistryImage", inputs: { name: "ghcr.io/someone/textslash-relay:2.0" } }]);
    expect(created.filter((c) => c.type === "docker:index/image:Image").map((c) => c.name)).toEqual(["vm-image"]);
    expect((created.find((c) => c.name === "relay-machine")!.inputs as { config: { image: string } }).config.image).toBe(`ghcr.io/someone/textslash-relay@sha256:${"a".repeat(64)}`);
  }, 30_000);

  it("runs a published image given by digest as it is: no lookup (the provider cannot parse a tagless digest reference)", async () => {
    created.length = 0;
    invoked.length = 0;
    const pinned = `ghcr.io/someone/textslash-vm@sha256:${"b".repeat(64)}`;
    await build({ prefix: "dig", vmImage: pinned }, "dig");
    expect(invoked).toEqual([]);
    expect(created.filter((c) => c.type === "docker:index/image:Image").map((c) => c.name)).toEqual(["relay-image"]);
    expect((created.find((c) => c.name === "vm-machine")!.inputs as { config: { image: string } }).config.image).toBe(pinned);
  }, 30_000);

  it("declares no docker provider when both images are given by digest (a fleet user's stack)", async () => {
    created.length = 0;
    invoked.length = 0;
    const relay = `ghcr.io/someone/textslash-relay:2.0@sha256:${"c".repeat(64)}`;
    const vm = `ghcr.io/someone/textslash-vm@sha256:${"d".repeat(64)}`;
    await build({ prefix: "fleet", relayImage: relay, vmImage: vm }, "fleet");
    expect(invoked).toEqual([]);
    expect(created.filter((c) => c.type.startsWith("docker:") || c.type === "pulumi:providers:docker")).toEqual([]);
    expect((created.find((c) => c.name === "relay-machine")!.inputs as { config: { image: string } }).config.image).toBe(`ghcr.io/someone/textslash-relay@sha256:${"c".repeat(64)}`);
    expect((created.find((c) => c.name === "vm-machine")!.inputs as { config: { image: string } }).config.image).toBe(vm);
  }, 30_000);

  it("refuses a public address on the private VM", () => {
    expect(() => checkAddresses("unit-vm", ["private_v6", "shared_v4"], true)).toThrow(/refusing public address/);
  });
});
