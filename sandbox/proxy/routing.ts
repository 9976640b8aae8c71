// Which app and route a proxied request is for. Pure, so the rules are table-tested.
//   http://<app>.flycast[:80]/path        → private route (any app)
//   Host: <app>.fly.dev                   → public route (apps with a public IP only)
//   http://127.0.0.1:<proxy>/_public/<app>/path → public route, for local callers (fetch cannot set Host)
export interface Route { app: string; network: "private" | "public"; path: string }

export function routeFor(hostHeader: string | undefined, url: string): Route | undefined {
  let host = hostHeader ?? "";
  let path = url;
  if (/^https?:\/\//i.test(url)) {
    const parsed = new URL(url); // forward-proxy form: absolute URI
    host = parsed.host;
    path = `${parsed.pathname}${parsed.search}`;
  }
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  const flycast = /^([a-z0-9-]+)\.flycast$/.exec(hostname);
  if (flycast?.[1]) return { app: flycast[1], network: "private", path };
  const flyDev = /^([a-z0-9-]+)\.fly\.dev$/.exec(hostname);
  if (flyDev?.[1]) return { app: flyDev[1], network: "public", path };
  const local = /^\/_public\/([a-z0-9-]+)(\/.*)?$/.exec(path);
  if (local?.[1]) return { app: local[1], network: "public", path: local[2] ?? "/" };
  return undefined;
}
