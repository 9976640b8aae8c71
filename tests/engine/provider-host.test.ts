// The CLI runs the project's pulumi-nodejs host (components/provider-host, declared in Pulumi.yaml)
// for the Fly and Twilio resources, never the one it bundles: the plugin path is in the engine's
// own log of each plugin it launches (pulumi/pulumi pkg/resource/plugin/plugin.go, newPlugin,
// "Launching plugin '<prefix>' from '<path>'", at verbosity 9). The host's answers themselves are
// compared with the stock host's in tests/providers/provider-host.test.ts; the lifecycle tests
// (up, refresh, destroy, secrets in state) all run through it.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlyStack, type FlyStack } from "./fly-stack";

describe("the pulumi-nodejs provider the CLI starts", () => {
  let s: FlyStack;

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "host" });
  }, 300_000);

  afterAll(async () => {
    await s?.close();
  });

  it("is the project's own host, for preview as for up, and the first plugin the engine starts", async () => {
    const launched = (log: string) => [...log.matchAll(/Launching plugin '[^']*' from '([^']*pulumi-resource-pulumi-nodejs)'/g)].map((m) => m[1]);
    const ours = join(s.project.dir, "components", "provider-host", "pulumi-resource-pulumi-nodejs");

    const preview = await s.cli(["preview", "-v=9", "--logtostderr"]);
    expect(preview.code, preview.stdout + preview.stderr.slice(-4000)).toBe(0);
    expect(launched(preview.stderr)).toEqual([ours]);

    const up = await s.cli(["up", "--yes", "--skip-preview", "-v=9", "--logtostderr"]);
    expect(up.code, up.stdout + up.stderr.slice(-4000)).toBe(0);
    expect(launched(up.stderr)).toEqual([ours]);
    // It served them: every Fly object of the stack exists.
    expect([...s.api.state().apps].sort()).toEqual([s.relayApp, s.vmApp]);

    // The engine starts plugins one at a time, each in the way of every registration behind it
    // (textslash-stack.ts, `shared`): the host first, and docker only once the apps have gone out.
    const at = (pattern: RegExp) => {
      const index = up.stderr.search(pattern);
      expect(index, `${pattern} in the engine's log`).toBeGreaterThanOrEqual(0);
      return index;
    };
    const hostStarted = at(/Launching plugin 'pulumi-nodejs \(resource\)'/);
    expect(hostStarted).toBeLessThan(at(/Launching plugin 'random \(resource\)'/));
    expect(hostStarted).toBeLessThan(at(/Launching plugin 'docker \(resource\)'/));
    expect(at(/Provider\[[^\]]*\]\.Create\(urn:[^)]*FlyApp::/)).toBeLessThan(at(/Launching plugin 'docker \(resource\)'/));
  });
});
