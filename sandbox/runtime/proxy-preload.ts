// Loaded into every sandbox service process (node --import) so that requests to
// http://<app>.flycast go through the sandbox proxy, which the processes cannot resolve
// otherwise. Plain-http requests are sent in forward-proxy form (absolute URI) rather than through
// a CONNECT tunnel as undici's ProxyAgent would: a kept-alive tunnel would look like a request in
// flight forever and the proxy could never auto-stop an idle machine. Loopback goes direct.
// Both clients a service may use are covered: fetch (undici's global dispatcher) and node:http's
// request/get (the relay hands tasks to the VM over node:http with a keep-alive agent).
// axios (used by the twilio library) honours HTTP_PROXY/NO_PROXY on its own.
// Containers load this file with Node's own type stripping (the container runtime mounts it with
// undici beside it), so it keeps to erasable TypeScript: no parameter properties, no enums.
import http from "node:http";
import { syncBuiltinESMExports } from "node:module";
import { Agent, setGlobalDispatcher, type Dispatcher } from "undici";

const proxy = process.env.HTTP_PROXY ?? process.env.http_proxy;
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\]|::1)$/;

class ForwardProxyAgent extends Agent {
  private readonly proxyOrigin: string;

  constructor(proxyOrigin: string) {
    super();
    this.proxyOrigin = proxyOrigin;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    const origin = String(options.origin ?? "");
    const direct = !origin.startsWith("http://") || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(origin);
    if (direct) return super.dispatch(options, handler);
    return super.dispatch({ ...options, origin: this.proxyOrigin, path: `${origin.replace(/\/$/, "")}${options.path}` }, handler);
  }
}

type RequestArgs = [url: string | URL | http.RequestOptions, options?: http.RequestOptions | ((res: http.IncomingMessage) => void), callback?: (res: http.IncomingMessage) => void];

/** node:http's arguments rewritten to ask the proxy for the absolute URL; undefined to go direct. */
function forwardProxyArgs(proxyUrl: URL, args: RequestArgs): RequestArgs | undefined {
  const [first, second, third] = args;
  let options: http.RequestOptions;
  let callback: ((res: http.IncomingMessage) => void) | undefined;
  let target: URL;
  if (typeof first === "string" || first instanceof URL) {
    target = new URL(String(first));
    options = typeof second === "object" ? second : {};
    callback = typeof second === "function" ? second : third;
  } else {
    options = first;
    callback = typeof second === "function" ? second : undefined;
    const host = options.hostname ?? options.host ?? "localhost";
    target = new URL(`${options.protocol ?? "http:"}//${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}${options.port ? `:${options.port}` : ""}${options.path ?? "/"}`);
  }
  if (target.protocol !== "http:" || LOOPBACK_HOST.test(target.hostname)) return undefined;
  const { host: _host, hostname: _hostname, port: _port, path: _path, ...rest } = options;
  const headers = { ...(options.headers as Record<string, string> | undefined), host: target.host };
  const rewritten: http.RequestOptions = { ...rest, protocol: "http:", hostname: proxyUrl.hostname, port: proxyUrl.port, path: target.href, headers };
  return callback ? [rewritten, callback] : [rewritten];
}

function routeNodeHttp(proxyUrl: URL): void {
  const request = http.request;
  const get = http.get;
  const pick = (original: typeof http.request) =>
    ((...args: RequestArgs) => original(...((forwardProxyArgs(proxyUrl, args) ?? args) as Parameters<typeof http.request>))) as typeof http.request;
  http.request = pick(request);
  http.get = pick(get);
  // ESM importers of node:http (import { request } from "node:http") see the replacement too.
  syncBuiltinESMExports();
}

if (proxy) {
  setGlobalDispatcher(new ForwardProxyAgent(new URL(proxy).origin));
  routeNodeHttp(new URL(proxy));
}
