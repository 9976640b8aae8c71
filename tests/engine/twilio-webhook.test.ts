// The Twilio webhook set for the user, with the real CLI: `up` points a Messaging Service at the
// relay (the auth token read from the stack's secret config by the provider, never in state), a new
// prefix updates it in place, another SID (a WhatsApp sender) replaces it and the service gets its
// old webhook back, a console change is noticed by refresh and undone by up, and destroy restores.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTwilioMessaging } from "../../sandbox/fakes/fake-twilio-messaging";
import { fakeAccountSid, fakeSecrets, leakedSecrets, startFlyStack, type FlyStack } from "./fly-stack";

describe("TwilioWebhook with the real engine", () => {
  const fake = new FakeTwilioMessaging({ accountSid: fakeAccountSid, authToken: fakeSecrets.twilioAuthToken });
  let s: FlyStack;
  let serviceSid = "";
  let senderSid = "";

  beforeAll(async () => {
    await fake.start();
    serviceSid = fake.addService({ inboundRequestUrl: "https://old.example/in", inboundMethod: "GET", useInboundWebhookOnNumber: true }).sid;
    senderSid = fake.addSender({ webhook: { callback_url: "https://old.example/wa", callback_method: "POST", fallback_url: null, fallback_method: null, status_callback_url: null, status_callback_method: null } }).sid;
    // allowDataLoss: the prefix change below replaces the apps and their volumes.
    s = await startFlyStack({ stackName: "hook", config: { twilioWebhookSid: serviceSid, allowDataLoss: "true" }, env: { TWILIO_API_URL: fake.url } });
  }, 300_000);

  afterAll(async () => {
    await s?.close();
    await fake.stop();
  });

  it("up sets the service's webhook to the relay and says so in nextSteps", async () => {
    await s.up();
    expect(fake.services.get(serviceSid)).toMatchObject({ inboundRequestUrl: "https://hook-relay.fly.dev/webhook", inboundMethod: "POST", useInboundWebhookOnNumber: false });
    const outputs = await s.project.stack.outputs();
    expect(String(outputs.nextSteps?.value)).toContain(`Nothing to set by hand: the incoming-message webhook of ${serviceSid} is https://hook-relay.fly.dev/webhook`);
    expect(fake.requests.every((r) => r.authorized)).toBe(true);
  }, 300_000);

  it("a new prefix updates the webhook in place", async () => {
    await s.setConfig("prefix", "hook2");
    const preview = await s.cli(["preview", "--diff"]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/~ pulumi-nodejs:dynamic\/textslash:TwilioWebhook: \(update\)[\s\S]*?url\s*: "https:\/\/hook-relay\.fly\.dev\/webhook" => "https:\/\/hook2-relay\.fly\.dev\/webhook"/);
    await s.up();
    expect(fake.services.get(serviceSid)!.inboundRequestUrl).toBe("https://hook2-relay.fly.dev/webhook");
  }, 400_000);

  it("another SID replaces it: the sender gets ours, the service gets its old webhook back", async () => {
    await s.setConfig("twilioWebhookSid", senderSid);
    await s.up();
    expect(fake.senders.get(senderSid)!.webhook).toMatchObject({ callback_url: "https://hook2-relay.fly.dev/webhook", callback_method: "POST" });
    expect(fake.services.get(serviceSid)).toMatchObject({ inboundRequestUrl: "https://old.example/in", inboundMethod: "GET", useInboundWebhookOnNumber: true });
  }, 300_000);

  // Each of the two commands is a test of its own with its own bound, below the test's timeout: once,
  // at load 13, the pair ran into the 300 s they shared. A stall now fails naming the command and
  // showing its output (harness.ts, timeoutMs) rather than leaving it running into the next test.
  it("refresh notices a change made in the console", async () => {
    fake.senders.get(senderSid)!.webhook.callback_url = "https://console.example/changed";
    const refresh = await s.cli(["refresh", "--yes", "--skip-preview"], { timeoutMs: 280_000 });
    expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
    expect(refresh.stdout).toMatch(/~\s+pulumi-nodejs:dynamic\/textslash:TwilioWebhook textslash-twilio-webhook updated/);
  }, 300_000);

  it("the next up sets ours again", async () => {
    expect(fake.senders.get(senderSid)!.webhook.callback_url).toBe("https://console.example/changed");
    await s.up({ timeoutMs: 280_000 });
    expect(fake.senders.get(senderSid)!.webhook.callback_url).toBe("https://hook2-relay.fly.dev/webhook");
  }, 300_000);

  it("destroy restores the sender's webhook; the auth token is in no state, output or request log", async () => {
    const destroy = await s.cli(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.stdout + destroy.stderr).toBe(0);
    expect(fake.senders.get(senderSid)!.webhook).toMatchObject({ callback_url: "https://old.example/wa", callback_method: "POST" });
    const state = await s.project.readStateFile();
    expect(leakedSecrets(`${state}\n${s.transcript.join("\n")}`)).toEqual([]);
    expect(fake.requests.map((r) => r.body).join("\n")).not.toContain(fakeSecrets.twilioAuthToken);
  }, 300_000);
});
