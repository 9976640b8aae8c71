// The acceptance suite's own code, exercised where there are no accounts: the whole suite against the local
// sandbox (deploy a throw-away stack, /health from outside, a signed webhook answered through the VM, the VM
// asleep again, destroy, nothing left), and the command refusing to count as passed without credentials.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runAcceptance } from "./suite";
import { sandboxTarget } from "./sandbox-target";
import { missingEnv, REQUIRED_ENV, type AcceptanceTarget } from "./target";

const repoRoot = path.resolve(__dirname, "../..");
let target: AcceptanceTarget | undefined;
afterAll(async () => {
  await target?.close();
});

describe("the acceptance suite", () => {
  it("runs every step against the local sandbox and leaves nothing of its prefix", async () => {
    const lines: string[] = [];
    target = await sandboxTarget();
    const report = await runAcceptance(target, (l) => lines.push(l));
    expect(report.prefix).toMatch(/^acc-[0-9a-f]{8}$/);
    expect(report.steps.map((s) => s.step)).toEqual([
      "pulumi up (ends when the relay answers from outside)",
      `GET https://${report.prefix}-relay.fly.dev/health from outside`,
      "a Twilio-signed webhook to the relay",
      "the VM's reply reaches Twilio's Messages API",
      "the VM goes back to sleep",
      "destroy (allowDataLoss recorded by an up first)",
      `nothing of ${report.prefix} is left`,
    ]);
    expect(await target.listApps()).toEqual([]);
    expect(lines.filter((l) => l.includes("FAILED"))).toEqual([]);
  }, 1_800_000); // up builds and pushes both images first

  it("without credentials says it did not run, names what is missing (never a value) and exits 2", () => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TWILIO_AUTH_TOKEN: "fake-twilio-token-value" };
    const run = spawnSync(process.execPath, ["--import", "tsx", "tests/acceptance/run.ts"], { cwd: repoRoot, env, encoding: "utf8", timeout: 120_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("ACCEPTANCE SUITE NOT RUN (this is not a pass): missing FLY_API_TOKEN, FLY_ORG, TWILIO_ACCOUNT_SID, TWILIO_WHATSAPP_NUMBER, ACCEPTANCE_PHONE, ANTHROPIC_API_KEY.");
    expect(run.stderr + run.stdout).not.toContain("fake-twilio-token-value");
  }, 120_000);

  it("needs every one of its variables, and counts blanks as missing", () => {
    const all = Object.fromEntries(REQUIRED_ENV.map((n) => [n, "fake"]));
    expect(missingEnv(all)).toEqual([]);
    expect(missingEnv({ ...all, FLY_ORG: "  " })).toEqual(["FLY_ORG"]);
  });
});
