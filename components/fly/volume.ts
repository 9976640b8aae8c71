// The VM's /data volume. It holds the user's work, so delete (and any replacement, which is a
// delete) refuses unless allowDataLoss is set, saying what would be lost and which key allows it.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkWith } from "./check";
import { lazyProvider } from "./lazy-provider";
import { isFlyNotFound, isVolumeGoing, type FlyClient, type FlyVolume as FlyVolumeState } from "./client";
import { flyConnection, ignoreNotFound } from "./connection";
import { diffByTable, inputFieldsOf, volumeDiffTable } from "./diff";
import { extendVolume } from "./volume-extend";
import { dataLossAllowed, HOW_TO_ALLOW_DELETE } from "../data-loss-consent";
import { refuse } from "../provider-errors";

export const PROVIDER_VERSION = 1;
const inputsSchema = z.object({
  appName: z.string().min(1),
  name: z.string().regex(/^[a-z0-9_]{1,30}$/, "only a-z, 0-9 and _ (max 30)"),
  region: z.string().min(1),
  sizeGb: z.number().int().min(1),
  adopt: z.boolean(),
  allowDataLoss: z.boolean(),
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
 * The volume a create records instead of making a new one: with `adopt`, the app's volume of this name (the
 * shell script's vm_data, attached to its machine); otherwise an unattached one of this name and region,
 * which an earlier up created but never recorded (its create's answer was lost). Fly allows two volumes
 * of one name, so without this a retried up would leave a second, unused volume until the app is deleted.
 */
async function volumeToTakeOver(fly: FlyClient, inputs: VolumeInputs): Promise<FlyVolumeState | undefined> {
  const live = (await fly.volumes.list(inputs.appName)).filter((v) => v.name === inputs.name && !isVolumeGoing(v.state));
  if (inputs.adopt) return live[0];
  return live.find((v) => v.region === inputs.region && !v.attachedMachineId);
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
    const found = await volumeToTakeOver(fly, inputs);
    if (found) {
      if (found.sizeGb < inputs.sizeGb) await extendVolume(fly, inputs.appName, found.id, inputs.sizeGb);
      return { id: found.id, outs: { ...inputs, volumeId: found.id, sizeGb: Math.max(found.sizeGb, inputs.sizeGb) } };
    }
    const v = await fly.volumes.create(inputs.appName, { name: inputs.name, region: inputs.region, sizeGb: inputs.sizeGb });
    return { id: v.id, outs: { ...inputs, volumeId: v.id } };
  },
  read: async (id, props) => {
    try {
      const v = await conn.client().volumes.get(props.appName, id);
      if (isVolumeGoing(v.state)) return {}; // being destroyed (or soft-deleted): refresh drops it
      return { id, props: { ...props, sizeGb: v.sizeGb, volumeId: v.id } };
    } catch (err) {
      if (isFlyNotFound(err)) return {}; // gone behind Pulumi's back: refresh drops it, the next up creates it
      throw err;
    }
  },
  update: async (id, olds, news) => {
    const outs = { ...news, sizeGb: Math.max(news.sizeGb, olds.sizeGb), volumeId: id };
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
    await ignoreNotFound(() => fly.volumes.delete(props.appName, id));
  },
};

/** The only provider object Pulumi serializes (see lazy-provider.ts). */
const serializedProvider = lazyProvider("components/fly/volume.ts", __filename, "volumeProvider");

export interface FlyVolumeArgs {
  appName: pulumi.Input<string>;
  name: pulumi.Input<string>;
  region: pulumi.Input<string>;
  sizeGb: pulumi.Input<number>;
  adopt: pulumi.Input<boolean>;
  allowDataLoss: pulumi.Input<boolean>;
}

export class FlyVolume extends pulumi.dynamic.Resource {
  declare readonly volumeId: pulumi.Output<string>;
  constructor(name: string, args: FlyVolumeArgs, opts?: pulumi.CustomResourceOptions) {
    super(serializedProvider, name, { ...args, providerVersion: PROVIDER_VERSION, volumeId: undefined }, opts, "textslash", "FlyVolume");
  }
}
