// The README's outputs table must name exactly the stack outputs index.ts exports, so a user's
// `pulumi stack output <name>` from the guide always works.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");

function exportedOutputs(): string[] {
  const source = readFileSync(join(root, "index.ts"), "utf8");
  return [...source.matchAll(/^export const (\w+)/gm)].map((m) => m[1]!).sort();
}

function documentedOutputs(): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = /### Outputs\n([\s\S]*?)\n### /.exec(readme)?.[1];
  if (!section) throw new Error("README.md has no '### Outputs' section followed by another '###' section");
  const rows = section.split("\n").filter((line) => line.startsWith("| `"));
  return rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!)).sort();
}

describe("README outputs table", () => {
  it("names exactly index.ts's exports", () => {
    expect(exportedOutputs().length).toBeGreaterThan(0);
    expect(documentedOutputs()).toEqual(exportedOutputs());
  });
});
