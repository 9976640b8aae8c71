// The random stand-in's RandomPassword against terraform-provider-random v3.9.0's rules
// (resource_password.go passwordSchemaV3, internal/random/string.go, mapplanmodifiers).
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { isSecret, reveal, secret, UNKNOWN } from "../host/values";
import { checkPassword, createPassword, createString, diffPassword, keepersForceReplace, withDefaults } from "./password";

describe("RandomPassword stand-in", () => {
  it("fills the schema defaults (special/upper/lower/numeric true, minimums 0, number follows numeric)", () => {
    expect(withDefaults({ length: 8 })).toEqual({
      length: 8, special: true, upper: true, lower: true, numeric: true, number: true, minNumeric: 0, minUpper: 0, minLower: 0, minSpecial: 0,
    });
    expect(withDefaults({ length: 8, number: false })).toMatchObject({ numeric: false, number: false });
  });

  it.each([
    [{}, "length", "Missing required property 'length'"],
    [{ length: 0 }, "length", "length must be at least 1, got: 0"],
    [{ length: 3, minUpper: 2, minNumeric: 2 }, "length", "length must be at least the sum of min_upper, min_lower, min_numeric and min_special (4), got: 3"],
    [{ length: 8, number: true, numeric: false }, "numeric", "Number and numeric are both configured with different values: number is deprecated, use numeric instead"],
    [{ length: 8, special: false, upper: false, lower: false, numeric: false }, "numeric", "at least one of special, upper, lower and numeric must be true"],
    [{ length: "8" }, "length", 'length must be a whole number (got "8")'],
  ])("check refuses %j", (inputs, property, reason) => {
    expect(checkPassword(inputs)).toEqual([{ property, reason }]);
  });

  it("check passes unknown inputs through during preview", () => {
    expect(checkPassword({ length: UNKNOWN })).toEqual([]);
  });

  it("honours the character classes and the minimums", () => {
    for (let i = 0; i < 50; i++) {
      const s = createString({ length: 12, special: false, upper: true, lower: false, numeric: true, minNumeric: 5, minUpper: 0, minLower: 0, minSpecial: 0, overrideSpecial: "" });
      expect(s).toMatch(/^[A-Z0-9]{12}$/);
      expect(s.replace(/[^0-9]/g, "").length).toBeGreaterThanOrEqual(5);
    }
    expect(createString({ length: 6, special: true, upper: false, lower: false, numeric: false, minNumeric: 0, minUpper: 0, minLower: 0, minSpecial: 0, overrideSpecial: "#" })).toBe("######");
  });

  it("a create outputs the secret result and a bcrypt hash of it", () => {
    const out = createPassword({ length: 20, special: false });
    expect(isSecret(out.result) && isSecret(out.bcryptHash)).toBe(true);
    const result = reveal(out.result) as string;
    expect(result).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(bcrypt.compareSync(result, reveal(out.bcryptHash) as string)).toBe(true);
    expect(out).toMatchObject({ length: 20, special: false, upper: true });
  });

  it("every input change replaces; omitting a defaulted input is no change", () => {
    const state = { ...createPassword({ length: 20, special: false }) };
    expect(diffPassword(state, { length: 20, special: false })).toEqual({ changes: false, replaces: [], detailedDiff: {} });
    expect(diffPassword(state, { length: 20, special: false, upper: true })).toMatchObject({ changes: false });
    expect(diffPassword(state, { length: 21, special: false })).toEqual({ changes: true, replaces: ["length"], detailedDiff: { length: "update-replace" } });
    expect(diffPassword(state, { length: 20 })).toMatchObject({ replaces: ["special"] });
    expect(diffPassword(state, { length: UNKNOWN, special: false })).toMatchObject({ replaces: ["length"] });
  });

  it("keepers replace only when a value changes (RequiresReplaceIfValuesNotNull)", () => {
    expect(keepersForceReplace(undefined, { rotation: "1" })).toBe(true);
    expect(keepersForceReplace(undefined, { rotation: null })).toBe(false);
    expect(keepersForceReplace({ rotation: "1" }, { rotation: "1", extra: null })).toBe(false);
    expect(keepersForceReplace({ rotation: "1" }, { rotation: "2" })).toBe(true);
    expect(keepersForceReplace({ rotation: "1" }, {})).toBe(true);
    expect(keepersForceReplace({ rotation: "1" }, undefined)).toBe(false);
    expect(keepersForceReplace({ rotation: secret("1") }, { rotation: "1" })).toBe(false);
    const state = createPassword({ length: 8, keepers: { rotation: "" } });
    expect(diffPassword(state, { length: 8, keepers: { rotation: "2026-12" } })).toMatchObject({ replaces: ["keepers"] });
    expect(diffPassword(state, { length: 8, keepers: { rotation: "", more: null } })).toEqual({ changes: true, replaces: [], detailedDiff: { keepers: "update" } });
  });

  it("overrideSpecial from \"\" to unset updates in place; any other change replaces", () => {
    const state = createPassword({ length: 8, overrideSpecial: "" });
    expect(diffPassword(state, { length: 8 })).toEqual({ changes: true, replaces: [], detailedDiff: { overrideSpecial: "update" } });
    expect(diffPassword(state, { length: 8, overrideSpecial: "!" })).toMatchObject({ replaces: ["overrideSpecial"] });
  });
});
