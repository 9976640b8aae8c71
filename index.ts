// The textslash deployment: one stack = one person's relay + VM on Fly.io.
// index.ts only composes: config (validated in config.ts, before any API call) → TextslashStack.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config";
import { TextslashStack } from "./components/textslash-stack";
import { costSummary, estimateStackCost } from "./components/cost/estimate";
import { costOutput } from "./components/cost/render";
import { stackSizing } from "./components/cost/stack-sizing";

const config = loadStackConfig();
const stack = new TextslashStack("textslash", config);

export const relayUrl = stack.relayUrl;
export const webhookUrl = stack.webhookUrl;
export const relayApp = stack.relay.app.name;
export const vmApp = stack.vm.app.name;
export const relayMachineId = stack.relay.machine.machineId;
export const vmMachineId = stack.vm.machine.machineId;
export const nextSteps = stack.twilioWebhook
  ? pulumi.interpolate`Nothing to set by hand: the incoming-message webhook of ${config.settings.twilioWebhookSid} is ${webhookUrl} (POST), set by this stack; destroy puts back what it had before. Send a WhatsApp message from an allowed phone to ${config.settings.twilioWhatsappNumber}.`
  : pulumi.interpolate`1) In the Twilio console, set the WhatsApp sandbox webhook ("When a message comes in") to ${webhookUrl} (POST). 2) From each allowed phone, send "join <code>" (your sandbox code) to ${config.settings.twilioWhatsappNumber}.`;

// Known at plan time (plain config, no resource output), so `preview` shows it too.
const cost = estimateStackCost(stackSizing(config.settings));
pulumi.log.info(costSummary(cost));
export const monthlyCostEstimate = costOutput(cost);
