// The server entry points as real processes: start-up validation, root refusal, SIGTERM.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { cleanup, fake, fakeClaudeBin, freePort, startStub, tempDir, until } from "./harness";

afterEach(cleanup);

const root = resolve(__dirname, "../..");
const tsx = join(root, "node_modules/.bin/tsx");

function run(entry: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(tsx, [join(root, entry)], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, output: () => output, exit };
}

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

  it("on SIGTERM the vm stops a running task, keeps it in the inbox and exits 0", async () => {
    const relay = await startStub();
    const dataDir = await tempDir("vm-proc");
    const port = await freePort();
    const vm = run("services/vm/src/server.ts", {
      PORT: String(port),
      HOST: "127.0.0.1",
      RELAY_CALLBACK_URL: relay.url,
      RELAY_SHARED_TOKEN: fake.sharedToken,
      ANTHROPIC_API_KEY: "fake-anthropic-key",
      DATA_DIR: dataDir,
      CLAUDE_BIN: fakeClaudeBin,
      FAKE_CLAUDE_STATE_DIR: await tempDir("claude-proc"),
      SHUTDOWN_GRACE_SECONDS: "0",
      VM_ALLOW_ROOT: "true",
    });
    await until(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok === true, 20_000, "vm up");
    const accepted = await fetch(`http://127.0.0.1:${port}/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${fake.sharedToken}` },
      body: JSON.stringify({ id: "SMfakeinflight", from: fake.user, text: "sleep 30", media: [] }),
    });
    expect(accepted.status).toBe(202);
    await until(async () => ((await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { running: number }).running === 1, 10_000, "task running");
    vm.child.kill("SIGTERM");
    expect(await vm.exit).toBe(0);
    expect(vm.output()).toContain("shutting down");
    expect((await readdir(join(dataDir, "inbox"))).filter((n) => n.endsWith("-SMfakeinflight.json"))).toHaveLength(1);
    // Handed back, not answered: the user gets the answer from the rerun after the next start.
    expect(relay.requests).toHaveLength(0);
  });
});
