import { describe, expect, it } from "vitest";
import { decide, listenProblem, type ProxyService } from "./fly-proxy-rules";
import { routeFor } from "./routing";

// Fly Proxy's and 6PN's rules as the sandbox proxy applies them (sources in fly-proxy-rules.ts).
const relayServices: ProxyService[] = [{
  internalPort: 3000,
  autostart: true,
  ports: [{ port: 80, handlers: ["http"], forceHttps: true }, { port: 443, handlers: ["tls", "http"], forceHttps: false }],
}];
const vmServices: ProxyService[] = [{ internalPort: 3001, autostart: true, ports: [{ port: 80, handlers: ["http"], forceHttps: false }] }];
const relayIps = ["shared_v4", "v6", "private_v6"];
const route = (url: string) => {
  const r = routeFor(undefined, url);
  if (!r) throw new Error(`no route for ${url}`);
  return r;
};

describe("routeFor", () => {
  it.each([
    ["http://x-vm.flycast/tasks", { app: "x-vm", network: "flycast", scheme: "http", port: 80, hostname: "x-vm.flycast", path: "/tasks" }],
    ["http://x-vm.flycast:8080/health?x=1", { app: "x-vm", network: "flycast", scheme: "http", port: 8080, hostname: "x-vm.flycast", path: "/health?x=1" }],
    ["http://x-relay.internal:3000/callback", { app: "x-relay", network: "internal", scheme: "http", port: 3000, hostname: "x-relay.internal", path: "/callback" }],
    ["http://x-relay.fly.dev/webhook", { app: "x-relay", network: "public", scheme: "http", port: 80, hostname: "x-relay.fly.dev", path: "/webhook" }],
  ])("%s", (url, expected) => expect(routeFor(undefined, url)).toEqual(expected));

  it("reads the Host header form and the local /_public/<app> route (https on 443)", () => {
    expect(routeFor("x-relay.fly.dev", "/webhook")).toMatchObject({ app: "x-relay", network: "public", scheme: "http", port: 80 });
    expect(routeFor("127.0.0.1:4000", "/_public/x-relay/media/a.png")).toEqual({
      app: "x-relay", network: "public", scheme: "https", port: 443, hostname: "x-relay.fly.dev", path: "/media/a.png" });
    expect(routeFor("127.0.0.1:4000", "/_public/x-relay")).toMatchObject({ path: "/" });
    expect(routeFor("example.com", "/")).toBeUndefined();
  });
});

describe("decide (Fly Proxy)", () => {
  it("redirects plain HTTP on a force_https port with a 301, on Flycast exactly as in public", () => {
    expect(decide(route("http://x-relay.flycast/callback"), relayIps, relayServices)).toEqual({ kind: "redirect", status: 301, location: "https://x-relay.flycast/callback" });
    expect(decide(route("http://x-relay.fly.dev/webhook?a=1"), relayIps, relayServices)).toEqual({ kind: "redirect", status: 301, location: "https://x-relay.fly.dev/webhook?a=1" });
  });

  it("serves HTTPS on the tls port and plain HTTP on a port without force_https", () => {
    expect(decide(route("http://127.0.0.1:1/_public/x-relay/health"), relayIps, relayServices)).toEqual({ kind: "proxy", service: relayServices[0], httpHandler: true });
    expect(decide(route("http://x-vm.flycast/tasks"), ["private_v6"], vmServices)).toEqual({ kind: "proxy", service: vmServices[0], httpHandler: true });
  });

  it("routes .flycast only for an app holding a private_v6 address", () => {
    expect(decide(route("http://x-vm.flycast/tasks"), ["v6"], vmServices)).toEqual({
      kind: "unreachable", why: "x-vm.flycast has no AAAA record: the app holds no private_v6 (Flycast) address" });
  });

  it("routes .fly.dev only for an app with a public address", () => {
    expect(decide(route("http://127.0.0.1:1/_public/x-vm/health"), ["private_v6"], vmServices)).toMatchObject({ kind: "unreachable" });
  });

  it("routes only to a port a service declares, ranges included", () => {
    expect(decide(route("http://x-relay.flycast:3000/callback"), relayIps, relayServices)).toEqual({
      kind: "unreachable", why: "no service of x-relay declares port 3000 (declared: 80, 443); Fly Proxy does not listen there" });
    const ranged: ProxyService[] = [{ internalPort: 9000, autostart: false, ports: [{ startPort: 10000, endPort: 10010, handlers: [], forceHttps: false }] }];
    expect(decide(route("http://x.flycast:10005/"), ["private_v6"], ranged)).toEqual({ kind: "proxy", service: ranged[0], httpHandler: false });
  });

  it("fails plain HTTP on a tls port, and HTTPS on a port that terminates no TLS", () => {
    expect(decide(route("http://x-relay.flycast:443/"), relayIps, relayServices)).toMatchObject({ kind: "unreachable", why: expect.stringContaining("expects a TLS handshake") });
    const plainOnly: ProxyService[] = [{ internalPort: 3000, autostart: true, ports: [{ port: 443, handlers: ["http"], forceHttps: false }] }];
    expect(decide(route("http://127.0.0.1:1/_public/x-relay/"), relayIps, plainOnly)).toMatchObject({ kind: "unreachable", why: expect.stringContaining("no tls handler") });
  });

  it("sends .internal straight to the port asked for, whatever the services say", () => {
    expect(decide(route("http://x-relay.internal:3000/callback"), [], [])).toEqual({ kind: "direct", port: 3000 });
  });
});

describe("listenProblem", () => {
  it.each([
    [{ port: 3000, host: "::" }, { kind: "proxy" as const, internalPort: 3000 }, undefined],
    [{ port: 3000, host: undefined }, { kind: "proxy" as const, internalPort: 3000 }, undefined],
    [{ port: 3001, host: "0.0.0.0" }, { kind: "proxy" as const, internalPort: 3000 }, "the service's internal_port is 3000 but the process listens on 3001 (its PORT)"],
    [{ port: 3000, host: "fly-local-6pn" }, { kind: "proxy" as const, internalPort: 3000 }, "the process listens on fly-local-6pn, which Fly Proxy (IPv4) cannot reach; bind 0.0.0.0 or ::"],
    [{ port: 3000, host: "::" }, { kind: "direct" as const, port: 3000 }, undefined],
    [{ port: 3000, host: "fly-local-6pn" }, { kind: "direct" as const, port: 3000 }, undefined],
    [{ port: 3000, host: undefined }, { kind: "direct" as const, port: 3000 }, "the process listens on 0.0.0.0 (IPv4 only); 6PN needs it to bind :: or fly-local-6pn"],
    [{ port: 3000, host: "::" }, { kind: "direct" as const, port: 80 }, "nothing listens on port 80 (the process listens on 3000)"],
  ])("%o via %o", (listen, via, problem) => expect(listenProblem(listen, via)).toBe(problem));
});
