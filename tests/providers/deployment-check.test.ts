// The deployment check as the stack's command:local:Command runs it: `node components/deployment-check/main.mjs`
// from the project folder, with the command's environment added to the one `pulumi up` runs in. Against the
// Fly-Proxy stand-in's public route (FLY_PROXY_URL), as in the sandbox: it exits 0 when the relay answers, and
// 1 naming the endpoint and what it answered when the relay has no public address or does not answer.
// Also: the retired DeploymentCheck dynamic provider that old stacks' state still loads deletes nothing.
import { execFile } from "node:child_process";
import path from "node:path";
import http from "node:http";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { machineViewOf } from "../../sandbox/proxy/machine-view";
import { SandboxProxy, type ProxyMachine } from "../../sandbox/proxy/proxy";
import { stackMachines } from "../../sandbox/testing/stack-machines";
import { repoRoot } from "../engine/harness";
import { lazyProvider } from "../../components/fly/lazy-provider";

let upstream: http.Server;
let proxy: SandboxProxy;
let proxyUrl: string;
let healthStatus = 200;
let ips: string[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    res.writeHead(healthStatus, { "content-type": "application/json" }).end(JSON.stringify({ ok: healthStatus === 200, outbox: 0 }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const port = (upstream.address() as { port: number }).port;
  const { relay } = stackMachines("chk");
  const machine: ProxyMachine = { id: "m_relay", state: "started", port, ...machineViewOf(relay.config) };
  proxy = new SandboxProxy({
    backend: {
      ipTypes: () => Promise.resolve(ips),
      machines: (app) => Promise.resolve(app === relay.app ? [machine] : []),
      start: () => Promise.reject(new Error("not used")),
      stop: () => Promise.resolve(),
    },
    idleMs: 60_000,
    log: () => undefined,
  });
  proxyUrl = await proxy.listen();
});

afterAll(async () => {
  await proxy?.close();
  upstream?.closeAllConnections();
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
});

const endpoints = JSON.stringify([{ name: "the relay's public /health", url: "https://chk-relay.fly.dev/health", hint: "See `fly logs -a chk-relay`." }]);

/**
 * How long a check that cannot pass polls. Its message quotes the last answer, so the window must
 * hold at least one whole request: 3 s did not at load average 16 (a new node process and its first
 * request through the proxy).
 */
const FAILING_WINDOW_S = "12";

/** Runs the check the way the command provider does: /bin/sh -c "<create>" in the project folder. */
async function runCheck(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TEXTSLASH_") && k !== "FLY_PROXY_URL"));
  try {
    const { stdout, stderr } = await promisify(execFile)("/bin/sh", ["-c", "node components/deployment-check/main.mjs"], {
      cwd: repoRoot,
      env: { ...inherited, TEXTSLASH_CHECK_ENDPOINTS: endpoints, TEXTSLASH_DEPLOYED_REVISION: "r1", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("the deployment check command", () => {
  it("exits 0 with one line once the relay answers through the public route", async () => {
    ips = ["shared_v4", "v6", "private_v6"];
    healthStatus = 200;
    const run = await runCheck({ FLY_PROXY_URL: proxyUrl });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^the relay's public \/health answered from outside \(1 request, \d+\.\d s\)\n$/);
  });

  it("exits 1 naming the endpoint when the relay has no public address (the public name does not resolve)", async () => {
    ips = ["private_v6"];
    const run = await runCheck({ FLY_PROXY_URL: proxyUrl, TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS: FAILING_WINDOW_S });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^the deployment does not answer from outside:\n- the relay's public \/health: GET http:\/\/127\.0\.0\.1:\d+\/_public\/chk-relay\/health did not answer 200 \{"ok": true\} within 12s \(last: socket hang up \(ECONNRESET\)\)\. See `fly logs -a chk-relay`\.\n$/);
  });

  it("exits 1 with the relay's own answer when it answers something else", async () => {
    ips = ["shared_v4", "v6"];
    healthStatus = 503;
    const run = await runCheck({ FLY_PROXY_URL: proxyUrl, TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS: FAILING_WINDOW_S });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('(last: HTTP 503: {"ok":false,"outbox":0})');
  });

  it("is skipped, polling nothing, where nothing could answer (TEXTSLASH_DEPLOYMENT_CHECK=skip)", async () => {
    const run = await runCheck({ FLY_PROXY_URL: "http://127.0.0.1:9", TEXTSLASH_DEPLOYMENT_CHECK: "skip" });
    expect(run).toEqual({ code: 0, stdout: "deployment check skipped (TEXTSLASH_DEPLOYMENT_CHECK=skip)\n", stderr: "" });
  });

  it("names a bad setting and what it may be, without a stack trace", async () => {
    const run = await runCheck({ TEXTSLASH_DEPLOYMENT_CHECK: "off" });
    expect(run).toEqual({ code: 1, stdout: "", stderr: 'TEXTSLASH_DEPLOYMENT_CHECK must be unset or "skip" (got "off")\n' });
  });
});

describe("the retired DeploymentCheck dynamic provider (state of stacks deployed before the command)", () => {
  it("is still found by the forwarder old state holds, and its delete and read touch nothing", async () => {
    const forwarder = lazyProvider("components/deployment-check.ts", path.join(repoRoot, "components/deployment-check.ts"), "deploymentCheckProvider");
    const props = { endpoints: JSON.parse(endpoints) as unknown, revision: "r1", providerVersion: 1 };
    await expect(forwarder.delete!("deployment-check", props)).resolves.toBeUndefined();
    await expect(forwarder.read!("deployment-check", props)).resolves.toEqual({ id: "deployment-check", props });
    await expect(forwarder.create!(props)).rejects.toThrow(/retired: the post-deploy check is now a command:local:Command/);
  });
});
