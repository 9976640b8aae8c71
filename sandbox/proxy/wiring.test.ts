import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeTwilio, inboundParams, sendSignedWebhook } from "../fakes/fake-twilio";
import { ProcessRuntime } from "../runtime/process-runtime";
import { SandboxProxy } from "./proxy";
import { RuntimeBackend } from "./runtime-backend";
import { specFor, stackMachines } from "../testing/stack-machines";
import { waitFor } from "../testing/wait-for";

// The whole message path without Pulumi or the Fly API, on the program's own machine configs and IP
// assignments (components/machine-configs.ts, textslash-stack.ts), routed by Fly Proxy's rules:
// fake Twilio → proxy public route (https) → relay → proxy .flycast → VM (woken) → fake claude →
// the VM's RELAY_CALLBACK_URL → relay callback → fake Twilio. With the earlier wiring
// (RELAY_CALLBACK_URL=http://<prefix>-relay.flycast, port 80 with force_https) every reply got a 301
// and was lost, and this test timed out waiting for the first one.
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
    const proxy = new SandboxProxy({ backend: { ipTypes: (a) => backend.current!.ipTypes(a), machines: (a) => backend.current!.machines(a),
      start: (a, id) => backend.current!.start(a, id), stop: (a, id, m) => backend.current!.stop(a, id, m) }, idleMs: 800, log: (l) => lines.push(l) });
    const proxyUrl = await proxy.listen();
    const runtime = new ProcessRuntime({ repoRoot, stateDir, proxyUrl, stopTimeoutMs: 10_000, log: (l) => lines.push(l),
      sandboxEnv: (kind): Record<string, string> => (kind === "relay" ? { TWILIO_API_URL: twilioUrl }
        : { CLAUDE_BIN: path.join(repoRoot, "sandbox/fakes/fake-claude"), VM_ALLOW_ROOT: "true", AGENT_ISOLATION: "off",
          AGENT_ENV_PASSTHROUGH: "FAKE_CLAUDE_STATE_DIR", FAKE_CLAUDE_STATE_DIR: path.join(stateDir, "fake-claude") }) });
    backend.current = new RuntimeBackend(runtime);
    cleanups.push(async () => { await proxy.close(); await runtime.stopAll(); await twilio.stop(); rmSync(stateDir, { recursive: true, force: true }); });

    const { relay, vm } = stackMachines("local", { vmAutostop: "suspend" });
    const shared = { RELAY_SHARED_TOKEN: "fake-relay-shared-token" };
    backend.current.register(relay.app, relay.ips, { config: relay.config, spec: specFor("m_relay", relay, { volumeId: "vol_relay",
      env: { TWILIO_WHATSAPP_NUMBER: "+15550000000", ALLOWED_PHONE_NUMBERS: "+15550001111", LOG_LEVEL: "warn" },
      secrets: { ...shared, TWILIO_ACCOUNT_SID: "ACfake", TWILIO_AUTH_TOKEN: "fake-twilio-auth-token" } }) });
    backend.current.register(vm.app, vm.ips, { config: vm.config, spec: specFor("m_vm", vm, { volumeId: "vol_vm",
      env: { LOG_LEVEL: "warn" }, secrets: { ...shared, ANTHROPIC_API_KEY: "fake-anthropic-key" } }) });
    await runtime.start(specFor("m_relay", relay, { volumeId: "vol_relay",
      env: { TWILIO_WHATSAPP_NUMBER: "+15550000000", ALLOWED_PHONE_NUMBERS: "+15550001111", LOG_LEVEL: "warn" },
      secrets: { ...shared, TWILIO_ACCOUNT_SID: "ACfake", TWILIO_AUTH_TOKEN: "fake-twilio-auth-token" } }));
    await runtime.waitHealthy("m_relay");

    const send = async (body: string, sid: string) => sendSignedWebhook({
      relayUrl: `${proxyUrl}/_public/${relay.app}`, publicUrl: `https://${relay.app}.fly.dev`, authToken: "fake-twilio-auth-token",
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
    expect(lines.filter((l) => l.includes("force_https")), "no request of the message path was redirected").toEqual([]);
  }, 120_000);
});
