// The fake messaging.twilio.com refuses what Twilio refuses, with Twilio's error body, and answers
// the official library (twilio-node) the way Twilio documents it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookApi } from "../../components/twilio/api";
import { FakeTwilioMessaging, fakeSid } from "./fake-twilio-messaging";

const account = { accountSid: "ACfake", authToken: "fake-twilio-auth-token" };
const basic = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString("base64")}`;

describe("fake Twilio messaging", () => {
  const fake = new FakeTwilioMessaging(account);
  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it("refuses a request without the account's credentials: 401, error 20003", async () => {
    const service = fake.addService();
    for (const authorization of [undefined, `Basic ${Buffer.from("ACfake:wrong").toString("base64")}`]) {
      const res = await fetch(`${fake.url}/v1/Services/${service.sid}`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ code: 20003, message: "Authenticate", more_info: "https://www.twilio.com/docs/errors/20003", status: 401 });
    }
  });

  it("answers 404, error 20404, for a malformed or unknown SID", async () => {
    for (const path of ["/v1/Services/MG123", `/v1/Services/${fakeSid("MG")}`, `/v2/Channels/Senders/${fakeSid("MG")}`, "/v2/Channels/Senders/XEnothex0000000000000000000000000000"]) {
      const res = await fetch(`${fake.url}${path}`, { headers: { authorization: basic } });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ code: 20404, message: `The requested resource ${path} was not found`, more_info: "https://www.twilio.com/docs/errors/20404", status: 404 });
    }
  });

  it("refuses a bad InboundMethod, a non-URL, and a sender update that is not JSON", async () => {
    const service = fake.addService();
    const form = (body: string) =>
      fetch(`${fake.url}/v1/Services/${service.sid}`, { method: "POST", headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" }, body });
    expect((await form("InboundMethod=PUT")).status).toBe(400);
    expect((await form("InboundRequestUrl=not-a-url")).status).toBe(400);
    const sender = fake.addSender();
    const res = await fetch(`${fake.url}/v2/Channels/Senders/${sender.sid}`, { method: "POST", headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" }, body: "x=1" });
    expect(res.status).toBe(400);
    expect(fake.services.get(service.sid)).toMatchObject({ inboundRequestUrl: null, inboundMethod: "POST" });
  });

  it("sets and reads a Messaging Service's and a sender's webhook through twilio-node", async () => {
    const api = webhookApi({ ...account, apiUrl: fake.url });
    const service = fake.addService({ inboundRequestUrl: "https://old.example/in", inboundMethod: "GET", useInboundWebhookOnNumber: true });
    expect(await api.get(service.sid)).toEqual({ url: "https://old.example/in", method: "GET", useInboundWebhookOnNumber: true });
    expect(await api.set(service.sid, { url: "https://me-relay.fly.dev/webhook", method: "POST", useInboundWebhookOnNumber: false })).toEqual({
      url: "https://me-relay.fly.dev/webhook", method: "POST", useInboundWebhookOnNumber: false,
    });
    const last = fake.requests.at(-2)!;
    expect(last).toMatchObject({ method: "POST", path: `/v1/Services/${service.sid}`, authorized: true });
    expect(Object.fromEntries(new URLSearchParams(last.body))).toEqual({ InboundRequestUrl: "https://me-relay.fly.dev/webhook", InboundMethod: "POST", UseInboundWebhookOnNumber: "false" });
    // Clearing: an empty InboundRequestUrl leaves the service with none.
    expect((await api.set(service.sid, { url: null, method: "POST" })).url).toBeNull();

    const sender = fake.addSender({ webhook: { callback_url: "https://old.example/wa", callback_method: "PUT", fallback_url: "https://fallback.example", fallback_method: "POST", status_callback_url: null, status_callback_method: null } });
    expect(await api.get(sender.sid)).toEqual({ url: "https://old.example/wa", method: "PUT" });
    await api.set(sender.sid, { url: "https://me-relay.fly.dev/webhook", method: "POST" });
    const sent = fake.requests.filter((r) => r.method === "POST" && r.path.endsWith(sender.sid)).at(-1)!;
    expect(JSON.parse(sent.body)).toEqual({ webhook: { callback_url: "https://me-relay.fly.dev/webhook", callback_method: "POST" } });
    expect(fake.senders.get(sender.sid)!.webhook).toMatchObject({ callback_url: "https://me-relay.fly.dev/webhook", callback_method: "POST", fallback_url: "https://fallback.example" });
  });

  it("the library's errors become messages naming the key to fix, never the token", async () => {
    const wrong = webhookApi({ ...account, authToken: "fake-wrong-token", apiUrl: fake.url });
    const service = fake.addService();
    await expect(wrong.get(service.sid)).rejects.toThrow(
      `reading Messaging Service ${service.sid}: Twilio refused the credentials (401, error 20003: Authenticate). Check textslash:twilioAccountSid and the secret textslash:twilioAuthToken.`,
    );
    const missing = fakeSid("XE");
    const err = await webhookApi({ ...account, apiUrl: fake.url }).get(missing).catch((e: Error) => e);
    expect(String(err)).toContain(`reading WhatsApp sender ${missing}: Twilio account ACfake has no such object (404, error 20404)`);
    expect(String(err)).not.toContain(account.authToken);
  });
});
