// Fly Proxy's routing rules and 6PN's, as pure functions the sandbox proxy applies (table-tested in
// fly-proxy-rules.test.ts). Each rule names its source; docs/stand-ins.md lists where the sandbox differs.
import type { Route } from "./routing";

export interface ProxyPort {
  port?: number;
  startPort?: number;
  endPort?: number;
  handlers: string[];
  forceHttps: boolean;
}

export interface ProxyService {
  internalPort: number;
  ports: ProxyPort[];
  autostart: boolean;
}

/** Where the machine's process listens, in machine terms (its PORT and HOST), when known. */
export interface ListenAddress {
  port?: number | undefined;
  host?: string | undefined;
}

export type Decision =
  /** No DNS answer, or nothing accepts the connection: the client sees a connection error, not a status. */
  | { kind: "unreachable"; why: string }
  /** Fly Proxy answers itself (force_https). */
  | { kind: "redirect"; status: 301; location: string }
  /** Through Fly Proxy to a machine's service. */
  | { kind: "proxy"; service: ProxyService; httpHandler: boolean }
  /** Over 6PN straight to the machine's port: no services, no auto-start. */
  | { kind: "direct"; port: number };

const PUBLIC_TYPES = new Set(["v4", "v6", "shared_v4"]);

function declares(p: ProxyPort, port: number): boolean {
  if (p.port !== undefined) return p.port === port;
  return p.startPort !== undefined && p.endPort !== undefined && port >= p.startPort && port <= p.endPort;
}

/** The service and port entry of `services` that declares `port` (Fly: services[].ports[].port or a start/end range). */
export function servicePortFor(services: ProxyService[], port: number): { service: ProxyService; entry: ProxyPort } | undefined {
  for (const service of services) {
    const entry = service.ports.find((p) => declares(p, port));
    if (entry) return { service, entry };
  }
  return undefined;
}

/**
 * What Fly does with a request, given the app's IP types and its machines' services:
 * - `.internal` resolves to started machines only and goes to the port asked for (docs: networking/private-networking,
 *   "AAAA queries ... only return 6PN information for started (running) Machines"); nothing is decided here.
 * - `.flycast` has an AAAA record only when the app holds a private_v6 address (docs: networking/flycast, "Flycast and
 *   Fly.io DNS"); `.fly.dev` is served only for an app with a public address (docs: networking/app-services).
 * - Fly Proxy routes only to a port a service declares (docs: networking/app-services, "Without this config, Fly Proxy
 *   isn't aware of the service and can't route to it"), with that port's handlers (docs: networking/services):
 *   `force_https` on an http port answers every plain-HTTP request with a 301 to https, public and Flycast alike
 *   ("all HTTP requests return a redirect response with a 301 status code"); a `tls` port expects a TLS handshake,
 *   which a plain-HTTP request does not start; an HTTPS request needs a port that terminates TLS.
 */
export function decide(route: Route, ipTypes: string[], services: ProxyService[]): Decision {
  if (route.network === "internal") return { kind: "direct", port: route.port };
  if (route.network === "flycast" && !ipTypes.includes("private_v6")) {
    return { kind: "unreachable", why: `${route.app}.flycast has no AAAA record: the app holds no private_v6 (Flycast) address` };
  }
  if (route.network === "public" && !ipTypes.some((t) => PUBLIC_TYPES.has(t))) {
    return { kind: "unreachable", why: `${route.app} has no public IP address (v4, shared_v4 or v6), so ${route.app}.fly.dev does not reach it` };
  }
  const found = servicePortFor(services, route.port);
  if (!found) {
    const declared = services.flatMap((s) => s.ports.map((p) => p.port ?? `${p.startPort}-${p.endPort}`)).join(", ") || "none";
    return { kind: "unreachable", why: `no service of ${route.app} declares port ${route.port} (declared: ${declared}); Fly Proxy does not listen there` };
  }
  const { service, entry } = found;
  const tls = entry.handlers.includes("tls") || entry.handlers.includes("pg_tls");
  const http = entry.handlers.includes("http");
  if (route.scheme === "https") {
    if (!tls) return { kind: "unreachable", why: `port ${route.port} of ${route.app} has no tls handler, so HTTPS cannot be terminated there` };
    return { kind: "proxy", service, httpHandler: http };
  }
  if (tls) return { kind: "unreachable", why: `port ${route.port} of ${route.app} expects a TLS handshake (handlers ${entry.handlers.join(",")}); a plain-HTTP request fails there` };
  if (http && entry.forceHttps) return { kind: "redirect", status: 301, location: `https://${route.hostname}${route.path}` };
  return { kind: "proxy", service, httpHandler: http };
}

/** Node's `::` listens on IPv4 too (dual stack); the services default HOST to 0.0.0.0 (services/*\/src/env.ts). */
const hostOf = (listen: ListenAddress): string => listen.host ?? "0.0.0.0";

/**
 * Why the machine's process cannot take a connection routed to it, or undefined when it can.
 * Fly Proxy reaches a machine over IPv4, so the process must listen on 0.0.0.0 (or `::`, which Node makes dual
 * stack), on the service's internal_port; 6PN reaches it over IPv6, so it must listen on `::` or fly-local-6pn
 * (docs: networking/app-services, "A note on IPv4 and IPv6 wildcards"), on the port asked for.
 */
export function listenProblem(listen: ListenAddress, via: { kind: "proxy"; internalPort: number } | { kind: "direct"; port: number }): string | undefined {
  const host = hostOf(listen);
  if (via.kind === "proxy") {
    if (listen.port !== undefined && listen.port !== via.internalPort) {
      return `the service's internal_port is ${via.internalPort} but the process listens on ${listen.port} (its PORT)`;
    }
    if (host !== "0.0.0.0" && host !== "::") return `the process listens on ${host}, which Fly Proxy (IPv4) cannot reach; bind 0.0.0.0 or ::`;
    return undefined;
  }
  if (listen.port !== undefined && listen.port !== via.port) return `nothing listens on port ${via.port} (the process listens on ${listen.port})`;
  if (host !== "::" && host !== "fly-local-6pn") return `the process listens on ${host} (IPv4 only); 6PN needs it to bind :: or fly-local-6pn`;
  return undefined;
}
