import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { ProxyAgent, fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ProcessRuntime } from "../runtime/process-runtime";
import { SandboxProxy } from "./proxy";
import { RuntimeBackend } from "./runtime-backend";
import { specFor, stackMachines } from "../testing/stack-machines";
import { waitFor } from "../testing/wait-for";

const repoRoot = path.resolve(__dirname, "../..");
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A forward-proxy request, as undici's ProxyAgent or axios with HTTP_PROXY sends it; 0 when the connection failed. */
function viaProxy(proxyUrl: string, target: string): Promise<number> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve) => {
    http.get({ host: proxy.hostname, port: proxy.port, path: target, timeout: 20_000 }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
    }).once("error", () => resolve(0));
  });
}

describe("SandboxProxy over the process runtime", () => {
  it("auto-starts the stopped VM on a .flycast request, auto-stops it when idle, and does not serve it on the public route", async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "textslash-proxy-"));
    const lines: string[] = [];
    const runtime = new ProcessRuntime({ repoRoot, stateDir, stopTimeoutMs: 10_000, log: (l) => lines.push(l) });
    const backend = new RuntimeBackend(runtime);
    const { vm } = stackMachines("local", { vmAutostop: "suspend" });
    backend.register(vm.app, vm.ips, { config: vm.config, spec: specFor("m_proxyvm", vm, { volumeId: "vol_proxydata",
      env: { VM_ALLOW_ROOT: "true", AGENT_ISOLATION: "off", LOG_LEVEL: "warn", CLAUDE_BIN: path.join(repoRoot, "sandbox/fakes/fake-claude") },
      secrets: { RELAY_SHARED_TOKEN: "fake-relay-shared-token", ANTHROPIC_API_KEY: "fake-anthropic-key" } }) });
    const proxy = new SandboxProxy({ backend, idleMs: 400, log: (l) => lines.push(l) });
    const proxyUrl = await proxy.listen();
    cleanups.push(async () => { await proxy.close(); await runtime.stopAll(); rmSync(stateDir, { recursive: true, force: true }); });

    expect(runtime.isRunning("m_proxyvm")).toBe(false);
    expect(await viaProxy(proxyUrl, "http://local-vm.flycast/health")).toBe(200);
    expect(runtime.isRunning("m_proxyvm")).toBe(true);

    // No public address: the VM is not served on .fly.dev (a connection error, as when DNS has no record).
    await expect(fetch(`${proxyUrl}/_public/local-vm/health`)).rejects.toThrow();
    expect(await viaProxy(proxyUrl, "http://local-vm.fly.dev/health")).toBe(0);

    await waitFor("the idle VM to be suspended by the proxy", () => !runtime.isRunning("m_proxyvm"), 15_000);
    expect(lines.some((l) => l.includes("suspending (auto-stop)"))).toBe(true);
    expect((await backend.machines("local-vm"))[0]?.state).toBe("suspended");

    expect(await viaProxy(proxyUrl, "http://local-vm.flycast/health")).toBe(200);
    expect(lines.filter((l) => l.includes("waking (auto-start on request)"))).toHaveLength(2);

    // The way the service processes call each other (undici ProxyAgent → CONNECT tunnel).
    const dispatcher = new ProxyAgent(proxyUrl);
    const tunnelled = await undiciFetch("http://local-vm.flycast/health", { dispatcher });
    expect(tunnelled.status).toBe(200);
    await tunnelled.text();
    await dispatcher.close();
  }, 60_000);
});
