// The VM with `textslash:vmAutostop suspend`, end to end in the sandbox: the real `pulumi up` deploys
// it, Fly Proxy's stand-in suspends it when idle (through the local Fly API's suspend endpoint), a
// message resumes it and the reply arrives, it is suspended again, and destroy leaves nothing.
// (The sandbox models suspend as a stop that keeps /data; see docs/sandbox.md.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../sandbox/testing/wait-for";
import { startE2eSandbox, vmApp, type E2eSandbox } from "./sandbox-harness";

describe("the sandbox with the VM set to suspend when idle", () => {
  let e2e: E2eSandbox;

  beforeAll(async () => {
    e2e = await startE2eSandbox({ "textslash:vmAutostop": "suspend" });
  }, 300_000);

  afterAll(async () => {
    await e2e?.close();
  });

  it("deploys the VM with autostop suspend, and the idle VM is suspended, not stopped", async () => {
    await e2e.pulumi(["up", "--yes", "--skip-preview"]);
    const vm = e2e.machine(vmApp);
    await waitFor("the idle VM to be suspended", () => e2e.machine(vmApp).state === "suspended" && !e2e.sandbox.runtime.isRunning(vm.id), 30_000);
    expect(e2e.lines.some((l) => l.startsWith(`[proxy] ${vmApp}/${vm.id}`) && l.includes("suspending (auto-stop)"))).toBe(true);
    const suspends = e2e.sandbox.api.requests().filter((r) => r.method === "POST" && r.path === `/v1/apps/${vmApp}/machines/${vm.id}/suspend`);
    expect(suspends.length).toBeGreaterThanOrEqual(1);
  }, 1_800_000); // up builds and pushes both images (the VM image is 2 GB)

  it("a message resumes the suspended VM, the reply arrives, and the VM is suspended again", async () => {
    const vmId = e2e.machine(vmApp).id;
    expect((await e2e.send("wake from suspend")).status).toBe(200);
    await waitFor("the reply", () => e2e.repliesTo("wake from suspend").length >= 1, 60_000);
    expect(e2e.repliesTo("wake from suspend")[0]?.body).toMatch(/turn 1/);
    expect(e2e.lines.some((l) => l === `[proxy] ${vmApp}/${vmId} waking (auto-start on request)`)).toBe(true);
    await waitFor("the VM to be suspended again", () => e2e.machine(vmApp).state === "suspended" && !e2e.sandbox.runtime.isRunning(vmId), 30_000);
  }, 120_000);

  it("destroy leaves an empty API and no process", async () => {
    await e2e.pulumi(["config", "set", "textslash:allowDataLoss", "true"]);
    await e2e.pulumi(["up", "--yes", "--skip-preview"]);
    await e2e.pulumi(["destroy", "--yes", "--skip-preview"]);
    expect(e2e.sandbox.api.state().apps).toEqual([]);
    expect(e2e.sandbox.pids()).toEqual([]);
  }, 240_000);
});
