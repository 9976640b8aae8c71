// The fake Twilio refuses what Twilio refuses, with Twilio's codes and error bodies, and reports
// delivery through signed StatusCallbacks the way Twilio does.
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import twilio from "twilio";
import { FakeTwilio } from "./fake-twilio";

const accountSid = "ACfake";
const authToken = "fake-twilio-auth-token";
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Serves /<name> with the given content type and size, and records StatusCallbacks at /status. */
async function startSite() {
  const callbacks: { params: Record<string, string>; signature: string | undefined }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://site");
      if (req.method === "POST" && url.pathname === "/status") {
        callbacks.push({ params: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString())), signature: req.headers["x-twilio-signature"] as string | undefined });
        res.writeHead(204).end();
        return;
      }
      const type = url.searchParams.get("type") ?? "image/png";
      const bytes = Number(url.searchParams.get("bytes") ?? 100);
      res.writeHead(200, { "content-type": type, "content-length": bytes }).end(Buffer.alloc(bytes, 1));
    });
  });
  const url = await listen(server);
  return { url, callbacks };
}

async function startFake() {
  const fake = new FakeTwilio({ accountSid, authToken });
  await fake.start();
  closers.push(() => fake.stop());
  const send = async (form: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) for (const v of [value].flat()) body.append(key, v);
    const response = await fetch(`${fake.url}/2010-04-01/Accounts/${accountSid}/Messages.json`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { fake, send };
}

const base = { From: "whatsapp:+14155238886", To: "whatsapp:+15550001111" };

describe("fake Twilio", () => {
  it("answers 429 with error 20429 and Twilio's error body while rate limited", async () => {
    const { fake, send } = await startFake();
    fake.rateLimit(1);
    expect(await send({ ...base, Body: "hi" })).toEqual({
      status: 429,
      body: { code: 20429, message: "Too Many Requests", more_info: "https://www.twilio.com/docs/errors/20429", status: 429 },
    });
    expect((await send({ ...base, Body: "hi" })).status).toBe(201);
  });

  it.each([
    ["1600 ASCII characters", "a".repeat(1600), 201],
    ["1601 ASCII characters", "a".repeat(1601), 400],
    ["400 emoji (4 bytes each)", "😀".repeat(400), 201],
    ["401 emoji", "😀".repeat(401), 400],
    ["800 GSM-7 extension characters (2 septets each)", "{".repeat(800), 201],
    ["801 GSM-7 extension characters", "{".repeat(801), 400],
    ["533 CJK characters (3 bytes each)", "中".repeat(533), 201],
    ["534 CJK characters", "中".repeat(534), 400],
  ])("counts %s the strict way: %s", async (_name, body, status) => {
    const { send } = await startFake();
    const answer = await send({ ...base, Body: body });
    expect(answer.status).toBe(status);
    if (status === 400) {
      expect(answer.body).toEqual({
        code: 21617,
        message: "The concatenated message body exceeds the 1600 character limit.",
        more_info: "https://www.twilio.com/docs/errors/21617",
        status: 400,
      });
    }
  });

  it.each([
    ["a GIF", "image/gif", 1000, 63021],
    ["a PNG over 5 MB", "image/png", 5 * 1024 * 1024 + 1, 63034],
    ["an empty file", "image/jpeg", 0, 63019],
  ])("takes %s to WhatsApp (201) and then fails it with Twilio's error code, reported by StatusCallback", async (_name, type, bytes, code) => {
    const { fake, send } = await startFake();
    const site = await startSite();
    const answer = await send({ ...base, MediaUrl: `${site.url}/file?type=${encodeURIComponent(type)}&bytes=${bytes}`, StatusCallback: `${site.url}/status` });
    expect(answer.status).toBe(201);
    expect(answer.body.status).toBe("queued");
    await fake.waitForStatusCallbacks(1);
    expect(site.callbacks.map((c) => [c.params.MessageStatus, c.params.ErrorCode])).toEqual([["failed", String(code)]]);
    expect(fake.messages[0]).toMatchObject({ status: "failed", errorCode: code });
  });

  it("delivers a small PNG and posts sent then delivered, each signed as Twilio signs webhooks", async () => {
    const { fake, send } = await startFake();
    const site = await startSite();
    const statusUrl = `${site.url}/status`;
    expect((await send({ ...base, MediaUrl: `${site.url}/file?type=image/png&bytes=2000`, StatusCallback: statusUrl })).status).toBe(201);
    await fake.waitForStatusCallbacks(2);
    expect(site.callbacks.map((c) => c.params.MessageStatus)).toEqual(["sent", "delivered"]);
    for (const callback of site.callbacks) {
      expect(twilio.validateRequest(authToken, callback.signature ?? "", statusUrl, callback.params)).toBe(true);
      expect(callback.params).toMatchObject({ AccountSid: accountSid, To: base.To, From: base.From, MessageSid: fake.messages[0]?.sid });
    }
  });

  it("reports a message it was told to undeliver as undelivered with that ErrorCode", async () => {
    const { fake, send } = await startFake();
    const site = await startSite();
    fake.undeliver(1, 63016);
    await send({ ...base, Body: "late", StatusCallback: `${site.url}/status` });
    await fake.waitForStatusCallbacks(2);
    expect(site.callbacks.map((c) => [c.params.MessageStatus, c.params.ErrorCode])).toEqual([["sent", undefined], ["undelivered", "63016"]]);
  });

  it("refuses more than 10 MediaUrl with error 21623", async () => {
    const { send } = await startFake();
    const answer = await send({ ...base, MediaUrl: Array.from({ length: 11 }, (_, i) => `https://example.invalid/${i}.png`) });
    expect(answer).toMatchObject({ status: 400, body: { code: 21623 } });
  });
});
