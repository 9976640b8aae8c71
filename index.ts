// The textslash deployment: one stack = one person's relay + VM on Fly.io.
// index.ts only composes: config (validated in config.ts, before any API call) → TextslashStack.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config";
import { nextStepsText } from "./components/next-steps";
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
// The resources' ids, which a preview of an in-place update keeps known (see fly-service.ts).
export const relayMachineId = stack.relay.machine.id;
export const vmMachineId = stack.vm.machine.id;
export const nextSteps = nextStepsText({
  webhookUrl: stack.webhookUrl,
  whatsappNumber: config.settings.twilioWhatsappNumber,
  webhookSid: stack.twilioWebhook ? config.settings.twilioWebhookSid : undefined,
});

// Known at plan time (plain config, no resource output), so `preview` shows it too.
const cost = estimateStackCost(stackSizing(config.settings));
pulumi.log.info(costSummary(cost));
export const monthlyCostEstimate = costOutput(cost);
