// The VM's /data volume. It holds the user's work, so delete (and any replacement, which is a
// delete) refuses unless allowDataLoss is set, saying what would be lost and which key allows it;
// when allowed, it first takes a snapshot and waits for it (volume-snapshot.ts), so allowDataLoss means
// "a snapshot exists", and prints its id. A volume can be created from a snapshot (restoreFromSnapshot).
// A refresh that finds the volume gone refuses to drop it unless allowDataLoss is set (volume-gone.ts).
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkWith } from "./check";
import { isFlyNotFound, isVolumeGoing, type FlyClient, type FlyVolume as FlyVolumeState } from "./client";
import { flyConnection, ignoreNotFound } from "./connection";
import { diffByTable, inputFieldsOf, volumeDiffTable } from "./diff";
import { extendVolume } from "./volume-extend";
import { firstInFreshApp } from "./fresh-apps";
import { dataLossAllowed, HOW_TO_ALLOW_DELETE } from "../data-loss-consent";
import { refuse } from "../provider-errors";
import { backupNotice, findSnapshot, snapshotAndWait, waitForVolumeCreated } from "./volume-snapshot";
import { readGoneVolume } from "./volume-gone";

const inputsSchema = z.object({
  appName: z.string().min(1),
  name: z.string().regex(/^[a-z0-9_]{1,30}$/, "only a-z, 0-9 and _ (max 30)"),
  region: z.string().min(1),
  sizeGb: z.number().int().min(1),
  adopt: z.boolean(),
  allowDataLoss: z.boolean(),
  /** Days Fly keeps each daily snapshot (1-60); unset: Fly's default (5). */
  snapshotRetention: z.number().int().min(1).max(60).optional(),
  /** Create the volume from this snapshot ("vs_…", or "latest" of this app's volumes of this name). */
  restoreFromSnapshot: z.union([z.literal(""), z.literal("latest"), z.string().regex(/^vs_[A-Za-z0-9]+$/, "must be a snapshot id (vs_…) or latest")]).optional(),
  /** Take a snapshot (and wait for it) before the volume is deleted or replaced. Unset (older state): yes. */
  backup: z.boolean().optional(),
  /** Whether a destroy keeps the app (and so the snapshot): only changes what the backup notice says. */
  keptOnDestroy: z.boolean().optional(),
  providerVersion: z.number(),
});
type VolumeInputs = z.infer<typeof inputsSchema>;

/**
 * Why the guard refused, and how to allow it. A delete sees the setting as recorded in the state by
 * the last `up` (destroy does not run the program), so it also says to run `pulumi up` first, or how
 * to allow one destroy when that up cannot run (data-loss-consent.ts).
 */
export function dataLossMessage(appName: string, volumeId: string, action: "delete" | "replace" = "delete"): string {
  const how = action === "delete" ? HOW_TO_ALLOW_DELETE : "Run `pulumi config set textslash:allowDataLoss true` to allow it.";
  return (
    `refusing to ${action} volume ${volumeId} of ${appName}: it holds /data (the inbox, Claude sessions and ` +
    `every cloned repository), which would be lost. ${how}`
  );
}

/**
 * The app's live volumes of this name, which a create takes over or refuses to create beside (one listing
 * for both). None in an app this process just created (fresh-apps.ts): Fly allows two volumes of one name,
 * so only the listing would find an earlier up's, and such an app has none, so it is not asked.
 */
async function liveVolumesNamed(fly: FlyClient, inputs: VolumeInputs): Promise<FlyVolumeState[]> {
  if (firstInFreshApp(inputs.appName, `volume:${inputs.name}`)) return [];
  return (await fly.volumes.list(inputs.appName)).filter((v) => v.name === inputs.name && !isVolumeGoing(v.state));
}

/**
 * The volume a create records instead of making a new one: with `adopt`, the app's volume of this name (the
 * shell script's vm_data, attached to its machine); otherwise an unattached one of this name and region,
 * which an earlier up created but never recorded (its create's answer was lost). Fly allows two volumes
 * of one name, so without this a retried up would leave a second, unused volume until the app is deleted.
 */
function volumeToTakeOver(live: FlyVolumeState[], inputs: VolumeInputs): FlyVolumeState | undefined {
  if (inputs.adopt) return live[0];
  return live.find((v) => v.region === inputs.region && !v.attachedMachineId);
}

/**
 * Check before act for a replacement the diff never saw (`pulumi up --replace`, or a volume removed from the state):
 * creating a second volume of this name while one is mounted by a machine would move that machine onto an empty
 * volume. Refused, before anything changes, unless data loss is allowed (a region move or a restore allows it).
 */
function assertNotReplacingInUse(live: FlyVolumeState[], inputs: VolumeInputs): void {
  if (dataLossAllowed(inputs.allowDataLoss)) return;
  const inUse = live.find((v) => v.attachedMachineId);
  if (!inUse) return;
  refuse(
    `refusing to create a second ${inputs.name} volume in ${inputs.appName}: ${inUse.id}, mounted by machine ${inUse.attachedMachineId ?? ""}, ` +
      "holds /data (the inbox, Claude sessions and every cloned repository), and a new volume (a replace, such as " +
      "`pulumi up --replace`) would move the machine onto an empty one. Nothing has been changed. " +
      "Run `pulumi config set textslash:allowDataLoss true` to allow it (the current volume is snapshotted first).",
  );
}

const conn = flyConnection();
export const volumeProvider: pulumi.dynamic.ResourceProvider<VolumeInputs> = {
  configure: conn.configure,
  check: async (olds, news) => {
    if (typeof olds.sizeGb === "number" && typeof news.sizeGb === "number" && news.sizeGb < olds.sizeGb) {
      return { failures: [{ property: "sizeGb", reason: `a volume cannot shrink (${olds.sizeGb} GB → ${news.sizeGb} GB)` }] };
    }
    return checkWith(inputsSchema, news);
  },
  diff: async (id, olds, news) => {
    const { allowDataLoss: _a, ...o } = inputFieldsOf(olds, Object.keys(inputsSchema.shape)) as VolumeInputs;
    const { allowDataLoss: _b, ...n } = news;
    // Clearing restoreFromSnapshot after a restore changes nothing: the volume keeps its data.
    if (!n.restoreFromSnapshot) {
      delete n.restoreFromSnapshot;
      delete o.restoreFromSnapshot;
    }
    // A volume found larger than asked (adopted, or extended outside Pulumi) keeps its size: not a change.
    if (typeof o.sizeGb === "number" && typeof n.sizeGb === "number" && n.sizeGb < o.sizeGb) n.sizeGb = o.sizeGb;
    const d = diffByTable(volumeDiffTable, o, n);
    if (d.replaces.length > 0 && !news.allowDataLoss) {
      refuse(`${dataLossMessage(olds.appName, id, "replace")} (${d.replaces.join(", ")} changed.)`);
    }
    return { changes: d.changes || olds.allowDataLoss !== news.allowDataLoss, replaces: d.replaces, deleteBeforeReplace: true };
  },
  create: async (inputs) => {
    const fly = conn.client();
    const live = await liveVolumesNamed(fly, inputs);
    const found = volumeToTakeOver(live, inputs);
    if (found) {
      if (found.sizeGb < inputs.sizeGb) await extendVolume(fly, inputs.appName, found.id, inputs.sizeGb);
      return { id: found.id, outs: { ...inputs, volumeId: found.id, sizeGb: Math.max(found.sizeGb, inputs.sizeGb) } };
    }
    assertNotReplacingInUse(live, inputs);
    const retention = inputs.snapshotRetention !== undefined ? { snapshotRetention: inputs.snapshotRetention } : {};
    if (inputs.restoreFromSnapshot) {
      const snapshot = await findSnapshot(fly, inputs.appName, inputs.name, inputs.restoreFromSnapshot);
      // Fly restores "into a new volume of equal or greater size" (docs volumes/snapshots).
      const sizeGb = Math.max(inputs.sizeGb, snapshot.volumeSize ?? 0);
      const v = await fly.volumes.create(inputs.appName, { name: inputs.name, region: inputs.region, sizeGb, snapshotId: snapshot.id, ...retention });
      await waitForVolumeCreated(fly, inputs.appName, v.id);
      return { id: v.id, outs: { ...inputs, sizeGb, volumeId: v.id, restoredFrom: snapshot.id } };
    }
    const v = await fly.volumes.create(inputs.appName, { name: inputs.name, region: inputs.region, sizeGb: inputs.sizeGb, ...retention });
    return { id: v.id, outs: { ...inputs, volumeId: v.id } };
  },
  read: async (id, props) => {
    const fly = conn.client();
    let v: FlyVolumeState;
    try {
      v = await fly.volumes.get(props.appName, id);
    } catch (err) {
      // Gone behind Pulumi's back, or Fly answers wrongly: dropped only when data loss is allowed (volume-gone.ts).
      if (isFlyNotFound(err)) return readGoneVolume(fly, id, props, { notFound: true });
      throw err;
    }
    // Being destroyed (or soft-deleted): the same.
    if (isVolumeGoing(v.state)) return readGoneVolume(fly, id, props, { state: v.state });
    // A retention changed outside Pulumi is recorded, so the next up sets the stack's again.
    const retention = props.snapshotRetention !== undefined && v.snapshotRetention !== undefined ? { snapshotRetention: v.snapshotRetention } : {};
    return { id, props: { ...props, sizeGb: v.sizeGb, volumeId: v.id, ...retention } };
  },
  update: async (id, olds, news) => {
    const outs = { ...news, sizeGb: Math.max(news.sizeGb, olds.sizeGb), volumeId: id, ...(olds.restoredFrom ? { restoredFrom: olds.restoredFrom } : {}) };
    if (news.snapshotRetention !== undefined && news.snapshotRetention !== olds.snapshotRetention) {
      // Applies to new snapshots only (docs volumes/snapshots); no machine is touched.
      await conn.client().volumes.update(news.appName, id, { snapshotRetention: news.snapshotRetention });
    }
    if (news.sizeGb > olds.sizeGb) {
      try {
        await extendVolume(conn.client(), news.appName, id, news.sizeGb);
      } catch (err) {
        // The volume may already have its new size (only the restart failed): record it, so the next up does not
        // try to grow it again; the message says what to run.
        const e = err instanceof Error ? err : new Error(String(err));
        throw Object.assign(e, { id, properties: outs, reasons: [e.message] });
      }
    }
    return { outs };
  },
  delete: async (id, props) => {
    if (!dataLossAllowed(props.allowDataLoss)) refuse(dataLossMessage(props.appName, id));
    const fly = conn.client();
    // Already on its way out (scheduling_destroy, waiting_for_detach, fork_cleanup, pending_destroy): done.
    const current = await fly.volumes.get(props.appName, id).catch((err: unknown) => (isFlyNotFound(err) ? undefined : Promise.reject(err)));
    if (current === undefined || isVolumeGoing(current.state)) return;
    if (props.backup !== false) {
      // allowDataLoss means "a snapshot exists": no snapshot, no delete (snapshotAndWait throws, nothing is deleted).
      const snapshot = await snapshotAndWait(fly, props.appName, id);
      // A dynamic provider's output reaches the engine's Diagnostics: the id stays in the destroy's output.
      console.error(backupNotice(props.appName, id, snapshot, props.keptOnDestroy === true));
    }
    await ignoreNotFound(() => fly.volumes.delete(props.appName, id));
  },
};
