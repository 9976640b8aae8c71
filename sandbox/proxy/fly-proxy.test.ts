import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { SandboxProxy, type ProxyBackend, type ProxyMachine } from "./proxy";
import { machineViewOf } from "./machine-view";
import { stackMachines } from "../testing/stack-machines";

// The sandbox proxy applying Fly Proxy's and 6PN's rules to the program's real relay config, in front of a
// plain HTTP server standing in for the relay process (it records what reaches it).
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

interface Reached { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }

async function setUp(relayState: "started" | "stopped") {
  const reached: Reached[] = [];
  const upstream = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      reached.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      res.end("relay");
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const port = (upstream.address() as { port: number }).port;
  closers.push(() => new Promise<void>((resolve) => { upstream.closeAllConnections(); upstream.close(() => resolve()); }));

  const { relay } = stackMachines("x");
  const machine: ProxyMachine = { id: "m_relay", state: relayState, ...(relayState === "started" ? { port } : {}), ...machineViewOf(relay.config) };
  const starts: string[] = [];
  const backend: ProxyBackend = {
    ipTypes: (app) => Promise.resolve(app === relay.app ? relay.ips : []),
    machines: (app) => Promise.resolve(app === relay.app ? [machine] : []),
    start: (_app, id) => {
      starts.push(id);
      Object.assign(machine, { state: "started", port });
      return Promise.resolve(port);
    },
    stop: () => Promise.resolve(),
  };
  const lines: string[] = [];
  const proxy = new SandboxProxy({ backend, idleMs: 60_000, log: (l) => lines.push(l) });
  const proxyUrl = await proxy.listen();
  closers.push(() => proxy.close());
  return { proxyUrl, reached, starts, lines, machine };
}

/** A forward-proxy POST as the services' fetch sends it; status 0 when the connection failed. */
function post(proxyUrl: string, target: string, body: string): Promise<{ status: number; location?: string }> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve) => {
    const req = http.request({ host: proxy.hostname, port: proxy.port, path: target, method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      res.resume();
      res.once("end", () => resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}) }));
    });
    req.once("error", () => resolve({ status: 0 }));
    req.end(body);
  });
}

describe("Fly Proxy rules in the sandbox proxy (the relay's real config)", () => {
  it("answers plain HTTP to the relay's Flycast port 80 with a 301 (force_https) and the relay never sees the reply", async () => {
    const s = await setUp("started");
    expect(await post(s.proxyUrl, "http://x-relay.flycast/callback", '{"to":"+1"}')).toEqual({ status: 301, location: "https://x-relay.flycast/callback" });
    expect(await post(s.proxyUrl, "http://x-relay.fly.dev/webhook", "a=1")).toEqual({ status: 301, location: "https://x-relay.fly.dev/webhook" });
    expect(s.reached).toEqual([]);
    expect(s.lines.filter((l) => l.includes("(force_https)"))).toHaveLength(2);
  });

  it("serves https://<relay>.fly.dev on 443 with the http handler's headers", async () => {
    const s = await setUp("started");
    const res = await fetch(`${s.proxyUrl}/_public/x-relay/health`);
    expect(res.status).toBe(200);
    expect(s.reached[0]).toMatchObject({ method: "GET", path: "/health", headers: { "x-forwarded-proto": "https", "fly-forwarded-port": "443", "x-forwarded-ssl": "on" } });
  });

  it("delivers the VM's reply over 6PN to http://<relay>.internal:3000, with no proxy headers", async () => {
    const s = await setUp("started");
    expect(await post(s.proxyUrl, "http://x-relay.internal:3000/callback", '{"to":"+1"}')).toEqual({ status: 200 });
    expect(s.reached).toHaveLength(1);
    expect(s.reached[0]).toMatchObject({ method: "POST", path: "/callback", body: '{"to":"+1"}' });
    expect(s.reached[0]?.headers["x-forwarded-proto"]).toBeUndefined();
  });

  it("refuses .internal on a port nothing listens on, and for a stopped machine resolves nothing and wakes nothing", async () => {
    const running = await setUp("started");
    expect(await post(running.proxyUrl, "http://x-relay.internal/callback", "{}")).toEqual({ status: 0 });
    expect(running.lines.join("\n")).toContain("nothing listens on port 80 (the process listens on 3000)");

    const stopped = await setUp("stopped");
    expect(await post(stopped.proxyUrl, "http://x-relay.internal:3000/callback", "{}")).toEqual({ status: 0 });
    expect(stopped.starts).toEqual([]);
    expect(stopped.machine.state).toBe("stopped");
    expect(stopped.lines.join("\n")).toContain("x-relay.internal has no AAAA record: no started machine");
  });

  it("wakes the stopped relay through Flycast only on a declared port, and not for an app without a Flycast address", async () => {
    const s = await setUp("stopped");
    expect(await post(s.proxyUrl, "http://x-relay.flycast:3000/callback", "{}")).toEqual({ status: 0 });
    expect(await post(s.proxyUrl, "http://x-other.flycast/", "{}")).toEqual({ status: 0 });
    expect(s.starts).toEqual([]);
    expect(s.lines.join("\n")).toContain("no service of x-relay declares port 3000");
    expect(s.lines.join("\n")).toContain("x-other.flycast has no AAAA record");
  });
});
