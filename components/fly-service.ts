// A generic Fly service: app + secrets + IPs + optional volume + exactly one machine.
// Independent children are created concurrently; dependsOn/inputs order only what must be ordered
// (everything after the app; the machine after secrets, volume).
import * as pulumi from "@pulumi/pulumi";
import { FlyApp, FlyIp, FlyMachine, FlySecrets, FlyVolume, type MachineConfigInput } from "./fly/resources";

export type IpKind = "shared_v4" | "v6" | "private_v6";

export interface FlyServiceArgs {
  appName: string;
  org: string;
  region: string;
  adopt: boolean;
  secrets: pulumi.Input<Record<string, pulumi.Input<string>>>;
  ips: IpKind[];
  /** A private service refuses any public address. */
  privateOnly: boolean;
  volume?: {
    name: string;
    sizeGb: number;
    mountPath: string;
    allowDataLoss: boolean;
    /** Snapshots and restore (the VM's /data; see components/fly/volume.ts). */
    snapshotRetention?: number;
    restoreFromSnapshot?: string;
    backup?: boolean;
  };
  /**
   * Leave the (emptied) app on Fly when the stack is destroyed: deleting an app deletes its volumes' snapshots
   * (Fly docs apps/delete), so this is what lets the last snapshot of /data survive a destroy.
   */
  keepAppOnDestroy?: boolean;
  /**
   * The machine's config, made once the app exists (its image may be pushed to
   * registry.fly.io/{app}, which needs the app) with options that order a resource after it.
   */
  machine: { config: (afterApp: { parent: pulumi.Resource; dependsOn: pulumi.Resource[] }) => MachineConfigInput };
}

export function checkAddresses(appName: string, ips: IpKind[], privateOnly: boolean): void {
  const publicOnes = ips.filter((t) => t !== "private_v6");
  if (privateOnly && publicOnes.length > 0) {
    throw new Error(`${appName} is private (Flycast only); refusing public address(es): ${publicOnes.join(", ")}`);
  }
}

export class FlyService extends pulumi.ComponentResource {
  readonly app: FlyApp;
  readonly machine: FlyMachine;
  readonly secrets: FlySecrets;
  readonly volume: FlyVolume | undefined;
  readonly ips: FlyIp[];
  /** The machine's config as given (image digest and volume id still Outputs). */
  readonly machineConfig: MachineConfigInput;

  constructor(name: string, args: FlyServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("textslash:fly:Service", name, {}, opts);
    checkAddresses(args.appName, args.ips, args.privateOnly);
    const child = { parent: this };
    this.app = new FlyApp(
      `${name}-app`,
      // The app guards its volume as the volume does: Fly deletes an app's volumes with it.
      { name: args.appName, orgSlug: args.org, adopt: args.adopt, privateOnly: args.privateOnly, allowDataLoss: args.volume?.allowDataLoss ?? false },
      { ...child, ...(args.keepAppOnDestroy ? { retainOnDelete: true } : {}) },
    );
    const afterApp = { parent: this, dependsOn: [this.app] };
    this.secrets = new FlySecrets(`${name}-secrets`, { appName: this.app.name, values: args.secrets, adopt: args.adopt }, afterApp);
    this.ips = args.ips.map((type) => new FlyIp(`${name}-ip-${type}`, { appName: this.app.name, type, orgSlug: args.org }, afterApp));
    this.volume = args.volume
      ? new FlyVolume(
          `${name}-volume`,
          {
            appName: this.app.name,
            name: args.volume.name,
            region: args.region,
            sizeGb: args.volume.sizeGb,
            adopt: args.adopt,
            allowDataLoss: args.volume.allowDataLoss,
            ...(args.volume.snapshotRetention !== undefined ? { snapshotRetention: args.volume.snapshotRetention } : {}),
            ...(args.volume.restoreFromSnapshot ? { restoreFromSnapshot: args.volume.restoreFromSnapshot } : {}),
            backup: args.volume.backup ?? false,
            keptOnDestroy: args.keepAppOnDestroy ?? false,
          },
          afterApp,
        )
      : undefined;
    // Only the mount waits for the volume id: the rest of the config stays known during preview,
    // so a preview shows the image, env and services instead of one opaque unknown config.
    // The resource `id`, not the `volumeId` output: a preview of an in-place update (a volume grown,
    // allowDataLoss set) keeps the id, while every other output of a dynamic resource turns unknown
    // (the engine hands back the new inputs as its state, as for any provider without previews:
    // pulumi provider_plugin.go Update), and an unknown volume id would show the machine replaced.
    const machineConfig = args.machine.config(afterApp);
    const config: MachineConfigInput = this.volume
      ? { ...machineConfig, mounts: [{ volume: this.volume.id, path: args.volume?.mountPath ?? "/data" }] }
      : machineConfig;
    this.machineConfig = config;
    this.machine = new FlyMachine(
      `${name}-machine`,
      {
        appName: this.app.name,
        name: `${args.appName}-1`,
        region: args.region,
        config,
        ...(this.volume ? { volumeId: this.volume.id } : {}),
        secretsVersion: this.secrets.version,
        adopt: args.adopt,
      },
      afterApp,
    );
    this.registerOutputs({ appName: this.app.name, machineId: this.machine.id });
  }
}
