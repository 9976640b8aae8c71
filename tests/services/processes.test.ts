// The server entry points as real processes: start-up validation, root refusal, SIGTERM.
import { afterEach, describe, expect, it } from "vitest";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanup, deferCleanup, fake, freePort, startStub, tempDir, until } from "./harness";
import { loggedPid, run } from "./service-process";
import { agentEnv, agentFakeClaude, giveToAgent, testCgroup } from "./agent-fixture";
import { killIfAlive, processAlive } from "./process-tree";

afterEach(cleanup);

describe("service processes", () => {
  it("the relay exits non-zero listing every missing variable", async () => {
    const relay = run("services/relay/src/server.ts", {});
    expect(await relay.exit).toBe(1);
    for (const name of ["PUBLIC_URL", "CLAUDE_HOST", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_NUMBER", "ALLOWED_PHONE_NUMBERS", "RELAY_SHARED_TOKEN"]) {
      expect(relay.output()).toContain(`${name}: is required but not set`);
    }
  });

  it("the vm exits non-zero listing every missing variable", async () => {
    const vm = run("services/vm/src/server.ts", { TASK_TIMEOUT_SECONDS: "0" });
    expect(await vm.exit).toBe(1);
    expect(vm.output()).toContain("RELAY_CALLBACK_URL: is required but not set");
    expect(vm.output()).toContain("ANTHROPIC_API_KEY: is required but not set");
    expect(vm.output()).toContain("TASK_TIMEOUT_SECONDS: Too small: expected number to be >=1");
  });

  it("on SIGTERM the vm itself stops a running task, keeps it in the inbox, exits 0 and leaves no claude behind", async () => {
    const relay = await startStub();
    const dataDir = await tempDir("vm-proc");
    const claudeState = await giveToAgent(await tempDir("claude-proc"));
    const port = await freePort();
    const vm = run("services/vm/src/server.ts", {
      PORT: String(port),
      HOST: "127.0.0.1",
      RELAY_CALLBACK_URL: relay.url,
      RELAY_SHARED_TOKEN: fake.sharedToken,
      ANTHROPIC_API_KEY: "fake-anthropic-key",
      DATA_DIR: dataDir,
      CLAUDE_BIN: await agentFakeClaude(),
      FAKE_CLAUDE_STATE_DIR: claudeState,
      AGENT_ENV_PASSTHROUGH: "FAKE_CLAUDE_STATE_DIR",
      SHUTDOWN_GRACE_SECONDS: "0",
      VM_ALLOW_ROOT: "true",
      ...agentEnv(await testCgroup()),
    });
    const claudePids = async () =>
      (await readFile(join(claudeState, "calls.jsonl"), "utf8").catch(() => ""))
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => (JSON.parse(l) as { pid: number }).pid);
    deferCleanup(async () => killIfAlive(await claudePids()));
    await until(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok === true, 60_000, "vm up");
    const accepted = await fetch(`http://127.0.0.1:${port}/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${fake.sharedToken}` },
      body: JSON.stringify({ id: "SMfakeinflight", from: fake.user, text: "sleep 300", media: [] }),
    });
    expect(accepted.status).toBe(202);
    // Claude itself is running (it logged its call), not just the task taken from the queue.
    await until(async () => (await claudePids()).length === 1, 60_000, "fake claude started");
    const [claudePid] = await claudePids();
    // The signal goes to the service's own process: its log lines carry the pid we signal.
    expect(loggedPid(vm)).toBe(vm.child.pid);

    vm.child.kill("SIGTERM");
    expect(await vm.exit).toBe(0);
    expect(vm.output()).toContain("shutting down");
    // A process in the middle of exiting may still show as running for an instant.
    await until(() => !processAlive(claudePid ?? 0), 30_000, "the stopped claude run to be gone");
    expect((await readdir(join(dataDir, "inbox"))).filter((n) => n.endsWith("-SMfakeinflight.json"))).toHaveLength(1);
    // Handed back, not answered: the user gets the answer from the rerun after the next start.
    expect(relay.requests).toHaveLength(0);
  });
});
