// The relay's webhook: Twilio's signature, the allow-list, malformed bodies, inbound media.
import { afterEach, describe, expect, it } from "vitest";
import { inboundParams, sendSignedWebhook } from "../../sandbox/fakes/fake-twilio";
import twilio from "twilio";
import { cleanup, fake, startFakeTwilio, startRelay, startStub } from "./harness";

afterEach(cleanup);

async function setup() {
  const twilio = await startFakeTwilio();
  const vm = await startStub();
  const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url });
  const post = (params: Record<string, string>, extra: { signature?: string | null; publicUrl?: string; authToken?: string } = {}) =>
    sendSignedWebhook({
      relayUrl: relay.url,
      publicUrl: extra.publicUrl ?? relay.env.PUBLIC_URL,
      authToken: extra.authToken ?? fake.authToken,
      params,
      ...(extra.signature !== undefined ? { signature: extra.signature } : {}),
    });
  const message = (from: string, body: string) => inboundParams({ from, to: fake.whatsAppNumber, body, accountSid: fake.accountSid });
  return { twilio, vm, relay, post, message };
}

describe("relay webhook", () => {
  it("accepts a correctly signed message, answers empty TwiML and hands it to the VM with the token", async () => {
    const { vm, relay, post, message } = await setup();
    const params = message(fake.user, "hello there");
    const answer = await post(params);
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    const [request] = await vm.waitFor(1);
    expect(request?.url).toBe("/tasks");
    expect(request?.headers.authorization).toBe(`Bearer ${fake.sharedToken}`);
    expect(JSON.parse(request?.body ?? "{}")).toMatchObject({ id: params.MessageSid, from: fake.user, text: "hello there", media: [] });
    await relay.delivery.idle();
    expect(await relay.outbox.count()).toBe(0);
  });

  it.each([
    ["a wrong signature", { signature: "bm90IGEgc2lnbmF0dXJl" }],
    ["no signature", { signature: null }],
    ["a signature made with another auth token", { authToken: "another-fake-token" }],
    ["a signature for another URL", { publicUrl: "https://elsewhere.example" }],
  ])("refuses %s with 403 and forwards nothing", async (_name, extra) => {
    const { vm, relay, post, message } = await setup();
    const answer = await post(message(fake.user, "hello"), extra);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain("X-Twilio-Signature");
    await relay.delivery.idle();
    expect(await relay.outbox.count()).toBe(0);
    expect(vm.requests).toHaveLength(0);
  });

  it("refuses a body changed after signing with 403", async () => {
    const { vm, relay, message } = await setup();
    const params = message(fake.user, "original");
    const signature = twilio.getExpectedTwilioSignature(fake.authToken, `${relay.env.PUBLIC_URL}/webhook`, params);
    const tampered = await sendSignedWebhook({ relayUrl: relay.url, publicUrl: relay.url, authToken: fake.authToken, params: { ...params, Body: "changed" }, signature });
    expect(tampered.status).toBe(403);
    const original = await sendSignedWebhook({ relayUrl: relay.url, publicUrl: relay.url, authToken: fake.authToken, params, signature });
    expect(original.status).toBe(200);
    const [request] = await vm.waitFor(1);
    await relay.delivery.idle();
    expect(vm.requests).toHaveLength(1);
    expect(JSON.parse(request?.body ?? "{}").text).toBe("original");
  });

  it("ignores a sender outside ALLOWED_PHONE_NUMBERS: Twilio gets 200, the VM nothing", async () => {
    const { vm, relay, post, message } = await setup();
    const answer = await post(message(fake.stranger, "let me in"));
    expect(answer.status).toBe(200);
    await relay.delivery.idle();
    expect(await relay.outbox.count()).toBe(0);
    expect(vm.requests).toHaveLength(0);
  });

  it("accepts an allowed number listed without the whatsapp: prefix", async () => {
    const { vm, post, message } = await setup();
    expect((await post(message(fake.otherUser, "hi"))).status).toBe(200);
    const [request] = await vm.waitFor(1);
    expect(JSON.parse(request?.body ?? "{}").from).toBe(fake.otherUser);
  });

  it.each([
    ["no From", (p: Record<string, string>) => { delete p.From; }],
    ["no MessageSid", (p: Record<string, string>) => { p.MessageSid = ""; }],
    ["a From that is not a WhatsApp number", (p: Record<string, string>) => { p.From = "sms:+15550001111"; }],
    ["NumMedia without MediaUrl0", (p: Record<string, string>) => { p.NumMedia = "1"; }],
  ])("answers 400 to a correctly signed but malformed body (%s) and forwards nothing", async (_name, mutate) => {
    const { vm, relay, post, message } = await setup();
    const params = message(fake.user, "hello");
    mutate(params);
    const answer = await post(params);
    expect(answer.status).toBe(400);
    await relay.delivery.idle();
    expect(await relay.outbox.count()).toBe(0);
    expect(vm.requests).toHaveLength(0);
  });

  it("takes a Twilio retry of the same MessageSid only once", async () => {
    const { vm, relay, post, message } = await setup();
    const params = message(fake.user, "once");
    await post(params);
    await post(params);
    await vm.waitFor(1);
    await relay.delivery.idle();
    expect(vm.requests.filter((r) => r.url === "/tasks")).toHaveLength(1);
  });

  it("ignores a Twilio retry that comes after the message was delivered", async () => {
    const { vm, relay, post, message } = await setup();
    const params = message(fake.user, "once more");
    await post(params);
    await vm.waitFor(1);
    await relay.delivery.idle();
    expect((await post(params)).status).toBe(200);
    await relay.delivery.idle();
    expect(vm.requests).toHaveLength(1);
  });

  it("fetches inbound media from Twilio with the account's credentials and passes the bytes to the VM", async () => {
    const { twilio, vm, post } = await setup();
    const photo = Buffer.from("fake jpeg bytes");
    const url = twilio.addMedia(photo, "image/jpeg");
    const params = inboundParams({ from: fake.user, to: fake.whatsAppNumber, body: "what is this?", accountSid: fake.accountSid, media: [{ url, contentType: "image/jpeg" }] });
    expect((await post(params)).status).toBe(200);
    const [request] = await vm.waitFor(1);
    const task = JSON.parse(request?.body ?? "{}") as { media: { contentType: string; dataBase64: string }[] };
    expect(task.media).toEqual([{ contentType: "image/jpeg", dataBase64: photo.toString("base64") }]);
    expect(twilio.mediaRequests).toEqual([{ path: new URL(url).pathname, authorized: true }]);
  });

  it("delivers the text with a note when Twilio no longer has the media (404), instead of retrying forever", async () => {
    const { twilio, vm, post } = await setup();
    const url = `${twilio.addMedia(Buffer.from("x"), "image/jpeg")}gone`;
    const params = inboundParams({ from: fake.user, to: fake.whatsAppNumber, body: "look", accountSid: fake.accountSid, media: [{ url, contentType: "image/jpeg" }] });
    expect((await post(params)).status).toBe(200);
    const [request] = await vm.waitFor(1);
    const task = JSON.parse(request?.body ?? "{}") as { text: string; media: unknown[] };
    expect(task.media).toEqual([]);
    expect(task.text).toBe("look\n\n[An attachment (image/jpeg) could not be downloaded from Twilio: HTTP 404.]");
  });

  it("answers GET /health without reaching the VM", async () => {
    const { vm, relay } = await setup();
    const response = await fetch(`${relay.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, outbox: 0, lastMessageAt: null, disk: { usedBytes: expect.any(Number), totalBytes: expect.any(Number) } });
    expect(vm.requests).toHaveLength(0);
  });

  it("/health says when the last message came in, and still knows after a restart", async () => {
    const { relay, post, message } = await setup();
    const before = Date.now();
    expect((await post(message(fake.user, "hello"))).status).toBe(200);
    const health = async (url: string) => (await (await fetch(`${url}/health`)).json()) as { lastMessageAt: string | null };
    const first = (await health(relay.url)).lastMessageAt;
    expect(Date.parse(String(first))).toBeGreaterThanOrEqual(before);
    // A refused or duplicate message is no new message.
    await post(message("+15559990000", "not allowed"));
    expect((await health(relay.url)).lastMessageAt).toBe(first);
    await relay.delivery.idle();
    await relay.app.close();
    const again = await startRelay({ claudeHost: (await startStub()).url, twilioUrl: (await startFakeTwilio()).url, dataDir: relay.env.RELAY_DATA_DIR });
    expect((await health(again.url)).lastMessageAt).toBe(first);
  });
});
