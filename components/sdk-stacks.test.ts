import { afterEach, describe, expect, it, vi } from "vitest";

describe("the stacks @pulumi/pulumi takes for itself", () => {
  const original = Error.prepareStackTrace;
  afterEach(() => {
    Error.prepareStackTrace = original;
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  // Stand-ins named as the SDK's functions are: the hook goes by the innermost frame's name.
  function debuggablePromise() {
    return new Error("promise").stack;
  }
  function callsites() {
    return new Error().stack;
  }
  function somethingElse() {
    return new Error("failure").stack;
  }

  async function installed(env: Record<string, string>) {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const mappedFor: string[] = [];
    Error.prepareStackTrace = (_error, frames) => {
      mappedFor.push(frames[0]?.getFunctionName() ?? "");
      return "mapped";
    };
    await import("./sdk-stacks.js");
    return mappedFor;
  }

  it("records no promise stack unless PULUMI_DEBUG_PROMISE_LEAKS asks, formats resource callsites unmapped, maps every other stack", async () => {
    const mappedFor = await installed({ PULUMI_DEBUG_PROMISE_LEAKS: "" });
    expect(debuggablePromise()).toBe("Error: promise stack not recorded (set PULUMI_DEBUG_PROMISE_LEAKS=true to record it)");
    expect(callsites()).toMatch(/^Error\n {4}at callsites \(.*sdk-stacks\.test\.ts:\d+:\d+\)\n {4}at /);
    expect(somethingElse()).toBe("mapped");
    expect(mappedFor).toEqual(["somethingElse"]);
  });

  it("records each promise's stack, unmapped, when PULUMI_DEBUG_PROMISE_LEAKS is set", async () => {
    const mappedFor = await installed({ PULUMI_DEBUG_PROMISE_LEAKS: "true" });
    expect(debuggablePromise()).toMatch(/^Error: promise\n {4}at debuggablePromise \(.*sdk-stacks\.test\.ts:\d+:\d+\)\n {4}at /);
    expect(mappedFor).toEqual([]);
  });
});
