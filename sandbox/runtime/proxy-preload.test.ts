import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const repoRoot = path.resolve(__dirname, "../..");
let server: http.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

describe("proxy preload", () => {
  it("sends a service process's fetch to <app>.flycast through HTTP_PROXY in forward-proxy form (no tunnel, so the proxy sees each request end)", async () => {
    const seen: string[] = [];
    server = http.createServer((req, res) => { seen.push(req.url ?? ""); res.end("via proxy"); });
    // undici tunnels with CONNECT; answer inside the tunnel like a machine would.
    server.on("connect", (req: http.IncomingMessage, socket: import("node:stream").Duplex) => {
      seen.push(`CONNECT ${req.url ?? ""}`);
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\ncontent-length: 9\r\nconnection: close\r\n\r\nvia proxy"));
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const script = "fetch('http://local-vm.flycast/health').then(r => r.text()).then(t => process.stdout.write(t))";
    const child = spawn(process.execPath, ["--import", "tsx", "--import", path.join(__dirname, "proxy-preload.ts"), "-e", script], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", HTTP_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: "127.0.0.1,localhost" },
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect({ code, out }).toEqual({ code: 0, out: "via proxy" });
    expect(seen).toEqual(["http://local-vm.flycast/health"]);
  }, 30_000);

  it.each([
    ["required", ["-e", "require('node:http').request('http://local-vm.flycast:3001/tasks?x=1', { method: 'POST' }, (r) => r.pipe(process.stdout)).end('{}')"]],
    ["imported (ESM named import)", ["--input-type=module", "-e", "import { request } from 'node:http'; request({ hostname: 'local-vm.flycast', port: 3001, path: '/tasks?x=1', method: 'POST' }, (r) => r.pipe(process.stdout)).end('{}')"]],
  ])("sends node:http's request, %s, to <app>.flycast through HTTP_PROXY in forward-proxy form, with its Host", async (_how, args) => {
    const seen: string[] = [];
    server = http.createServer((req, res) => { seen.push(`${req.method ?? ""} ${req.url ?? ""} host=${req.headers.host ?? ""}`); res.end("via proxy"); });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const child = spawn(process.execPath, ["--import", "tsx", "--import", path.join(__dirname, "proxy-preload.ts"), ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", HTTP_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: "127.0.0.1,localhost" },
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect({ code, out }).toEqual({ code: 0, out: "via proxy" });
    expect(seen).toEqual(["POST http://local-vm.flycast:3001/tasks?x=1 host=local-vm.flycast:3001"]);
  }, 30_000);
});
