import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeTwilio, inboundParams, sendSignedWebhook } from "../fakes/fake-twilio";
import { ProcessRuntime } from "../runtime/process-runtime";
import { SandboxProxy } from "./proxy";
import { RuntimeBackend } from "./runtime-backend";
import { waitFor } from "../testing/wait-for";

// The whole message path without Pulumi or the Fly API: fake Twilio → proxy public route → relay
// → proxy .flycast → VM (woken) → fake claude → proxy .flycast → relay callback → fake Twilio.
const repoRoot = path.resolve(__dirname, "../..");
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("relay and VM wired through the sandbox proxy", () => {
  it("answers a WhatsApp message through the woken VM and continues the session after the VM slept", async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "textslash-wiring-"));
    const twilio = new FakeTwilio({ accountSid: "ACfake", authToken: "fake-twilio-auth-token" });
    const twilioUrl = await twilio.start();
    const lines: string[] = [];
    const backend = { current: undefined as RuntimeBackend | undefined };
    const proxy = new SandboxProxy({ backend: { hasPublicIp: (a) => backend.current!.hasPublicIp(a), machines: (a) => backend.current!.machines(a),
      start: (a, id) => backend.current!.start(a, id), stop: (a, id, m) => backend.current!.stop(a, id, m) }, idleMs: 800, log: (l) => lines.push(l) });
    const proxyUrl = await proxy.listen();
    const runtime = new ProcessRuntime({ repoRoot, stateDir, proxyUrl, stopTimeoutMs: 10_000, log: (l) => lines.push(l),
      sandboxEnv: (kind): Record<string, string> => (kind === "relay" ? { TWILIO_API_URL: twilioUrl }
        : { CLAUDE_BIN: path.join(repoRoot, "sandbox/fakes/fake-claude"), VM_ALLOW_ROOT: "true", FAKE_CLAUDE_STATE_DIR: path.join(stateDir, "fake-claude") }) });
    backend.current = new RuntimeBackend(runtime);
    cleanups.push(async () => { await proxy.close(); await runtime.stopAll(); await twilio.stop(); rmSync(stateDir, { recursive: true, force: true }); });

    const shared = { RELAY_SHARED_TOKEN: "fake-relay-shared-token" };
    backend.current.register("local-relay", true, { autostop: "off", autostart: true, minMachinesRunning: 1, spec: {
      id: "m_relay", appName: "local-relay", image: "ghcr.io/sendtwothreeyears/textslash-relay:latest",
      env: { PUBLIC_URL: "https://local-relay.fly.dev", CLAUDE_HOST: "http://local-vm.flycast", TWILIO_WHATSAPP_NUMBER: "+15550000000",
        ALLOWED_PHONE_NUMBERS: "+15550001111", LOG_LEVEL: "warn" },
      secrets: { ...shared, TWILIO_ACCOUNT_SID: "ACfake", TWILIO_AUTH_TOKEN: "fake-twilio-auth-token" },
      mounts: [{ volumeId: "vol_relay", path: "/data" }], checks: [{ name: "health", path: "/health" }] } });
    backend.current.register("local-vm", false, { autostop: "suspend", autostart: true, minMachinesRunning: 0, spec: {
      id: "m_vm", appName: "local-vm", image: "ghcr.io/sendtwothreeyears/textslash-vm:latest",
      env: { RELAY_CALLBACK_URL: "http://local-relay.flycast", DATA_DIR: "/data", LOG_LEVEL: "warn" },
      secrets: { ...shared, ANTHROPIC_API_KEY: "fake-anthropic-key" },
      mounts: [{ volumeId: "vol_vm", path: "/data" }], checks: [{ name: "health", path: "/health" }] } });

    const send = async (body: string, sid: string) => sendSignedWebhook({
      relayUrl: `${proxyUrl}/_public/local-relay`, publicUrl: "https://local-relay.fly.dev", authToken: "fake-twilio-auth-token",
      params: inboundParams({ from: "whatsapp:+15550001111", to: "whatsapp:+15550000000", body, accountSid: "ACfake", messageSid: sid }) });

    expect((await send("hello", "SMfake0001")).status).toBe(200);
    await waitFor("the first reply at the fake Twilio", () => twilio.messages.length >= 1, 30_000);
    await waitFor("the idle VM to be suspended", () => !runtime.isRunning("m_vm"), 30_000);
    expect(runtime.isRunning("m_relay")).toBe(true);

    expect((await send("again", "SMfake0002")).status).toBe(200);
    await waitFor("the second reply at the fake Twilio", () => twilio.messages.length >= 2, 30_000);
    expect(twilio.messages.map((m) => m.to)).toEqual(["whatsapp:+15550001111", "whatsapp:+15550001111"]);
    expect(twilio.messages[1]?.body).toMatch(/turn 2/i);
    expect(lines.filter((l) => l.includes("local-vm/m_vm waking"))).toHaveLength(2);
  }, 120_000);
});
