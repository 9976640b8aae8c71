// Issue 4 §3, machine rollouts through the real engine: a VM that is asleep when an update comes
// stays asleep and its new config is verified by reading it back; a rollout whose check fails
// fails with an error naming the check and its last output, and the next up recovers (or, when the
// config is reverted, rolls the machine back); a machine that exists on Fly but not in the state
// (failed checks, or a lost create answer) is never doubled.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pathOnly, resourceIds, startFlyStack, writes, type FlyStack } from "./fly-stack";

describe("machine rollouts through the engine", () => {
  let s: FlyStack;

  beforeAll(async () => {
    // A short rollout budget so the failing check fails in seconds, not the default 3 minutes.
    s = await startFlyStack({ stackName: "roll", env: { TEXTSLASH_ROLLOUT_TIMEOUT_SECONDS: "12" } });
    await s.up();
  }, 300_000);

  afterAll(async () => {
    await s?.close();
  });

  const machineOf = (app: string) => s.api.state().machines.find((m) => m.app === app && m.state !== "destroyed")!;

  it("a stopped VM stays stopped through an update, and its new config is read back", async () => {
    const vm = machineOf(s.vmApp);
    await s.fly.machines.stop(s.vmApp, vm.id);
    await s.fly.machines.waitForState(s.vmApp, vm.id, { state: "stopped", timeoutMs: 30_000 });

    const v2 = await s.publish("vm", "v2");
    await s.setConfig("vmImage", v2.ref);
    s.api.clearRequests();
    await s.up();

    expect(machineOf(s.vmApp)).toMatchObject({ id: vm.id, state: "stopped", image: v2.pinned });
    const log = s.api.requests();
    const machinePath = `/v1/apps/${s.vmApp}/machines/${vm.id}`;
    expect(writes(log)).toEqual([`POST ${machinePath}/lease`, `POST ${machinePath}`, `DELETE ${machinePath}/lease`]);
    // Read back after the update (the verification), and no start or wait for a start.
    const update = log.findIndex((r) => r.method === "POST" && pathOnly(r) === machinePath);
    expect(log.slice(update + 1).some((r) => r.method === "GET" && pathOnly(r) === machinePath)).toBe(true);
    expect(log.some((r) => pathOnly(r) === `${machinePath}/wait` || pathOnly(r) === `${machinePath}/start`)).toBe(false);
  }, 300_000);

  it("a rollout whose check fails names the check and its last output; the next up recovers", async () => {
    s.api.setFaults({ failingChecks: { health: "fake probe: connection refused" } });
    const v2 = await s.publish("relay", "v2");
    await s.setConfig("relayImage", v2.ref);
    const failed = await s.cli(["up", "--yes", "--skip-preview"]);
    expect(failed.code).not.toBe(0);
    const output = failed.stdout + failed.stderr;
    expect(output).toContain(`check "health" did not pass`);
    expect(output).toContain("fake probe: connection refused");

    s.api.setFaults({});
    await s.up();
    expect(machineOf(s.relayApp)).toMatchObject({ state: "started", image: v2.pinned });
    const writesBefore = s.api.writeCount();
    await s.up();
    expect(s.api.writeCount() - writesBefore).toBe(0);
  }, 300_000);

  it("after a failed rollout, reverting the config rolls the machine back (the state recorded what Fly runs)", async () => {
    const before = machineOf(s.relayApp);
    s.api.setFaults({ failingChecks: { health: "fake probe: v3 is broken" } });
    const v3 = await s.publish("relay", "v3");
    await s.setConfig("relayImage", v3.ref);
    const failed = await s.cli(["up", "--yes", "--skip-preview"]);
    expect(failed.code).not.toBe(0);
    expect(machineOf(s.relayApp)).toMatchObject({ id: before.id, image: v3.pinned });

    s.api.setFaults({});
    // The image it ran before, by digest (a published reference may name a digest instead of a tag).
    await s.setConfig("relayImage", before.image);
    await s.up();
    expect(machineOf(s.relayApp)).toMatchObject({ id: before.id, state: "started", image: before.image });
    const writesBefore = s.api.writeCount();
    await s.up();
    expect(s.api.writeCount() - writesBefore).toBe(0);
  }, 300_000);

  it("a new machine that fails its check is kept in the state; the next up fixes it, no second machine", async () => {
    const old = machineOf(s.vmApp);
    await s.fly.machines.delete(s.vmApp, old.id, { force: true });
    await s.fly.machines.waitForState(s.vmApp, old.id, { state: "destroyed", timeoutMs: 30_000 });
    expect((await s.cli(["refresh", "--yes", "--skip-preview"])).code).toBe(0);

    s.api.setFaults({ failingChecks: { health: "fake probe: still starting" } });
    const failed = await s.cli(["up", "--yes", "--skip-preview"]);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toContain("fake probe: still starting");
    const made = machineOf(s.vmApp);
    expect(made.id).not.toBe(old.id);
    expect(await resourceIds(s)).toContain(made.id);

    s.api.setFaults({});
    s.api.clearRequests();
    await s.up();
    expect(writes(s.api.requests())).not.toContain(`POST /v1/apps/${s.vmApp}/machines`);
    expect(s.api.state().machines.filter((m) => m.app === s.vmApp && m.state !== "destroyed").map((m) => m.id)).toEqual([made.id]);
  }, 300_000);

  it("a machine whose create answer was lost is not in the state; the next up takes it over by name, no second machine", async () => {
    const old = machineOf(s.vmApp);
    await s.fly.machines.delete(s.vmApp, old.id, { force: true });
    await s.fly.machines.waitForState(s.vmApp, old.id, { state: "destroyed", timeoutMs: 30_000 });
    expect((await s.cli(["refresh", "--yes", "--skip-preview"])).code).toBe(0);

    // Fly creates the machine, but the answer never reaches the provider (a dropped connection).
    s.api.setFaults({ loseAnswers: { Machines_create: 1 } });
    const failed = await s.cli(["up", "--yes", "--skip-preview"]);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toContain("answer was lost");
    const orphan = machineOf(s.vmApp);
    expect(orphan.id).not.toBe(old.id);
    expect(await resourceIds(s)).not.toContain(orphan.id);

    s.api.setFaults({});
    s.api.clearRequests();
    await s.up();
    expect(writes(s.api.requests())).not.toContain(`POST /v1/apps/${s.vmApp}/machines`);
    expect(s.api.state().machines.filter((m) => m.app === s.vmApp && m.state !== "destroyed").map((m) => m.id)).toEqual([orphan.id]);
    expect(await resourceIds(s)).toContain(orphan.id);
  }, 300_000);
});
