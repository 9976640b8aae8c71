import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../testing/wait-for";
import { SandboxProxy, type ProxyBackend, type ProxyMachine } from "./proxy";

// CONNECT tunnels whose client goes away: Node's HTTP server hands the socket over on "connect" and
// stops handling its errors, so the proxy must (found when Claude Code runs killed in the VM container
// reset their tunnels and every reset was an uncaught ECONNRESET in the process running the sandbox).
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe("SandboxProxy CONNECT tunnels", () => {
  it("survives a client that resets its tunnel while the machine is being resolved, and serves the next one", async () => {
    const upstream = http.createServer((_req, res) => res.end("from the machine"));
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const port = (upstream.address() as { port: number }).port;
    closers.push(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

    const vm: ProxyMachine = { id: "m_vm", state: "started", port, autostop: "off", autostart: true, minMachinesRunning: 0,
      services: [{ internalPort: 3001, autostart: true, ports: [{ port: 80, handlers: ["http"], forceHttps: false }] }] };
    // The first lookup is held until the test lets it go: the client resets while it waits.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let lookups = 0;
    const backend: ProxyBackend = {
      ipTypes: () => Promise.resolve(["private_v6"]),
      machines: async () => {
        lookups += 1;
        if (lookups === 1) await held;
        return [vm];
      },
      start: () => Promise.resolve(port),
      stop: () => Promise.resolve(),
    };
    const lines: string[] = [];
    const proxy = new SandboxProxy({ backend, idleMs: 60_000, log: (l) => lines.push(l) });
    const proxyUrl = new URL(await proxy.listen());
    closers.push(() => proxy.close());

    const client = net.connect(Number(proxyUrl.port), proxyUrl.hostname);
    client.on("error", () => undefined);
    await new Promise<void>((resolve) => client.once("connect", resolve));
    client.write("CONNECT demo-vm.flycast:80 HTTP/1.1\r\nhost: demo-vm.flycast:80\r\n\r\n");
    await waitFor("the proxy to look the machine up", () => lookups === 1, 30_000);
    client.resetAndDestroy();
    await waitFor("the proxy to see the reset", () => lines.some((l) => l.includes("CONNECT demo-vm.flycast:80: the client's connection failed (ECONNRESET)")), 30_000);
    release();

    // The proxy is still there and tunnels the next client to the machine.
    const tunnel = net.connect(Number(proxyUrl.port), proxyUrl.hostname);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = "";
      let asked = false;
      tunnel.once("error", reject);
      tunnel.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        if (!asked && text.includes("\r\n\r\n")) {
          asked = true;
          tunnel.write("GET /health HTTP/1.1\r\nhost: demo-vm.flycast\r\nconnection: close\r\n\r\n");
        }
      });
      tunnel.once("end", () => resolve(text));
      tunnel.write("CONNECT demo-vm.flycast:80 HTTP/1.1\r\nhost: demo-vm.flycast:80\r\n\r\n");
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nfrom the machine$/);
  });
});
