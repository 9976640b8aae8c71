// What a refresh does with a volume it finds gone from Fly (deleted behind Pulumi's back, its app
// deleted, or Fly answering 404). Dropping it from the state, as refresh does with any object that
// is gone, would make the next `up` create an empty volume and start the VM on an empty /data
// without a word. So, unless data loss is allowed (textslash:allowDataLoss as the last `up` recorded
// it, or TEXTSLASH_ALLOW_DATA_LOSS=true for this one command), refresh refuses and keeps it; when
// allowed, it drops it and says so. The relay's outbox volume is always allowed (textslash-stack.ts).
import { isFlyNotFound, type FlyClient } from "./client";
import { ALLOW_DATA_LOSS_ENV, dataLossAllowed } from "../data-loss-consent";
import { refuse } from "../provider-errors";

export interface GoneVolume {
  appName: string;
  /** The volume's name (vm_data). */
  name: string;
  allowDataLoss: boolean;
}

/** How Fly answered for the volume: its state when it still lists it (pending_destroy, …), or 404. */
export type GoneAnswer = { state: string } | { notFound: true };

/** "vol_… (vm_data, /data of me-vm)": the words both messages start from. */
const described = (id: string, v: GoneVolume): string => `volume ${id} (${v.name}, /data of ${v.appName})`;

function howFlyAnswered(answer: GoneAnswer, appName: string, appGone: boolean): string {
  if (appGone) return `the app ${appName} is gone too, and Fly deletes an app's volumes and their snapshots with it`;
  return "state" in answer ? `Fly lists it as deleted (${answer.state})` : "Fly answers 404 for it";
}

/** The refusal: what is gone, that refresh kept it, and each way to go on. Pure. */
export function volumeGoneMessage(id: string, v: GoneVolume, answer: GoneAnswer, appGone: boolean): string {
  const restore = appGone
    ? ""
    : "to fill the new volume from a snapshot, first `pulumi config set textslash:restoreFromSnapshot latest` " +
      `(or a vs_… id: \`fly volumes list --all -a ${v.appName}\`, then \`fly volumes snapshots list <volume id>\`); then `;
  return (
    `refresh found ${described(id, v)} gone: ${howFlyAnswered(answer, v.appName, appGone)}. What was on /data ` +
    "(the inbox, Claude sessions and every cloned repository) is gone or unreachable, so refresh keeps the volume " +
    "in the state rather than let the next `up` start the VM on a new, empty one. Nothing has been changed. " +
    "If Fly should still have it (a wrong textslash:flyApiUrl or token, an outage), fix that and refresh again. " +
    `If it is gone for good: ${restore}allow dropping it with \`${ALLOW_DATA_LOSS_ENV}=true pulumi refresh\` ` +
    "(refresh reads textslash:allowDataLoss as the last `up` recorded it), then `pulumi up` creates the volume again."
  );
}

/** The notice of an allowed drop. Pure. */
export function volumeDroppedNotice(id: string, v: GoneVolume, answer: GoneAnswer, appGone: boolean): string {
  return (
    `${described(id, v)} is gone from Fly: ${howFlyAnswered(answer, v.appName, appGone)}. Data loss is allowed, ` +
    "so refresh drops it from the state; the next `pulumi up` creates a new, empty volume " +
    "(or one from textslash:restoreFromSnapshot, when set)."
  );
}

/** Whether the volume's app is gone too (404), which changes what can be recovered. */
async function appIsGone(fly: FlyClient, appName: string): Promise<boolean> {
  try {
    await fly.apps.get(appName);
    return false;
  } catch (err) {
    if (isFlyNotFound(err)) return true;
    throw err;
  }
}

/**
 * The read's answer for a volume found gone: `{}` (drop it) when data loss is allowed, after saying so
 * on stderr (which the engine prints); otherwise throws the refusal, and the state keeps the volume.
 */
export async function readGoneVolume(fly: FlyClient, id: string, v: GoneVolume, answer: GoneAnswer): Promise<Record<string, never>> {
  const appGone = await appIsGone(fly, v.appName);
  if (!dataLossAllowed(v.allowDataLoss)) refuse(volumeGoneMessage(id, v, answer, appGone));
  console.error(volumeDroppedNotice(id, v, answer, appGone));
  return {};
}
