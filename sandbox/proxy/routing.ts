// Which app, network, scheme and port a proxied request is for. Pure, so the rules are table-tested.
//   http://<app>.flycast[:port]/path         → Flycast (private, through Fly Proxy), plain HTTP, port 80 by default
//   http://<app>.internal:<port>/path        → 6PN, straight to the machine's own port (no Fly Proxy)
//   http://<app>.fly.dev[:port]/path         → public, plain HTTP (port 80 by default)
//   http://127.0.0.1:<proxy>/_public/<app>/path → public HTTPS on 443, i.e. https://<app>.fly.dev/path, for local
//                                              callers (fetch cannot set Host, and the sandbox terminates no TLS)
export type Network = "public" | "flycast" | "internal";

export interface Route {
  app: string;
  network: Network;
  scheme: "http" | "https";
  /** The port the client connected to, as Fly sees it (not a local port). */
  port: number;
  /** The host name the client asked for, e.g. `x-relay.fly.dev`: the Location of a redirect keeps it. */
  hostname: string;
  path: string;
}

export function routeFor(hostHeader: string | undefined, url: string): Route | undefined {
  let host = hostHeader ?? "";
  let path = url;
  if (/^https?:\/\//i.test(url)) {
    const parsed = new URL(url); // forward-proxy form: absolute URI
    host = parsed.host;
    path = `${parsed.pathname}${parsed.search}`;
  }
  const local = /^\/_public\/([a-z0-9-]+)(\/.*)?$/.exec(path);
  if (local?.[1] && !/\.(flycast|internal|fly\.dev)(:\d+)?$/i.test(host)) {
    return { app: local[1], network: "public", scheme: "https", port: 443, hostname: `${local[1]}.fly.dev`, path: local[2] ?? "/" };
  }
  const portMatch = /:(\d+)$/.exec(host);
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  const port = portMatch?.[1] ? Number(portMatch[1]) : 80;
  const named = /^([a-z0-9-]+)\.(flycast|internal|fly\.dev)$/.exec(hostname);
  if (!named?.[1] || !named[2]) return undefined;
  const network: Network = named[2] === "fly.dev" ? "public" : named[2] === "flycast" ? "flycast" : "internal";
  return { app: named[1], network, scheme: "http", port, hostname, path };
}
