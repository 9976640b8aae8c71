// The relay's callback from the VM: token check, long answers split in order, images served by URL.
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fake, startFakeTwilio, startRelay, startStub } from "./harness";

afterEach(cleanup);

const png = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

async function setup() {
  const twilio = await startFakeTwilio();
  const vm = await startStub();
  const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url });
  const callback = (body: unknown, token: string | null = fake.sharedToken) =>
    fetch(`${relay.url}/callback`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
  return { twilio, relay, callback };
}

describe("relay callback", () => {
  it.each([
    ["no token", null],
    ["a wrong token", "fake-wrong-token-0123456789"],
  ])("refuses %s with 401 and sends nothing", async (_name, token) => {
    const { twilio, callback } = await setup();
    const response = await callback({ to: fake.user, text: "hi" }, token);
    expect(response.status).toBe(401);
    expect(twilio.messages).toHaveLength(0);
  });

  it("sends a short answer as one WhatsApp message from the configured number", async () => {
    const { twilio, callback } = await setup();
    const response = await callback({ to: fake.user, text: "All done." });
    expect(response.status).toBe(200);
    expect(twilio.messages.map((m) => ({ from: m.from, to: m.to, body: m.body }))).toEqual([
      { from: fake.whatsAppNumber, to: fake.user, body: "All done." },
    ]);
  });

  it("splits a long answer within 1600 characters and delivers the parts in order", async () => {
    const { twilio, callback } = await setup();
    const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i}: ${"word ".repeat(70 + i).trim()}.`);
    const text = paragraphs.join("\n\n");
    expect(text.length).toBeGreaterThan(4000);
    expect((await callback({ to: fake.user, text })).status).toBe(200);
    const bodies = twilio.messages.map((m) => m.body);
    expect(bodies.length).toBeGreaterThanOrEqual(3);
    for (const body of bodies) expect(body.length).toBeLessThanOrEqual(1600);
    // Split on paragraph boundaries: every paragraph arrives whole, in the original order.
    expect(bodies.join("\n\n")).toBe(text);
    for (const body of bodies) expect(body.startsWith("Paragraph ")).toBe(true);
  });

  it("stores images, sends them by a PUBLIC_URL media URL that Twilio can fetch", async () => {
    const { twilio, relay, callback } = await setup();
    const response = await callback({ to: fake.user, text: "Here it is", images: [{ contentType: "image/png", dataBase64: png.toString("base64") }] });
    expect(response.status).toBe(200);
    expect(twilio.messages).toHaveLength(2);
    expect(twilio.messages[0]?.body).toBe("Here it is");
    const media = twilio.messages[1];
    expect(media?.mediaUrls).toHaveLength(1);
    expect(media?.mediaUrls[0]).toMatch(new RegExp(`^${relay.env.PUBLIC_URL}/media/[A-Za-z0-9_-]{22}\\.png$`));
    expect(media?.mediaFetches).toEqual([{ url: media?.mediaUrls[0], status: 200, contentType: "image/png", bytes: png.length }]);
    const served = await fetch(media?.mediaUrls[0] ?? "");
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
  });

  it("answers 404 for unknown or malformed media ids", async () => {
    const { relay } = await setup();
    expect((await fetch(`${relay.url}/media/AAAAAAAAAAAAAAAAAAAAAA.png`)).status).toBe(404);
    expect((await fetch(`${relay.url}/media/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
  });

  it("refuses to write to a number outside ALLOWED_PHONE_NUMBERS", async () => {
    const { twilio, callback } = await setup();
    const response = await callback({ to: fake.stranger, text: "hi" });
    expect(response.status).toBe(403);
    expect(twilio.messages).toHaveLength(0);
  });

  it.each([
    ["no text and no images", { to: fake.user, text: " " }],
    ["an unsupported image type", { to: fake.user, images: [{ contentType: "text/html", dataBase64: "PGI+" }] }],
    ["no recipient", { text: "hi" }],
  ])("answers 400 to a callback with %s", async (_name, body) => {
    const { twilio, callback } = await setup();
    const response = await callback(body);
    expect(response.status).toBe(400);
    expect(twilio.messages).toHaveLength(0);
  });

  it("answers 502 when Twilio refuses, saying how far it got", async () => {
    const { twilio, callback } = await setup();
    twilio.failSends(10);
    const response = await callback({ to: fake.user, text: "hi" });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: "Twilio refused the message", sent: 0 });
  });
});
