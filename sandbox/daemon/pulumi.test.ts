import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ensureStack, pulumiRunner, sandboxStackConfig, setStackConfig, stackExists } from "./pulumi";
import { repoRoot, sandboxPaths } from "./state";

// Every command line this module starts, recorded before it runs: a secret must never be in one
// (any user of the machine can read a running process's argv through ps or /proc/<pid>/cmdline).
const spawned = vi.hoisted(() => [] as string[][]);
vi.mock("node:child_process", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:child_process")>();
  const record = <F extends (...args: never[]) => unknown>(fn: F): F => {
    const wrapped = ((file: string, args?: unknown, ...rest: unknown[]) => {
      spawned.push([file, ...(Array.isArray(args) ? args.map(String) : [])]);
      return (fn as unknown as (...a: unknown[]) => unknown)(file, args, ...rest);
    }) as unknown as F;
    // execFile's promisified form resolves { stdout, stderr } through this symbol.
    const custom = (fn as unknown as Record<symbol, unknown>)[Symbol.for("nodejs.util.promisify.custom")];
    if (custom) Object.assign(wrapped, { [Symbol.for("nodejs.util.promisify.custom")]: record(custom as F) });
    return wrapped;
  };
  return { ...actual, spawn: record(actual.spawn), execFile: record(actual.execFile), spawnSync: record(actual.spawnSync), execFileSync: record(actual.execFileSync) };
});

// The sandbox stack's plumbing with the real pinned CLI: the stack is created in the sandbox's own
// file backend, its config (salt, fake secrets) lands in .sandbox/Pulumi.sandbox.yaml and nothing
// is written beside the repository's Pulumi.yaml. The user's own backend (here both a
// PULUMI_BACKEND_URL and a `pulumi login` in their PULUMI_HOME) is neither used nor changed.
const root = mkdtempSync(path.join(os.tmpdir(), "textslash-sandbox-stack-"));
const user = {
  home: path.join(root, "user-pulumi-home"),
  loggedIn: path.join(root, "user-login-state"),
  envBackend: path.join(root, "user-env-state"),
  credentials: "",
};
const savedEnv = { PULUMI_HOME: process.env.PULUMI_HOME, PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL };
beforeAll(() => {
  for (const dir of [user.home, user.loggedIn, user.envBackend]) mkdirSync(dir);
  user.credentials = JSON.stringify({ current: `file://${user.loggedIn}`, accessTokens: { [`file://${user.loggedIn}`]: "" } });
  writeFileSync(path.join(user.home, "credentials.json"), user.credentials);
  process.env.PULUMI_HOME = user.home;
  process.env.PULUMI_BACKEND_URL = `file://${user.envBackend}`;
});
afterAll(() => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(root, { recursive: true, force: true });
});

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
    const config = sandboxStackConfig("http://127.0.0.1:4321", "http://127.0.0.1:4322");
    spawned.length = 0;
    await setStackConfig(paths, pulumi, config);
    expect(existsSync(path.join(repoRoot, "Pulumi.sandbox.yaml"))).toBe(false);
    const file = readFileSync(paths.stackConfig, "utf8");
    expect(file).toContain("encryptionsalt:");
    expect(file).toContain("textslash:flyApiUrl: http://127.0.0.1:4321");
    expect(file).not.toContain("fake-twilio-auth-token");
    expect(file).not.toContain("fake-anthropic-key");
    const shown = JSON.parse(await pulumi.capture(["config", "--json", "--show-secrets", "--stack", "sandbox", "--config-file", paths.stackConfig])) as Record<string, { value?: string; secret: boolean }>;
    expect(shown["textslash:twilioAuthToken"]).toMatchObject({ value: "fake-twilio-auth-token", secret: true });
    expect(shown["textslash:anthropicApiKey"]).toMatchObject({ value: "fake-anthropic-key", secret: true });
    expect(shown["textslash:allowedPhoneNumbers"]?.value).toBe("+15550001111");

    // Every secret went in, and none through a command line.
    expect(spawned.length).toBeGreaterThan(0);
    for (const secret of Object.values(config.secret)) {
      const leaking = spawned.filter((argv) => argv.some((arg) => arg.includes(secret)));
      expect(leaking, `argv holding the secret ${secret.slice(0, 4)}…`).toEqual([]);
    }

    // The stack lives in the sandbox's backend; the user's backends and login are as they were.
    expect(readdirSync(path.join(paths.pulumiBackend, ".pulumi", "stacks", "textslash"))).toContain("sandbox.json");
    expect(readdirSync(user.loggedIn)).toEqual([]);
    expect(readdirSync(user.envBackend)).toEqual([]);
    expect(readFileSync(path.join(user.home, "credentials.json"), "utf8")).toBe(user.credentials);
    expect(readdirSync(user.home)).toEqual(["credentials.json"]);
  }, 120_000);
});
