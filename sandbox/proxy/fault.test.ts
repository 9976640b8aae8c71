import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { SandboxProxy, type ProxyBackend, type ProxyMachine } from "./proxy";

// The proxy's injected partition: an app marked unreachable answers 503 and is not woken; once
// reachable again, the same request auto-starts the machine and reaches it.
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function get(proxyUrl: string, target: string): Promise<{ status: number; body: string }> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    http.get({ host: proxy.hostname, port: proxy.port, path: target }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).once("error", reject);
  });
}

describe("SandboxProxy.setUnreachable", () => {
  it("answers 503 without waking the app, then routes (and wakes) again once reachable", async () => {
    const upstream = http.createServer((_req, res) => res.end("from the machine"));
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const port = (upstream.address() as { port: number }).port;
    closers.push(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

    const vm: ProxyMachine = { id: "m_vm", state: "stopped", autostop: "stop", autostart: true, minMachinesRunning: 0,
      services: [{ internalPort: 3001, autostart: true, ports: [{ port: 80, handlers: ["http"], forceHttps: false }] }] };
    const starts: string[] = [];
    const backend: ProxyBackend = {
      ipTypes: () => Promise.resolve(["private_v6"]),
      machines: () => Promise.resolve([vm]),
      start: (_app, id) => {
        starts.push(id);
        Object.assign(vm, { state: "started", port });
        return Promise.resolve(port);
      },
      stop: () => Promise.resolve(),
    };
    const lines: string[] = [];
    const proxy = new SandboxProxy({ backend, idleMs: 60_000, log: (l) => lines.push(l) });
    const proxyUrl = await proxy.listen();
    closers.push(() => proxy.close());

    proxy.setUnreachable("demo-vm", true);
    const refused = await get(proxyUrl, "http://demo-vm.flycast/tasks");
    expect(refused).toEqual({ status: 503, body: "sandbox proxy: demo-vm is unreachable (fault injected)\n" });
    expect(starts).toEqual([]);
    expect(vm.state).toBe("stopped");

    proxy.setUnreachable("demo-vm", false);
    expect(await get(proxyUrl, "http://demo-vm.flycast/tasks")).toEqual({ status: 200, body: "from the machine" });
    expect(starts).toEqual(["m_vm"]);
    expect(lines).toEqual(["[proxy] demo-vm: unreachable (fault injected)", "[proxy] demo-vm: reachable again", "[proxy] demo-vm/m_vm waking (auto-start on request)"]);
  });
});
