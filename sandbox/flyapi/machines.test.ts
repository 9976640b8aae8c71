import { afterEach, describe, expect, it } from "vitest";
import { FlyApiError } from "../../components/fly/client";
import { closeHarness, raw, RecordingHook, startHarness, type Harness } from "./test-helpers";

let h: Harness | undefined;
afterEach(async () => {
  await closeHarness(h);
  h = undefined;
});

async function appWithMachine(harness: Harness, skipLaunch = false) {
  await harness.fly.apps.create({ name: "demo-app", orgSlug: "personal" });
  const m = await harness.fly.machines.create("demo-app", { config: { image: "demo:1", env: { MODE: "test" } }, region: "ord", skipLaunch });
  return m;
}

describe("machines", () => {
  it("moves created → starting → started asynchronously and wait returns once started", async () => {
    h = await startHarness();
    const m = await appWithMachine(h);
    expect(m.id).toMatch(/^[0-9a-f]{14}$/);
    expect(m.state).toBe("created");
    expect(m.config.env).toEqual({ MODE: "test" });
    const waited = await h.fly.machines.wait("demo-app", m.id, { state: "started", timeoutSeconds: 5 });
    expect(waited.state).toBe("started");
    expect((await h.fly.machines.get("demo-app", m.id)).state).toBe("started");
    expect((await h.fly.machines.list("demo-app")).map((x) => x.id)).toEqual([m.id]);
    const anyOf = await raw(h.api, "GET", `/v1/apps/demo-app/machines/${m.id}/wait?state=stopped&state=started&timeout=5&version=${m.instanceId}`);
    expect(anyOf.json).toMatchObject({ ok: true, state: "started", version: m.instanceId });
    const repeated = await raw(h.api, "GET", `/v1/apps/demo-app/machines/${m.id}/wait?state=stopped&state=settled&timeout=5`);
    expect(repeated.json).toMatchObject({ ok: true, state: "started" });
    const commaSeparated = await raw(h.api, "GET", `/v1/apps/demo-app/machines/${m.id}/wait?state=stopped,started&timeout=5`);
    expect(commaSeparated.json).toMatchObject({ ok: true, state: "started" });
  });

  it("skip_launch leaves the machine created; stop, start (no-op when started), suspend and destroy follow Fly's states", async () => {
    h = await startHarness();
    const m = await appWithMachine(h, true);
    await new Promise((r) => setTimeout(r, 50));
    expect((await h.fly.machines.get("demo-app", m.id)).state).toBe("created");
    await h.fly.machines.start("demo-app", m.id);
    await h.fly.machines.wait("demo-app", m.id, { state: "started", timeoutSeconds: 5 });
    await h.fly.machines.start("demo-app", m.id);
    expect((await h.fly.machines.get("demo-app", m.id)).state).toBe("started");
    await h.fly.machines.suspend("demo-app", m.id);
    await h.fly.machines.wait("demo-app", m.id, { state: "suspended", timeoutSeconds: 5 });
    await h.fly.machines.start("demo-app", m.id);
    await h.fly.machines.wait("demo-app", m.id, { state: "started", timeoutSeconds: 5 });
    const refused = await h.fly.machines.delete("demo-app", m.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FlyApiError);
    expect((refused as FlyApiError).status).toBe(412);
    await h.fly.machines.stop("demo-app", m.id);
    await h.fly.machines.wait("demo-app", m.id, { state: "stopped", timeoutSeconds: 5 });
    await h.fly.machines.delete("demo-app", m.id);
    await h.fly.machines.wait("demo-app", m.id, { state: "destroyed", timeoutSeconds: 5 });
    expect(await h.fly.machines.list("demo-app")).toEqual([]);
  });

  it("update gives a new instance id and restarts a running machine", async () => {
    h = await startHarness();
    const m = await appWithMachine(h);
    await h.fly.machines.wait("demo-app", m.id, { state: "started", timeoutSeconds: 5 });
    const updated = await h.fly.machines.update("demo-app", m.id, { config: { image: "demo:2" } });
    expect(updated.instanceId).not.toBe(m.instanceId);
    expect(updated.config.image).toBe("demo:2");
    const waited = await h.fly.machines.wait("demo-app", m.id, { state: "started", version: updated.instanceId, timeoutSeconds: 5 });
    expect(waited.state).toBe("started");
    const restarted = await raw(h.api, "POST", `/v1/apps/demo-app/machines/${m.id}/restart`);
    expect(restarted.status).toBe(200);
    await h.fly.machines.wait("demo-app", m.id, { state: "started", version: updated.instanceId, timeoutSeconds: 5 });
    const events = await raw(h.api, "GET", `/v1/apps/demo-app/machines/${m.id}/events`);
    expect((events.json as { type: string }[]).map((e) => e.type)).toContain("restart");
    const stale = await raw(h.api, "POST", `/v1/apps/demo-app/machines/${m.id}`, { body: { config: { image: "demo:3" }, current_version: m.instanceId } });
    expect(stale.status).toBe(412);
    const current = await raw(h.api, "POST", `/v1/apps/demo-app/machines/${m.id}`, { body: { config: { image: "demo:3" }, current_version: updated.instanceId } });
    expect(current.status).toBe(200);
  });

  it("wait answers 408 when the state is not reached in time", async () => {
    h = await startHarness();
    const m = await appWithMachine(h, true);
    const err = await h.fly.machines.wait("demo-app", m.id, { state: "stopped", timeoutSeconds: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlyApiError);
    expect((err as FlyApiError).status).toBe(408);
  });

  it("a start while the create's launch is on its way is a no-op; a stop right after start waits for the runtime's start", async () => {
    const hook = new RecordingHook();
    h = await startHarness({ runtime: hook });
    const m = await appWithMachine(h);
    await h.fly.machines.start("demo-app", m.id);
    await h.fly.machines.wait("demo-app", m.id, { state: "started", timeoutSeconds: 5 });
    expect(hook.calls.map((c) => c.op)).toEqual(["start"]);
    await h.fly.machines.stop("demo-app", m.id);
    await h.fly.machines.start("demo-app", m.id);
    await h.fly.machines.stop("demo-app", m.id);
    await h.fly.machines.wait("demo-app", m.id, { state: "stopped", timeoutSeconds: 5 });
    await new Promise((r) => setTimeout(r, 60));
    expect((await h.fly.machines.get("demo-app", m.id)).state).toBe("stopped");
    expect(hook.calls.map((c) => c.op).at(-1)).toBe("stop");
  });

  it("update of a created (skip_launch) machine starts it fresh rather than updating a process that never ran", async () => {
    const hook = new RecordingHook();
    h = await startHarness({ runtime: hook });
    const m = await appWithMachine(h, true);
    const updated = await h.fly.machines.update("demo-app", m.id, { config: { image: "demo:2" } });
    await h.fly.machines.wait("demo-app", m.id, { state: "started", version: updated.instanceId, timeoutSeconds: 5 });
    expect(hook.calls.map((c) => c.op)).toEqual(["start"]);
    // A stopped machine that ran before is replaced through update (Fly gives it a new root filesystem).
    await h.fly.machines.stop("demo-app", m.id);
    await h.fly.machines.wait("demo-app", m.id, { state: "stopped", timeoutSeconds: 5 });
    const again = await h.fly.machines.update("demo-app", m.id, { config: { image: "demo:3" } });
    await h.fly.machines.wait("demo-app", m.id, { state: "started", version: again.instanceId, timeoutSeconds: 5 });
    expect(hook.calls.map((c) => c.op)).toEqual(["start", "stop", "update"]);
    expect(hook.calls.at(-1)).toMatchObject({ op: "update", spec: { image: "demo:3" } });
  });

  it("stores services' autostop as Fly echoes it: off/stop become false/true, suspend stays", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "demo-app", orgSlug: "personal" });
    const services = ["off", "stop", "suspend"].map((autostop, i) => ({ protocol: "tcp", internal_port: 8080 + i, autostop }));
    const created = await raw(h.api, "POST", "/v1/apps/demo-app/machines", { body: { config: { image: "demo:1", services }, skip_launch: true } });
    expect(created.status).toBe(200);
    const config = (created.json as { config: { services: { autostop: unknown }[] } }).config;
    expect(config.services.map((s) => s.autostop)).toEqual([false, true, "suspend"]);
  });
});
