// What `fleet up` sets on each user's stack: shared settings, per-user overrides, tiers, secrets.
import { describe, expect, it } from "vitest";
import { parseFleet } from "../../fleet/files";
import { configChange, desiredConfig, missingSecrets } from "../../fleet/stack-config";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";

const fleet = parseFleet(
  "fleet.yaml",
  `fleet: acme
shared:
  region: ams
  relayImage: ghcr.io/acme/textslash-relay:1.0.0
  vmImage: ghcr.io/acme/textslash-vm:1.0.0
  twilioAccountSid: ${FAKE_ACCOUNT_SID}
  twilioWhatsappNumber: "+14155238886"
users:
  - { id: alice, allowedNumbers: ["+15550000001", "+15550000011"] }
  - { id: bob, allowedNumbers: ["+15550000002"], region: fra, tier: always-on, volumeSizeGb: 10, allowDataLoss: true }
`,
);
const [alice, bob] = fleet.users as [(typeof fleet.users)[0], (typeof fleet.users)[0]];
const secrets = { shared: { twilioAuthToken: "fake-twilio", anthropicApiKey: "fake-shared-key" }, users: { bob: { anthropicApiKey: "fake-bob-key" } } };

describe("a user's stack config", () => {
  it("takes the shared settings, the user's overrides and the tier's autostop", () => {
    expect(desiredConfig(fleet, alice, secrets).plain).toEqual({
      "textslash:prefix": "acme-alice",
      "textslash:org": "personal",
      "textslash:region": "ams",
      "textslash:imageRegistry": "registry.fly.io",
      "textslash:relayImage": "ghcr.io/acme/textslash-relay:1.0.0",
      "textslash:vmImage": "ghcr.io/acme/textslash-vm:1.0.0",
      "textslash:volumeSizeGb": "3",
      "textslash:vmAutostop": "suspend",
      "textslash:twilioAccountSid": FAKE_ACCOUNT_SID,
      "textslash:twilioWhatsappNumber": "+14155238886",
      "textslash:allowedPhoneNumbers": "+15550000001,+15550000011",
      "textslash:allowDataLoss": "false",
    });
    expect(desiredConfig(fleet, bob, secrets).plain).toMatchObject({
      "textslash:region": "fra",
      "textslash:vmAutostop": "off",
      "textslash:volumeSizeGb": "10",
      "textslash:allowDataLoss": "true",
    });
  });

  it("a user's own secret wins over the shared one", () => {
    expect(desiredConfig(fleet, alice, secrets).secrets).toEqual({ "textslash:twilioAuthToken": "fake-twilio", "textslash:anthropicApiKey": "fake-shared-key" });
    expect(desiredConfig(fleet, bob, secrets).secrets["textslash:anthropicApiKey"]).toBe("fake-bob-key");
  });

  it("a deployed stack keeps its images: only a rollout moves them", () => {
    const plain = desiredConfig(fleet, alice, secrets, { relayImage: "r:old", vmImage: "v:old" }).plain;
    expect([plain["textslash:relayImage"], plain["textslash:vmImage"]]).toEqual(["r:old", "v:old"]);
  });

  it("names a required secret neither the secrets file nor the stack has", () => {
    const desired = desiredConfig(fleet, alice, { shared: {}, users: {} });
    expect(missingSecrets(alice, desired, () => false, "secrets.yaml")).toEqual([
      "user alice: textslash:twilioAuthToken is not set; add users.alice.twilioAuthToken (or shared.twilioAuthToken) to secrets.yaml and pass it with --secrets",
      "user alice: textslash:anthropicApiKey is not set; add users.alice.anthropicApiKey (or shared.anthropicApiKey) to secrets.yaml and pass it with --secrets",
    ]);
    expect(missingSecrets(alice, desired, (key) => key.endsWith("Token") || key.endsWith("Key"), undefined)).toEqual([]);
  });

  it("changes only what differs, and removes a fleet key no longer declared", () => {
    const desired = desiredConfig(fleet, alice, secrets);
    const existing = { ...desired.plain, ...desired.secrets, "textslash:vmMemoryMb": "4096", "textslash:region": "ord", "textslash:snapshotRetentionDays": "9", "textslash:flyApiUrl": "" };
    const defaults = { "textslash:vmMemoryMb": "2048", "textslash:flyApiUrl": "" };
    expect(configChange(desired, existing, defaults)).toEqual({ set: { "textslash:region": { value: "ams", secret: false } }, remove: ["textslash:vmMemoryMb"] });
    // Pulumi.yaml's defaults show in `pulumi config --json` as if set: a default is not "removed" on every up.
    expect(configChange(desired, { ...existing, "textslash:vmMemoryMb": "2048" }, defaults)).toEqual({ set: { "textslash:region": { value: "ams", secret: false } }, remove: [] });
  });
});
