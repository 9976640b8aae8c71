// The textslash deployment: a public relay and a private VM wired as in DESIGN.md, sharing one
// generated token. Changing one app's secret rolls only that app's machine. Each app has a volume
// at /data: the VM's holds the user's work (guarded), the relay's holds its outbox (unguarded).
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { StackConfig } from "../config";
import { createHash } from "node:crypto";
import { DataLossGuard } from "./data-loss-guard";
import { DynamicProvider } from "./dynamic-provider";
import { FlyService } from "./fly-service";
import { RELAY_IPS, RELAY_VOLUME_GB, VM_IPS, relayMachineConfig, vmMachineConfig } from "./machine-configs";
import { appNames } from "./naming";
import { registryTarget, serviceImage, type ServiceName } from "./service-image";
import { TwilioWebhook } from "./twilio/webhook-resource";

export { RELAY_IPS, VM_IPS };

export class TextslashStack extends pulumi.ComponentResource {
  readonly relay: FlyService;
  readonly vm: FlyService;
  readonly relayUrl: string;
  readonly webhookUrl: string;
  readonly deploymentCheck: command.local.Command;
  /** Set when textslash:twilioWebhookSid names the sender or service whose webhook the stack sets. */
  readonly twilioWebhook: TwilioWebhook | undefined;

  constructor(name: string, cfg: StackConfig, opts?: pulumi.ComponentResourceOptions) {
    super("textslash:index:TextslashStack", name, {}, opts);
    const s = cfg.settings;
    const names = appNames(s.prefix);
    // Dynamic resources run under providers configured with the keys they read only, so no
    // provider's state holds the whole stack configuration (see dynamic-provider.ts). An empty
    // token falls back to FLY_API_TOKEN in the provider process (components/fly/connection.ts).
    const flyApi = new DynamicProvider(
      `${name}-fly-api`,
      { "textslash:flyApiUrl": s.flyApiUrl ?? "", "textslash:flyApiToken": pulumi.secret(cfg.secrets.flyApiToken) },
      { parent: this },
    );
    // The relay↔VM bearer token (alphanumeric: it travels in an Authorization header). `result`
    // is a secret output; a new textslash:tokenRotation value replaces it, which changes both
    // apps' secrets and so rolls each machine once.
    //
    // Its dependsOn, and the docker provider's below, only order the engine's plugin starts. The
    // engine starts a plugin inside its step generator, which takes one registration at a time
    // (pulumi/pulumi pkg/resource/deploy/providers/registry.go, Check loads the plugin), so every
    // registration waits behind every plugin start ahead of it. Left to themselves, random's and
    // docker's registrations reach it before the Fly provider's (whose config is a secret output,
    // a few more turns to resolve), and the apps, the first Fly calls, waited for three plugin
    // starts. In this order the provider host starts first and warms up while random starts, the
    // apps go out next, and docker starts while they are being created: the first Fly call 0.24 s
    // sooner (docs/deploy-benchmarks.md; tests/engine/provider-host.test.ts checks the order).
    const shared = new random.RandomPassword(
      `${name}-relay-shared-token`,
      { length: 48, special: false, keepers: { tokenRotation: s.tokenRotation } },
      { parent: this, dependsOn: [flyApi] },
    );
    const common = { org: s.org, region: s.region, adopt: s.adoptExisting };

    // Images: built from services/ and pushed to {registry}/{app}, or published ones resolved to
    // digests (service-image.ts). The registry password is the Fly token, stack secret or
    // FLY_API_TOKEN; it is only ever a secret input. The docker provider is declared only when an
    // image is built or a tag is resolved: a stack given two digests (a fleet's users, whose rollout
    // resolves each tag once for all of them) has nothing for docker to do, and would otherwise
    // start its plugin on every `up`.
    const registry = registryTarget(s.imageRegistry);
    const registryPassword = pulumi.secret(cfg.secrets.flyApiToken.apply((token) => token || process.env.FLY_API_TOKEN || ""));
    let images: docker.Provider | undefined;
    const imagesProvider = () =>
      (images ??= new docker.Provider(
        `${name}-images`,
        { registryAuth: [{ address: registry.address, username: "x", password: registryPassword }] },
        // After the token, so after the apps have gone out (see `shared` above).
        { parent: this, dependsOn: [shared] },
      ));
    const imageOf = (service: ServiceName, appName: string, published: string, afterApp: { parent: pulumi.Resource; dependsOn: pulumi.Resource[] }) =>
      serviceImage(
        `${service}-image`,
        { service, appName, published, registry, registryPassword, ...(service === "vm" ? { buildArgs: { BROWSER: s.vmBrowser } } : {}) },
        { ...afterApp, provider: imagesProvider },
      );

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
          RELAY_SHARED_TOKEN: shared.result,
        },
        // The outbox of acknowledged webhooks: a queue the relay drains, not user work, so the
        // data-loss guard (textslash:allowDataLoss) is for the VM's /data only.
        volume: { name: "relay_data", sizeGb: RELAY_VOLUME_GB, mountPath: "/data", allowDataLoss: true },
        machine: { config: (afterApp) => relayMachineConfig(s, imageOf("relay", names.relayApp, s.relayImage, afterApp)) },
      },
      { parent: this, providers: [flyApi] },
    );

    const vmSecrets: Record<string, pulumi.Input<string>> = {
      ANTHROPIC_API_KEY: cfg.secrets.anthropicApiKey,
      RELAY_SHARED_TOKEN: shared.result,
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
        machine: { config: (afterApp) => vmMachineConfig(s, imageOf("vm", names.vmApp, s.vmImage, afterApp)) },
      },
      { parent: this, providers: [flyApi] },
    );
    // Depends on every Fly object, so a destroy deletes it first and, without allowDataLoss,
    // stops before anything is deleted (see data-loss-guard.ts).
    new DataLossGuard(
      `${name}-data-loss-guard`,
      { allowDataLoss: s.allowDataLoss, protects: pulumi.interpolate`volume vm_data (${this.vm.volume!.id}) of ${names.vmApp}` },
      { parent: this, dependsOn: [this.relay, this.vm], provider: flyApi },
    );
    this.relayUrl = `https://${names.relayApp}.fly.dev`;
    this.webhookUrl = `${this.relayUrl}/webhook`;
    // `up` ends only when the relay answers from outside (after both machines passed their checks). The VM is
    // not polled: it is private, only reachable through the relay, and a poll would wake it (a 2 GB machine
    // started on every deploy); the acceptance suite proves the whole message path instead (docs/deployment-check.md).
    // A command run from the project folder (docs/deployment-check.md): plain Node, no TypeScript at deploy time.
    // `revision` goes into its environment, not `triggers`: a change re-runs it as an update (pulumi-command runs
    // `create` again when there is no `update`), so a preview says "update", not "replace".
    this.deploymentCheck = new command.local.Command(
      `${name}-deployment-check`,
      {
        create: "node components/deployment-check/main.mjs",
        environment: {
          TEXTSLASH_CHECK_ENDPOINTS: JSON.stringify([
            {
              name: "the relay's public /health",
              url: `${this.relayUrl}/health`,
              hint:
                `It needs a public address (\`fly ips list -a ${names.relayApp}\` shows a v6 and a shared v4) and a started relay ` +
                `(\`fly status -a ${names.relayApp}\`, \`fly logs -a ${names.relayApp}\`).`,
            },
          ]),
          // Changes with anything deployed (configs, secrets versions, machines, volumes): the check runs again then,
          // and an up that changed nothing polls nothing. Resource ids, not the machineId/volumeId outputs: a preview
          // keeps ids known through an in-place update (see fly-service.ts), so a volume grown does not show a check.
          TEXTSLASH_DEPLOYED_REVISION: pulumi
            .all([this.relay.machine.id, this.relay.secrets.version, this.vm.machine.id, this.vm.secrets.version,
              this.relay.volume?.id ?? "", this.vm.volume?.id ?? "",
              // The machine configs hold each image's digest, so a new image is a new revision too.
              pulumi.output(this.relay.machineConfig), pulumi.output(this.vm.machineConfig)])
            .apply((deployed) => createHash("sha256").update(JSON.stringify(deployed)).digest("hex").slice(0, 32)),
        },
      },
      { parent: this, dependsOn: [this.relay, this.vm] },
    );
    // After the relay is up, so Twilio never calls a URL that does not answer yet.
    this.twilioWebhook = s.twilioWebhookSid
      ? new TwilioWebhook(
          `${name}-twilio-webhook`,
          { accountSid: s.twilioAccountSid, targetSid: s.twilioWebhookSid, url: this.webhookUrl },
          {
            parent: this,
            dependsOn: [this.relay],
            // The Twilio auth token, which components/twilio/webhook.ts reads in configure().
            provider: new DynamicProvider(`${name}-twilio-api`, { "textslash:twilioAuthToken": pulumi.secret(cfg.secrets.twilioAuthToken) }, { parent: this }),
          },
        )
      : undefined;
    this.registerOutputs({});
  }
}
