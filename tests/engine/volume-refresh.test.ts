// `pulumi refresh` with the real CLI when the VM's /data volume was deleted behind Pulumi's back:
// without allowDataLoss it refuses, says which volume is gone and how to go on, and keeps the
// volume in the state (so the next `up` does not quietly mount an empty /data); allowed (for one
// refresh, or recorded by an up) it drops the volume, says so, and the next `up` rebuilds the VM.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALLOW_DATA_LOSS_ENV } from "../../components/data-loss-consent";
import { snapshotAndWait } from "../../components/fly/volume-snapshot";
import { leakedSecrets, resourceIds, startFlyStack, type FlyStack } from "./fly-stack";

let s: FlyStack;

beforeAll(async () => {
  s = await startFlyStack({ stackName: "volgone" });
  await s.up();
}, 600_000);
afterAll(async () => s?.close());

/** The part of the CLI's output under "Diagnostics:", where Pulumi prints each error for a person. */
const diagnostics = (out: string): string => out.slice(out.indexOf("Diagnostics:"));

/** The VM's live vm_data volume and the machine that mounts it, as the local Fly API has them. */
function vmObjects(): { volumeId: string; machineId: string } {
  const state = s.api.state();
  const volume = state.volumes.find((v) => v.app === s.vmApp && v.name === "vm_data" && (v.state ?? "created") === "created");
  const machine = state.machines.find((m) => m.app === s.vmApp && m.state !== "destroyed");
  if (!volume || !machine) throw new Error(`no live vm_data volume and machine in ${s.vmApp}: ${JSON.stringify(state)}`);
  return { volumeId: volume.id, machineId: machine.id };
}

/** After an up: the VM runs one machine on a live vm_data volume that is not `old`. */
function expectNewVolumeMounted(old: string): void {
  const { volumeId } = vmObjects();
  expect(volumeId).not.toBe(old);
  const state = s.api.state();
  const vm = state.machines.filter((m) => m.app === s.vmApp && m.state !== "destroyed");
  expect(vm).toHaveLength(1);
  expect(state.volumes.find((v) => v.id === volumeId)?.attachedMachineId).toBe(vm[0]!.id);
}

/** The VM volume's outputs in the stack's checkpoint. */
async function vmVolumeOutputs(): Promise<Record<string, unknown>> {
  const checkpoint = JSON.parse(await s.project.readStateFile()) as { checkpoint: { latest: { resources: { urn: string; outputs?: Record<string, unknown> }[] } } };
  const volume = checkpoint.checkpoint.latest.resources.find((r) => r.urn.endsWith("textslash:FlyVolume::vm-volume"));
  if (!volume) throw new Error("no vm-volume in the state");
  return volume.outputs ?? {};
}

describe("refresh when /data's volume is gone", () => {
  let deleted = "";
  let snapshot = "";

  it("refuses once, without a stack trace, naming the volume and how to go on; the state keeps the volume", async () => {
    const { volumeId, machineId } = vmObjects();
    deleted = volumeId;
    // A backup taken before the loss (Fly also takes one daily), which the advice restores from.
    snapshot = (await snapshotAndWait(s.fly, s.vmApp, volumeId)).id;
    // As `fly machine destroy --force` then `fly volumes destroy` would (Fly refuses to destroy an attached volume).
    await s.fly.machines.delete(s.vmApp, machineId, { force: true });
    await s.fly.machines.waitForState(s.vmApp, machineId, { state: "destroyed", timeoutMs: 60_000 });
    await s.fly.volumes.delete(s.vmApp, volumeId);

    const result = await s.cli(["refresh", "--yes", "--skip-preview"]);
    const out = result.stdout + result.stderr;
    expect(result.code, out).not.toBe(0);
    const said = `refresh found volume ${volumeId} (vm_data, /data of ${s.vmApp}) gone`;
    expect(diagnostics(out).split(said), out).toHaveLength(2);
    expect(out).toContain("the inbox, Claude sessions and every cloned repository");
    expect(out).toContain(`\`${ALLOW_DATA_LOSS_ENV}=true pulumi refresh\``);
    expect(out).toContain("pulumi config set textslash:restoreFromSnapshot latest");
    expect(out).not.toMatch(/\n\s+at \S+/);
    expect(await resourceIds(s)).toContain(volumeId);
  }, 300_000);

  it("as the message advises (restoreFromSnapshot, one allowed refresh, up): a new volume from the snapshot, and the VM on it", async () => {
    await s.setConfig("restoreFromSnapshot", "latest");
    const result = await s.cli(["refresh", "--yes", "--skip-preview"], { env: { [ALLOW_DATA_LOSS_ENV]: "true" } });
    const out = result.stdout + result.stderr;
    expect(result.code, out).toBe(0);
    expect(out).toContain(`volume ${deleted} (vm_data, /data of ${s.vmApp}) is gone from Fly: Fly lists it as deleted`);
    expect(out).toContain("Data loss is allowed, so refresh drops it from the state");
    expect(await resourceIds(s)).not.toContain(deleted);
    await s.up();
    expectNewVolumeMounted(deleted);
    expect(await vmVolumeOutputs()).toMatchObject({ restoredFrom: snapshot });
  }, 600_000);

  it("with allowDataLoss recorded by an up, a refresh after the VM app was deleted drops the volume and says so", async () => {
    // Cleared after a restore it changes nothing; left set, the up after the app's deletion would look for a snapshot Fly deleted.
    await s.project.stack.removeConfig("textslash:restoreFromSnapshot");
    await s.setConfig("allowDataLoss", "true");
    await s.up();
    const { volumeId } = vmObjects();
    // `fly apps destroy`: Fly deletes the app's machines and volumes with it.
    await s.fly.apps.delete(s.vmApp);
    await s.fly.apps.waitUntilGone(s.vmApp);

    const result = await s.cli(["refresh", "--yes", "--skip-preview"]);
    const out = result.stdout + result.stderr;
    expect(result.code, out).toBe(0);
    expect(out).toContain(`volume ${volumeId} (vm_data, /data of ${s.vmApp}) is gone from Fly: the app ${s.vmApp} is gone too`);
    expect(await resourceIds(s)).not.toContain(volumeId);
    await s.up();
    expectNewVolumeMounted(volumeId);
    expect(leakedSecrets(s.transcript.join("\n"))).toEqual([]);
  }, 900_000);
});
