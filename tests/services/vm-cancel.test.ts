// Cancelling from WhatsApp (the relay calls POST /cancel) and the per-sender queue limit, on a VM
// with the fake claude; the relay is a recording stub.
import { afterEach, describe, expect, it } from "vitest";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { cleanup, drained, fake, startStub, startVm, tempDir, until } from "./harness";
import { processAlive } from "./process-tree";
import { releaseHold } from "../../sandbox/fakes/fake-claude-hold";
import { cancelReply } from "../../services/vm/src/routes/cancel";
import { queueFullReply } from "../../services/vm/src/routes/tasks";
import { SenderQueues, type WorkResult } from "../../services/vm/src/queue";
import type { Task } from "../../services/vm/src/inbox";

afterEach(cleanup);

interface Reply {
  to: string;
  text: string;
}

async function setup(options: { dataDir?: string; env?: Record<string, string> } = {}) {
  const relay = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"sent":1}');
  });
  const vm = await startVm({ relayUrl: relay.url, ...options });
  let seq = 0;
  const post = (from: string, text: string, id = `SMfakecancel${seq++}`) =>
    drained(
      fetch(`${vm.url}/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${fake.sharedToken}` },
        body: JSON.stringify({ id, from, text, media: [] }),
      }),
    );
  const cancel = (body: unknown, token: string | null = fake.sharedToken) =>
    fetch(`${vm.url}/cancel`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
  const replies = () => relay.requests.map((r) => JSON.parse(r.body) as Reply);
  const repliesTo = async (to: string, count: number): Promise<string[]> => {
    await until(() => replies().filter((r) => r.to === to).length >= count, 60_000, `${count} replies to ${to}`);
    return replies().filter((r) => r.to === to).map((r) => r.text);
  };
  const started = (count: number) => until(async () => (await vm.calls()).length >= count, 60_000, `${count} claude runs started`);
  return { relay, vm, post, cancel, replies, repliesTo, started };
}

describe("POST /cancel", () => {
  it("stops the sender's running task, drops its queued ones for good, and tells the sender", async () => {
    const dataDir = await tempDir("vm-cancel");
    const { vm, post, cancel, repliesTo, started } = await setup({ dataDir });
    const held = [await post(fake.user, "a1 sleep 300"), await post(fake.user, "a2"), await post(fake.user, "a3")];
    for (const response of held) expect(response.status).toBe(202);
    await started(1);
    const [run] = await vm.calls();

    const response = await cancel({ from: fake.user });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ cancelledQueued: 2, stoppedRunning: true });
    expect(await repliesTo(fake.user, 1)).toEqual(["Cancelled: stopped the running task and dropped 2 queued messages."]);
    // The run is gone, the relay's held requests are answered, and nothing is left to run again.
    await until(() => !processAlive(run?.pid ?? 0), 30_000, "the cancelled run to be gone");
    for (const h of held) expect(await h.text()).toBe('{"accepted":true,"duplicate":false}\n');
    expect(await readdir(join(dataDir, "inbox"))).toEqual([]);
    await vm.queues.idle();
    expect(await vm.calls()).toHaveLength(1);

    // Another sender is not touched, and the user can go on.
    expect((await post(fake.otherUser, "b1")).status).toBe(202);
    expect(await repliesTo(fake.otherUser, 1)).toEqual(["turn 1: b1"]);
    expect((await post(fake.user, "a4")).status).toBe(202);
    expect(await repliesTo(fake.user, 2)).toEqual(["Cancelled: stopped the running task and dropped 2 queued messages.", "turn 1: a4"]);
  });

  it("cancelled tasks do not come back when the VM restarts", async () => {
    const dataDir = await tempDir("vm-cancel-restart");
    const first = await setup({ dataDir });
    await first.post(fake.user, "c1 sleep 300");
    await first.post(fake.user, "c2");
    await first.started(1);
    expect(await (await first.cancel({ from: fake.user })).json()).toEqual({ cancelledQueued: 1, stoppedRunning: true });
    await first.vm.app.close();
    const second = await setup({ dataDir });
    await second.vm.queues.idle();
    expect(await second.vm.calls()).toEqual([]);
    expect(second.relay.requests).toEqual([]);
  });

  it("also cancels when the relay forwards /cancel as a message, without queueing it behind what it cancels", async () => {
    const { vm, post, repliesTo, started } = await setup();
    await post(fake.user, "d1 sleep 300");
    await post(fake.user, "d2");
    await started(1);
    const response = await post(fake.user, " /Cancel ", "SMfakecancelcmd");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ accepted: true, duplicate: false, cancelledQueued: 1, stoppedRunning: true });
    expect(await repliesTo(fake.user, 1)).toEqual(["Cancelled: stopped the running task and dropped 1 queued message."]);
    // The relay retrying it (its acknowledgement lost) cancels nothing more and says nothing more.
    expect(await (await post(fake.user, "/cancel", "SMfakecancelcmd")).json()).toEqual({ accepted: true, duplicate: true });
    await vm.queues.idle();
    expect((await vm.calls()).map((c) => c.args.at(-1))).toEqual(["d1 sleep 300"]);
    expect(await repliesTo(fake.user, 1)).toHaveLength(1);
  });

  it("says so when there is nothing to cancel", async () => {
    const { cancel, repliesTo } = await setup();
    const response = await cancel({ from: fake.user });
    expect(await response.json()).toEqual({ cancelledQueued: 0, stoppedRunning: false });
    expect(await repliesTo(fake.user, 1)).toEqual(["Nothing to cancel: no task was running or waiting."]);
  });

  it.each([
    ["no token", { from: fake.user }, null, 401],
    ["a wrong token", { from: fake.user }, "fake-wrong-token-0123456789", 401],
    ["no sender", {}, fake.sharedToken, 400],
    ["a sender that is not a WhatsApp address", { from: "+15550001111" }, fake.sharedToken, 400],
  ])("refuses a cancel with %s", async (_name, body, token, status) => {
    const { vm, post, cancel, started, repliesTo } = await setup();
    // Held until the refused cancel is answered, so the cancel meets it running (with a "sleep 1", a
    // loaded machine could reach the cancel after the run had ended, and the test proved nothing).
    await post(fake.user, "kept hold:kept");
    await started(1);
    expect((await cancel(body, token)).status).toBe(status);
    releaseHold(vm.claudeState, "kept");
    await vm.queues.idle();
    // Nothing was cancelled: the task ran to its answer.
    expect((await vm.calls()).map((c) => c.args.at(-1))).toEqual(["kept hold:kept"]);
    expect(await repliesTo(fake.user, 1)).toEqual(["turn 1: kept hold:kept"]);
  });
});

describe("the per-sender queue limit", () => {
  it("refuses what is over MAX_QUEUED_PER_SENDER with one clear reply, and takes messages again once there is room", async () => {
    const { post, cancel, replies, repliesTo, started } = await setup({ env: { MAX_QUEUED_PER_SENDER: "2" } });
    expect((await post(fake.user, "q0 sleep 300")).status).toBe(202);
    await started(1);
    for (const text of ["q1", "q2"]) expect((await post(fake.user, text)).status).toBe(202);
    for (const text of ["q3", "q4"]) {
      const refused = await post(fake.user, text);
      // 2xx so that the relay takes it as delivered rather than retrying it forever.
      expect(refused.status).toBe(200);
      expect(await refused.json()).toEqual({ accepted: false, duplicate: false, reason: "the sender already has 2 tasks waiting" });
    }
    // Another sender has a queue of its own.
    expect((await post(fake.otherUser, "other")).status).toBe(202);
    expect(await repliesTo(fake.user, 1)).toEqual([queueFullReply(2)]);

    expect(await (await cancel({ from: fake.user })).json()).toEqual({ cancelledQueued: 2, stoppedRunning: true });
    expect((await post(fake.user, "q5")).status).toBe(202);
    const mine = await repliesTo(fake.user, 3);
    expect(mine).toEqual([queueFullReply(2), cancelReply({ cancelledQueued: 2, stoppedRunning: true }), "turn 1: q5"]);
    expect(replies().filter((r) => r.text === queueFullReply(2))).toHaveLength(1);
  });
});

describe("SenderQueues", () => {
  const task = (from: string, id: string): Task => ({ id, from, text: id, media: [] });

  it("tells a sender once that its queue is full, and again only after it had room", async () => {
    const release: (() => void)[] = [];
    const queues = new SenderQueues(
      () => new Promise<WorkResult>((resolve) => release.push(() => resolve("done"))),
      { onDone: async () => undefined, onError: () => undefined },
      1,
    );
    void queues.enqueue(task(fake.user, "t0"));
    void queues.enqueue(task(fake.user, "t1"));
    expect(queues.admits(fake.user)).toBe(false);
    expect(queues.admits(fake.otherUser)).toBe(true);
    expect([queues.fullNoticeDue(fake.user), queues.fullNoticeDue(fake.user)]).toEqual([true, false]);
    release.shift()?.();
    await until(() => release.length === 1, 10_000, "t1 to start");
    expect(queues.admits(fake.user)).toBe(true);
    void queues.enqueue(task(fake.user, "t2"));
    expect(queues.fullNoticeDue(fake.user)).toBe(true);
    for (const name of ["t1", "t2"]) {
      await until(() => release.length === 1, 10_000, `${name} to run`);
      release.shift()?.();
    }
    await queues.idle();
  });
});
