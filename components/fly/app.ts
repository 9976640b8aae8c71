// A Fly app as a dynamic resource. check() asks Fly who holds a new name (app-name.ts), so a preview
// reports a taken one before anything is created. Create adopts an existing app of the same name only when
// `adopt` is set (textslash:adoptExisting); otherwise a name clash is an error, unless the app is
// an empty one of the stack's organization that an earlier up created but never recorded. A `privateOnly`
// app (the VM) keeps no public address: adoption releases any (`fly deploy` hands them out),
// refresh notices one added later, and the next up releases it. Delete stops and destroys the app's machines,
// then waits for Fly's asynchronous app delete to finish. Fly deletes an app's volumes with it, so a delete
// that would take a live volume along (one the stack no longer tracks: removed from state, or never
// deleted) is refused unless allowDataLoss was recorded, like the volume's own delete.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { FlyApiError, isFlyNotFound, isVolumeGoing, type FlyClient } from "./client";
import { appNameHolder, appNameProblem, GONE_MACHINE, takenByAnotherOrg } from "./app-name";
import { flyConnection, ignoreNotFound, isUnknown } from "./connection";
import { appDiffTable, diffByTable, inputFieldsOf } from "./diff";
import { checkWith } from "./check";
import { forgetApp, markAppCreated } from "./fresh-apps";
import { dataLossAllowed, HOW_TO_ALLOW_DELETE } from "../data-loss-consent";
import { refuse } from "../provider-errors";

const inputsSchema = z.object({
  name: z.string().min(1),
  orgSlug: z.string().min(1),
  adopt: z.boolean(),
  privateOnly: z.boolean().default(false),
  /** textslash:allowDataLoss: whether a delete may take the app's remaining volumes with it (absent: no). */
  allowDataLoss: z.boolean().optional(),
  providerVersion: z.number(),
});
type AppInputs = z.infer<typeof inputsSchema>;
type AppOutputs = AppInputs & { adopted?: boolean; publicIps?: string[] };

const isPublic = (type: string) => type !== "private_v6";

/** Releases the app's public addresses; returns what it released. */
async function releasePublicIps(fly: FlyClient, appName: string): Promise<string[]> {
  const found = (await fly.ips.list(appName)).filter((ip) => isPublic(ip.type)).map((ip) => ip.ip);
  for (const ip of found) await ignoreNotFound(() => fly.ips.delete(appName, ip));
  return found;
}

/**
 * Before an app is deleted, its machines are stopped and destroyed one by one (a stop first, so each process
 * gets its stop signal and the volume is released), so the app's own asynchronous delete has nothing running left.
 */
async function emptyApp(fly: FlyClient, appName: string): Promise<void> {
  let machines;
  try {
    machines = (await fly.machines.list(appName)).filter((m) => !GONE_MACHINE.has(m.state));
  } catch (err) {
    if (isFlyNotFound(err)) return;
    throw err;
  }
  for (const m of machines) {
    if (m.state !== "stopped" && m.state !== "suspended" && m.state !== "created") {
      await ignoreNotFound(() => fly.machines.stop(appName, m.id));
      await ignoreNotFound(() => fly.machines.waitForState(appName, m.id, { state: "stopped", timeoutMs: 60_000 }));
    }
    await ignoreNotFound(() => fly.machines.delete(appName, m.id));
    await ignoreNotFound(() => fly.machines.waitForState(appName, m.id, { state: "destroyed", timeoutMs: 60_000 }));
  }
}

/**
 * After Fly refused the create: returns when the app is one an earlier up created but never recorded (its
 * create's answer was lost), which is recorded instead. Only an app of the stack's organization with nothing
 * in it qualifies: one with machines or volumes may be a deployment with data, which only
 * textslash:adoptExisting takes over. Otherwise throws, saying which case it is.
 */
async function assertUnrecordedApp(fly: FlyClient, inputs: AppInputs, refused: FlyApiError): Promise<void> {
  const holder = await appNameHolder(fly, inputs.name, inputs.orgSlug);
  if (holder.kind === "empty") return;
  if (holder.kind === "free") throw refused; // gone again, or Fly refused the name for another reason
  throw new Error(appNameProblem(holder, inputs.name, inputs.orgSlug, false) ?? refused.message);
}

/**
 * Refuses to delete an app that still holds a live volume, unless data loss is allowed. In a normal destroy the
 * stack's volumes are deleted (and so "going") before their app; a live one here is one the stack lost track of.
 */
async function assertNoVolumeLeft(fly: FlyClient, appName: string, allowDataLoss: boolean | undefined): Promise<void> {
  if (dataLossAllowed(allowDataLoss)) return;
  let live;
  try {
    live = (await fly.volumes.list(appName)).filter((v) => !isVolumeGoing(v.state));
  } catch (err) {
    if (isFlyNotFound(err)) return;
    throw err;
  }
  if (live.length === 0) return;
  const held = live.map((v) => `${v.name} (${v.id})`).join(", ");
  refuse(
    `refusing to delete app ${appName}: it still holds volume ${held}, which Fly would delete with the app ` +
      `(the stack does not track it: removed from the state, or left by an earlier run). Nothing has been deleted. ${HOW_TO_ALLOW_DELETE}`,
  );
}

const conn = flyConnection();

/**
 * check() asks Fly who holds a name this stack is about to create, so a preview reports a taken name before
 * anything exists. Only a new name is asked about (a name in state is this stack's), and only an answer about
 * the name counts: any other failure (no token yet, Fly unreachable) is left to create, which names it.
 * Only in a preview (`checkName`, the program's isDryRun; absent counts as yes): in an up the read would
 * sit before the app's create on the critical path and learn nothing the create does not, since Fly refuses
 * a taken name (422) and create then reads the holder the same way (assertUnrecordedApp) and says the same.
 */
async function nameFailure(olds: Partial<AppOutputs>, inputs: AppInputs): Promise<pulumi.dynamic.CheckFailure | undefined> {
  if (olds.name === inputs.name || [inputs.name, inputs.orgSlug, inputs.adopt].some(isUnknown)) return undefined;
  let holder;
  try {
    holder = await appNameHolder(conn.client(), inputs.name, inputs.orgSlug);
  } catch {
    return undefined;
  }
  const reason = appNameProblem(holder, inputs.name, inputs.orgSlug, inputs.adopt);
  return reason === undefined ? undefined : { property: "name", reason };
}

export const appProvider: pulumi.dynamic.ResourceProvider<AppInputs> = {
  configure: conn.configure,
  check: async (olds: Partial<AppOutputs>, news) => {
    // Not an input of the resource: dropped here, so the state never holds it and a diff never sees it.
    const { checkName, ...rest } = news as Record<string, unknown>;
    const checked = checkWith(inputsSchema, rest);
    if (checked.failures !== undefined || checkName === false) return checked;
    const failure = await nameFailure(olds, checked.inputs as AppInputs);
    return failure === undefined ? checked : { failures: [failure] };
  },
  diff: async (_id, olds: AppOutputs, news) => {
    // allowDataLoss is absent from the state of stacks made before it existed: that is false, not a change.
    const recorded = { allowDataLoss: false, ...inputFieldsOf(olds, Object.keys(inputsSchema.shape)) };
    const d = diffByTable(appDiffTable, recorded, { ...news });
    // A public address found on a private app by refresh: an update releases it.
    const strayPublic = news.privateOnly === true && (olds.publicIps ?? []).length > 0;
    return { changes: d.changes || strayPublic, replaces: d.replaces, deleteBeforeReplace: true };
  },
  create: async (inputs) => {
    const fly = conn.client();
    if (inputs.adopt) {
      try {
        const existing = await fly.apps.get(inputs.name);
        forgetApp(existing.name);
        if (inputs.privateOnly) await releasePublicIps(fly, existing.name);
        return { id: existing.name, outs: { ...inputs, adopted: true, publicIps: [] } };
      } catch (err) {
        if (err instanceof FlyApiError && err.status === 403) throw new Error(takenByAnotherOrg(inputs.name, inputs.orgSlug));
        if (!isFlyNotFound(err)) throw err;
      }
    }
    try {
      const app = await fly.apps.create({ name: inputs.name, orgSlug: inputs.orgSlug });
      markAppCreated(app.name);
      return { id: app.name, outs: { ...inputs, adopted: false, publicIps: [] } };
    } catch (err) {
      if (!(err instanceof FlyApiError) || (err.status !== 409 && err.status !== 422)) throw err;
      forgetApp(inputs.name);
      await assertUnrecordedApp(fly, inputs, err);
      return { id: inputs.name, outs: { ...inputs, adopted: false, publicIps: [] } };
    }
  },
  read: async (id, props: AppOutputs) => {
    const fly = conn.client();
    try {
      await fly.apps.get(id);
    } catch (err) {
      if (isFlyNotFound(err)) return {}; // gone: refresh drops it, the next up creates it
      throw err;
    }
    if (!props.privateOnly) return { id, props };
    const publicIps = (await fly.ips.list(id)).filter((ip) => isPublic(ip.type)).map((ip) => ip.ip);
    return { id, props: { ...props, publicIps } };
  },
  update: async (id, olds: AppOutputs, news) => {
    if (news.privateOnly && (olds.publicIps ?? []).length > 0) await releasePublicIps(conn.client(), id);
    return { outs: { ...news, adopted: olds.adopted, publicIps: [] } };
  },
  delete: async (id, props: AppOutputs) => {
    const fly = conn.client();
    forgetApp(id);
    await assertNoVolumeLeft(fly, id, props.allowDataLoss);
    await emptyApp(fly, id);
    await ignoreNotFound(() => fly.apps.delete(id));
    // Fly answers 202 and deletes afterwards: done only once the app is gone, so a destroy followed by an up
    // of the same stack never meets the old app's name.
    await fly.apps.waitUntilGone(id);
  },
};
