// Every provider the bundle serves, by the name its resources ask for (ProviderName in
// provider-text.ts). Only the provider process loads this, compiled by components/bundles.cjs.
// Each provider's module is initialised on first use (esbuild turns these require calls into lazy
// initialisers), so a run that never touches the Twilio webhook never loads its code.
/* eslint-disable @typescript-eslint/no-require-imports */
import type { ProviderName } from "./provider-text";

export const providers: Record<ProviderName, () => object> = {
  appProvider: () => (require("./fly/app") as typeof import("./fly/app")).appProvider,
  volumeProvider: () => (require("./fly/volume") as typeof import("./fly/volume")).volumeProvider,
  secretsProvider: () => (require("./fly/secrets") as typeof import("./fly/secrets")).secretsProvider,
  ipProvider: () => (require("./fly/ip") as typeof import("./fly/ip")).ipProvider,
  machineProvider: () => (require("./fly/machine") as typeof import("./fly/machine")).machineProvider,
  webhookProvider: () => (require("./twilio/webhook") as typeof import("./twilio/webhook")).webhookProvider,
  guardProvider: () => (require("./data-loss-guard-provider") as typeof import("./data-loss-guard-provider")).guardProvider,
};

/**
 * The providers every stack calls (the Twilio webhook's only when it is configured): the provider
 * host initialises these while the engine is still starting the stack's other plugins
 * (bundles.cjs preload, components/provider-host/host.cjs), rather than in its first Check.
 */
export const preload: ProviderName[] = ["appProvider", "volumeProvider", "secretsProvider", "ipProvider", "machineProvider", "guardProvider"];
