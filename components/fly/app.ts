// A Fly app as a dynamic resource. Create adopts an existing app of the same name only when
// `adopt` is set (textslash:adoptExisting); otherwise a name clash is an error.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isFlyNotFound } from "./client";
import { flyConnection, ignoreNotFound } from "./connection";
import { appDiffTable, diffByTable, inputFieldsOf } from "./diff";
import { checkWith } from "./check";
import { lazyProvider } from "./lazy-provider";

export const PROVIDER_VERSION = 1;
const inputsSchema = z.object({
  name: z.string().min(1),
  orgSlug: z.string().min(1),
  adopt: z.boolean(),
  providerVersion: z.number(),
});
type AppInputs = z.infer<typeof inputsSchema>;

const conn = flyConnection();
export const appProvider: pulumi.dynamic.ResourceProvider<AppInputs> = {
  configure: conn.configure,
  check: async (_olds, news) => checkWith(inputsSchema, news),
  diff: async (_id, olds, news) => {
    const d = diffByTable(appDiffTable, inputFieldsOf(olds, Object.keys(inputsSchema.shape)), { ...news });
    return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: true };
  },
  create: async (inputs) => {
    const fly = conn.client();
    if (inputs.adopt) {
      try {
        const existing = await fly.apps.get(inputs.name);
        return { id: existing.name, outs: { ...inputs, adopted: true } };
      } catch (err) {
        if (!isFlyNotFound(err)) throw err;
      }
    }
    const app = await fly.apps.create({ name: inputs.name, orgSlug: inputs.orgSlug });
    return { id: app.name, outs: { ...inputs, adopted: false } };
  },
  read: async (id, props) => {
    await conn.client().apps.get(id); // a 404 propagates: refresh then shows the app gone
    return { id, props };
  },
  update: async (_id, _olds, news) => ({ outs: news }),
  delete: async (id) => ignoreNotFound(() => conn.client().apps.delete(id)),
};

/** The only provider object Pulumi serializes (see lazy-provider.ts). */
const serializedProvider = lazyProvider("components/fly/app.ts", __filename, "appProvider");

export interface FlyAppArgs {
  name: pulumi.Input<string>;
  orgSlug: pulumi.Input<string>;
  adopt: pulumi.Input<boolean>;
}

export class FlyApp extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, args: FlyAppArgs, opts?: pulumi.CustomResourceOptions) {
    super(serializedProvider, name, { ...args, providerVersion: PROVIDER_VERSION, adopted: undefined }, opts, "textslash", "FlyApp");
  }
}
