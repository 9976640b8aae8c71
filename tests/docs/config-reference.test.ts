// The README's configuration reference must equal what scripts/gen-config-docs.ts renders from
// Pulumi.yaml, and config.ts's zod schema (once it exists) must declare exactly Pulumi.yaml's keys.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readConfigDeclarations, renderReference, spliceReference } from "../../scripts/gen-config-docs";

const root = join(__dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

describe("configuration reference", () => {
  it("README.md is up to date with Pulumi.yaml", () => {
    const expected = spliceReference(readme, renderReference(root));
    expect(readme, "README.md is out of date: run `npx tsx scripts/gen-config-docs.ts`").toBe(expected);
  });

  it("lists every declared key", () => {
    for (const key of Object.keys(readConfigDeclarations(root))) expect(readme).toContain(`| \`${key}\` |`);
  });

  it("splice refuses a README without markers", () => {
    expect(() => spliceReference("# no markers", "x")).toThrow(/marker comments/);
  });

  it("keeps the newcomer commands exact", () => {
    expect(readme).toMatch(/## Try it locally\n\n```sh\nnpm ci && npm run sandbox:up\n```/);
    expect(readme).toMatch(/## Run the tests\n\n```sh\nnpm test\n```/);
  });

  it("config.ts's zod schema keys equal Pulumi.yaml's (when config.ts exists)", () => {
    const declared = Object.keys(readConfigDeclarations(root)).map((k) => k.replace(/^textslash:/, "")).sort();
    if (!existsSync(join(root, "config.ts"))) {
      // config.ts is being written in parallel; until then only the declarations are checked.
      expect(declared.length).toBeGreaterThan(0);
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require("../../config") as Record<string, unknown>;
    const schemas = Object.values(mod).filter((v): v is z.ZodObject => v instanceof z.ZodObject);
    expect(schemas.length, "config.ts must export its zod object schema").toBeGreaterThan(0);
    const matches = schemas.some((s) => JSON.stringify(Object.keys(s.shape).sort()) === JSON.stringify(declared));
    expect(matches, `config.ts schema keys must equal Pulumi.yaml's: ${declared.join(", ")}`).toBe(true);
  });
});
