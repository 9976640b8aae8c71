// Refusals from dynamic providers printed once, as written. For an error thrown by check, diff,
// read or delete, @pulumi/pulumi's dynamic-provider host (cmd/dynamic-provider/index.js, 3.276)
// first logs `${err}: ${err.stack}` to stderr, which the engine shows under the stack, and then
// returns the error, which the engine shows on the resource: the same words twice, once with a
// stack trace. A refusal is an answer, not a crash: refuse() keeps the host from logging it.
// (create and update return errors without that log.)

interface Refusals {
  pending: Set<string>;
}

function refusals(): Refusals {
  const g = globalThis as { __textslashRefusals?: Refusals };
  if (!g.__textslashRefusals) {
    const state: Refusals = { pending: new Set() };
    const original = console.error.bind(console);
    // Drops the host's one log line of each pending refusal; every other line passes through.
    console.error = (...args: unknown[]): void => {
      const line = args.length === 1 && typeof args[0] === "string" ? args[0] : undefined;
      const match = line === undefined ? undefined : [...state.pending].find((prefix) => line.startsWith(prefix));
      if (match !== undefined) {
        state.pending.delete(match);
        return;
      }
      original(...args);
    };
    g.__textslashRefusals = state;
  }
  return g.__textslashRefusals;
}

/** Throws `message` so that Pulumi prints it once, on the resource, without a stack trace. */
export function refuse(message: string): never {
  const error = new Error(message);
  refusals().pending.add(`${String(error)}: `);
  throw error;
}
