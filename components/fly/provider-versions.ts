// Each dynamic resource's `providerVersion` input: bumped when provider code changes in a way
// stored state must pick up (Pulumi docs, "Forcing updates after provider code changes"). Read by
// the program (resources.ts) and by the providers, so it lives apart from both: the program must
// not load a provider module (zod, the Fly client) just for a number.
export const PROVIDER_VERSION = {
  app: 1,
  volume: 1,
  secrets: 1,
  ip: 1,
  machine: 1,
  webhook: 1,
} as const;
