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
}
const created: Created[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ type: args.type, name: args.name, inputs: args.inputs });
        // As the providers do: a volume's id is its Fly volume id, a machine's its machine id.
        const id = args.type.endsWith(":FlyVolume") ? "vol_1" : args.type.endsWith(":FlyMachine") ? `${args.name}-mid` : `${args.name}-id`;
        return { id, state: { ...args.inputs, name: args.inputs.name, version: 1, volumeId: "vol_1", machineId: `${args.name}-mid`, value: "fake-shared" } };
      },
      call: () => ({}),
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

async function build() {
  const settings = parseSettings(
    { twilioAccountSid: FAKE_ACCOUNT_SID, twilioWhatsappNumber: "+14155238886", allowedPhoneNumbers: "+15550000001" },
    { twilioAuthToken: true, anthropicApiKey: true },
    "unit",
  );
  const secrets = {
    twilioAuthToken: pulumi.secret("fake-twilio-auth-token"),
    anthropicApiKey: pulumi.secret("fake-anthropic-key"),
    githubToken: pulumi.secret(""),
    flyApiToken: pulumi.secret(""),
  };
  const stack = new TextslashStack("textslash", { settings, secrets });
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
        "relay-ip-private_v6",
        "relay-ip-shared_v4",
        "relay-ip-v6",
        "relay-machine",
        "relay-secrets",
        "relay-volume",
        "textslash",
        "textslash-data-loss-guard",
        "textslash-deployment-check",
        "textslash-relay-shared-token",
        "vm",
        "vm-app",
        "vm-ip-private_v6",
        "vm-machine",
        "vm-secrets",
        "vm-volume",
      ].sort(),
    );
    expect(byType("FlyApp").map((c) => c.inputs.name).sort()).toEqual(["unit-relay", "unit-vm"]);
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
    expect(created.find((c) => c.name === "textslash-deployment-check")!.inputs).toMatchObject({
      endpoints: [{ name: "the relay's public /health", url: "https://unit-relay.fly.dev/health" }],
      revision: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
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

  it("refuses a public address on the private VM", () => {
    expect(() => checkAddresses("unit-vm", ["private_v6", "shared_v4"], true)).toThrow(/refusing public address/);
  });
});
