// The textslash deployment: one stack = one person's relay + VM on Fly.io.
// Composition lands with the Fly resources (see docs/ and components/); config is validated in config.ts.
export {};
