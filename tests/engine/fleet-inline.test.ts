// The fleet runs the program inline, in its own process (fleet/engine.ts): it must declare exactly
// what `pulumi up` of the project declares, or a user's stack would change between a fleet run and a
// hand-run `pulumi up`. A stack deployed by the CLI program (index.ts compiled by esbuild, see
// components/program.cjs) is run again inline (tsx) and then previewed by the CLI again: nothing
// changes either way and nothing is written to Fly. (Until the DataLossGuard's provider came from
// the providers bundle it was a serialized closure, whose text differed between the two, so each
// switch was an update.)
import { dirname } from "node:path";
import * as automation from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetEngine } from "../../fleet/engine";
import { pulumiBinDir } from "./harness";
import { leakedSecrets, startFlyStack, writes, type FlyStack } from "./fly-stack";

const urns = async (s: FlyStack): Promise<string[]> => {
  const state = JSON.parse(await s.project.readStateFile()) as { checkpoint: { latest: { resources: { urn: string }[] } } };
  return state.checkpoint.latest.resources.map((r) => r.urn).sort();
};

describe("the fleet's inline program", () => {
  let s: FlyStack;
  let engine: FleetEngine;
  const savedToken = process.env.FLY_API_TOKEN;

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "inline-test" });
    // The inline program reads FLY_API_TOKEN from this process, as index.ts reads it from the CLI's.
    process.env.FLY_API_TOKEN = s.project.env.FLY_API_TOKEN;
    const binDir = await pulumiBinDir();
    engine = new FleetEngine({
      projectDir: s.project.dir,
      env: s.project.env,
      pulumiCommand: await automation.PulumiCommand.get({ root: dirname(binDir), skipVersionCheck: true }),
      pulumiHome: s.project.env.PULUMI_HOME!,
    });
  }, 600_000);

  afterAll(async () => {
    if (savedToken === undefined) delete process.env.FLY_API_TOKEN;
    else process.env.FLY_API_TOKEN = savedToken;
    await s?.close();
  });

  it("declares the same resources as the CLI's program, with the same inputs", async () => {
    await s.up();
    const deployed = await urns(s);
    expect(deployed.some((u) => u.endsWith("::textslash"))).toBe(true);
    expect(deployed.length).toBeGreaterThan(10);

    s.api.clearRequests();
    const stack = await engine.existing("inline-test");
    expect(stack).toBeDefined();
    const lines: string[] = [];
    const run = await engine.up(stack!, (line) => lines.push(line));
    expect(run.error ?? "").toBe("");
    expect(Object.keys(run.changes)).toEqual(["same"]);
    expect(run.changes.same).toBeGreaterThan(10);
    expect(writes(s.api.requests())).toEqual([]);
    expect(await urns(s)).toEqual(deployed);

    // And back: the CLI's program plans nothing either.
    const preview = await s.cli(["preview", "--json"]);
    expect(preview.code).toBe(0);
    const plan = JSON.parse(preview.stdout) as { steps: { op: string; urn: string }[]; changeSummary: Record<string, number> };
    expect(plan.steps.filter((step) => step.op !== "same").map((step) => `${step.op} ${step.urn.split("::").pop()}`)).toEqual([]);
    expect(Object.keys(plan.changeSummary)).toEqual(["same"]);
    expect(plan.changeSummary.same).toBeGreaterThan(10);
    expect(leakedSecrets((await s.project.readStateFile()) + lines.join("\n") + s.transcript.join("\n"))).toEqual([]);
  }, 900_000);

  it("an unknown stack is not created by looking for it", async () => {
    expect(await engine.existing("nobody")).toBeUndefined();
    expect(await engine.stackNames()).toEqual(["inline-test"]);
  }, 300_000);
});
