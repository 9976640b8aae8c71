// Backups and restore with the real CLI against the local Fly API: the /data volume's snapshot retention
// set and changed in place; a region move with allowDataLoss snapshots the old volume first and restores
// the new one from it ("latest"); destroy prints the last snapshot's id and keeps the emptied VM app, so the
// snapshot survives; a new stack of the same prefix in another region restores /data from that id.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngineProject, type EngineProject } from "./harness";
import { programFiles, stackConfig, stackEnv, startFlyStack, writes, type FlyStack } from "./fly-stack";

interface VolumeOuts { type: string; outputs?: { region?: string; restoredFrom?: string; snapshotRetention?: number } }

async function vmVolumeOuts(project: EngineProject): Promise<VolumeOuts["outputs"]> {
  const checkpoint = JSON.parse(await project.readStateFile()) as { checkpoint: { latest: { resources: (VolumeOuts & { urn: string })[] } } };
  return checkpoint.checkpoint.latest.resources.find((r) => r.urn.endsWith("::vm-volume"))?.outputs;
}

describe("backups and restore of /data", () => {
  let s: FlyStack;
  let lastSnapshot = "";
  const liveVmVolumes = () => s.api.state().volumes.filter((v) => v.app === s.vmApp && v.state === "created");

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "bak", config: { snapshotRetentionDays: "7", keepBackupOnDestroy: "true" } });
    await s.up();
  }, 300_000);

  afterAll(async () => {
    await s?.close();
  });

  it("the /data volume keeps its daily snapshots as long as the stack says, changed in place", async () => {
    const [vol] = liveVmVolumes();
    expect((await s.fly.volumes.get(s.vmApp, vol!.id)).snapshotRetention).toBe(7);
    s.api.clearRequests();
    await s.setConfig("snapshotRetentionDays", "9");
    await s.up();
    expect(writes(s.api.requests())).toEqual([`PUT /v1/apps/${s.vmApp}/volumes/${vol!.id}`]);
    expect((await s.fly.volumes.get(s.vmApp, vol!.id)).snapshotRetention).toBe(9);
  }, 300_000);

  it("moving region with allowDataLoss snapshots the old volume first and restores the new one from it", async () => {
    const [old] = liveVmVolumes();
    await s.setConfig("allowDataLoss", "true");
    await s.up(); // records it: a delete reads the setting from the state, as for a destroy
    await s.setConfig("region", "ams");
    await s.setConfig("restoreFromSnapshot", "latest");
    const out = await s.up();
    const [taken] = await s.fly.volumes.listSnapshots(s.vmApp, old!.id);
    expect(taken).toMatchObject({ status: "created", retentionDays: 9 });
    expect(out).toContain(`backup: snapshot ${taken!.id} of volume ${old!.id} (/data of ${s.vmApp}), kept 9 days.`);
    const [moved] = liveVmVolumes();
    expect(liveVmVolumes()).toHaveLength(1);
    expect(await s.fly.volumes.get(s.vmApp, moved!.id)).toMatchObject({ region: "ams", state: "created" });
    expect(await vmVolumeOuts(s.project)).toMatchObject({ region: "ams", restoredFrom: taken!.id });
  }, 400_000);

  it("destroy prints the last snapshot's id and keeps the emptied VM app, so the snapshot survives", async () => {
    const [vol] = liveVmVolumes();
    const destroy = await s.cli(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.stdout + destroy.stderr).toBe(0);
    const line = /backup: snapshot (vs_\w+) of volume (vol_\w+) \(\/data of bak-vm\), kept 9 days\. A destroy keeps the emptied app bak-vm/.exec(destroy.stdout);
    expect(line, destroy.stdout).not.toBeNull();
    expect(line![2]).toBe(vol!.id);
    lastSnapshot = line![1]!;
    const st = s.api.state();
    expect(st.apps).toEqual([s.vmApp]);
    expect(st.machines.filter((m) => m.state !== "destroyed")).toEqual([]);
    expect(st.volumes.filter((v) => v.state === "created")).toEqual([]);
    expect(st.ips).toEqual([]);
    expect(st.secrets[s.vmApp]!.names).toEqual([]); // a kept app holds no key
    expect((await s.fly.volumes.listSnapshots(s.vmApp, vol!.id)).map((x) => x.id)).toContain(lastSnapshot);
  }, 300_000);

  it("a new stack of the same prefix, in another region, restores /data from that snapshot", async () => {
    const project = await createEngineProject({ copyFromRepo: programFiles, stackName: "bak-restored", env: stackEnv(s.api.url) });
    try {
      await project.stack.setAllConfig(stackConfig("bak", s.images, { region: "lax", restoreFromSnapshot: lastSnapshot }));
      const up = await project.cli(["up", "--yes", "--skip-preview"]);
      expect(up.code, up.stdout + up.stderr).toBe(0);
      const restored = liveVmVolumes();
      expect(restored).toHaveLength(1);
      expect(restored[0]).toMatchObject({ attachedMachineId: expect.any(String) });
      expect(await s.fly.volumes.get(s.vmApp, restored[0]!.id)).toMatchObject({ region: "lax" });
      expect(await vmVolumeOuts(project)).toMatchObject({ region: "lax", restoredFrom: lastSnapshot });
      await project.stack.setConfig("textslash:allowDataLoss", { value: "true" });
      await project.stack.setConfig("textslash:keepBackupOnDestroy", { value: "false" });
      expect((await project.cli(["up", "--yes", "--skip-preview"])).code).toBe(0);
      const destroy = await project.cli(["destroy", "--yes", "--skip-preview"]);
      expect(destroy.code, destroy.stdout + destroy.stderr).toBe(0);
      expect(destroy.stdout).toContain("A destroy deletes the app bak-vm and this snapshot with it (textslash:keepBackupOnDestroy is false)");
      for (let i = 0; i < 200 && s.api.state().apps.length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(s.api.state().apps).toEqual([]);
    } finally {
      await project.cleanup();
    }
  }, 500_000);
});
