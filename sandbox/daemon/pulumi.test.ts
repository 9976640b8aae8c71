import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureStack, pulumiRunner, sandboxStackConfig, setStackConfig, stackExists } from "./pulumi";
import { repoRoot, sandboxPaths } from "./state";

// The sandbox stack's plumbing with the real pinned CLI: the stack is created in the sandbox's own
// file backend, its config (salt, fake secrets) lands in .sandbox/Pulumi.sandbox.yaml and nothing
// is written beside the repository's Pulumi.yaml.
const root = mkdtempSync(path.join(os.tmpdir(), "textslash-sandbox-stack-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("sandbox stack plumbing", () => {
  it("creates the stack once, keeps its config out of the repository root and encrypts the fake secrets", async () => {
    const paths = sandboxPaths(root);
    const daemon = { pid: process.pid, apiUrl: "http://127.0.0.1:9", proxyUrl: "http://127.0.0.1:9", twilioUrl: "http://127.0.0.1:9",
      token: "fake-fly-token", startedAt: new Date().toISOString(), log: "x" };
    const pulumi = await pulumiRunner(paths, daemon);
    expect(await stackExists(pulumi)).toBe(false);
    await ensureStack(paths, pulumi);
    await ensureStack(paths, pulumi); // idempotent
    expect(await stackExists(pulumi)).toBe(true);
    await setStackConfig(paths, pulumi, sandboxStackConfig("http://127.0.0.1:4321"));
    expect(existsSync(path.join(repoRoot, "Pulumi.sandbox.yaml"))).toBe(false);
    const file = readFileSync(paths.stackConfig, "utf8");
    expect(file).toContain("encryptionsalt:");
    expect(file).toContain("textslash:flyApiUrl: http://127.0.0.1:4321");
    expect(file).not.toContain("fake-twilio-auth-token");
    expect(file).not.toContain("fake-anthropic-key");
    const shown = JSON.parse(await pulumi.capture(["config", "--json", "--show-secrets", "--stack", "sandbox", "--config-file", paths.stackConfig])) as Record<string, { value?: string; secret: boolean }>;
    expect(shown["textslash:twilioAuthToken"]).toMatchObject({ value: "fake-twilio-auth-token", secret: true });
    expect(shown["textslash:allowedPhoneNumbers"]?.value).toBe("+15550001111");
  }, 120_000);
});
