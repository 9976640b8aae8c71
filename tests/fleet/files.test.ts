// The fleet file: problems name the file, the user and the key, with the fix; edits keep comments.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FleetFileError, addUser, parseFleet, readSecrets, removeUser, setSharedImages } from "../../fleet/files";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";

const good = `# our fleet
fleet: acme
shared:
  relayImage: ghcr.io/acme/textslash-relay:1.0.0
  vmImage: ghcr.io/acme/textslash-vm:1.0.0
  twilioAccountSid: ${FAKE_ACCOUNT_SID}
  twilioWhatsappNumber: "+14155238886"
users:
  - id: alice # the first customer
    allowedNumbers: ["+15550000001"]
`;

function problems(text: string): string[] {
  try {
    parseFleet("fleet.yaml", text);
  } catch (err) {
    if (err instanceof FleetFileError) return err.problems;
    throw err;
  }
  return [];
}

describe("the fleet file", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const temp = async (text: string) => {
    const dir = await mkdtemp(join(tmpdir(), "fleet-files-"));
    dirs.push(dir);
    const file = join(dir, "fleet.yaml");
    await writeFile(file, text);
    return file;
  };

  it("applies the shared defaults", () => {
    const fleet = parseFleet("fleet.yaml", good);
    expect(fleet.shared).toMatchObject({ org: "personal", region: "ord", tier: "webhook", volumeSizeGb: "3", imageRegistry: "registry.fly.io" });
    expect(fleet.users).toEqual([{ id: "alice", allowedNumbers: ["+15550000001"], allowDataLoss: false }]);
  });

  it("names the user, the key, what is wrong and the fix, for every problem at once", () => {
    const bad = good.replace('    allowedNumbers: ["+15550000001"]', '    allowedNumbers: ["5550000001"]\n    region: mars\n  - id: Bob\n    allowedNumbers: []\n    tier: gold\n    colour: red');
    expect(problems(bad)).toEqual([
      'users[0] (alice).allowedNumbers.0: "5550000001" is not a number in E.164 form, e.g. +15551234567; fix: list the user\'s WhatsApp numbers, e.g. allowedNumbers: ["+15551234567"]',
      expect.stringMatching(/^users\[0\] \(alice\)\.region: "mars" is not a Fly region; Fly's regions are .*; fix: use a Fly region code such as ord, ams or fra$/),
      "users[1] (Bob).id: \"Bob\" is not a user id: lower-case letters, digits and '-', not starting or ending with '-'; fix: use lower-case letters, digits and '-', e.g. alice",
      'users[1] (Bob).allowedNumbers: needs at least one number: the WhatsApp numbers this user writes from; fix: list the user\'s WhatsApp numbers, e.g. allowedNumbers: ["+15551234567"]',
      'users[1] (Bob).tier: "gold" is not a tier; the tiers are webhook, always-on; fix: use tier: webhook (suspended when idle) or tier: always-on',
      'users[1] (Bob): "colour" is not a setting here (remove or rename)',
    ]);
  });

  it("refuses a user declared twice, a missing image and an app prefix that is too long", () => {
    const twice = good + '  - id: alice\n    allowedNumbers: ["+15550000009"]\n  - id: a-very-long-user-name-that-makes-the-prefix-too-long\n    allowedNumbers: ["+15550000009"]\n';
    expect(problems(twice.replace("  vmImage: ghcr.io/acme/textslash-vm:1.0.0\n", ""))).toEqual([
      "shared.vmImage: is required; fix: name a published VM image, e.g. ghcr.io/<you>/textslash-vm:1.0.0",
    ]);
    expect(problems(twice)).toEqual([
      'users[1] (alice).id: "alice" is declared twice; user ids must be unique; fix: use lower-case letters, digits and \'-\', e.g. alice',
      'users[2] (a-very-long-user-name-that-makes-the-prefix-too-long).id: makes the app prefix "acme-a-very-long-user-name-that-makes-the-prefix-too-long", which must be at most 40 characters: shorten the fleet name or the id; fix: use lower-case letters, digits and \'-\', e.g. alice',
    ]);
  });

  it("add, remove and a new image edit the file and keep its comments", async () => {
    const file = await temp(good);
    await addUser(file, { id: "bob", allowedNumbers: ["+15550000002"], tier: "always-on" });
    await setSharedImages(file, { vmImage: "ghcr.io/acme/textslash-vm:1.1.0" });
    let text = await readFile(file, "utf8");
    expect(text).toContain("# our fleet");
    expect(text).toContain("# the first customer");
    expect(parseFleet(file, text).users.map((u) => [u.id, u.tier])).toEqual([["alice", undefined], ["bob", "always-on"]]);
    expect(parseFleet(file, text).shared.vmImage).toBe("ghcr.io/acme/textslash-vm:1.1.0");
    await expect(addUser(file, { id: "bob", allowedNumbers: ["+15550000002"] })).rejects.toThrow(/"bob" is already declared/);
    await removeUser(file, "alice");
    text = await readFile(file, "utf8");
    expect(parseFleet(file, text).users.map((u) => u.id)).toEqual(["bob"]);
  });

  it("a secrets file is checked the same way and never echoes a value", async () => {
    const file = await temp("shared:\n  anthropicApiKey: fake-key\nusers:\n  alice:\n    twilioAuthToken: ''\n    anthropicKey: fake-other\n");
    const err = await readSecrets(file).catch((e: unknown) => e as FleetFileError);
    expect(err).toBeInstanceOf(FleetFileError);
    expect((err as FleetFileError).problems).toEqual(["users.alice.twilioAuthToken: is empty", 'users.alice: "anthropicKey" is not a setting here (remove or rename)']);
    expect((err as FleetFileError).message).not.toContain("fake-other");
  });
});
