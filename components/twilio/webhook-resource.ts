// The Twilio webhook as the program declares it. Only the class: its provider (webhook.ts, with
// zod and the Twilio client) runs in the provider process, from the compiled bundle.
import type * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "../dynamic-resource";
import { PROVIDER_VERSION } from "../fly/provider-versions";
import type { WebhookSetting } from "./api";

export interface TwilioWebhookArgs {
  accountSid: pulumi.Input<string>;
  targetSid: pulumi.Input<string>;
  url: pulumi.Input<string>;
}

export class TwilioWebhook extends DynamicResource {
  declare readonly previous: pulumi.Output<WebhookSetting>;
  declare readonly kind: pulumi.Output<string>;
  constructor(name: string, args: TwilioWebhookArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...args, providerVersion: PROVIDER_VERSION.webhook, previous: undefined, kind: undefined, current: undefined };
    super("webhookProvider", "TwilioWebhook", name, props, opts);
  }
}
