// The README's configuration reference must equal what scripts/gen-config-docs.ts renders from
// Pulumi.yaml, and config.ts must read exactly Pulumi.yaml's keys.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { secretKeys, settingsSchema } from "../../config";
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
    // CI runs the README's test command, so what a newcomer runs is what lands.
    expect(readFileSync(join(root, ".ci", "run"), "utf8").trim().split("\n").at(-1)).toBe("npm test");
  });

  it("config.ts reads exactly Pulumi.yaml's keys: its zod schema plus its secret keys", () => {
    const declared = Object.keys(readConfigDeclarations(root)).map((k) => k.replace(/^textslash:/, "")).sort();
    const read = [...Object.keys(settingsSchema.shape), ...secretKeys].sort();
    expect(read, "config.ts and Pulumi.yaml must declare the same keys").toEqual(declared);
  });
});
