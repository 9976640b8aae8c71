// The README's cost table must equal what the estimate computes for a stack with every default
// setting (scripts/gen-cost-docs.ts renders it), so the figures a user reads are the program's own.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estimateStackCost } from "../../components/cost/estimate";
import { defaultSizing, renderCostSection, spliceCostSection } from "../../scripts/gen-cost-docs";

const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");

describe("README cost table", () => {
  it("is what the code computes for the defaults", () => {
    expect(readme, "README.md cost table is out of date: run `npx tsx scripts/gen-cost-docs.ts`").toBe(spliceCostSection(readme, renderCostSection()));
  });

  it("shows the default stack's total", () => {
    const total = estimateStackCost(defaultSizing()).usd.toFixed(2);
    expect(readme).toContain(`| **Total** | as assumed below | **${total}** |`);
  });

  it("takes the defaults from config.ts", () => {
    expect(defaultSizing()).toMatchObject({ region: "ord", relayMemoryMb: 256, vmMemoryMb: 2048, vmCpus: 1, volumeSizeGb: 3, vmAutostop: "stop", relayVolumeGb: 1 });
  });

  it("splice refuses a README without markers", () => {
    expect(() => spliceCostSection("# no markers", "x")).toThrow(/marker comments/);
  });
});
