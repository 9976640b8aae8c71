// Teardown with the real CLI against the local Fly API, the way a person meets it: a destroy the
// /data guard refuses says so once, without a stack trace, with both ways to allow it; and while
// the config is invalid (so the `up` that would record allowDataLoss fails) the stack can still
// be torn down, with TEXTSLASH_ALLOW_DATA_LOSS=true for that one destroy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALLOW_DATA_LOSS_ENV } from "../../components/data-loss-consent";
import { leakedSecrets, startFlyStack, writes, type FlyStack } from "./fly-stack";

let s: FlyStack;

beforeAll(async () => {
  s = await startFlyStack({ stackName: "teardown" });
  await s.up();
}, 600_000);
afterAll(async () => s?.close());

/** The part of the CLI's output under "Diagnostics:", where Pulumi prints each error for a person. */
const diagnostics = (out: string): string => out.slice(out.indexOf("Diagnostics:"));

describe("teardown", () => {
  it("a refused destroy says so once, with no stack trace, and deletes nothing", async () => {
    s.api.clearRequests();
    const result = await s.cli(["destroy", "--yes", "--skip-preview"]);
    const out = result.stdout + result.stderr;
    expect(result.code).not.toBe(0);
    const refusal = "refusing to delete this stack's Fly objects";
    expect(diagnostics(out).split(refusal), out).toHaveLength(2);
    expect(out).toContain("`pulumi config set textslash:allowDataLoss true`, then `pulumi up`");
    expect(out).toContain(`\`${ALLOW_DATA_LOSS_ENV}=true pulumi destroy\``);
    // The dynamic-provider host's own log of the error: "Error: <message>: Error: <message>\n    at ...".
    expect(out).not.toContain(`Error: ${refusal}`);
    expect(out).not.toMatch(/\n\s+at \S+/);
    expect(writes(s.api.requests())).toEqual([]);
    expect(s.api.state().apps).toEqual([s.relayApp, s.vmApp].sort());
  }, 300_000);

  it("while the config is invalid, the up that would record allowDataLoss fails, and the destroy still runs", async () => {
    await s.setConfig("region", "zzz");
    await s.setConfig("allowDataLoss", "true");
    const up = await s.cli(["up", "--yes", "--skip-preview"]);
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toContain("textslash:region: \"zzz\" is not a Fly region");

    const destroy = await s.cli(["destroy", "--yes", "--skip-preview"], { env: { [ALLOW_DATA_LOSS_ENV]: "true" } });
    expect(destroy.code, destroy.stdout + destroy.stderr).toBe(0);
    expect(s.api.state()).toMatchObject({ apps: [], machines: [], volumes: [] });
    expect(leakedSecrets(s.transcript.join("\n"))).toEqual([]);
  }, 600_000);
});
