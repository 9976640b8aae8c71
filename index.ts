// The textslash deployment: one stack = one person's relay + VM on Fly.io.
// index.ts only composes: config (validated in config.ts, before any API call) → TextslashStack.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config";
import { TextslashStack } from "./components/textslash-stack";

const config = loadStackConfig();
const stack = new TextslashStack("textslash", config);

export const relayUrl = stack.relayUrl;
export const webhookUrl = stack.webhookUrl;
export const relayApp = stack.relay.app.name;
export const vmApp = stack.vm.app.name;
export const relayMachineId = stack.relay.machine.machineId;
export const vmMachineId = stack.vm.machine.machineId;
export const nextSteps = pulumi.interpolate`1) In the Twilio console, set the WhatsApp sandbox webhook ("When a message comes in") to ${webhookUrl} (POST). 2) From each allowed phone, send "join <code>" (your sandbox code) to ${config.settings.twilioWhatsappNumber}.`;
