// Answers as Twilio takes them: WhatsApp's media rules and 1600 counted Twilio's way, retried
// callbacks that never send a chunk twice, 429s ridden out by twilio-node's own retry, delivery
// failures logged from Twilio's StatusCallback, and bounds on what one callback can do.
import { afterEach, describe, expect, it } from "vitest";
import twilioLib from "twilio";
import { cleanup, fake, freePort, startFakeTwilio, startRelay, startStub, tempDir, until, type RelayOptions, type RunningRelay } from "./harness";

afterEach(cleanup);

const png = (bytes: number) => {
  const header = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
  return Buffer.concat([header, Buffer.alloc(Math.max(0, bytes - header.length))]);
};

async function setup(options: Partial<RelayOptions> = {}) {
  const twilio = await startFakeTwilio();
  const vm = await startStub();
  const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url, ...options });
  return { twilio, relay };
}

function callback(relay: RunningRelay, body: unknown) {
  return fetch(`${relay.url}/callback`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${fake.sharedToken}` },
    body: JSON.stringify(body),
  });
}

const paragraphs = (count: number, words = 60) => Array.from({ length: count }, (_, i) => `Part ${i}: ${"word ".repeat(words).trim()}.`).join("\n\n");

describe("answers and WhatsApp's rules", () => {
  it("sends a GIF as a link the user can open, since WhatsApp does not take GIFs; Twilio fails nothing", async () => {
    const { twilio, relay } = await setup();
    const gif = Buffer.from("GIF89a fake gif bytes");
    expect((await callback(relay, { to: fake.user, images: [{ contentType: "image/gif", dataBase64: gif.toString("base64") }] })).status).toBe(200);
    const [message] = await twilio.waitForMessages(1);
    expect(message?.mediaUrls).toEqual([]);
    const url = /(http:\/\/127\.0\.0\.1:\d+\/media\/[A-Za-z0-9_-]{22}\.gif)/.exec(message?.body ?? "")?.[1];
    expect(message?.body).toContain("[Image 1 cannot be shown in WhatsApp: WhatsApp does not take image/gif images. Open it here (kept 24 hours): ");
    const served = await fetch(url ?? "");
    expect(Buffer.from(await served.arrayBuffer()).equals(gif)).toBe(true);
    await twilio.waitForStatusCallbacks(2);
    expect(twilio.messages.filter((m) => m.status === "failed")).toEqual([]);
  });

  it("sends a PNG over 5 MB as a link, and a small one as a WhatsApp image Twilio delivers", async () => {
    const { twilio, relay } = await setup();
    const images = [png(5 * 1024 * 1024 + 10), png(2000)].map((data) => ({ contentType: "image/png", dataBase64: data.toString("base64") }));
    expect((await callback(relay, { to: fake.user, images })).status).toBe(200);
    const [big, small] = await twilio.waitForMessages(2);
    expect(big?.body).toMatch(/^\[Image 1 cannot be shown in WhatsApp: it is 5\.0 MB, over WhatsApp's 5 MB for images\. Open it here/);
    expect(small?.mediaUrls).toHaveLength(1);
    await until(() => twilio.messages.every((m) => m.status === "delivered"), 15_000, "both messages delivered");
  });

  it("splits emoji and CJK text so that Twilio takes every part (no 21617), losing nothing", async () => {
    const { twilio, relay } = await setup();
    const text = Array.from({ length: 300 }, (_, i) => `${i}😀中文`).join(" ");
    expect(text.length).toBeLessThan(1600 * 2);
    const response = await callback(relay, { to: fake.user, text });
    expect(response.status).toBe(200);
    const bodies = twilio.messages.map((m) => m.body);
    expect(bodies.length).toBeGreaterThan(1);
    expect(twilio.sendAttempts.every((a) => a.status === 201)).toBe(true);
    expect(bodies.join(" ")).toBe(text);
  });
});

describe("retried callbacks", () => {
  it("a callback retried after Twilio failed part-way sends only the chunks not sent yet", async () => {
    const { twilio, relay } = await setup();
    const body = { id: "task-1", to: fake.user, text: paragraphs(12) };
    twilio.failSends(1, { after: 1 });
    const first = await callback(relay, body);
    expect(first.status).toBe(502);
    expect(await first.json()).toEqual({ error: "Twilio refused the message", sent: 1 });
    const second = await callback(relay, body);
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ skipped: 1 });
    const bodies = twilio.messages.map((m) => m.body);
    expect(new Set(bodies).size).toBe(bodies.length);
    expect(bodies.join("\n\n")).toBe(body.text);
    // The same callback once more (a retry after a lost answer): nothing is sent again.
    expect(await (await callback(relay, body)).json()).toMatchObject({ sent: 0, skipped: bodies.length });
    expect(twilio.messages).toHaveLength(bodies.length);
  });

  it("remembers sent chunks across a relay restart", async () => {
    const twilio = await startFakeTwilio();
    const dataDir = await tempDir("relay-chunks");
    const port = await freePort();
    const vm = await startStub();
    const body = { id: "task-2", to: fake.user, text: paragraphs(12) };
    const first = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url, dataDir, port });
    twilio.failSends(1, { after: 1 });
    expect((await callback(first, body)).status).toBe(502);
    await first.app.close();
    const second = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url, dataDir, port });
    expect((await callback(second, body)).status).toBe(200);
    expect(twilio.messages.map((m) => m.body).join("\n\n")).toBe(body.text);
  });

  it("without an id (an older VM) a callback is sent as before", async () => {
    const { twilio, relay } = await setup();
    expect((await callback(relay, { to: fake.user, text: "hello" })).status).toBe(200);
    expect((await callback(relay, { to: fake.user, text: "hello" })).status).toBe(200);
    expect(twilio.messages.map((m) => m.body)).toEqual(["hello", "hello"]);
  });
});

describe("Twilio's rate limit and delivery reports", () => {
  it("rides out 429s (error 20429) with twilio-node's own retry", async () => {
    const { twilio, relay } = await setup();
    twilio.rateLimit(2);
    const response = await callback(relay, { to: fake.user, text: "after the rate limit" });
    expect(response.status).toBe(200);
    expect(twilio.sendAttempts.map((a) => a.status)).toEqual([429, 429, 201]);
    expect(twilio.messages.map((m) => m.body)).toEqual(["after the rate limit"]);
  });

  it("gives up after twilio-node's retries are spent and says how far it got (502)", async () => {
    const { twilio, relay } = await setup();
    twilio.rateLimit(100);
    const response = await callback(relay, { to: fake.user, text: "never" });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: "Twilio refused the message", sent: 0 });
    // One try and the harness's four retries.
    expect(twilio.sendAttempts.map((a) => a.status)).toEqual([429, 429, 429, 429, 429]);
  });

  it("asks for StatusCallbacks at PUBLIC_URL/status and logs an undelivered message with Twilio's ErrorCode", async () => {
    const logs: string[] = [];
    const { twilio, relay } = await setup({ logs });
    twilio.undeliver(1, 63016);
    expect((await callback(relay, { to: fake.user, text: "will not arrive" })).status).toBe(200);
    const posts = await twilio.waitForStatusCallbacks(2);
    expect(posts.map((p) => [p.url, p.params.MessageStatus, p.answer])).toEqual([
      [`${relay.env.PUBLIC_URL}/status`, "sent", 204],
      [`${relay.env.PUBLIC_URL}/status`, "undelivered", 204],
    ]);
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "outbound message not delivered");
    expect(line).toMatchObject({ status: "undelivered", errorCode: 63016, sid: twilio.messages[0]?.sid, to: "…1111" });
  });

  it("refuses a status callback that Twilio did not sign", async () => {
    const { relay } = await setup();
    const params = { MessageSid: "SM00000000000000000000000000000000", MessageStatus: "failed", ErrorCode: "30001" };
    const forged = twilioLib.getExpectedTwilioSignature("another-fake-token", `${relay.env.PUBLIC_URL}/status`, params);
    const response = await fetch(`${relay.url}/status`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": forged },
      body: new URLSearchParams(params).toString(),
    });
    expect(response.status).toBe(403);
  });
});

describe("what one callback can do", () => {
  it("sends at most ten text messages per answer, the tenth saying the rest was cut", async () => {
    const { twilio, relay } = await setup();
    const response = await callback(relay, { to: fake.user, text: paragraphs(40, 250) });
    expect(response.status).toBe(200);
    expect(twilio.messages).toHaveLength(10);
    expect(twilio.messages[9]?.body).toMatch(/^\[The answer was cut here: \d+ more characters did not fit in 10 WhatsApp messages\.\]$/);
  });

  it("stores images only up to RELAY_MEDIA_QUOTA_MB; past it the user is told instead", async () => {
    const { twilio, relay } = await setup({ env: { RELAY_MEDIA_QUOTA_MB: "1" } });
    const images = [png(700 * 1024), png(700 * 1024)].map((data) => ({ contentType: "image/png", dataBase64: data.toString("base64") }));
    expect((await callback(relay, { to: fake.user, images })).status).toBe(200);
    expect(twilio.messages[0]?.mediaUrls).toHaveLength(1);
    expect(twilio.messages[1]?.body).toBe("[Image 2 could not be kept on the relay (its image storage is full), so it is not shown.]");
    expect(relay.media.bytesStored).toBeLessThanOrEqual(1024 * 1024);
  });

  it("refuses an answer past the recipient's hourly outbound budget with 429, sending none of it", async () => {
    const { twilio, relay } = await setup({ env: { RELAY_OUTBOUND_PER_HOUR: "3" } });
    expect((await callback(relay, { to: fake.user, text: paragraphs(2, 300) })).status).toBe(200);
    const refused = await callback(relay, { to: fake.user, text: paragraphs(2, 300) });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await refused.json()) as unknown).toMatchObject({ error: expect.stringContaining("RELAY_OUTBOUND_PER_HOUR") });
    expect(twilio.messages).toHaveLength(2);
  });
});
