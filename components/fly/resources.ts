// The Fly objects as the program declares them. Only the classes: their providers (app.ts,
// volume.ts, secrets.ts, ip.ts, machine.ts, with zod and the Fly client) run in the provider
// process, from the compiled bundle (see ../dynamic-resource.ts); the program never loads them.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "../dynamic-resource";
import type { MachineConfig } from "./client/types";
import { PROVIDER_VERSION } from "./provider-versions";

export interface FlyAppArgs {
  name: pulumi.Input<string>;
  orgSlug: pulumi.Input<string>;
  adopt: pulumi.Input<boolean>;
  /** Keep no public address (see app.ts). */
  privateOnly?: pulumi.Input<boolean>;
  /** textslash:allowDataLoss (see app.ts). */
  allowDataLoss?: pulumi.Input<boolean>;
}

export class FlyApp extends DynamicResource {
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, args: FlyAppArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      privateOnly: args.privateOnly ?? false,
      allowDataLoss: args.allowDataLoss ?? false,
      providerVersion: PROVIDER_VERSION.app,
      // check() asks Fly who holds a new name only in a preview (see app.ts); never recorded in the state.
      checkName: pulumi.runtime.isDryRun(),
      adopted: undefined,
      publicIps: undefined,
    };
    super("appProvider", "FlyApp", name, props, opts);
  }
}

export interface FlyVolumeArgs {
  appName: pulumi.Input<string>;
  name: pulumi.Input<string>;
  region: pulumi.Input<string>;
  sizeGb: pulumi.Input<number>;
  adopt: pulumi.Input<boolean>;
  allowDataLoss: pulumi.Input<boolean>;
  snapshotRetention?: pulumi.Input<number>;
  restoreFromSnapshot?: pulumi.Input<string>;
  backup?: pulumi.Input<boolean>;
  keptOnDestroy?: pulumi.Input<boolean>;
}

export class FlyVolume extends DynamicResource {
  /** Equal to `id`, but unknown in a preview of an in-place update, where `id` stays known: wire other resources to `id`. */
  declare readonly volumeId: pulumi.Output<string>;
  constructor(name: string, args: FlyVolumeArgs, opts?: pulumi.CustomResourceOptions) {
    super("volumeProvider", "FlyVolume", name, { ...args, providerVersion: PROVIDER_VERSION.volume, volumeId: undefined }, opts);
  }
}

export interface FlySecretsArgs {
  appName: pulumi.Input<string>;
  values: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Taking over an app made by the setup script: unset the secrets the stack does not declare. */
  adopt?: pulumi.Input<boolean>;
}

export class FlySecrets extends DynamicResource {
  declare readonly version: pulumi.Output<number>;
  declare readonly digests: pulumi.Output<Record<string, string>>;
  constructor(name: string, args: FlySecretsArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      appName: args.appName,
      values: pulumi.secret(args.values),
      adopt: args.adopt ?? false,
      providerVersion: PROVIDER_VERSION.secrets,
      version: undefined,
      digests: undefined,
    };
    super("secretsProvider", "FlySecrets", name, props, opts);
  }
}

export interface FlyIpArgs {
  appName: pulumi.Input<string>;
  type: "shared_v4" | "v6" | "private_v6";
  orgSlug: pulumi.Input<string>;
}

export class FlyIp extends DynamicResource {
  declare readonly address: pulumi.Output<string>;
  constructor(name: string, args: FlyIpArgs, opts?: pulumi.CustomResourceOptions) {
    super("ipProvider", "FlyIp", name, { ...args, providerVersion: PROVIDER_VERSION.ip, address: undefined }, opts);
  }
}

/** A machine config whose mounts may wait for a volume id (Pulumi resolves nested inputs). */
export type MachineConfigInput = Omit<MachineConfig, "mounts" | "image"> & {
  /** The image's digest reference is an output of its build (or registry lookup). */
  image: pulumi.Input<string>;
  mounts?: { volume: pulumi.Input<string>; path: string }[];
};

export interface FlyMachineArgs {
  appName: pulumi.Input<string>;
  name: pulumi.Input<string>;
  region: pulumi.Input<string>;
  config: pulumi.Input<MachineConfigInput>;
  volumeId?: pulumi.Input<string>;
  secretsVersion?: pulumi.Input<number>;
  adopt: pulumi.Input<boolean>;
}

export class FlyMachine extends DynamicResource {
  /** Equal to `id`, but unknown in a preview of an in-place update, where `id` stays known: wire other resources to `id`. */
  declare readonly machineId: pulumi.Output<string>;
  constructor(name: string, args: FlyMachineArgs, opts?: pulumi.CustomResourceOptions) {
    super("machineProvider", "FlyMachine", name, { ...args, providerVersion: PROVIDER_VERSION.machine, machineId: undefined }, opts);
  }
}
