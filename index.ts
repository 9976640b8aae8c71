// The textslash deployment: one stack = one person's relay + VM on Fly.io.
// index.ts only exports: config (validated in config.ts, before any API call) → TextslashStack, in
// components/textslash-program.ts, which the fleet also runs inline for each user's stack.
import "./components/sdk-stacks"; // first: cheaper stacks for every promise and resource the SDK makes
import { textslashProgram } from "./components/textslash-program";

const outputs = textslashProgram();

export const relayUrl = outputs.relayUrl;
export const webhookUrl = outputs.webhookUrl;
export const relayApp = outputs.relayApp;
export const vmApp = outputs.vmApp;
export const relayMachineId = outputs.relayMachineId;
export const vmMachineId = outputs.vmMachineId;
export const nextSteps = outputs.nextSteps;
export const monthlyCostEstimate = outputs.monthlyCostEstimate;
