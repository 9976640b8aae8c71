// The TwilioWebhook provider against the fake messaging.twilio.com, through the official library:
// create remembers and sets, update moves it, read notices a console change, delete restores (but
// leaves a URL someone set since), and neither the token nor anything secret is in its outputs.
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffWebhook, restoreSetting, webhookProvider } from "../../components/twilio/webhook";
import { FakeTwilioMessaging, fakeSid } from "../../sandbox/fakes/fake-twilio-messaging";
import { zeroSid } from "../../sandbox/daemon/fake-values";

const account = { accountSid: "ACfake", authToken: "fake-twilio-auth-token" };
const ours = "https://me-relay.fly.dev/webhook";
type Outs = Parameters<NonNullable<typeof webhookProvider.delete>>[1];

describe("TwilioWebhook provider", () => {
  const fake = new FakeTwilioMessaging(account);
  const p = webhookProvider as Required<typeof webhookProvider>;
  let savedUrl: string | undefined;

  beforeAll(async () => {
    await fake.start();
    savedUrl = process.env.TWILIO_API_URL;
    process.env.TWILIO_API_URL = fake.url;
    await p.configure({ config: new Map([["textslash:twilioAuthToken", account.authToken]]) } as unknown as pulumi.dynamic.ConfigureRequest);
  });
  afterAll(async () => {
    if (savedUrl === undefined) delete process.env.TWILIO_API_URL;
    else process.env.TWILIO_API_URL = savedUrl;
    await fake.stop();
  });

  it("Messaging Service: create → update → read after a console change → delete restores what it had", async () => {
    const service = fake.addService({ inboundRequestUrl: "https://old.example/in", inboundMethod: "GET", useInboundWebhookOnNumber: true });
    const inputs = { accountSid: "ACfake", targetSid: service.sid, url: ours, providerVersion: 1 };
    const created = await p.create(inputs).then((r) => ({ id: r.id, outs: r.outs as Outs }));
    expect(created.id).toBe(service.sid);
    expect(created.outs).toEqual({ ...inputs, kind: "messaging-service", current: ours, previous: { url: "https://old.example/in", method: "GET", useInboundWebhookOnNumber: true } });
    expect(fake.services.get(service.sid)).toMatchObject({ inboundRequestUrl: ours, inboundMethod: "POST", useInboundWebhookOnNumber: false });
    expect(JSON.stringify(created.outs)).not.toContain(account.authToken);

    // Same inputs: no change. A new prefix: an update in place, never a replacement.
    expect(diffWebhook(created.outs, inputs)).toEqual({ changes: false, replaces: [] });
    const moved = { ...inputs, url: "https://you-relay.fly.dev/webhook" };
    expect(diffWebhook(created.outs, moved)).toEqual({ changes: true, replaces: [] });
    const updated = await p.update(service.sid, created.outs, moved);
    expect(fake.services.get(service.sid)!.inboundRequestUrl).toBe("https://you-relay.fly.dev/webhook");
    expect(updated.outs!.previous).toEqual(created.outs.previous);

    // Changed in the console: refresh records it, the diff asks for an update.
    fake.services.get(service.sid)!.inboundRequestUrl = "https://someone.example/else";
    const read = await p.read(service.sid, updated.outs as Outs);
    expect(read.props).toMatchObject({ current: "https://someone.example/else" });
    expect(diffWebhook(read.props!, moved)).toEqual({ changes: true, replaces: [] });
    await p.update(service.sid, read.props as Outs, moved);

    await p.delete(service.sid, { ...(updated.outs as Outs) });
    expect(fake.services.get(service.sid)).toMatchObject({ inboundRequestUrl: "https://old.example/in", inboundMethod: "GET", useInboundWebhookOnNumber: true });
  });

  it("WhatsApp sender: another SID replaces (the old one gets its webhook back); a URL set by someone else since is left alone", async () => {
    const a = fake.addSender({ webhook: { callback_url: null, callback_method: null, fallback_url: null, fallback_method: null, status_callback_url: null, status_callback_method: null } });
    const b = fake.addSender();
    const inputs = { accountSid: "ACfake", targetSid: a.sid, url: ours, providerVersion: 1 };
    const created = await p.create(inputs).then((r) => ({ id: r.id, outs: r.outs as Outs }));
    expect(created.outs).toMatchObject({ kind: "whatsapp-sender", previous: { url: null, method: null } });
    expect(fake.senders.get(a.sid)!.webhook).toMatchObject({ callback_url: ours, callback_method: "POST" });
    expect(diffWebhook(created.outs, { ...inputs, targetSid: b.sid })).toEqual({ changes: true, replaces: ["targetSid"] });

    await p.create({ ...inputs, targetSid: b.sid });
    await p.delete(a.sid, created.outs);
    expect(fake.senders.get(a.sid)!.webhook.callback_url).toBeNull();
    expect(fake.senders.get(b.sid)!.webhook.callback_url).toBe(ours);

    fake.senders.get(b.sid)!.webhook.callback_url = "https://someone.example/else";
    await p.delete(b.sid, { ...created.outs, targetSid: b.sid });
    expect(fake.senders.get(b.sid)!.webhook.callback_url).toBe("https://someone.example/else");
  });

  it("a sender or service gone from Twilio drops out on refresh and deletes as done", async () => {
    const gone = fakeSid("XE");
    const outs = { accountSid: "ACfake", targetSid: gone, url: ours, providerVersion: 1, kind: "whatsapp-sender", previous: { url: null, method: null }, current: ours };
    expect(await p.read(gone, outs)).toEqual({});
    await expect(p.delete(gone, outs)).resolves.toBeUndefined();
  });

  it("create fails naming the key when the SID is not in the account", async () => {
    const missing = fakeSid("MG");
    await expect(p.create({ accountSid: "ACfake", targetSid: missing, url: ours, providerVersion: 1 })).rejects.toThrow(
      /Check textslash:twilioWebhookSid/,
    );
  });

  it("check refuses a SID of another kind, and restore never puts back our own URL", async () => {
    const checked = await p.check({} as Outs, { accountSid: "ACfake", targetSid: zeroSid("PN"), url: ours, providerVersion: 1 });
    expect(checked.failures).toEqual([{ property: "targetSid", reason: "must be a Messaging Service SID (MG + 32 hex) or a WhatsApp sender SID (XE + 32 hex)" }]);
    expect(restoreSetting({ url: ours, previous: { url: ours, method: "POST" } })).toEqual({ url: null, method: "POST" });
    expect(restoreSetting({ url: ours, previous: { url: "https://old.example", method: "GET" } })).toEqual({ url: "https://old.example", method: "GET" });
  });
});
