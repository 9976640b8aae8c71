// Twilio's MessageSid is remembered on the relay's volume: a replay or a Twilio retry after a
// restart is still a duplicate, and the instruction never runs twice.
import { afterEach, describe, expect, it } from "vitest";
import { inboundParams, sendSignedWebhook } from "../../sandbox/fakes/fake-twilio";
import { cleanup, fake, freePort, startFakeTwilio, startRelay, startStub, tempDir, type RunningRelay } from "./harness";

afterEach(cleanup);

const post = (relay: RunningRelay, params: Record<string, string>) =>
  sendSignedWebhook({ relayUrl: relay.url, publicUrl: relay.env.PUBLIC_URL, authToken: fake.authToken, params });

describe("relay replays", () => {
  it("a message replayed after a restart is not delivered again", async () => {
    const twilio = await startFakeTwilio();
    const vm = await startStub();
    const dataDir = await tempDir("relay-replay");
    const port = await freePort();
    const params = inboundParams({ from: fake.user, to: fake.whatsAppNumber, body: "deploy to production", accountSid: fake.accountSid });

    const first = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url, dataDir, port });
    expect((await post(first, params)).status).toBe(200);
    await vm.waitFor(1);
    await first.delivery.idle();
    await first.app.close();

    const second = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url, dataDir, port });
    const answer = await post(second, params);
    expect(answer).toEqual({ status: 200, body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>' });
    // A new message from the same sender still goes through (the wait below is for it).
    expect((await post(second, inboundParams({ from: fake.user, to: fake.whatsAppNumber, body: "status?", accountSid: fake.accountSid }))).status).toBe(200);
    await vm.waitFor(2);
    await second.delivery.idle();
    const ids = vm.requests.filter((r) => r.url === "/tasks").map((r) => (JSON.parse(r.body) as { id: string }).id);
    expect(ids.filter((id) => id === params.MessageSid)).toHaveLength(1);
    expect(ids).toHaveLength(2);
  });
});
