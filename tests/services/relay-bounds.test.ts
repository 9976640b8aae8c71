// What an unauthenticated request can cost the relay: nothing is read before the token is checked,
// and the webhook's form is bounded in size and parameter count before its signature is checked.
import { afterEach, describe, expect, it } from "vitest";
import { request } from "node:http";
import { inboundParams, sendSignedWebhook } from "../../sandbox/fakes/fake-twilio";
import { cleanup, fake, startFakeTwilio, startRelay, startStub } from "./harness";

afterEach(cleanup);

/**
 * Declares `declared` bytes, sends only `sent` of them and waits for an answer: a server that
 * reads the whole body before answering never answers (the test then times out and fails).
 */
function partialPost(base: string, path: string, headers: Record<string, string>, declared: number, sent: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: "POST", headers: { ...headers, "content-length": String(declared) } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on("error", reject);
    });
    // The server may close the connection while we still write: that is the point, not an error.
    req.on("error", () => undefined);
    req.write(Buffer.alloc(sent, 0x61));
    // Generous: a server that answers without the body does so in milliseconds, even on a loaded machine.
    setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within 20 s with ${sent} of ${declared} bytes sent: the server waits for the whole body`));
    }, 20_000).unref();
  });
}

async function setup() {
  const twilio = await startFakeTwilio();
  const vm = await startStub();
  const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url });
  return { twilio, vm, relay };
}

describe("relay bounds", () => {
  it("refuses a callback without the token before reading its body (401 while a 30 MB upload has barely started)", async () => {
    const { relay, twilio } = await setup();
    const answer = await partialPost(relay.url, "/callback", { "content-type": "application/json" }, 30 * 1024 * 1024, 64 * 1024);
    expect(answer.status).toBe(401);
    expect(answer.body).toContain("RELAY_SHARED_TOKEN");
    expect(twilio.messages).toHaveLength(0);
  });

  it("refuses a callback whose declared size is over RELAY_CALLBACK_BODY_MB at once (413), even with the token", async () => {
    const { relay } = await setup();
    const answer = await partialPost(relay.url, "/callback", { "content-type": "application/json", authorization: `Bearer ${fake.sharedToken}` }, 20 * 1024 * 1024, 1024);
    expect(answer.status).toBe(413);
  });

  it("refuses a 1 MB webhook form with 413 before parsing or checking its signature", async () => {
    const { relay, vm } = await setup();
    const params = { ...inboundParams({ from: fake.user, to: fake.whatsAppNumber, body: "x".repeat(1_000_000), accountSid: fake.accountSid }) };
    const answer = await sendSignedWebhook({ relayUrl: relay.url, publicUrl: relay.env.PUBLIC_URL, authToken: fake.authToken, params });
    expect(answer.status).toBe(413);
    expect(vm.requests).toHaveLength(0);
  });

  it("refuses a form with thousands of parameters with 400, naming the cap, before checking its signature", async () => {
    const { relay, vm } = await setup();
    const body = Array.from({ length: 5000 }, (_, i) => `k${i}=v`).join("&");
    const response = await fetch(`${relay.url}/webhook`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "bm90IGEgc2lnbmF0dXJl" },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("the form has 5000 parameters; a Twilio webhook has at most 128");
    expect(vm.requests).toHaveLength(0);
  });

  it("still takes Twilio's largest real webhook: ten media items and a 4096-character emoji body", async () => {
    const { relay, vm, twilio } = await setup();
    const media = Array.from({ length: 10 }, (_, i) => ({ url: twilio.addMedia(Buffer.from(`photo ${i}`), "image/jpeg"), contentType: "image/jpeg" }));
    const params = inboundParams({ from: fake.user, to: fake.whatsAppNumber, body: "😀".repeat(2048), accountSid: fake.accountSid, media });
    const answer = await sendSignedWebhook({ relayUrl: relay.url, publicUrl: relay.env.PUBLIC_URL, authToken: fake.authToken, params });
    expect(answer.status).toBe(200);
    await vm.waitFor(1, 30_000);
  });

  it("answers GET /health at once even when a client attaches a large body to it", async () => {
    const { relay } = await setup();
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request(`${relay.url}/health`, { method: "GET", headers: { "content-type": "application/json", "content-length": String(10 * 1024 * 1024) } }, (res) => {
        res.resume();
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", () => undefined);
      req.write(Buffer.alloc(1024));
      setTimeout(() => {
        req.destroy();
        reject(new Error("no answer within 20 s"));
      }, 20_000).unref();
    });
    expect(answer).toBe(200);
  });
});
