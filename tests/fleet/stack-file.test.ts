// Pulumi.<stack>.yaml read and written by the fleet itself (fleet/stack-file.ts): what it reads is
// what `pulumi config` shows, and a write changes only the plain keys it names.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readStackFile, writeStackFile } from "../../fleet/stack-file";

// The shape the CLI writes for a passphrase stack (the ciphertexts are fake).
const CLI_WRITTEN = `encryptionsalt: v1:ZmFrZS1zYWx0:v1:ZmFrZQ==:ZmFrZQ==
config:
  textslash:prefix: ft-alice
  textslash:volumeSizeGb: "4"
  textslash:allowDataLoss: "false"
  textslash:vmImage: registry.example/textslash-vm:v1
  textslash:anthropicApiKey:
    secure: v1:ZmFrZS1ub25jZQ==:ZmFrZS1jaXBoZXJ0ZXh0
`;

describe("a stack's config file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-file-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads plain values as strings and secrets as set-but-unreadable", async () => {
    await writeFile(join(dir, "Pulumi.ft-alice.yaml"), CLI_WRITTEN);
    const config = await readStackFile(dir, "ft-alice");
    expect(config.plain).toEqual({
      "textslash:prefix": "ft-alice",
      "textslash:volumeSizeGb": "4",
      "textslash:allowDataLoss": "false",
      "textslash:vmImage": "registry.example/textslash-vm:v1",
    });
    expect([...config.secure]).toEqual(["textslash:anthropicApiKey"]);
  });

  it("a stack without a file has no config", async () => {
    expect(await readStackFile(dir, "nobody")).toEqual({ plain: {}, secure: new Set() });
  });

  it("writes plain values and removals, keeping the salt, the secrets and the other keys", async () => {
    const path = join(dir, "Pulumi.ft-alice.yaml");
    await writeFile(path, CLI_WRITTEN);
    await writeStackFile(dir, "ft-alice", { "textslash:vmImage": "registry.example/textslash-vm:v2@sha256:" + "a".repeat(64), "textslash:region": "fra" }, ["textslash:allowDataLoss"]);
    const text = await readFile(path, "utf8");
    expect(text).toContain("encryptionsalt: v1:ZmFrZS1zYWx0:v1:ZmFrZQ==:ZmFrZQ==");
    expect(text).toContain("secure: v1:ZmFrZS1ub25jZQ==:ZmFrZS1jaXBoZXJ0ZXh0");
    const config = await readStackFile(dir, "ft-alice");
    expect(config.plain).toEqual({
      "textslash:prefix": "ft-alice",
      "textslash:volumeSizeGb": "4",
      "textslash:vmImage": "registry.example/textslash-vm:v2@sha256:" + "a".repeat(64),
      "textslash:region": "fra",
    });
    expect([...config.secure]).toEqual(["textslash:anthropicApiKey"]);
  });

  it("creates the file of a stack that has none", async () => {
    await writeStackFile(dir, "ft-bob", { "textslash:prefix": "ft-bob" });
    expect((await readStackFile(dir, "ft-bob")).plain).toEqual({ "textslash:prefix": "ft-bob" });
  });

  it("refuses a file that is not YAML, naming it and the fix", async () => {
    await writeFile(join(dir, "Pulumi.ft-carol.yaml"), "config: [unclosed\n");
    await expect(readStackFile(dir, "ft-carol")).rejects.toThrow(/Pulumi\.ft-carol\.yaml is not valid YAML .*fix or delete it/);
  });
});
