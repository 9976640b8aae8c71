import { describe, expect, it } from "vitest";
import { ConfigError, parseSettings } from "../../config";

const good = {
  twilioAccountSid: "ACfake",
  twilioWhatsappNumber: "+14155238886",
  allowedPhoneNumbers: "+15550000001, +15550000002",
};
const secrets = { twilioAuthToken: true, anthropicApiKey: true };

describe("parseSettings", () => {
  it("fills the original deployment's defaults and the prefix from the stack name", () => {
    const s = parseSettings(good, secrets, "Dev_Stack");
    expect(s).toMatchObject({
      prefix: "dev-stack",
      region: "ord",
      vmMemoryMb: 2048,
      relayMemoryMb: 256,
      volumeSizeGb: 3,
      vmAutostop: "stop",
      allowDataLoss: false,
      adoptExisting: false,
    });
  });

  it("coerces strings from pulumi config", () => {
    const s = parseSettings({ ...good, vmMemoryMb: "4096", allowDataLoss: "true", vmAutostop: "suspend" }, secrets, "a");
    expect(s.vmMemoryMb).toBe(4096);
    expect(s.allowDataLoss).toBe(true);
    expect(s.vmAutostop).toBe("suspend");
  });

  it("reports every bad key together", () => {
    let error: unknown;
    try {
      parseSettings({ vmMemoryMb: "lots", region: "Chicago", vmAutostop: "off", prefix: "-Bad" }, {}, "dev");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const key of [
      "vmMemoryMb",
      "region",
      "vmAutostop",
      "twilioAccountSid",
      "twilioWhatsappNumber",
      "allowedPhoneNumbers",
      "twilioAuthToken",
      "anthropicApiKey",
    ]) {
      expect(message).toContain(`textslash:${key}`);
    }
  });

  it("takes a WhatsApp sender or Messaging Service SID for the webhook, and nothing else", () => {
    expect(parseSettings(good, secrets, "a").twilioWebhookSid).toBe("");
    const sid = "XE0123456789abcdef0123456789abcdef";
    expect(parseSettings({ ...good, twilioWebhookSid: sid }, secrets, "a").twilioWebhookSid).toBe(sid);
    expect(() => parseSettings({ ...good, twilioWebhookSid: "PN0123456789abcdef0123456789abcdef" }, secrets, "a")).toThrow(
      "textslash:twilioWebhookSid: must be a Messaging Service SID (MG + 32 hex) or a WhatsApp sender SID (XE + 32 hex)",
    );
  });

  it("rejects an invalid explicit prefix", () => {
    expect(() => parseSettings({ ...good, prefix: "-Bad" }, secrets, "dev")).toThrow(/textslash:prefix/);
  });
});
