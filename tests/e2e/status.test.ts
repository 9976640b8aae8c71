// npm run status against the sandbox: the real program deployed by the real CLI, then the status
// read from `pulumi stack output --json`, the local Fly API and the relay's public /health (through
// the proxy, as the internet reaches it). A sleeping VM is reported asleep and stays asleep; a busy
// one reports its queue and disk through its health check's output.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlyClient } from "../../components/fly/client";
import { renderStatus } from "../../scripts/status/render";
import { gatherStatus, type StatusEnvironment } from "../../scripts/status/run";
import { waitFor } from "../../sandbox/testing/wait-for";
import { relayApp, startE2eSandbox, vmApp, type E2eSandbox } from "./sandbox-harness";

describe("npm run status in the sandbox", () => {
  let e2e: E2eSandbox;
  let env: StatusEnvironment;
  const wakes = () => e2e.lines.filter((l) => l.startsWith(`[proxy] ${vmApp}/`) && l.includes("waking")).length;

  beforeAll(async () => {
    e2e = await startE2eSandbox();
    env = {
      pulumi: (args) => e2e.pulumi(args),
      fly: new FlyClient({ baseUrl: e2e.sandbox.apiUrl, token: "fake-fly-token" }),
      relayHealthUrl: (o) => `${e2e.sandbox.proxyUrl}/_public/${o.relayApp}/health`,
      logsCommand: (app) => `fly logs -a ${app}`,
    };
    await e2e.pulumi(["up", "--yes", "--skip-preview"]);
    const vm = e2e.machine(vmApp);
    await waitFor("the idle VM to be stopped", () => e2e.machine(vmApp).state === "stopped" && !e2e.sandbox.runtime.isRunning(vm.id), 30_000);
  }, 1_800_000); // up builds and pushes both images (the VM image is 2 GB)

  afterAll(async () => {
    await e2e?.close();
  });

  it("shows the relay running and passing, an empty outbox, and the VM asleep, without waking it", async () => {
    const wakesBefore = wakes();
    const status = await gatherStatus(env);
    expect(status.problems).toEqual([]);
    expect(status.relay.machine).toMatchObject({ id: e2e.machine(relayApp).id, state: "started", checks: [{ name: "health", status: "passing" }] });
    expect(status.relay.health).toMatchObject({ ok: true, outbox: 0, lastMessageAt: null });
    expect(status.lastMessageAt).toBeNull();
    expect(status.vm.machine).toMatchObject({ id: e2e.machine(vmApp).id, state: "stopped", checks: [] });
    expect(status.vm.queue).toMatchObject({ asleep: expect.stringMatching(/^stopped since .*: nothing running/) });
    expect(status.vm.volume).toMatchObject({ name: "vm_data", sizeGb: 3, usage: { unknown: expect.stringContaining("not readable while the VM sleeps") } });
    expect(status.relay.volume).toMatchObject({ name: "relay_data", sizeGb: 1 });
    expect(status.relay.logsCommand).toBe("fly logs -a sandbox-relay");
    // Reading status woke nothing.
    expect(wakes()).toBe(wakesBefore);
    expect(e2e.machine(vmApp).state).toBe("stopped");
    const text = renderStatus(status, new Date());
    expect(text).toContain("Relay: sandbox-relay");
    expect(text).toMatch(/ {2}queue {8}asleep: stopped since/);
    expect(text).toMatch(/All well\.$/);
  }, 120_000);

  it("a busy VM reports its queue and disk through its health check, and the relay the last message time", async () => {
    const sentAt = Date.now();
    expect((await e2e.send("sleep 8 then answer")).status).toBe(200);
    // Polls status itself (each read is async, so not through waitFor) until the VM reports the task.
    let status = await gatherStatus(env);
    for (const deadline = Date.now() + 60_000; !("running" in status.vm.queue && status.vm.queue.running === 1); ) {
      if (Date.now() > deadline) throw new Error(`the VM never reported a running task; last status: ${JSON.stringify(status.vm)}`);
      await new Promise((r) => setTimeout(r, 250));
      status = await gatherStatus(env);
    }
    expect(status.vm.machine?.state).toBe("started");
    expect(status.vm.machine?.checks).toMatchObject([{ name: "health", status: "passing" }]);
    expect(status.vm.queue).toEqual({ running: 1, queued: 0 });
    expect(status.vm.volume?.usage).toMatchObject({ source: "service", usedBytes: expect.any(Number), totalBytes: expect.any(Number) });
    expect(status.relay.volume?.usage).toMatchObject({ source: "service" });
    expect(Date.parse(String(status.lastMessageAt))).toBeGreaterThanOrEqual(sentAt - 1000);
    await waitFor("the reply", () => e2e.repliesTo("sleep 8 then answer").length >= 1, 60_000);
  }, 180_000);
});
