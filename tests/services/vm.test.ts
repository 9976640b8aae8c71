// The VM on its own: token checks, per-sender order, sessions and /new, timeouts, failures,
// duplicates, and the inbox that survives a restart. The relay is a recording stub; claude is the fake.
import { afterEach, describe, expect, it } from "vitest";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanup, drained, fake, startStub, startVm, tempDir, until } from "./harness";
import { testAgent } from "./agent-fixture";
import { processAlive } from "./process-tree";
import { orphanPids } from "../../sandbox/fakes/fake-claude-probes";
import { releaseHold } from "../../sandbox/fakes/fake-claude-hold";
import { newConversationReply } from "../../services/vm/src/processor";

afterEach(cleanup);

interface Reply {
  to: string;
  text: string;
  images: { contentType: string; dataBase64: string }[];
}

async function setup(options: { timeoutSeconds?: number; dataDir?: string } = {}) {
  const relay = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"sent":1}');
  });
  const vm = await startVm({ relayUrl: relay.url, ...options });
  let seq = 0;
  const post = (from: string, text: string, token: string | null = fake.sharedToken, id = `SMfaketask${seq++}`) =>
    drained(
      fetch(`${vm.url}/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
        body: JSON.stringify({ id, from, text, media: [] }),
      }),
    );
  const replies = async (count: number): Promise<Reply[]> =>
    (await relay.waitFor(count, 30_000)).map((r) => {
      expect(r.url).toBe("/callback");
      expect(r.headers.authorization).toBe(`Bearer ${fake.sharedToken}`);
      return JSON.parse(r.body) as Reply;
    });
  return { relay, vm, post, replies };
}

describe("vm", () => {
  it.each([
    ["no token", null],
    ["a wrong token", "fake-wrong-token-0123456789"],
  ])("refuses work with %s (401) and runs nothing", async (_name, token) => {
    const { vm, post } = await setup();
    expect((await post(fake.user, "hello", token)).status).toBe(401);
    await vm.queues.idle();
    expect(await vm.calls()).toHaveLength(0);
  });

  it("answers 400 to a malformed task", async () => {
    const { vm } = await setup();
    const response = await fetch(`${vm.url}/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${fake.sharedToken}` },
      body: JSON.stringify({ id: "x/../y", from: "someone", text: 1 }),
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("from");
  });

  it("runs claude as asked, without the relay token in its environment, and reports back", async () => {
    const { vm, post, replies } = await setup();
    expect((await post(fake.user, "hello")).status).toBe(202);
    const [reply] = await replies(1);
    expect(reply).toEqual({ to: fake.user, text: "turn 1: hello", images: [] });
    const [call] = await vm.calls();
    expect(call?.args.slice(0, 3)).toEqual(["-p", "--output-format", "json"]);
    // The prompt comes last, after `--`: a message that starts with "-" is never an option of claude.
    expect(call?.args.slice(-2)).toEqual(["--", "hello"]);
    expect(call?.args).not.toContain("--resume");
    expect(call?.hasRelayToken).toBe(false);
    expect(call?.uid).toBe(testAgent.uid);
    expect(call?.home).toBe(join(vm.env.DATA_DIR, "home"));
    expect(call?.cwd).toBe(join(vm.env.DATA_DIR, "workspace"));
  });

  it("passes a message that starts with '-' as the prompt, never as an option (fake claude parses as the real CLI)", async () => {
    const { post, replies } = await setup();
    expect((await post(fake.user, "--version")).status).toBe(202);
    const [reply] = await replies(1);
    expect(reply?.text).toBe("turn 1: --version");
  });

  it("acknowledges at once but keeps the response open until the task is answered (so Fly does not auto-stop mid-run)", async () => {
    const { vm, relay, post } = await setup();
    const response = await post(fake.user, "held hold:held");
    expect(response.status).toBe(202);
    expect(relay.requests).toHaveLength(0);
    releaseHold(vm.claudeState, "held");
    const body = await response.text();
    expect(body).toBe('{"accepted":true,"duplicate":false}\n');
    expect(relay.requests).toHaveLength(1);
  });

  it("continues the sender's conversation, and /new starts afresh", async () => {
    const { post, replies } = await setup();
    await post(fake.user, "first");
    await replies(1);
    await post(fake.user, "second");
    await replies(2);
    await post(fake.user, "/new");
    await replies(3);
    await post(fake.user, "third");
    const all = await replies(4);
    expect(all.map((r) => r.text)).toEqual(["turn 1: first", "turn 2: second", newConversationReply, "turn 1: third"]);
  });

  it("runs one task at a time per sender in arrival order, while another sender runs alongside", async () => {
    const { vm, post, replies } = await setup();
    // Posted back to back: the first runs until released, so without the queue the later ones would overtake it.
    for (const text of ["a1 hold:a1", "a2", "a3"]) expect((await post(fake.user, text)).status).toBe(202);
    expect((await post(fake.otherUser, "b1")).status).toBe(202);
    // The other sender did not wait behind the running task: b1 is answered while a1 still runs.
    // (A fixed "sleep 3" for a1 raced b1's own start on a loaded machine.)
    expect(await replies(1)).toEqual([{ to: fake.otherUser, text: "turn 1: b1", images: [] }]);
    releaseHold(vm.claudeState, "a1");
    const all = await replies(4);
    const forUser = all.filter((r) => r.to === fake.user).map((r) => r.text);
    expect(forUser).toEqual(["turn 1: a1 hold:a1", "turn 2: a2", "turn 3: a3"]);
    await vm.queues.idle();
  });

  it("stops a stuck run after TASK_TIMEOUT_SECONDS and says so", async () => {
    const { post, replies } = await setup({ timeoutSeconds: 1 });
    await post(fake.user, "sleep 30");
    const [reply] = await replies(1);
    expect(reply?.text).toContain("stopped after 1 seconds");
  });

  it("kills everything a timed-out run started, a grandchild in a session of its own (setsid) included", async () => {
    // The fake starts its grandchild before anything else; a loaded machine may take longer than
    // the timeout to get there, so each try allows more time. The check itself waits for nothing.
    for (const timeoutSeconds of [3, 15, 60]) {
      const { vm, post, replies } = await setup({ timeoutSeconds });
      await post(fake.user, "orphan sleep 600");
      const [reply] = await replies(1);
      expect(reply?.text).toContain(`stopped after ${timeoutSeconds} seconds`);
      const orphans = orphanPids(vm.claudeState);
      if (orphans.length === 0) continue;
      // A process in the middle of exiting may still show as running for an instant.
      await until(() => !orphans.some(processAlive), 30_000, `grandchild ${orphans.join(", ")} outlived the timed-out run`);
      return;
    }
    throw new Error("the fake claude never started its grandchild before the timeout, even with 60 s");
  });

  it("kills what a run left running in the background once it has answered", async () => {
    const { vm, post, replies } = await setup();
    await post(fake.user, "orphan");
    const [reply] = await replies(1);
    expect(reply?.text).toBe("turn 1: orphan");
    const orphans = orphanPids(vm.claudeState);
    expect(orphans).toHaveLength(1);
    await until(() => !orphans.some(processAlive), 30_000, `grandchild ${orphans.join(", ")} outlived its run`);
  });

  it("reports a failed run to the sender", async () => {
    const { post, replies } = await setup();
    await post(fake.user, "please fail");
    const [reply] = await replies(1);
    expect(reply?.text).toMatch(/^Sorry, the run failed\. Claude Code exited with code 2: fake claude: asked to fail/);
  });

  it("runs a task the relay sent twice only once", async () => {
    const { vm, post, replies } = await setup();
    expect((await post(fake.user, "once", fake.sharedToken, "SMfakedup")).status).toBe(202);
    const again = await post(fake.user, "once", fake.sharedToken, "SMfakedup");
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ accepted: true, duplicate: true });
    await replies(1);
    await vm.queues.idle();
    // Also after it finished (the relay's acknowledgement got lost on the way back).
    expect((await post(fake.user, "once", fake.sharedToken, "SMfakedup")).status).toBe(200);
    await vm.queues.idle();
    expect(await vm.calls()).toHaveLength(1);
  });

  it("sends back images claude saved, and hands the user's photos to claude on /data", async () => {
    const { vm, replies } = await setup();
    const photo = Buffer.from("fake photo bytes");
    await fetch(`${vm.url}/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${fake.sharedToken}` },
      body: JSON.stringify({ id: "SMfakephoto", from: fake.user, text: "take a screenshot", media: [{ contentType: "image/jpeg", dataBase64: photo.toString("base64") }] }),
    });
    const [reply] = await replies(1);
    expect(reply?.text).toContain("I see 1 image(s).");
    expect(reply?.images).toHaveLength(1);
    expect(reply?.images[0]?.contentType).toBe("image/png");
    expect(Buffer.from(reply?.images[0]?.dataBase64 ?? "", "base64").subarray(1, 4).toString()).toBe("PNG");
    expect((await readdir(join(vm.env.DATA_DIR, "images", "SMfakephoto"))).sort()).toEqual(["inbound-0.jpg", "screenshot.png"]);
  });

  it("reruns tasks left in the inbox by a previous process, in order", async () => {
    const dataDir = await tempDir("vm-restart");
    const inbox = join(dataDir, "inbox");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(inbox, { recursive: true });
    for (const [i, text] of ["left one", "left two"].entries()) {
      const task = { id: `SMfakeleft${i}`, from: fake.user, text, media: [] };
      await writeFile(join(inbox, `00000000000000${i}-000000-${task.id}.json`), JSON.stringify(task));
    }
    const { vm, replies } = await setup({ dataDir });
    const all = await replies(2);
    expect(all.map((r) => r.text)).toEqual(["turn 1: left one", "turn 2: left two"]);
    await vm.queues.idle();
    expect(await readdir(inbox)).toEqual([]);
  });

  it("starts a new session when Claude no longer knows the stored one", async () => {
    const dataDir = await tempDir("vm-stale");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(dataDir, "sessions"), { recursive: true });
    await writeFile(join(dataDir, "sessions", "whatsapp15550001111.json"), JSON.stringify({ sessionId: "lost-session", updatedAt: "2026-01-01T00:00:00Z" }));
    const { vm, post, replies } = await setup({ dataDir });
    await post(fake.user, "hello again");
    const [reply] = await replies(1);
    expect(reply?.text).toBe("turn 1: hello again");
    const calls = await vm.calls();
    expect(calls.map((c) => c.args.includes("--resume"))).toEqual([true, false]);
  });

  it("answers GET /health with its queue and how full its data folder's filesystem is", async () => {
    const { vm } = await setup();
    const response = await fetch(`${vm.url}/health`);
    const body = (await response.json()) as { disk: { usedBytes: number; totalBytes: number } };
    expect(body).toEqual({ ok: true, running: 0, queued: 0, disk: { usedBytes: expect.any(Number), totalBytes: expect.any(Number) } });
    expect(body.disk.totalBytes).toBeGreaterThan(0);
    expect(body.disk.usedBytes).toBeLessThanOrEqual(body.disk.totalBytes);
  });
});
