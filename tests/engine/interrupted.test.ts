// An `up` killed in the middle (a closed laptop, a CI job cancelled hard): the machines being created
// exist on Fly, the state only has pending creates and the stack is still locked. What
// docs/troubleshooting.md tells the user to run, `pulumi cancel`, `pulumi refresh
// --clear-pending-creates` and `pulumi up`, must converge without a second machine.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../sandbox/testing/wait-for";
import { resourceIds, startFlyStack, type FlyStack } from "./fly-stack";

describe("an up killed while its machines are being created", () => {
  let s: FlyStack;

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "intr" });
  }, 300_000);

  afterAll(async () => {
    await s?.close();
  });

  const liveMachines = () => s.api.state().machines.filter((m) => m.state !== "destroyed");

  it("refresh --clear-pending-creates and up take the created machines over; destroy leaves nothing", async () => {
    s.api.setFaults({ slowStartMs: 120_000 }); // the machines stay "starting": the up is mid-create when killed
    const kill = new AbortController();
    const interrupted = s.cli(["up", "--yes", "--skip-preview"], { kill: kill.signal });
    // Generous: on a loaded machine the up can take minutes to reach its machines.
    await waitFor("both machines to be created", () => liveMachines().length === 2, 600_000, 200);
    kill.abort();
    expect((await interrupted).code).not.toBe(0);
    const created = liveMachines().map((m) => m.id).sort();
    s.api.setFaults({});

    // The killed run still holds the stack's lock; `pulumi cancel` releases it (the engine's own advice).
    const locked = await s.cli(["up", "--yes", "--skip-preview"]);
    expect(locked.code).not.toBe(0);
    expect(locked.stderr).toContain("currently locked");
    const cancel = await s.cli(["cancel", "--yes"]);
    expect(cancel.code, cancel.stdout + cancel.stderr).toBe(0);
    const refresh = await s.cli(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
    await s.up();
    expect(liveMachines().map((m) => m.id).sort()).toEqual(created);
    expect(liveMachines().every((m) => m.state === "started" || m.state === "stopped")).toBe(true);
    const ids = await resourceIds(s);
    for (const id of created) expect(ids).toContain(id);

    await s.setConfig("allowDataLoss", "true");
    await s.up();
    const destroyed = await s.cli(["destroy", "--yes", "--skip-preview"]);
    expect(destroyed.code, destroyed.stdout + destroyed.stderr).toBe(0);
    expect(s.api.state().apps).toEqual([]);
  }, 1_200_000); // seven CLI runs: a few minutes idle, far more on a loaded machine
});
