import { describe, expect, it } from "vitest";
import { appDiffTable, diffByTable, inputFieldsOf, machineDiffTable, secretsDiffTable, UNKNOWN, volumeDiffTable } from "./diff";

describe("diff tables", () => {
  it.each([
    ["app rename replaces", appDiffTable, { name: "a" }, { name: "b" }, ["name"], []],
    ["volume grows in place", volumeDiffTable, { sizeGb: 3 }, { sizeGb: 5 }, [], ["sizeGb"]],
    ["volume region replaces", volumeDiffTable, { region: "ord" }, { region: "ams" }, ["region"], []],
    ["secret digest updates in place", secretsDiffTable, { digests: { A: "1" } }, { digests: { A: "2" } }, [], ["digests"]],
    ["machine image updates in place", machineDiffTable, { config: { image: "a" } }, { config: { image: "b" } }, [], ["config"]],
    ["machine volume change replaces", machineDiffTable, { volumeId: "v1" }, { volumeId: "v2" }, ["volumeId"], []],
    ["machine secrets version rolls in place", machineDiffTable, { secretsVersion: 1 }, { secretsVersion: 2 }, [], ["secretsVersion"]],
  ])("%s", (_name, table, olds, news, replaces, updates) => {
    const out = diffByTable(table, olds, news);
    expect(out.replaces).toEqual(replaces);
    expect(out.updates).toEqual(updates);
    expect(out.changes).toBe(true);
  });

  it("no change when equal regardless of key order", () => {
    const out = diffByTable(machineDiffTable, { config: { image: "a", env: { X: "1", Y: "2" } } }, { config: { env: { Y: "2", X: "1" }, image: "a" } });
    expect(out.changes).toBe(false);
  });

  it("treats an unknown preview value as a change of that field", () => {
    const out = diffByTable(machineDiffTable, { config: { image: "a" } }, { config: { image: UNKNOWN } });
    expect(out.updates).toEqual(["config"]);
  });

  it("a providerVersion bump is an in-place update", () => {
    expect(diffByTable(appDiffTable, { providerVersion: 1 }, { providerVersion: 2 }).updates).toEqual(["providerVersion"]);
  });

  it("a field missing from the table is an update and reported", () => {
    const out = diffByTable(appDiffTable, { extra: 1 }, { extra: 2 });
    expect(out).toMatchObject({ updates: ["extra"], unknownFields: ["extra"] });
  });

  it("ignores output-only fields once narrowed to the inputs (no change on a second run)", () => {
    const olds = { name: "a", orgSlug: "personal", adopt: false, providerVersion: 1, adopted: false };
    const news = { name: "a", orgSlug: "personal", adopt: false, providerVersion: 1 };
    expect(diffByTable(appDiffTable, olds, news).changes).toBe(true);
    expect(diffByTable(appDiffTable, inputFieldsOf(olds, Object.keys(news)), news).changes).toBe(false);
  });

  it("ignores the engine's serialized provider (it changes with the checkout's path)", () => {
    const out = diffByTable(appDiffTable, { name: "a", __provider: "exports.handler = 1" }, { name: "a", __provider: "exports.handler = 2" });
    expect(out.changes).toBe(false);
    expect(diffByTable(appDiffTable, { name: "a" }, { name: "a", __provider: "x" }).changes).toBe(false);
  });
});
