// Makes a refused destroy refuse before anything is deleted. The volume's own guard fires only
// when the engine reaches the volume, and deletes run dependents first, so by then the relay and
// the VM machine would already be gone. This resource depends on every Fly object of the stack,
// so the engine deletes it first; its delete refuses unless textslash:allowDataLoss was recorded
// by an `up` (or TEXTSLASH_ALLOW_DATA_LOSS=true is set for the command, see data-loss-consent.ts).
// It makes no API call. (The provider captures nothing secret: Pulumi serializes it into the state,
// and a destroy runs the code stored there; see diff.)
import * as pulumi from "@pulumi/pulumi";
import { dataLossAllowed, HOW_TO_ALLOW_DELETE } from "./data-loss-consent";
import { refuse } from "./provider-errors";

interface GuardInputs {
  allowDataLoss: boolean;
  /** What would be lost, for the message: "volume vm_data (vol_…) of me-vm". */
  protects: string;
}

/** The serialized provider, which Pulumi keeps among the inputs. */
const PROVIDER_KEY = "__provider";

const guardProvider: pulumi.dynamic.ResourceProvider<GuardInputs> = {
  // A new version of this code is recorded only by an update, and a destroy runs the recorded
  // code: so a changed provider is a change too (an update with no API call).
  diff: async (_id, olds, news) => ({
    changes: olds.allowDataLoss !== news.allowDataLoss || olds.protects !== news.protects ||
      (olds as unknown as Record<string, unknown>)[PROVIDER_KEY] !== (news as unknown as Record<string, unknown>)[PROVIDER_KEY],
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

export interface DataLossGuardArgs {
  allowDataLoss: pulumi.Input<boolean>;
  protects: pulumi.Input<string>;
}

export class DataLossGuard extends pulumi.dynamic.Resource {
  constructor(name: string, args: DataLossGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(guardProvider, name, args, opts, "textslash", "DataLossGuard");
  }
}
