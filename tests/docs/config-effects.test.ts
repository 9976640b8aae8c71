// Every config key says what changing it does (live, rolls a machine, replaces), and the README's
// table is exactly components/config-effects.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unclassified } from "../../components/config-effects";
import { readConfigDeclarations } from "../../scripts/gen-config-docs";
import { renderEffectsSection, spliceEffectsSection } from "../../scripts/gen-config-effects";

const root = join(__dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

describe("what a config change does", () => {
  it("classifies every key Pulumi.yaml declares, and no other", () => {
    const keys = Object.keys(readConfigDeclarations(root)).map((k) => k.replace(/^textslash:/, ""));
    expect(unclassified(keys), "add the key to CONFIG_EFFECTS in components/config-effects.ts, then run `npx tsx scripts/gen-config-effects.ts`").toEqual({
      missing: [],
      extra: [],
    });
  });

  it("the README's table is the generated one", () => {
    expect(readme, "README.md is out of date: run `npx tsx scripts/gen-config-effects.ts`").toBe(spliceEffectsSection(readme, renderEffectsSection()));
  });
});
