// A machine's process exiting on its own: flyd's restart policy, the exit event, and the state a client sees.
import { afterEach, describe, expect, it } from "vitest";
import type { MachineRestart } from "../../components/fly/client";
import { closeHarness, raw, RecordingHook, startHarness, type Harness } from "./test-helpers";

let h: Harness | undefined;
afterEach(async () => {
  await closeHarness(h);
  h = undefined;
});

interface WireEvent { type: string; status: string; request?: { exit_event?: { exit_code: number | null; restarting: boolean; requested_stop: boolean } } }

async function startedMachine(harness: Harness, restart?: MachineRestart) {
  await harness.fly.apps.create({ name: "demo-app", orgSlug: "personal" });
  const m = await harness.fly.machines.create("demo-app", { config: { image: "demo:1", ...(restart ? { restart } : {}) }, region: "ord" });
  await harness.fly.machines.wait("demo-app", m.id, { state: "started", timeoutSeconds: 5 });
  return m;
}

async function exitEvents(harness: Harness, id: string): Promise<WireEvent[]> {
  const res = await raw(harness.api, "GET", `/v1/apps/demo-app/machines/${id}/events`);
  return (res.json as WireEvent[]).filter((e) => e.type === "exit");
}

function startsOf(hook: RecordingHook, id: string): number {
  return hook.calls.filter((c) => c.op === "start" && c.spec.id === id).length;
}

describe("a machine whose process exits on its own", () => {
  it("with no policy (Fly's on-failure, 10 retries) restarts after a crash, then stops once the retries are spent", async () => {
    const hook = new RecordingHook();
    h = await startHarness({ runtime: hook, transitionMs: 1 });
    const m = await startedMachine(h);
    hook.exit(m.id, 1);
    await h.fly.machines.wait("demo-app", m.id, { state: "started", timeoutSeconds: 5 });
    expect(startsOf(hook, m.id)).toBe(2);
    const [first] = await exitEvents(h, m.id);
    expect(first?.request?.exit_event).toMatchObject({ exit_code: 1, restarting: true, requested_stop: false });

    for (let i = 0; i < 10; i++) {
      hook.exit(m.id, 1);
      // Wait until the restart (or the final stop) has happened before the next crash.
      await h.fly.machines.wait("demo-app", m.id, { state: i < 9 ? "started" : "stopped", timeoutSeconds: 15 });
    }
    expect((await h.fly.machines.get("demo-app", m.id)).state).toBe("stopped");
    expect(startsOf(hook, m.id)).toBe(11);
    const [last] = await exitEvents(h, m.id);
    expect(last?.request?.exit_event).toMatchObject({ exit_code: 1, restarting: false });
  });

  it("a clean exit (code 0) under on-failure stops the machine; a start on request runs it again", async () => {
    const hook = new RecordingHook();
    h = await startHarness({ runtime: hook });
    const m = await startedMachine(h, { policy: "on-failure" });
    hook.exit(m.id, 0);
    await h.fly.machines.wait("demo-app", m.id, { state: "stopped", timeoutSeconds: 5 });
    const machine = await h.fly.machines.get("demo-app", m.id);
    expect(machine.state).toBe("stopped");
    expect(machine.checks).toEqual([]);
    await h.fly.machines.start("demo-app", m.id);
    await h.fly.machines.wait("demo-app", m.id, { state: "started", timeoutSeconds: 5 });
  });

  it("policy always restarts even after a clean exit; policy no stops after a crash", async () => {
    const hook = new RecordingHook();
    h = await startHarness({ runtime: hook });
    const always = await startedMachine(h, { policy: "always" });
    hook.exit(always.id, 0);
    await h.fly.machines.wait("demo-app", always.id, { state: "started", timeoutSeconds: 5 });
    expect(startsOf(hook, always.id)).toBe(2);

    const never = await h.fly.machines.create("demo-app", { config: { image: "demo:1", restart: { policy: "no" } }, region: "ord" });
    await h.fly.machines.wait("demo-app", never.id, { state: "started", timeoutSeconds: 5 });
    hook.exit(never.id, 3);
    await h.fly.machines.wait("demo-app", never.id, { state: "stopped", timeoutSeconds: 5 });
    expect((await exitEvents(h, never.id))[0]?.request?.exit_event).toMatchObject({ exit_code: 3, restarting: false });
  });

  it("an exit while a stop is under way is the stop's own, not a crash", async () => {
    const hook = new RecordingHook();
    h = await startHarness({ runtime: hook });
    const m = await startedMachine(h);
    await h.fly.machines.stop("demo-app", m.id);
    hook.exit(m.id, 143);
    await h.fly.machines.wait("demo-app", m.id, { state: "stopped", timeoutSeconds: 5 });
    expect(await exitEvents(h, m.id)).toHaveLength(1);
    expect((await exitEvents(h, m.id))[0]?.request?.exit_event).toMatchObject({ requested_stop: true, restarting: false });
    expect(startsOf(hook, m.id)).toBe(1);
  });
});
