// Makes a refused destroy refuse before anything is deleted. The volume's own guard fires only
// when the engine reaches the volume, and deletes run dependents first, so by then the relay and
// the VM machine would already be gone. This resource depends on every Fly object of the stack,
// so the engine deletes it first; its delete refuses unless textslash:allowDataLoss was recorded
// by an `up` (or TEXTSLASH_ALLOW_DATA_LOSS=true is set for the command, see data-loss-consent.ts).
// It makes no API call; its provider is data-loss-guard-provider.ts, in the providers bundle.
import type * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "./dynamic-resource";

export interface DataLossGuardArgs {
  allowDataLoss: pulumi.Input<boolean>;
  protects: pulumi.Input<string>;
}

export class DataLossGuard extends DynamicResource {
  constructor(name: string, args: DataLossGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super("guardProvider", "DataLossGuard", name, { ...args }, opts);
  }
}
