// The textslash program as a function: index.ts runs it for `pulumi up` of one stack, and the fleet
// (fleet/engine.ts) runs it inline, in its own long-lived process, for every user's stack. It reads
// the stack's config when called (not at module load), so one loaded copy serves any stack.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../config";
import { nextStepsText } from "./next-steps";
import { TextslashStack } from "./textslash-stack";
import { costSummary, estimateStackCost } from "./cost/estimate";
import { costOutput } from "./cost/render";
import { stackSizing } from "./cost/stack-sizing";

/** Declares one stack's resources and returns its outputs (index.ts exports each of them). */
export function textslashProgram() {
  const config = loadStackConfig();
  const stack = new TextslashStack("textslash", config);

  // Known at plan time (plain config, no resource output), so `preview` shows it too.
  const cost = estimateStackCost(stackSizing(config.settings));
  pulumi.log.info(costSummary(cost));

  return {
    relayUrl: stack.relayUrl,
    webhookUrl: stack.webhookUrl,
    relayApp: stack.relay.app.name,
    vmApp: stack.vm.app.name,
    // The resources' ids, which a preview of an in-place update keeps known (see fly-service.ts).
    relayMachineId: stack.relay.machine.id,
    vmMachineId: stack.vm.machine.id,
    nextSteps: nextStepsText({
      webhookUrl: stack.webhookUrl,
      whatsappNumber: config.settings.twilioWhatsappNumber,
      webhookSid: stack.twilioWebhook ? config.settings.twilioWebhookSid : undefined,
    }),
    monthlyCostEstimate: costOutput(cost),
  };
}
