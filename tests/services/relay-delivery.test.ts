// One bad message never holds up the queue: a photo Twilio will not hand over, or a message the VM
// refuses, is told to its sender as what it is, and the messages behind it go through.
import { afterEach, describe, expect, it } from "vitest";
import { inboundParams, sendSignedWebhook } from "../../sandbox/fakes/fake-twilio";
import { unreachableNotice } from "../../services/relay/src/app";
import { cleanup, fake, startFakeTwilio, startRelay, startStub, type RunningRelay } from "./harness";

afterEach(cleanup);

function webhook(relay: RunningRelay, body: string, media: { url: string; contentType: string }[] = []) {
  return sendSignedWebhook({
    relayUrl: relay.url,
    publicUrl: relay.env.PUBLIC_URL,
    authToken: fake.authToken,
    params: inboundParams({ from: fake.user, to: fake.whatsAppNumber, body, accountSid: fake.accountSid, media }),
  });
}

const tasks = (requests: { url: string; body: string }[]) =>
  requests.filter((r) => r.url === "/tasks").map((r) => JSON.parse(r.body) as { text: string; media: unknown[] });

describe("relay delivery", () => {
  it("a photo Twilio keeps failing (HTTP 500) does not block the queue: the message goes without it and the sender is told why", async () => {
    const twilio = await startFakeTwilio();
    const vm = await startStub();
    const broken = await startStub((_req, res) => res.writeHead(500).end("storage down"));
    const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url });
    expect((await webhook(relay, "what is in this photo?", [{ url: `${broken.url}/Media/ME1`, contentType: "image/jpeg" }])).status).toBe(200);
    expect((await webhook(relay, "and this text after it")).status).toBe(200);

    const [first, second] = tasks(await vm.waitFor(2));
    expect(first).toMatchObject({ media: [], text: "what is in this photo?\n\n[An attachment (image/jpeg) could not be downloaded from Twilio: HTTP 500.]" });
    expect(second).toMatchObject({ text: "and this text after it" });
    const [notice] = await twilio.waitForMessages(1);
    expect(notice).toMatchObject({ to: fake.user, body: "Your photo could not be downloaded from Twilio (HTTP 500), so the agent got your message without it. Send it again if it matters." });
    await relay.delivery.idle();
    expect(twilio.messages.map((m) => m.body)).not.toContain(unreachableNotice);
    // Three attempts at the photo (the harness's mediaAttempts), not the VM's forty.
    expect(broken.requests).toHaveLength(3);
  });

  it("a photo Twilio no longer has (404) is not retried; the sender is told", async () => {
    const twilio = await startFakeTwilio();
    const vm = await startStub();
    const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url });
    const url = `${twilio.addMedia(Buffer.from("x"), "image/jpeg")}gone`;
    expect((await webhook(relay, "look", [{ url, contentType: "image/jpeg" }])).status).toBe(200);
    const [task] = tasks(await vm.waitFor(1));
    expect(task?.text).toBe("look\n\n[An attachment (image/jpeg) could not be downloaded from Twilio: HTTP 404.]");
    const [notice] = await twilio.waitForMessages(1);
    expect(notice?.body).toContain("Your photo could not be downloaded from Twilio (HTTP 404)");
    expect(twilio.mediaRequests).toHaveLength(1);
  });

  it("a message the VM takes but does not queue (200 accepted:false, its queue for the sender full) is logged as such, not retried, not told twice", async () => {
    const twilio = await startFakeTwilio();
    const full = '{"accepted":false,"duplicate":false,"reason":"the sender already has 20 tasks waiting"}';
    const vm = await startStub((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(full));
    const logs: string[] = [];
    const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url, logs });
    expect((await webhook(relay, "one too many")).status).toBe(200);
    await vm.waitFor(1);
    await relay.delivery.idle();
    const lines = logs.map((l) => JSON.parse(l) as { msg: string; reason?: string; level: number });
    expect(lines.filter((l) => l.msg === "VM took the message but did not queue it (the VM told the sender)")).toEqual([
      expect.objectContaining({ reason: "the sender already has 20 tasks waiting", level: 40 }),
    ]);
    expect(lines.map((l) => l.msg)).not.toContain("message handed to the VM");
    expect(vm.requests).toHaveLength(1);
    expect(await relay.outbox.count()).toBe(0);
    // The VM tells the sender (through /callback); the relay adds nothing of its own.
    expect(twilio.messages).toEqual([]);
  });

  it("a message the VM refuses (413) is set aside and its sender told; the next message still goes", async () => {
    const twilio = await startFakeTwilio();
    let calls = 0;
    const vm = await startStub((_req, res) => {
      calls++;
      res.writeHead(calls === 1 ? 413 : 202, { "content-type": "application/json" }).end(calls === 1 ? '{"error":"too large"}' : '{"accepted":true}');
    });
    const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url });
    expect((await webhook(relay, "a message the VM will refuse")).status).toBe(200);
    expect((await webhook(relay, "a fine message")).status).toBe(200);
    await vm.waitFor(2);
    const [notice] = await twilio.waitForMessages(1);
    expect(notice?.body).toBe('Your message "a message the VM will refuse" could not be passed to the agent: its machine refused it as malformed or too large. It was set aside and will not run.');
    await relay.delivery.idle();
    expect((await (await fetch(`${relay.url}/health`)).json()) as unknown).toMatchObject({ ok: true, outbox: 0 });
  });
});
