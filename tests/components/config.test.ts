import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { FLY_REGION_CODES } from "../../components/fly-catalog";
import { ConfigError, parseSettings, type SecretKey } from "../../config";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";
import { zeroSid } from "../../sandbox/daemon/fake-values";

const good = {
  twilioAccountSid: FAKE_ACCOUNT_SID,
  twilioWhatsappNumber: "+14155238886",
  allowedPhoneNumbers: "+15550000001, +15550000002",
};
const secrets = { twilioAuthToken: true, anthropicApiKey: true };

function refusal(
  raw: Record<string, string | undefined>,
  options: { present?: Partial<Record<SecretKey, boolean>>; plaintext?: SecretKey[]; setKeys?: string[] } = {},
): ConfigError {
  try {
    parseSettings(raw, options.present ?? secrets, "dev", options.plaintext ?? [], options.setKeys ?? []);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`accepted: ${JSON.stringify(raw)}`);
}

describe("parseSettings", () => {
  it("fills the original deployment's defaults and the prefix from the stack name", () => {
    const s = parseSettings(good, secrets, "Dev_Stack");
    expect(s).toMatchObject({
      prefix: "dev-stack",
      region: "ord",
      vmMemoryMb: 2048,
      vmCpus: 1,
      relayMemoryMb: 256,
      volumeSizeGb: 3,
      vmAutostop: "stop",
      allowDataLoss: false,
      adoptExisting: false,
    });
  });

  it("coerces strings from pulumi config", () => {
    const s = parseSettings({ ...good, vmMemoryMb: "4096", vmCpus: "2", allowDataLoss: "true", vmAutostop: "suspend" }, secrets, "a");
    expect(s).toMatchObject({ vmMemoryMb: 4096, vmCpus: 2, allowDataLoss: true, vmAutostop: "suspend" });
  });

  it.each([
    { value: "ams", ok: true }, { value: "yyz", ok: true }, { value: "ord", ok: true },
    { value: "zzz", ok: false }, { value: "ORD", ok: false }, { value: "sea", ok: false },
  ])("region $value accepted: $ok", ({ value, ok }) => {
    if (ok) expect(parseSettings({ ...good, region: value }, secrets, "dev").region).toBe(value);
    else expect(refusal({ ...good, region: value }).problems[0]?.key).toBe("textslash:region");
  });

  it.each([
    { images: "ghcr.io/owner/app:1.2.0" },
    { images: "registry.fly.io/me-relay@sha256:" + "a".repeat(64) },
    { images: "localhost:5000/textslash-vm:dev@sha256:" + "0".repeat(64) },
    { images: "ubuntu" },
  ])("accepts the image reference $images", ({ images }) => {
    expect(parseSettings({ ...good, relayImage: images, vmImage: images }, secrets, "dev").vmImage).toBe(images);
  });

  it("accepts the sizes Fly offers for shared CPUs", () => {
    for (const [cpus, memory] of [["1", "256"], ["1", "2048"], ["2", "512"], ["4", "8192"], ["8", "16384"]]) {
      expect(parseSettings({ ...good, vmCpus: cpus, vmMemoryMb: memory }, secrets, "dev").vmMemoryMb).toBe(Number(memory));
    }
  });

  it("takes a WhatsApp sender or Messaging Service SID for the webhook, and nothing else", () => {
    expect(parseSettings(good, secrets, "a").twilioWebhookSid).toBeUndefined();
    const sid = zeroSid("XE");
    expect(parseSettings({ ...good, twilioWebhookSid: sid }, secrets, "a").twilioWebhookSid).toBe(sid);
    expect(refusal({ ...good, twilioWebhookSid: zeroSid("PN") }).problems).toEqual([{
      key: "textslash:twilioWebhookSid",
      problem: `"${zeroSid("PN")}" is not a Messaging Service SID (MG + 32 hex digits) or a WhatsApp sender SID (XE + 32 hex digits)`,
      fix: expect.stringContaining("pulumi config set textslash:twilioWebhookSid"),
    }]);
  });

  // Every bad value of issue 16.11 and more: refused before any API call, naming the key, the
  // problem with what is allowed, and the command that fixes it.
  it.each([
    { case: "an unknown region", raw: { region: "zzz" }, key: "region", problem: ["\"zzz\" is not a Fly region", FLY_REGION_CODES.join(", "), "fly.io/docs/reference/regions"], fix: "pulumi config set textslash:region ord" },
    { case: "a malformed image reference", raw: { relayImage: "Ghcr.io/Owner/App:1.0 " }, key: "relayImage", problem: ["is not an image reference"], fix: "pulumi config rm textslash:relayImage (up then builds services/relay), or pulumi config set textslash:relayImage ghcr.io/<you>/textslash-relay:<tag>" },
    { case: "a malformed digest", raw: { vmImage: "ghcr.io/owner/vm@sha256:abc123" }, key: "vmImage", problem: ["is not an image reference"], fix: "pulumi config set textslash:vmImage" },
    { case: "a digest of the wrong length", raw: { vmImage: "ghcr.io/owner/vm@sha256:" + "a".repeat(40) }, key: "vmImage", problem: ["malformed sha256 digest", "64 lower-case hex digits"], fix: "pulumi config set textslash:vmImage" },
    { case: "a non-HTTP flyApiUrl", raw: { flyApiUrl: "ftp://api.machines.dev" }, key: "flyApiUrl", problem: ["\"ftp://api.machines.dev\" is not an http:// or https:// URL"], fix: "pulumi config rm textslash:flyApiUrl" },
    { case: "memory Fly does not offer", raw: { vmMemoryMb: "300" }, key: "vmMemoryMb", problem: ["300 MB is not a size Fly offers for 1 shared CPU", "a multiple of 256 from 256 to 2048 MB", "machine-sizing"], fix: "pulumi config set textslash:vmMemoryMb 256" },
    { case: "too much memory for the CPUs", raw: { vmMemoryMb: "8192", vmCpus: "2" }, key: "vmMemoryMb", problem: ["not a size Fly offers for 2 shared CPUs", "from 512 to 4096 MB"], fix: "pulumi config set textslash:vmMemoryMb 4096" },
    { case: "relay memory Fly does not offer", raw: { relayMemoryMb: "100" }, key: "relayMemoryMb", problem: ["100 MB is not a size Fly offers for 1 shared CPU", "shared-cpu-1x"], fix: "pulumi config set textslash:relayMemoryMb 256" },
    { case: "16 shared CPUs", raw: { vmCpus: "16" }, key: "vmCpus", problem: ["\"16\" is not a number of shared CPUs Fly offers", "1, 2, 4, 8"], fix: "pulumi config set textslash:vmCpus 1" },
    { case: "memory that is not a number", raw: { vmMemoryMb: "lots" }, key: "vmMemoryMb", problem: ["\"lots\" is not a whole number of MB"], fix: "pulumi config set textslash:vmMemoryMb" },
    { case: "a volume above Fly's limit", raw: { volumeSizeGb: "501" }, key: "volumeSizeGb", problem: ["must be at most 500 GB"], fix: "pulumi config set textslash:volumeSizeGb 3" },
    { case: "an account SID that is not AC…", raw: { twilioAccountSid: zeroSid("SK") }, key: "twilioAccountSid", problem: ["is not a Twilio Account SID: AC followed by 32 hex digits"], fix: "pulumi config set textslash:twilioAccountSid AC" },
    { case: "an org slug with spaces", raw: { org: "my org" }, key: "org", problem: ["\"my org\" is not a Fly organization slug", "fly orgs list"], fix: "pulumi config set textslash:org personal" },
    { case: "an empty allowedPhoneNumbers", raw: { allowedPhoneNumbers: undefined }, key: "allowedPhoneNumbers", problem: ["is required: comma-separated E.164 numbers"], fix: "pulumi config set textslash:allowedPhoneNumbers +15551234567,+15557654321" },
    { case: "a bad allowed number", raw: { allowedPhoneNumbers: "+15550000001,5550000002" }, key: "allowedPhoneNumbers", problem: ["\"5550000002\" is not a number in E.164 form"], fix: "pulumi config set textslash:allowedPhoneNumbers" },
    { case: "a bad WhatsApp number", raw: { twilioWhatsappNumber: "not-a-number" }, key: "twilioWhatsappNumber", problem: ["\"not-a-number\" is not a number in E.164 form"], fix: "pulumi config set textslash:twilioWhatsappNumber +14155238886" },
    { case: "an autostop mode Fly does not have", raw: { vmAutostop: "sometimes" }, key: "vmAutostop", problem: ["\"sometimes\" is not stop, suspend or off"], fix: "pulumi config set textslash:vmAutostop stop" },
    { case: "a boolean that is not one", raw: { allowDataLoss: "yes" }, key: "allowDataLoss", problem: ["\"yes\" is not true or false"], fix: "pulumi config set textslash:allowDataLoss false" },
    { case: "an invalid prefix", raw: { prefix: "-Bad" }, key: "prefix", problem: ["\"-Bad\" is not a valid prefix"], fix: "pulumi config set textslash:prefix bad" },
  ])("refuses $case", ({ raw, key, problem, fix }) => {
    const error = refusal({ ...good, ...raw });
    expect(error.problems.map((p) => p.key)).toEqual([`textslash:${key}`]);
    for (const part of problem) expect(error.problems[0]?.problem).toContain(part);
    expect(error.problems[0]?.fix).toContain(fix);
  });

  it("refuses an unknown key, naming the one it probably meant", () => {
    const error = refusal(good, { setKeys: ["region", "volumSizeGb", "twilioAuthTokn", "somethingElse"] });
    expect(error.problems).toEqual([
      { key: "textslash:volumSizeGb", problem: expect.stringContaining("is not a textslash setting (did you mean textslash:volumeSizeGb?)"),
        fix: "pulumi config rm textslash:volumSizeGb, then pulumi config set textslash:volumeSizeGb <value>" },
      { key: "textslash:twilioAuthTokn", problem: expect.stringContaining("did you mean textslash:twilioAuthToken?"),
        fix: "pulumi config rm textslash:twilioAuthTokn, then pulumi config set --secret textslash:twilioAuthToken <value>" },
      { key: "textslash:somethingElse", problem: expect.stringContaining("is not a textslash setting, so it would be ignored"),
        fix: "pulumi config rm textslash:somethingElse" },
    ]);
  });

  it("gives the --secret command for a missing or plain-text secret, never its value", () => {
    const error = refusal(good, { present: { twilioAuthToken: true }, plaintext: ["githubToken"] });
    expect(error.problems).toEqual([
      { key: "textslash:anthropicApiKey", problem: "is required and not set", fix: expect.stringContaining("pulumi config set --secret textslash:anthropicApiKey") },
      { key: "textslash:githubToken", problem: expect.stringContaining("is stored in plain text"), fix: expect.stringContaining("pulumi config set --secret textslash:githubToken") },
    ]);
  });

  it("reports every bad key together, once each, as a RunError Pulumi prints without a stack trace", () => {
    const error = refusal({ vmMemoryMb: "lots", region: "Chicago", vmAutostop: "sometimes", prefix: "-Bad" }, { present: {} });
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    const keys = error.problems.map((p) => p.key.replace("textslash:", ""));
    expect(keys.sort()).toEqual(["allowedPhoneNumbers", "anthropicApiKey", "region", "twilioAccountSid", "twilioAuthToken",
      "twilioWhatsappNumber", "vmAutostop", "vmMemoryMb"].sort());
    expect(error.message).toMatch(/^the stack configuration has 8 problems; nothing was created or changed:\n/);
    for (const p of error.problems) {
      expect(error.message.split(`\n  ${p.key}: `)).toHaveLength(2);
      expect(error.message).toContain(`\n    fix: ${p.fix}`);
    }
  });
});
