// The deployment check's provider, reaching https://<relay>.fly.dev/health the sandbox's way: through the
// Fly-Proxy stand-in's public route (FLY_PROXY_URL). It passes when the relay answers, and fails naming the
// endpoint and what it answered when the relay has no public address or does not answer.
import http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deploymentCheckProvider } from "../../components/deployment-check";
import { machineViewOf } from "../../sandbox/proxy/machine-view";
import { SandboxProxy, type ProxyMachine } from "../../sandbox/proxy/proxy";
import { stackMachines } from "../../sandbox/testing/stack-machines";

let upstream: http.Server;
let proxy: SandboxProxy;
let proxyUrl: string;
let healthStatus = 200;
let ips: string[] = [];
const saved = { ...process.env };

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

afterEach(() => {
  process.env = { ...saved };
});

const inputs = {
  endpoints: [{ name: "the relay's public /health", url: "https://chk-relay.fly.dev/health", hint: "See `fly logs -a chk-relay`." }],
  revision: "r1",
  providerVersion: 1,
};

describe("DeploymentCheck provider", () => {
  it("passes once the relay answers through the public route", async () => {
    process.env.FLY_PROXY_URL = proxyUrl;
    ips = ["shared_v4", "v6", "private_v6"];
    healthStatus = 200;
    await expect(deploymentCheckProvider.create!(inputs)).resolves.toEqual({ id: "deployment-check", outs: inputs });
  });

  it("fails naming the endpoint when the relay has no public address (the public name does not resolve)", async () => {
    process.env.FLY_PROXY_URL = proxyUrl;
    process.env.TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS = "3";
    ips = ["private_v6"];
    const failure = await deploymentCheckProvider.create!(inputs).then(() => undefined, (e: unknown) => e as Error);
    expect(failure?.message).toMatch(/^the deployment does not answer from outside:\n- the relay's public \/health: GET http:\/\/127\.0\.0\.1:\d+\/_public\/chk-relay\/health did not answer 200 \{"ok": true\} within 3s \(last: fetch failed.*\)\. See `fly logs -a chk-relay`\.$/);
  });

  it("fails with the relay's own answer when it answers something else", async () => {
    process.env.FLY_PROXY_URL = proxyUrl;
    process.env.TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS = "3";
    ips = ["shared_v4", "v6"];
    healthStatus = 503;
    const failure = await deploymentCheckProvider.update!("deployment-check", inputs, { ...inputs, revision: "r2" }).then(() => undefined, (e: unknown) => e as Error);
    expect(failure?.message).toContain('(last: HTTP 503: {"ok":false,"outbox":0})');
  });

  it("runs again only when what is deployed changed, and never on refresh or delete", async () => {
    await expect(deploymentCheckProvider.diff!("deployment-check", inputs, inputs)).resolves.toEqual({ changes: false, replaces: [] });
    await expect(deploymentCheckProvider.diff!("deployment-check", inputs, { ...inputs, revision: "r2" })).resolves.toEqual({ changes: true, replaces: [] });
    process.env.FLY_PROXY_URL = "http://127.0.0.1:9"; // nothing listens: a poll would fail
    await expect(deploymentCheckProvider.read!("deployment-check", inputs)).resolves.toEqual({ id: "deployment-check", props: inputs });
    await expect(deploymentCheckProvider.delete!("deployment-check", inputs)).resolves.toBeUndefined();
  });

  it("is skipped, saying nothing, where nothing could answer (TEXTSLASH_DEPLOYMENT_CHECK=skip)", async () => {
    process.env.FLY_PROXY_URL = "http://127.0.0.1:9";
    process.env.TEXTSLASH_DEPLOYMENT_CHECK = "skip";
    await expect(deploymentCheckProvider.create!(inputs)).resolves.toMatchObject({ id: "deployment-check" });
  });
});
