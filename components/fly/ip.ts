// One IP assignment of an app (shared_v4, v6 or a private_v6 Flycast address). Create adopts an
// existing address of the same type, so a second `up` or a takeover never allocates twice; in an app
// the same process just created there is none to adopt, and it allocates without looking.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkWith } from "./check";
import { isFlyNotFound } from "./client";
import { flyConnection, ignoreNotFound } from "./connection";
import { diffByTable, ipDiffTable } from "./diff";
import { firstInFreshApp } from "./fresh-apps";

const inputsSchema = z.object({
  appName: z.string().min(1),
  type: z.enum(["shared_v4", "v6", "private_v6"]),
  /** The app's organization, sent as `org_slug` as flyctl does (deploy_first.go); stacks from before lack it. */
  orgSlug: z.string().min(1).optional(),
  providerVersion: z.number(),
});
type IpInputs = z.infer<typeof inputsSchema>;

const conn = flyConnection();
export const ipProvider: pulumi.dynamic.ResourceProvider<IpInputs> = {
  configure: conn.configure,
  check: async (_olds, news) => checkWith(inputsSchema, news),
  diff: async (_id, olds, news) => {
    // orgSlug only matters to the create: a stack recorded before it was sent has no change to make.
    const d = diffByTable(ipDiffTable, { ...olds, address: undefined, orgSlug: undefined }, { ...news, address: undefined, orgSlug: undefined });
    return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: true };
  },
  create: async (inputs) => {
    const fly = conn.client();
    // An app this process just created has no address yet: no listing (fresh-apps.ts). flyctl lists first too
    // (deploy_first.go), since Fly hands out a second address of a type rather than refusing it.
    const fresh = firstInFreshApp(inputs.appName, `ip:${inputs.type}`);
    const existing = fresh ? undefined : (await fly.ips.list(inputs.appName)).find((a) => a.type === inputs.type);
    // flyctl sends the organization with every assignment, Flycast included (internal/command/deploy/deploy_first.go).
    const ip = existing ?? (await fly.ips.create(inputs.appName, { type: inputs.type, ...(inputs.orgSlug ? { orgSlug: inputs.orgSlug } : {}) }));
    return { id: ip.ip, outs: { ...inputs, address: ip.ip } };
  },
  read: async (id, props) => {
    try {
      const found = (await conn.client().ips.list(props.appName)).find((a) => a.ip === id);
      return found ? { id, props } : {};
    } catch (err) {
      if (isFlyNotFound(err)) return {}; // the app is gone, and its addresses with it
      throw err;
    }
  },
  update: async (id, _olds, news) => ({ outs: { ...news, address: id } }),
  delete: async (id, props) => ignoreNotFound(() => conn.client().ips.delete(props.appName, id)),
};
