// The DataLossGuard's provider (the resource is data-loss-guard.ts), served from the providers
// bundle like every other dynamic provider. It makes no API call and reads no credential.
import type * as pulumi from "@pulumi/pulumi";
import { dataLossAllowed, HOW_TO_ALLOW_DELETE } from "./data-loss-consent";
import { refuse } from "./provider-errors";
import { isBundledProviderText } from "./provider-text";

export interface GuardInputs {
  allowDataLoss: boolean;
  /** What would be lost, for the message: "volume vm_data (vol_…) of me-vm". */
  protects: string;
}

export const guardProvider: pulumi.dynamic.ResourceProvider<GuardInputs> = {
  // A destroy runs the provider text recorded in the state. Stacks deployed before the guard was
  // bundled recorded a serialized closure of the guard's code as it was then: their first `up` since
  // records the bundle's text (an update with no API call), which runs the checkout's guard.
  diff: async (_id, olds, news) => ({
    changes: olds.allowDataLoss !== news.allowDataLoss || olds.protects !== news.protects ||
      !isBundledProviderText((olds as unknown as Record<string, unknown>).__provider),
  }),
  create: async (inputs) => ({ id: "data-loss-guard", outs: inputs }),
  update: async (_id, _olds, news) => ({ outs: news }),
  delete: async (_id, props) => {
    if (dataLossAllowed(props.allowDataLoss)) return;
    refuse(
      `refusing to delete this stack's Fly objects: ${props.protects} holds /data (the inbox, Claude sessions and every ` +
        `cloned repository), which would be lost. Nothing has been deleted. ${HOW_TO_ALLOW_DELETE}`,
    );
  },
};
