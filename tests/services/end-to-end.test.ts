// The whole message path on loopback: fake Twilio → relay → VM (fake claude) → relay → fake Twilio.
import { afterEach, describe, expect, it } from "vitest";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { inboundParams, sendSignedWebhook, type FakeTwilio } from "../../sandbox/fakes/fake-twilio";
import { cleanup, fake, freePort, startFakeTwilio, startRelay, startStub, startVm, tempDir, until, type RunningRelay } from "./harness";
import { unreachableNotice } from "../../services/relay/src/app";
import { releaseHold } from "../../sandbox/fakes/fake-claude-hold";

afterEach(cleanup);

function webhook(relay: RunningRelay, body: string, media: { url: string; contentType: string }[] = [], from = fake.user) {
  return sendSignedWebhook({
    relayUrl: relay.url,
    publicUrl: relay.env.PUBLIC_URL,
    authToken: fake.authToken,
    params: inboundParams({ from, to: fake.whatsAppNumber, body, accountSid: fake.accountSid, media }),
  });
}

async function outboxCount(relay: RunningRelay): Promise<number> {
  return ((await (await fetch(`${relay.url}/health`)).json()) as { outbox: number }).outbox;
}

async function wired(options: { vmPort?: number; startVm?: boolean } = {}) {
  const twilio: FakeTwilio = await startFakeTwilio();
  const vmPort = options.vmPort ?? (await freePort());
  const relay = await startRelay({ claudeHost: `http://127.0.0.1:${vmPort}`, twilioUrl: twilio.url });
  const vm = options.startVm === false ? undefined : await startVm({ relayUrl: relay.url, port: vmPort });
  return { twilio, relay, vm, vmPort };
}

describe("end to end", () => {
  it("round-trips images: the user's photo reaches claude on /data, claude's screenshot reaches WhatsApp by URL", async () => {
    const { twilio, relay, vm } = await wired();
    const photoUrl = twilio.addMedia(Buffer.from("fake jpeg"), "image/jpeg");
    expect((await webhook(relay, "take a screenshot of this", [{ url: photoUrl, contentType: "image/jpeg" }])).status).toBe(200);
    const [text, image] = await twilio.waitForMessages(2, 20_000);
    expect(text?.to).toBe(fake.user);
    expect(text?.body).toContain("turn 1: take a screenshot of this");
    expect(text?.body).toContain("I see 1 image(s).");
    expect(image?.mediaUrls[0]?.startsWith(`${relay.env.PUBLIC_URL}/media/`)).toBe(true);
    expect(image?.mediaFetches[0]).toMatchObject({ status: 200, contentType: "image/png" });
    const runs = await readdir(join(vm?.env.DATA_DIR ?? "", "images"));
    expect(runs).toHaveLength(1);
    expect((await readdir(join(vm?.env.DATA_DIR ?? "", "images", runs[0] ?? ""))).sort()).toEqual(["inbound-0.jpg", "screenshot.png"]);
  });

  it("keeps retrying while the VM cold-starts, then delivers the message exactly once", async () => {
    const { twilio, relay, vmPort } = await wired({ startVm: false });
    expect((await webhook(relay, "are you awake?")).status).toBe(200);
    // Nothing listens on the VM's port yet: the message waits in the outbox through several retries.
    await sleep(400);
    expect(await outboxCount(relay)).toBe(1);
    const vm = await startVm({ relayUrl: relay.url, port: vmPort });
    const [answer] = await twilio.waitForMessages(1, 20_000);
    expect(answer?.body).toBe("turn 1: are you awake?");
    await relay.delivery.idle();
    await vm.queues.idle();
    expect(await vm.calls()).toHaveLength(1);
    expect(twilio.messages).toHaveLength(1);
    expect(await outboxCount(relay)).toBe(0);
  });

  it("a restarted relay resumes delivering what it had acknowledged to Twilio", async () => {
    const twilio = await startFakeTwilio();
    const dataDir = await tempDir("relay-restart");
    const vmPort = await freePort();
    const first = await startRelay({ claudeHost: `http://127.0.0.1:${vmPort}`, twilioUrl: twilio.url, dataDir });
    expect((await webhook(first, "survive the restart")).status).toBe(200);
    await first.app.close();
    expect((await readdir(join(dataDir, "outbox"))).filter((n) => n.endsWith(".json"))).toHaveLength(1);

    const second = await startRelay({ claudeHost: `http://127.0.0.1:${vmPort}`, twilioUrl: twilio.url, dataDir });
    const vm = await startVm({ relayUrl: second.url, port: vmPort });
    const [answer] = await twilio.waitForMessages(1, 20_000);
    expect(answer?.body).toBe("turn 1: survive the restart");
    await second.delivery.idle();
    await vm.queues.idle();
    expect(await vm.calls()).toHaveLength(1);
    expect(await readdir(join(dataDir, "outbox"))).toEqual([]);
  });

  it("on shutdown the relay gives its outbox the grace period to reach the VM", async () => {
    const twilio = await startFakeTwilio();
    const vmPort = await freePort();
    const relay = await startRelay({ claudeHost: `http://127.0.0.1:${vmPort}`, twilioUrl: twilio.url, shutdownGraceSeconds: 10 });
    expect((await webhook(relay, "deliver before you go")).status).toBe(200);
    const closing = relay.app.close();
    const vm = await startStub(undefined, vmPort);
    await closing;
    expect(vm.requests).toHaveLength(1);
    expect(JSON.parse(vm.requests[0]?.body ?? "{}").text).toBe("deliver before you go");
    expect(await relay.outbox.count()).toBe(0);
  });

  it("a VM that wakes takes every message the relay held for one sender, with both services' default limits", async () => {
    const { twilio, relay, vmPort } = await wired({ startVm: false });
    const held = relay.env.RELAY_SENDER_QUEUE_LIMIT;
    // The first runs long, so all the others must wait in the VM's queue at once.
    for (let i = 0; i < held; i++) expect((await webhook(relay, i === 0 ? "first sleep 120" : `held ${i}`)).status).toBe(200);
    expect(await outboxCount(relay)).toBe(held);
    const vm = await startVm({ relayUrl: relay.url, port: vmPort });
    await until(async () => (await outboxCount(relay)) === 0, 60_000, "the relay handing its outbox to the VM");
    // A VM that queued fewer than the relay holds drops acknowledged messages here (200 accepted:false).
    expect(vm.queues.stats()).toEqual({ running: 1, queued: held - 1 });
    expect(twilio.messages).toEqual([]);
    await vm.queues.cancel(fake.user);
  });

  it("tells the sender once when the VM stays unreachable, and keeps the message", async () => {
    const twilio = await startFakeTwilio();
    const relay = await startRelay({
      claudeHost: `http://127.0.0.1:${await freePort()}`,
      twilioUrl: twilio.url,
      backoff: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 3, mediaAttempts: 1 },
    });
    expect((await webhook(relay, "anyone there?")).status).toBe(200);
    const [notice] = await twilio.waitForMessages(1);
    expect(notice).toMatchObject({ to: fake.user, body: unreachableNotice });
    await relay.delivery.idle();
    expect(await outboxCount(relay)).toBe(1);
    expect(twilio.messages).toHaveLength(1);
  });

  it("keeps each sender's order when messages arrive while a slow task runs", async () => {
    const { twilio, relay, vm } = await wired();
    // The first runs until the others were taken: with a fixed "sleep 1", a loaded machine could
    // finish it before they arrived, and the order was then never at stake.
    expect((await webhook(relay, "one hold:one")).status).toBe(200);
    await until(async () => (await vm?.calls())?.length === 1, 60_000, "the first task running");
    for (const body of ["two", "three"]) expect((await webhook(relay, body)).status).toBe(200);
    expect((await webhook(relay, "other", [], fake.otherUser)).status).toBe(200);
    releaseHold(vm?.claudeState ?? "", "one");
    await twilio.waitForMessages(4, 30_000);
    const mine = twilio.messages.filter((m) => m.to === fake.user).map((m) => m.body);
    expect(mine).toEqual(["turn 1: one hold:one", "turn 2: two", "turn 3: three"]);
    expect(twilio.messages.filter((m) => m.to === fake.otherUser).map((m) => m.body)).toEqual(["turn 1: other"]);
  });

  it("splits a long answer into ordered WhatsApp messages", async () => {
    const { twilio, relay } = await wired();
    expect((await webhook(relay, "long 5000")).status).toBe(200);
    await until(() => twilio.messages.length >= 4, 20_000, "four parts of a 5000-character answer");
    await relay.delivery.idle();
    const bodies = twilio.messages.map((m) => m.body);
    for (const body of bodies) expect(body.length).toBeLessThanOrEqual(1600);
    // The fake numbers its words; reading the parts in order gives 0, 1, 2, … with no gap.
    const numbers = bodies.join(" ").match(/\d+/g)?.map(Number) ?? [];
    expect(numbers).toEqual(numbers.map((_, i) => i));
  });

  it("logs structured JSON with no secret, token, credential or full phone number in it", async () => {
    const twilio = await startFakeTwilio();
    const vmPort = await freePort();
    const logs: string[] = [];
    const relay = await startRelay({ claudeHost: `http://127.0.0.1:${vmPort}`, twilioUrl: twilio.url, logs });
    await startVm({ relayUrl: relay.url, port: vmPort, logs });
    const photoUrl = twilio.addMedia(Buffer.from("fake jpeg"), "image/jpeg");
    await webhook(relay, "take a screenshot", [{ url: photoUrl, contentType: "image/jpeg" }]);
    await webhook(relay, "and again");
    await sendSignedWebhook({ relayUrl: relay.url, publicUrl: relay.env.PUBLIC_URL, authToken: fake.authToken, params: { From: fake.user }, signature: "forged" });
    await twilio.waitForMessages(3, 20_000);
    await relay.delivery.idle();
    expect(logs.length).toBeGreaterThan(10);
    for (const line of logs) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const all = logs.join("\n");
    expect(all).toContain("message spooled");
    expect(all).toContain("claude run finished");
    for (const secret of [fake.authToken, fake.sharedToken, "fake-anthropic-key", Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString("base64"), "+15550001111"]) {
      expect(all).not.toContain(secret);
    }
  });
});
