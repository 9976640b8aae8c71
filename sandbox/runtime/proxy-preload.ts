// Loaded into every sandbox service process (node --import) so that fetch() to
// http://<app>.flycast goes through the sandbox proxy, which the processes cannot resolve
// otherwise. Plain-http requests are sent in forward-proxy form (absolute URI) rather than through
// a CONNECT tunnel as undici's ProxyAgent would: a kept-alive tunnel would look like a request in
// flight forever and the proxy could never auto-stop an idle machine. Loopback goes direct.
// axios (used by the twilio library) honours HTTP_PROXY/NO_PROXY on its own.
// Containers load this file with Node's own type stripping (the container runtime mounts it with
// undici beside it), so it keeps to erasable TypeScript: no parameter properties, no enums.
import { Agent, setGlobalDispatcher, type Dispatcher } from "undici";

const proxy = process.env.HTTP_PROXY ?? process.env.http_proxy;

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

if (proxy) setGlobalDispatcher(new ForwardProxyAgent(new URL(proxy).origin));
