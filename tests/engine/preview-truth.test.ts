// Issue 19.4: a preview shows what the up will do. A change that updates one object in place must
// not show a replace (or an update) of another: the volume-grow and allowDataLoss cases that a
// preview once showed as a replacement of the VM machine, and a machine update whose id output
// stayed known. Each case is previewed (`pulumi preview --json`, the plan as data), then applied,
// and the up's Fly writes are compared with what the preview said.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlyStack, writes, type FlyStack } from "./fly-stack";

interface PreviewStep {
  op: string;
  urn: string;
}

describe("previews of in-place updates", () => {
  let s: FlyStack;

  /** The planned steps other than "same", as "op name" (the URN's last part), sorted. */
  async function plannedChanges(): Promise<string[]> {
    const preview = await s.cli(["preview", "--json"]);
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    const plan = JSON.parse(preview.stdout) as { steps?: PreviewStep[] };
    return (plan.steps ?? []).filter((step) => step.op !== "same").map((step) => `${step.op} ${step.urn.split("::").at(-1)}`).sort();
  }

  const machineWrites = () => writes(s.api.requests()).filter((w) => w.includes("/machines"));

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "truth" });
    await s.up();
  }, 300_000);

  afterAll(async () => {
    await s?.close();
  });

  it("growing the volume previews one volume update and nothing else; the up neither replaces nor updates a machine", async () => {
    const vmMachine = s.api.state().machines.find((m) => m.app === s.vmApp && m.state !== "destroyed")!.id;
    await s.setConfig("volumeSizeGb", "4");
    expect(await plannedChanges()).toEqual(["update vm-volume"]);
    s.api.clearRequests();
    await s.up();
    // The extend may answer needs_restart for a started machine (as Fly does), which restarts it under
    // its lease: part of the volume's update, not a change of the machine's config.
    expect(machineWrites().filter((w) => !/\/(lease|restart)$/.test(w))).toEqual([]);
    expect(s.api.state().machines.filter((m) => m.app === s.vmApp && m.state !== "destroyed").map((m) => m.id)).toEqual([vmMachine]);
  }, 600_000);

  it("allowing data loss previews updates of what records it (volume, VM app, guard) only; the up makes no Fly write", async () => {
    await s.setConfig("allowDataLoss", "true");
    const planned = await plannedChanges();
    expect(planned.every((step) => step.startsWith("update ")), planned.join("\n")).toBe(true);
    expect(planned.filter((step) => /machine|ip|secrets|deployment-check/.test(step))).toEqual([]);
    expect(planned).toContain("update vm-volume");
    s.api.clearRequests();
    await s.up();
    expect(writes(s.api.requests())).toEqual([]);
  }, 600_000);

  it("a machine updated in place keeps its id known in the preview's outputs", async () => {
    // A new published image (images are resolved to digests, so the tag must exist in the registry).
    await s.setConfig("vmImage", (await s.publish("vm", "v2")).ref);
    // The deployment check runs again after a new machine config (its revision hashes the configs).
    expect(await plannedChanges()).toEqual(["update textslash-deployment-check", "update vm-machine"]);
    const preview = await s.cli(["preview", "--diff"]);
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    // An output an update cannot change is shown unchanged, not as `output<string>`.
    expect(preview.stdout).not.toMatch(/vmMachineId\s*:.*output<string>/);
    expect(preview.stdout).not.toMatch(/vmMachineId\s*:.*=>/);
  }, 600_000);
});
