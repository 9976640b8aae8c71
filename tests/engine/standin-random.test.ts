// The random stand-in through the real engine: @pulumi/random's RandomPassword, found by the
// engine in the test's PULUMI_HOME as resource-random-v4.21.2, behaves as the bridged provider:
// a secret result, no change on a second up, a keepers change replaces it (a new value), a change
// that only adds a null keeper does not, and no plaintext in state.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngineProject, repoRoot, type EngineProject } from "./harness";

const program = `
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

const config = new pulumi.Config();
const keepers: Record<string, string> = { rotation: config.get("rotation") ?? "" };
const password = new random.RandomPassword("token", { length: 48, special: false, keepers });
export const token = password.result;
export const tokenLength = password.result.apply((r) => r.length);
`;

describe("random stand-in", () => {
  let project: EngineProject;
  const tokenValue = async (): Promise<string> => (await project.stack.outputs()).token!.value as string;

  beforeAll(async () => {
    project = await createEngineProject({
      files: {
        "Pulumi.yaml": "name: random-standin\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
        "index.ts": program,
        "tsconfig.json": await readFile(join(repoRoot, "tsconfig.json"), "utf8").then((raw) =>
          JSON.stringify({ compilerOptions: JSON.parse(raw).compilerOptions, include: ["index.ts"] }),
        ),
        "package.json": JSON.stringify({ name: "random-standin", private: true }),
      },
    });
  });

  afterAll(async () => {
    await project?.cleanup();
  });

  it("creates a secret 48-character alphanumeric password, recorded only as ciphertext", async () => {
    const up = await project.stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ create: 2 });
    const outputs = await project.stack.outputs();
    expect(outputs.token!.secret).toBe(true);
    expect(outputs.token!.value).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(outputs.tokenLength!.value).toBe(48);
    const state = await project.readStateFile();
    expect(state).not.toContain(outputs.token!.value as string);
    const resource = (JSON.parse(state) as { checkpoint: { latest: { resources: { type: string; id?: string; outputs: Record<string, unknown> }[] } } })
      .checkpoint.latest.resources.find((r) => r.type === "random:index/randomPassword:RandomPassword")!;
    expect(resource.id).toBe("none");
    expect(resource.outputs).toMatchObject({ length: 48, special: false, upper: true, lower: true, numeric: true, number: true, minUpper: 0, keepers: { rotation: "" } });
    for (const key of ["result", "bcryptHash"]) expect(resource.outputs[key]).toHaveProperty("ciphertext");
  }, 300_000);

  it("a second up changes nothing and keeps the value", async () => {
    const before = await tokenValue();
    const up = await project.stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 2 });
    expect(await tokenValue()).toBe(before);
  }, 300_000);

  it("a new keeper value replaces the password once; the preview says replace", async () => {
    const before = await tokenValue();
    await project.stack.setConfig("random-standin:rotation", { value: "2026-12" });
    const preview = await project.stack.preview({ diff: true });
    expect(preview.changeSummary).toMatchObject({ replace: 1 });
    const up = await project.stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ replace: 1 });
    const after = await tokenValue();
    expect(after).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(after).not.toBe(before);
  }, 300_000);
});
