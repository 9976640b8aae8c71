// A flood from one allowed sender is bounded (queue and rate per sender, one explanation each), and
// the sender can cancel queued work from WhatsApp with /cancel.
import { afterEach, describe, expect, it } from "vitest";
import { Agent, request, type ServerResponse } from "node:http";
import twilioLib from "twilio";
import { inboundParams, sendSignedWebhook } from "../../sandbox/fakes/fake-twilio";
import { cleanup, fake, freePort, startFakeTwilio, startRelay, startStub, until, type RecordedRequest, type RunningRelay } from "./harness";

afterEach(cleanup);

const empty = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

function send(relay: RunningRelay, body: string, from = fake.user) {
  const params = inboundParams({ from, to: fake.whatsAppNumber, body, accountSid: fake.accountSid });
  return sendSignedWebhook({ relayUrl: relay.url, publicUrl: relay.env.PUBLIC_URL, authToken: fake.authToken, params });
}

async function outbox(relay: RunningRelay): Promise<number> {
  return ((await (await fetch(`${relay.url}/health`)).json()) as { outbox: number }).outbox;
}

/**
 * A VM that is "booting" (503 to tasks, so they wait in the relay's outbox) until `up` is set, and
 * answers /cancel; `accepted` lists the texts of the tasks it took.
 */
function bootingVm() {
  const state = { up: false, accepted: [] as string[] };
  const respond = (req: RecordedRequest, res: ServerResponse): void => {
    if (req.url === "/cancel") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"cancelledQueued":1,"stoppedRunning":true}');
      return;
    }
    if (!state.up) {
      res.writeHead(503).end();
      return;
    }
    state.accepted.push((JSON.parse(req.body) as { text: string }).text);
    res.writeHead(202, { "content-type": "application/json" }).end('{"accepted":true}');
  };
  return { state, respond };
}

describe("relay flood limits", () => {
  it("queues at most RELAY_SENDER_QUEUE_LIMIT messages per sender and explains every refusal", async () => {
    const twilio = await startFakeTwilio();
    const relay = await startRelay({ claudeHost: `http://127.0.0.1:${await freePort()}`, twilioUrl: twilio.url, env: { RELAY_SENDER_QUEUE_LIMIT: "3" } });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await send(relay, `message ${i}`));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.slice(0, 3).map((a) => a.body)).toEqual([empty, empty, empty]);
    for (const refused of answers.slice(3)) {
      expect(refused.body).toContain("<Message>You already have 3 messages waiting for the agent; this one was not queued.");
      expect(refused.body).toContain("send /cancel");
    }
    expect(await outbox(relay)).toBe(3);
    // Another sender is not held back by this one's queue.
    expect((await send(relay, "mine", fake.otherUser)).body).toBe(empty);
    expect(await outbox(relay)).toBe(4);
  });

  it("holds the queue limit when the messages arrive all at once (those being written count too)", async () => {
    const twilio = await startFakeTwilio();
    const relay = await startRelay({ claudeHost: `http://127.0.0.1:${await freePort()}`, twilioUrl: twilio.url, env: { RELAY_SENDER_QUEUE_LIMIT: "3" } });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => send(relay, `burst ${i}`)));
    expect(answers.filter((a) => a.body === empty)).toHaveLength(3);
    expect(answers.filter((a) => a.body.includes("You already have 3 messages waiting"))).toHaveLength(9);
    expect(await outbox(relay)).toBe(3);
  });

  it("takes RELAY_SENDER_BURST messages at once, then refuses past the hourly rate", async () => {
    const twilio = await startFakeTwilio();
    const vm = await startStub();
    const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url, env: { RELAY_SENDER_BURST: "2", RELAY_SENDER_PER_HOUR: "1" } });
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await send(relay, `fast ${i}`)).body);
    expect(bodies[0]).toBe(empty);
    expect(bodies[1]).toBe(empty);
    expect(bodies[2]).toContain("You are sending messages faster than the relay takes them (2 at once, then 1 an hour)");
    expect(bodies[3]).toBe(bodies[2]);
    await vm.waitFor(2);
    await relay.delivery.idle();
    expect(vm.requests.filter((r) => r.url === "/tasks")).toHaveLength(2);
  });
});

/** A relay with RELAY_WEBHOOK_CONCURRENCY 1 whose only slot a webhook still sending its body holds. */
async function relayWithItsOnlySlotTaken() {
  const twilio = await startFakeTwilio();
  const vm = await startStub();
  const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url, env: { RELAY_WEBHOOK_CONCURRENCY: "1" } });
  const slow = request(`${relay.url}/webhook`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "content-length": "5000" } });
  slow.on("error", () => undefined);
  slow.write("MessageSid=SMslow");
  await until(async () => (await send(relay, "probe")).body.includes("The relay is too busy"), 15_000, "the slot taken by the slow webhook");
  return { relay, vm, slow };
}

describe("relay overload", () => {
  it("past RELAY_WEBHOOK_CONCURRENCY webhooks in flight, answers 'busy' with a <Message> at once, before reading the body", async () => {
    const { relay, vm, slow } = await relayWithItsOnlySlotTaken();
    const busy = await send(relay, "while busy");
    expect(busy.status).toBe(200);
    expect(busy.body).toContain("<Message>The relay is too busy to take your message right now; it was not saved. Please send it again in a few minutes.</Message>");
    // Once the slow one is gone, messages are taken again.
    slow.destroy();
    await until(async () => (await send(relay, "after")).body === empty, 15_000, "the slot released");
    await vm.waitFor(1);
  });
});

/** A raw POST to /webhook: its `connection` header and body (sent chunked, of no stated length, when `length` is undefined). */
function rawWebhook(relay: RunningRelay, body: string, length: number | undefined): Promise<{ connection: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${relay.url}/webhook`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...(length === undefined ? { "transfer-encoding": "chunked" } : { "content-length": String(length) }) } });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ connection: res.headers.connection, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("relay shedding keeps connections", () => {
  it("a shed webhook of Twilio's size keeps its connection for the next one; an unknown or oversized body ends it", async () => {
    const { relay, slow } = await relayWithItsOnlySlotTaken();
    try {
      await expectShedConnections(relay);
    } finally {
      slow.destroy();
    }
  });
});

/** The answers to three shed webhooks, while every slot is taken: only the small one keeps its connection. */
async function expectShedConnections(relay: RunningRelay): Promise<void> {
  const form = "MessageSid=SMfake&Body=hello";
  const small = await rawWebhook(relay, form, Buffer.byteLength(form));
  expect(small.text).toContain("The relay is too busy");
  expect(small.connection).toBe("keep-alive");
  const chunked = await rawWebhook(relay, form, undefined);
  expect(chunked.text).toContain("The relay is too busy");
  expect(chunked.connection).toBe("close");
  const big = 65 * 1024;
  const oversized = await rawWebhook(relay, "x".repeat(big), big);
  expect(oversized.text).toContain("The relay is too busy");
  expect(oversized.connection).toBe("close");
}

describe("relay behind its event loop", () => {
  it("while the loop runs more than RELAY_SHED_LOOP_DELAY_MS late, a webhook waiting unread is told 'busy'; then messages are taken again", async () => {
    const twilio = await startFakeTwilio();
    const vm = await startStub();
    const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url, env: { RELAY_SHED_LOOP_DELAY_MS: "300" } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // The first webhook opens the connection the second reuses, so the second is written at once.
    const post = (body: string) => {
      const params = inboundParams({ from: fake.user, to: fake.whatsAppNumber, body, accountSid: fake.accountSid });
      const form = new URLSearchParams(params).toString();
      const signature = twilioLib.getExpectedTwilioSignature(fake.authToken, `${relay.env.PUBLIC_URL}/webhook`, params);
      const req = request(`${relay.url}/webhook`, { method: "POST", agent, headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature } });
      const answer = new Promise<string>((resolve, reject) => {
        req.on("response", (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
      });
      req.end(form);
      return { req, answer };
    };
    await until(async () => (await post("warm-up").answer) === empty, 15_000, "a first message taken");
    const waiting = post("sent while the relay is busy");
    await new Promise((resolve) => waiting.req.once("finish", resolve));
    // The request is in the relay's socket buffer; the loop (shared with this test) is now held up.
    const heldUntil = performance.now() + 1000;
    while (performance.now() < heldUntil) {
      // busy: nothing else runs, as when webhooks arrive faster than the relay can read them
    }
    expect(await waiting.answer).toContain("<Message>The relay is too busy to take your message right now");
    // Nothing of it was kept; once the loop is on time again, messages are taken.
    await until(async () => (await post("after").answer) === empty, 15_000, "a message taken again");
    agent.destroy();
    await vm.waitFor(2);
    expect(vm.requests.filter((r) => r.url === "/tasks").map((r) => (JSON.parse(r.body) as { text: string }).text)).toEqual(["warm-up", "after"]);
  });
});

describe("/cancel", () => {
  it("drops the sender's waiting messages and asks the VM to cancel its work (the VM tells the user)", async () => {
    const twilio = await startFakeTwilio();
    const booting = bootingVm();
    const vm = await startStub(booting.respond);
    const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url });
    for (const body of ["one", "two", "three"]) expect((await send(relay, body)).body).toBe(empty);
    expect((await send(relay, "other sender's", fake.otherUser)).body).toBe(empty);
    expect(await outbox(relay)).toBe(4);

    expect((await send(relay, "  /CANCEL ")).body).toBe(empty);
    expect(await outbox(relay)).toBe(1);
    await relay.cancel.idle();
    const cancels = vm.requests.filter((r) => r.url === "/cancel");
    expect(cancels).toHaveLength(1);
    expect(cancels[0]?.method).toBe("POST");
    expect(cancels[0]?.headers.authorization).toBe(`Bearer ${fake.sharedToken}`);
    expect(JSON.parse(cancels[0]?.body ?? "{}")).toEqual({ from: fake.user });
    // The VM answered, so the VM tells the user; the relay sends nothing itself.
    expect(twilio.messages).toHaveLength(0);
    // None of the cancelled messages is handed over once the VM is up; the other sender's is.
    booting.state.up = true;
    await send(relay, "after the cancel");
    await until(() => booting.state.accepted.length >= 2, 15_000, "the two remaining messages delivered");
    await relay.delivery.idle();
    expect(booting.state.accepted.sort()).toEqual(["after the cancel", "other sender's"]);
  });

  it("when the VM cannot be reached, tells the user what the relay cancelled on its side", async () => {
    const twilio = await startFakeTwilio();
    const relay = await startRelay({ claudeHost: `http://127.0.0.1:${await freePort()}`, twilioUrl: twilio.url });
    for (const body of ["one", "two"]) await send(relay, body);
    expect(await outbox(relay)).toBe(2);
    expect((await send(relay, "/cancel")).body).toBe(empty);
    expect(await outbox(relay)).toBe(0);
    const [notice] = await twilio.waitForMessages(1);
    expect(notice).toMatchObject({
      to: fake.user,
      body: "Dropped 2 messages that had not reached the agent yet. The agent's machine did not answer, so work it already has may still run; send /cancel again in a minute to stop it.",
    });
  });

  it("a replayed /cancel is a duplicate: it does not cancel work sent after it", async () => {
    const twilio = await startFakeTwilio();
    const vm = await startStub(bootingVm().respond);
    const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url });
    const cancel = inboundParams({ from: fake.user, to: fake.whatsAppNumber, body: "/cancel", accountSid: fake.accountSid });
    const post = () => sendSignedWebhook({ relayUrl: relay.url, publicUrl: relay.env.PUBLIC_URL, authToken: fake.authToken, params: cancel });
    await post();
    await relay.cancel.idle();
    await send(relay, "new work");
    await post();
    await relay.cancel.idle();
    expect(vm.requests.filter((r) => r.url === "/cancel")).toHaveLength(1);
    expect(await outbox(relay)).toBe(1);
  });
});
