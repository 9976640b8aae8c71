// Issue 19.3: an app name another Fly organization holds (Fly app names are global; the Machines API
// answers a read of another organization's app with 403) is reported by `pulumi preview`, with the key
// to change, before anything is created, instead of halfway through an `up`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlyStack, writes, type FlyStack } from "./fly-stack";

describe("an app name taken on Fly", () => {
  let s: FlyStack;

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "prod" });
    s.api.addForeignApp(s.relayApp);
  }, 300_000);

  afterAll(async () => {
    await s?.close();
  });

  it("fails the preview naming textslash:prefix, once, and creates nothing; another prefix previews", async () => {
    const preview = await s.cli(["preview"]);
    expect(preview.code).not.toBe(0);
    const output = preview.stdout + preview.stderr;
    // Pulumi shows a resource's error on its row as the plan runs and once under Diagnostics.
    const diagnostics = output.slice(output.indexOf("Diagnostics:"));
    const problem = "app name prod-relay is taken by another Fly organization";
    expect(diagnostics.split(problem), output).toHaveLength(2);
    expect(output).toContain('choose another prefix with `pulumi config set textslash:prefix <new-prefix>` (now "prod")');
    expect(output).not.toContain("unhandled exception");
    expect(writes(s.api.requests())).toEqual([]);

    await s.setConfig("prefix", "prod-4f2a");
    const again = await s.cli(["preview"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(writes(s.api.requests())).toEqual([]);
  }, 600_000); // two previews: a minute idle, several on a loaded machine
});
