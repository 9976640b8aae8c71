import { afterEach, describe, expect, it, vi } from "vitest";

describe("promise stacks", () => {
  const original = Error.prepareStackTrace;
  afterEach(() => {
    Error.prepareStackTrace = original;
    vi.resetModules();
  });

  it("formats the stacks @pulumi/pulumi's debuggablePromise takes unmapped, and maps every other one as before", async () => {
    const mappedFor: string[] = [];
    Error.prepareStackTrace = (_error, frames) => {
      mappedFor.push(frames[0]?.getFunctionName() ?? "");
      return "mapped";
    };
    await import("./promise-stacks.js");
    function debuggablePromise() {
      return new Error("promise").stack;
    }
    function somethingElse() {
      return new Error("failure").stack;
    }
    expect(debuggablePromise()).toMatch(/^Error: promise\n {4}at debuggablePromise \(.*promise-stacks\.test\.ts:\d+:\d+\)\n {4}at /);
    expect(somethingElse()).toBe("mapped");
    expect(mappedFor).toEqual(["somethingElse"]);
  });
});
