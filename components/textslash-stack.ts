// The textslash deployment: a public relay and a private VM wired as in DESIGN.md, sharing one
// generated token. Changing one app's secret rolls only that app's machine. Each app has a volume
// at /data: the VM's holds the user's work (guarded), the relay's holds its outbox (unguarded).
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { createHash } from "node:crypto";
import { DataLossGuard } from "./data-loss-guard";
import { DeploymentCheck } from "./deployment-check";
import { FlyService } from "./fly-service";
import { RELAY_IPS, RELAY_VOLUME_GB, VM_IPS, relayMachineConfig, vmMachineConfig } from "./machine-configs";
import { appNames } from "./naming";
import { RandomToken } from "./random-token";
import { TwilioWebhook } from "./twilio/webhook";

export { RELAY_IPS, VM_IPS };

export class TextslashStack extends pulumi.ComponentResource {
  readonly relay: FlyService;
  readonly vm: FlyService;
  readonly relayUrl: string;
  readonly webhookUrl: string;
  readonly deploymentCheck: DeploymentCheck;
  /** Set when textslash:twilioWebhookSid names the sender or service whose webhook the stack sets. */
  readonly twilioWebhook: TwilioWebhook | undefined;

  constructor(name: string, cfg: StackConfig, opts?: pulumi.ComponentResourceOptions) {
    super("textslash:index:TextslashStack", name, {}, opts);
    const s = cfg.settings;
    const names = appNames(s.prefix);
    const shared = new RandomToken(`${name}-relay-shared-token`, { parent: this });
    const common = { org: s.org, region: s.region, adopt: s.adoptExisting };

    this.relay = new FlyService(
      "relay",
      {
        ...common,
        appName: names.relayApp,
        ips: RELAY_IPS,
        privateOnly: false,
        secrets: {
          TWILIO_ACCOUNT_SID: s.twilioAccountSid,
          TWILIO_AUTH_TOKEN: cfg.secrets.twilioAuthToken,
          TWILIO_WHATSAPP_NUMBER: s.twilioWhatsappNumber,
          ALLOWED_PHONE_NUMBERS: s.allowedPhoneNumbers,
          RELAY_SHARED_TOKEN: shared.value,
        },
        // The outbox of acknowledged webhooks: a queue the relay drains, not user work, so the
        // data-loss guard (textslash:allowDataLoss) is for the VM's /data only.
        volume: { name: "relay_data", sizeGb: RELAY_VOLUME_GB, mountPath: "/data", allowDataLoss: true },
        machine: { config: relayMachineConfig(s) },
      },
      { parent: this },
    );

    const vmSecrets: Record<string, pulumi.Input<string>> = {
      ANTHROPIC_API_KEY: cfg.secrets.anthropicApiKey,
      RELAY_SHARED_TOKEN: shared.value,
    };
    this.vm = new FlyService(
      "vm",
      {
        ...common,
        appName: names.vmApp,
        ips: VM_IPS,
        privateOnly: true,
        secrets: cfg.secrets.githubToken.apply((gh) => (gh ? { ...vmSecrets, GITHUB_TOKEN: gh } : vmSecrets)),
        volume: {
          name: "vm_data",
          sizeGb: s.volumeSizeGb,
          mountPath: "/data",
          allowDataLoss: s.allowDataLoss,
          snapshotRetention: s.snapshotRetentionDays,
          ...(s.restoreFromSnapshot ? { restoreFromSnapshot: s.restoreFromSnapshot } : {}),
          backup: true,
        },
        keepAppOnDestroy: s.keepBackupOnDestroy,
        machine: { config: vmMachineConfig(s) },
      },
      { parent: this },
    );
    // Depends on every Fly object, so a destroy deletes it first and, without allowDataLoss,
    // stops before anything is deleted (see data-loss-guard.ts).
    new DataLossGuard(
      `${name}-data-loss-guard`,
      { allowDataLoss: s.allowDataLoss, protects: pulumi.interpolate`volume vm_data (${this.vm.volume!.id}) of ${names.vmApp}` },
      { parent: this, dependsOn: [this.relay, this.vm] },
    );
    this.relayUrl = `https://${names.relayApp}.fly.dev`;
    this.webhookUrl = `${this.relayUrl}/webhook`;
    // `up` ends only when the relay answers from outside (after both machines passed their checks). The VM is
    // not polled: it is private, only reachable through the relay, and a poll would wake it (a 2 GB machine
    // started on every deploy); the acceptance suite proves the whole message path instead (docs/deployment-check.md).
    const relayConfig = relayMachineConfig(s);
    const vmConfig = vmMachineConfig(s);
    this.deploymentCheck = new DeploymentCheck(
      `${name}-deployment-check`,
      {
        endpoints: [
          {
            name: "the relay's public /health",
            url: `${this.relayUrl}/health`,
            hint:
              `It needs a public address (\`fly ips list -a ${names.relayApp}\` shows a v6 and a shared v4) and a started relay ` +
              `(\`fly status -a ${names.relayApp}\`, \`fly logs -a ${names.relayApp}\`).`,
          },
        ],
        // Changes with anything deployed (configs, secrets versions, machines, volumes): the check runs again then,
        // and an up that changed nothing polls nothing. Resource ids, not the machineId/volumeId outputs: a preview
        // keeps ids known through an in-place update (see fly-service.ts), so a volume grown does not show a check.
        revision: pulumi
          .all([this.relay.machine.id, this.relay.secrets.version, this.vm.machine.id, this.vm.secrets.version,
            this.relay.volume?.id ?? "", this.vm.volume?.id ?? ""])
          .apply((deployed) => createHash("sha256").update(JSON.stringify([deployed, relayConfig, vmConfig])).digest("hex").slice(0, 32)),
      },
      { parent: this, dependsOn: [this.relay, this.vm] },
    );
    // After the relay is up, so Twilio never calls a URL that does not answer yet.
    this.twilioWebhook = s.twilioWebhookSid
      ? new TwilioWebhook(
          `${name}-twilio-webhook`,
          { accountSid: s.twilioAccountSid, targetSid: s.twilioWebhookSid, url: this.webhookUrl },
          { parent: this, dependsOn: [this.relay] },
        )
      : undefined;
    this.registerOutputs({});
  }
}
