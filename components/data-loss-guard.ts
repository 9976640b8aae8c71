// Makes a refused destroy refuse before anything is deleted. The volume's own guard fires only
// when the engine reaches the volume, and deletes run dependents first, so by then the relay and
// the VM machine would already be gone. This resource depends on every Fly object of the stack,
// so the engine deletes it first; its delete refuses unless textslash:allowDataLoss was recorded
// by an `up`. It makes no API call. (The provider captures nothing: Pulumi serializes it.)
import * as pulumi from "@pulumi/pulumi";

interface GuardInputs {
  allowDataLoss: boolean;
  /** What would be lost, for the message: "volume vm_data (vol_…) of me-vm". */
  protects: string;
}

const guardProvider: pulumi.dynamic.ResourceProvider<GuardInputs> = {
  diff: async (_id, olds, news) => ({ changes: olds.allowDataLoss !== news.allowDataLoss || olds.protects !== news.protects }),
  create: async (inputs) => ({ id: "data-loss-guard", outs: inputs }),
  update: async (_id, _olds, news) => ({ outs: news }),
  delete: async (_id, props) => {
    if (props.allowDataLoss) return;
    throw new Error(
      `refusing to delete this stack's Fly objects: ${props.protects} holds /data (the inbox, Claude sessions and every ` +
        "cloned repository), which would be lost. Nothing has been deleted. Run `pulumi config set textslash:allowDataLoss true` " +
        "and `pulumi up` (which records it in the stack), then retry.",
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
