import { describe, expect, it } from "vitest";
import { appNames, PREFIX_MAX_LENGTH, prefixFromStackName, prefixProblem } from "./naming";

describe("prefixFromStackName", () => {
  it.each([
    ["dev", "dev"],
    ["Alice_Prod", "alice-prod"],
    ["--a..b--", "a-b"],
    ["org/proj/stack", "org-proj-stack"],
  ])("%s -> %s", (stack, prefix) => {
    expect(prefixFromStackName(stack)).toBe(prefix);
    expect(prefixProblem(prefix)).toBeUndefined();
  });

  it("caps the length and is stable", () => {
    const long = "x".repeat(100);
    expect(prefixFromStackName(long)).toHaveLength(PREFIX_MAX_LENGTH);
    expect(prefixFromStackName(long)).toBe(prefixFromStackName(long));
  });

  it("refuses a stack name with nothing usable, naming the key to set", () => {
    expect(() => prefixFromStackName("___")).toThrow(/textslash:prefix/);
  });

  it("reports bad prefixes", () => {
    expect(prefixProblem("-a")).toMatch(/not starting/);
    expect(prefixProblem("A")).toMatch(/a-z/);
  });

  it("builds app names", () => {
    expect(appNames("me")).toEqual({ relayApp: "me-relay", vmApp: "me-vm" });
  });
});
