// The textslash deployment: one stack = one person's relay + VM on Fly.io.
// index.ts only composes: config (validated in config.ts, before any API call) → TextslashStack.
import { loadStackConfig } from "./config";

const { settings } = loadStackConfig();

export const relayApp = `${settings.prefix}-relay`;
export const vmApp = `${settings.prefix}-vm`;
export const relayUrl = `https://${relayApp}.fly.dev`;
export const webhookUrl = `${relayUrl}/webhook`;
