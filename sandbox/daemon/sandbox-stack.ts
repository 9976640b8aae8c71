// What every client of a running sandbox does the same way: give the `sandbox` stack its config
// through the Automation API, and send a WhatsApp message as the sandbox phone, signed as Twilio
// signs webhooks, to the relay's public route on the Fly-Proxy stand-in.
import type * as automation from "@pulumi/pulumi/automation";
import { inboundParams, sendSignedWebhook } from "../fakes/fake-twilio";
import { FAKE_TWILIO, SANDBOX_PHONE, SANDBOX_WHATSAPP_NUMBER } from "./fake-values";
import { sandboxStackConfig } from "./pulumi";

/** sandboxStackConfig as an Automation API ConfigMap (secrets marked), with `extra` plain keys over it. */
export function sandboxConfigMap(apiUrl: string, registryUrl: string, extra: Record<string, string> = {}): automation.ConfigMap {
  const config = sandboxStackConfig(apiUrl, registryUrl);
  return {
    ...Object.fromEntries(Object.entries({ ...config.plain, ...extra }).map(([k, value]) => [k, { value }])),
    ...Object.fromEntries(Object.entries(config.secret).map(([k, value]) => [k, { value, secret: true }])),
  };
}

/** POSTs `body` from the sandbox phone to `relayApp`'s public /webhook through the proxy at `proxyUrl`. */
export function sendSandboxMessage(options: { proxyUrl: string; relayApp: string; body: string; messageSid: string }): Promise<{ status: number; body: string }> {
  const { proxyUrl, relayApp, body, messageSid } = options;
  return sendSignedWebhook({
    relayUrl: `${proxyUrl}/_public/${relayApp}`, publicUrl: `https://${relayApp}.fly.dev`, authToken: FAKE_TWILIO.authToken,
    params: inboundParams({ from: `whatsapp:${SANDBOX_PHONE}`, to: `whatsapp:${SANDBOX_WHATSAPP_NUMBER}`, body, accountSid: FAKE_TWILIO.accountSid, messageSid }),
  });
}
