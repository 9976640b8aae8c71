// Pure pieces of the services: message splitting, environment validation, bearer tokens.
import { describe, expect, it } from "vitest";
import { splitMessage } from "../../services/relay/src/split";
import { parseRelayEnv, toWhatsAppAddress } from "../../services/relay/src/env";
import { parseVmEnv } from "../../services/vm/src/env";
import { claudeEnvironment } from "../../services/vm/src/agent-env";
import { bearerMatches } from "../../services/relay/src/auth";
import { LoopDelay } from "../../services/relay/src/loop-delay";

describe("splitMessage", () => {
  it.each([
    ["empty text", "", 10, []],
    ["text within the limit", "short", 10, ["short"]],
    ["paragraph breaks first", "aaaa bbbb\n\ncccc", 12, ["aaaa bbbb", "cccc"]],
    ["then line breaks", "aaaa\nbbbb cccc dddd", 12, ["aaaa", "bbbb cccc", "dddd"]],
    ["then spaces", "aaaa bbbb cccc dddd", 10, ["aaaa bbbb", "cccc dddd"]],
    ["a hard cut for one long word", "abcdefghijklmnop", 10, ["abcdefghij", "klmnop"]],
  ])("%s", (_name, text, limit, expected) => {
    expect(splitMessage(text, limit)).toEqual(expected);
  });

  it("never exceeds 1600 characters and loses no words", () => {
    const text = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(" ");
    const parts = splitMessage(text);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(1600);
    expect(parts.join(" ")).toBe(text);
  });

  it("does not cut an emoji in half", () => {
    const parts = splitMessage(`${"x".repeat(9)}😀`, 10);
    expect(parts).toEqual(["x".repeat(9), "😀"]);
  });
});

const relayBase = {
  PUBLIC_URL: "https://fake-relay.fly.dev/",
  CLAUDE_HOST: "http://fake-vm.flycast",
  TWILIO_ACCOUNT_SID: "ACfake",
  TWILIO_AUTH_TOKEN: "fake-twilio-auth-token",
  TWILIO_WHATSAPP_NUMBER: "+14155238886",
  ALLOWED_PHONE_NUMBERS: "+15550001111, whatsapp:+15550002222",
  RELAY_SHARED_TOKEN: "fake-shared-token-0123456789",
};

describe("relay environment", () => {
  it("applies defaults and normalises numbers and URLs", () => {
    const env = parseRelayEnv(relayBase);
    expect(env.PORT).toBe(3000);
    expect(env.PUBLIC_URL).toBe("https://fake-relay.fly.dev");
    expect(env.TWILIO_WHATSAPP_NUMBER).toBe("whatsapp:+14155238886");
    expect(env.ALLOWED_PHONE_NUMBERS).toEqual(["whatsapp:+15550001111", "whatsapp:+15550002222"]);
    expect(env.RELAY_DATA_DIR).toBe("./.relay-data");
    expect([env.RELAY_WEBHOOK_CONCURRENCY, env.RELAY_SHED_LOOP_DELAY_MS]).toEqual([256, 1000]);
  });

  it("lists every missing or bad variable at once, without echoing values", () => {
    const attempt = () =>
      parseRelayEnv({ ...relayBase, PUBLIC_URL: "not a url", TWILIO_AUTH_TOKEN: undefined, ALLOWED_PHONE_NUMBERS: "12345", RELAY_SHARED_TOKEN: "short-secret" });
    expect(attempt).toThrow(
      [
        "relay environment is invalid:",
        "  PUBLIC_URL: must be an http(s) URL",
        "  TWILIO_AUTH_TOKEN: is required but not set",
        "  ALLOWED_PHONE_NUMBERS.0: must be an E.164 number such as +15551234567, with or without the whatsapp: prefix",
        "  RELAY_SHARED_TOKEN: must be at least 16 characters (it is generated per stack)",
        "See docs/services.md for the variables.",
      ].join("\n"),
    );
    expect(attempt).not.toThrow(/short-secret/);
  });

  it("normalises WhatsApp addresses", () => {
    expect(toWhatsAppAddress(" +15550001111 ")).toBe("whatsapp:+15550001111");
    expect(toWhatsAppAddress("whatsapp:+15550001111")).toBe("whatsapp:+15550001111");
  });
});

const required = { RELAY_CALLBACK_URL: "http://fake-relay.flycast", RELAY_SHARED_TOKEN: "fake-shared-token-0123456789", ANTHROPIC_API_KEY: "fake-anthropic-key" };
const isolation = { AGENT_UID: "1001", AGENT_GID: "1001", AGENT_CGROUP: "/sys/fs/cgroup/unified/textslash" };

describe("vm environment", () => {

  it("applies defaults", () => {
    const env = parseVmEnv({ ...required, ...isolation });
    expect(env).toMatchObject({ PORT: 3001, DATA_DIR: "/data", CLAUDE_BIN: "claude", TASK_TIMEOUT_SECONDS: 900, AGENT_ENV_PASSTHROUGH: [] });
    expect(env.agent).toEqual({ uid: 1001, gid: 1001, cgroup: "/sys/fs/cgroup/unified/textslash" });
    expect(env.GITHUB_TOKEN).toBeUndefined();
  });

  it("queues at least what the relay acknowledges per sender, so a wake never refuses a held message", () => {
    const relay = parseRelayEnv(relayBase);
    const vm = parseVmEnv({ ...required, ...isolation });
    expect(vm.MAX_QUEUED_PER_SENDER).toBeGreaterThanOrEqual(relay.RELAY_SENDER_QUEUE_LIMIT);
  });

  it("runs the agent as the VM's own user only when told AGENT_ISOLATION=off", () => {
    expect(parseVmEnv({ ...required, AGENT_ISOLATION: "off" }).agent).toBeUndefined();
  });

  it("lists every missing or bad variable at once", () => {
    expect(() => parseVmEnv({ TASK_TIMEOUT_SECONDS: "soon", RELAY_CALLBACK_URL: "ftp://x", AGENT_UID: "0", AGENT_ENV_PASSTHROUGH: "PATH, RELAY_SHARED_TOKEN" })).toThrow(
      [
        "vm environment is invalid:",
        "  RELAY_CALLBACK_URL: must be an http(s) URL such as http://x-relay.flycast",
        "  RELAY_SHARED_TOKEN: is required but not set",
        "  ANTHROPIC_API_KEY: is required but not set",
        "  TASK_TIMEOUT_SECONDS: Invalid input: expected number, received NaN",
        "  AGENT_UID: must not be 0: Claude Code refuses to run as root",
        "  AGENT_ENV_PASSTHROUGH: must not name RELAY_SHARED_TOKEN: the agent must never see the relay token",
        "  AGENT_GID: is required while AGENT_ISOLATION is on (the image's entrypoint sets it; AGENT_ISOLATION=off is for a local sandbox only)",
        "  AGENT_CGROUP: is required while AGENT_ISOLATION is on (the image's entrypoint sets it; AGENT_ISOLATION=off is for a local sandbox only)",
        "See docs/services.md for the variables.",
      ].join("\n"),
    );
  });
});

describe("the agent's environment", () => {
  it("holds what Claude needs and nothing else of the VM's", () => {
    const env = parseVmEnv({ ...required, ...isolation, GITHUB_TOKEN: "fake-github-token", AGENT_ENV_PASSTHROUGH: "EXTRA_FOR_AGENT" });
    const source = {
      PATH: "/usr/bin:/bin",
      LANG: "C.UTF-8",
      LC_ALL: "C.UTF-8",
      PLAYWRIGHT_BROWSERS_PATH: "/opt/ms-playwright",
      ANTHROPIC_BASE_URL: "http://fake-anthropic.invalid",
      EXTRA_FOR_AGENT: "yes",
      RELAY_SHARED_TOKEN: "fake-shared-token-0123456789",
      RELAY_CALLBACK_URL: "http://fake-relay.flycast",
      SOME_FUTURE_SECRET: "fake-future-secret",
      HOME: "/home/node",
    };
    expect(claudeEnvironment(env, "/data/home", source, { TEXTSLASH_IMAGES_DIR: "/data/images/SMfake" })).toEqual({
      PATH: "/usr/bin:/bin",
      LANG: "C.UTF-8",
      LC_ALL: "C.UTF-8",
      PLAYWRIGHT_BROWSERS_PATH: "/opt/ms-playwright",
      ANTHROPIC_BASE_URL: "http://fake-anthropic.invalid",
      EXTRA_FOR_AGENT: "yes",
      HOME: "/data/home",
      ANTHROPIC_API_KEY: "fake-anthropic-key",
      GITHUB_TOKEN: "fake-github-token",
      GH_TOKEN: "fake-github-token",
      TEXTSLASH_IMAGES_DIR: "/data/images/SMfake",
    });
  });
});

describe("bearerMatches", () => {
  it.each([
    ["the right token", "Bearer fake-token-value", true],
    ["a wrong token", "Bearer fake-token-valuE", false],
    ["no header", undefined, false],
    ["another scheme", "Basic fake-token-value", false],
    ["an empty bearer", "Bearer ", false],
  ])("%s", (_name, header, expected) => {
    expect(bearerMatches(header, "fake-token-value")).toBe(expected);
  });
});

describe("LoopDelay", () => {
  it("reports how late the last tick came, and how overdue the next one is while the loop is busy", () => {
    let now = 1000;
    const gauge = new LoopDelay(20, () => now);
    try {
      expect(gauge.behindMs()).toBe(0);
      now += 20;
      gauge.tick();
      expect(gauge.behindMs()).toBe(0);
      // The loop was busy: the tick came 300 ms late, and that is remembered until the next tick.
      now += 320;
      gauge.tick();
      expect(gauge.behindMs()).toBe(300);
      now += 20;
      gauge.tick();
      expect(gauge.behindMs()).toBe(0);
      // Busy right now: no tick has run for 720 ms, so the loop is 700 ms behind before any tick says so.
      now += 720;
      expect(gauge.behindMs()).toBe(700);
    } finally {
      gauge.stop();
    }
  });
});
