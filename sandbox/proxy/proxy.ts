import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { decide, listenProblem, servicePortFor, type ListenAddress, type ProxyService } from "./fly-proxy-rules";
import { routeFor, type Route } from "./routing";

// A Fly-Proxy-like HTTP forward proxy for the sandbox. It applies Fly's routing rules (fly-proxy-rules.ts):
// `.flycast` only for an app holding a private_v6 address and only to a port a service declares, with that
// port's handlers (force_https answers 301); `.fly.dev` only for an app with a public address; `.internal`
// straight to a started machine's own port, waking nothing. It starts a stopped machine when a request
// arrives for an autostart service (auto-start) and stops or suspends a machine idle for idleMs (auto-stop),
// never going below min_machines_running. It talks to machines through a backend, so it works over the local
// Fly API or directly over the process runtime.

export interface ProxyMachine {
  id: string;
  state: "started" | "stopped" | "suspended" | string;
  /** Local port when the process is running. */
  port?: number;
  autostop: "off" | "stop" | "suspend";
  autostart: boolean;
  minMachinesRunning: number;
  /**
   * False while the machine's health checks do not all pass yet (booting). The idle clock of a
   * machine the proxy did not wake itself starts only once it is healthy, so a deploy that waits
   * for the checks is not raced by auto-stop. Undefined = healthy (no checks known).
   */
  healthy?: boolean;
  /** The machine config's services (none: Fly Proxy routes nothing to it). */
  services?: ProxyService[];
  /** Where its process listens in machine terms (PORT, HOST), when known. */
  listen?: ListenAddress;
}

export interface ProxyBackend {
  /**
   * Every app the platform knows. When given, a machine started by anyone (a deploy, the API)
   * is watched for idleness too, as Fly Proxy does, not only machines the proxy woke itself.
   */
  apps?(): Promise<string[]>;
  /** The types of the app's IP assignments (v4, v6, shared_v4, private_v6). */
  ipTypes(app: string): Promise<string[]>;
  machines(app: string): Promise<ProxyMachine[]>;
  /** Starts the machine and resolves with its port once it is healthy. */
  start(app: string, id: string): Promise<number>;
  stop(app: string, id: string, mode: "stop" | "suspend"): Promise<void>;
}

export interface ProxyOptions { backend: ProxyBackend; idleMs: number; log?: (line: string) => void }

interface Activity { app: string; inFlight: number; lastSeen: number }

type Resolution =
  | { kind: "unreachable"; why: string }
  | { kind: "unavailable"; status: 502 | 503; why: string }
  | { kind: "redirect"; location: string }
  | { kind: "forward"; id: string; port: number; viaProxy: boolean; httpHandler: boolean };

export class SandboxProxy {
  private server?: http.Server;
  private readonly activity = new Map<string, Activity>();
  /** Apps cut off by fault injection (tests): their requests fail as Fly Proxy's do when no machine answers. */
  private readonly unreachable = new Set<string>();
  private idleTimer?: NodeJS.Timeout;
  private sweeping = false;
  private readonly log: (line: string) => void;

  constructor(private readonly options: ProxyOptions) {
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  }

  async listen(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    // undici's ProxyAgent tunnels even plain-http targets with CONNECT, so serve tunnels too.
    this.server.on("connect", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.tunnel(req, socket, head));
    await new Promise<void>((resolve) => this.server?.listen(port, "127.0.0.1", resolve));
    const address = this.server.address();
    this.idleTimer = setInterval(() => void this.sweep(), Math.max(50, Math.floor(this.options.idleMs / 4)));
    return `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`;
  }

  /**
   * Fault injection: while set, requests to this app get 503 (a CONNECT tunnel 502) and wake nothing, as
   * when Fly Proxy cannot reach any of the app's machines. Lets a test hold messages in the relay's outbox.
   */
  setUnreachable(app: string, unreachable: boolean): void {
    if (unreachable) this.unreachable.add(app);
    else this.unreachable.delete(app);
    this.log(`[proxy] ${app}: ${unreachable ? "unreachable (fault injected)" : "reachable again"}`);
  }

  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Where a request goes, by Fly's rules: a machine (woken when its service autostarts), a redirect, or nowhere. */
  private async resolve(route: Route): Promise<Resolution> {
    const { backend } = this.options;
    const [ipTypes, machines] = await Promise.all([route.network === "internal" ? [] : backend.ipTypes(route.app), backend.machines(route.app)]);
    const decision = decide(route, ipTypes, machines.flatMap((m) => m.services ?? []));
    if (decision.kind === "unreachable") return decision;
    if (decision.kind === "redirect") return { kind: "redirect", location: decision.location };
    if (decision.kind === "direct") {
      const started = machines.find((m) => m.state === "started" && m.port !== undefined);
      if (!started?.port) return { kind: "unreachable", why: `${route.app}.internal has no AAAA record: no started machine (stopped ones are not listed, and 6PN wakes nothing)` };
      const problem = listenProblem(started.listen ?? {}, { kind: "direct", port: decision.port });
      if (problem) return { kind: "unreachable", why: `${route.app}.internal:${decision.port} refused the connection: ${problem}` };
      return { kind: "forward", id: started.id, port: started.port, viaProxy: false, httpHandler: false };
    }
    const serving = machines.filter((m) => servicePortFor(m.services ?? [], route.port) !== undefined);
    let target: { id: string; port: number } | undefined;
    try {
      target = await this.pickMachine(route.app, serving, decision.service.autostart);
    } catch (error) {
      this.log(`[proxy] ${route.app}: ${(error as Error).message}`);
    }
    if (!target) return { kind: "unavailable", status: 503, why: `no machine of ${route.app} could serve the request` };
    const machine = machines.find((m) => m.id === target.id);
    const problem = listenProblem(machine?.listen ?? {}, { kind: "proxy", internalPort: decision.service.internalPort });
    if (problem) return { kind: "unavailable", status: 502, why: `${route.app} machine ${target.id}: ${problem}` };
    return { kind: "forward", id: target.id, port: target.port, viaProxy: true, httpHandler: decision.httpHandler };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const route = routeFor(req.headers.host, req.url ?? "/");
    if (!route) return void res.writeHead(404).end("sandbox proxy: unknown host; use <app>.flycast, <app>.internal:<port>, <app>.fly.dev or /_public/<app>\n");
    if (this.unreachable.has(route.app)) return void res.writeHead(503).end(`sandbox proxy: ${route.app} is unreachable (fault injected)\n`);
    let resolution: Resolution;
    try {
      resolution = await this.resolve(route);
    } catch (error) {
      resolution = { kind: "unavailable", status: 503, why: `${route.app}: ${(error as Error).message}` };
    }
    if (resolution.kind === "unreachable") {
      // No DNS answer or no listener: the client gets a connection error, never an HTTP status.
      this.log(`[proxy] ${req.method ?? "?"} ${route.hostname}:${route.port}${route.path}: ${resolution.why}`);
      req.socket.destroy();
      return;
    }
    if (resolution.kind === "unavailable") return void res.writeHead(resolution.status).end(`sandbox proxy: ${resolution.why}\n`);
    if (resolution.kind === "redirect") {
      this.log(`[proxy] ${req.method ?? "?"} http://${route.hostname}:${route.port}${route.path}: 301 to ${resolution.location} (force_https)`);
      req.resume();
      return void res.writeHead(301, { location: resolution.location, "content-length": "0" }).end();
    }
    const { id, port } = resolution;
    const done = resolution.viaProxy ? this.track(route.app, id) : (): void => undefined;
    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    delete headers["proxy-connection"];
    if (resolution.httpHandler) {
      // What Fly's http handler adds (docs: networking/services, "HTTP handler").
      Object.assign(headers, {
        "x-forwarded-proto": route.scheme,
        "x-forwarded-port": String(route.port),
        "fly-forwarded-port": String(route.port),
        "x-forwarded-ssl": route.scheme === "https" ? "on" : "off",
      });
    }
    const upstream = http.request({ host: "127.0.0.1", port, path: route.path, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.once("close", done);
    });
    upstream.once("error", (error) => {
      done();
      if (!res.headersSent) res.writeHead(502).end(`sandbox proxy: ${route.app} machine ${id}: ${error.message}\n`);
      else res.destroy();
    });
    req.pipe(upstream);
  }

  /** CONNECT <host>:<port>: a raw tunnel to the machine, by the same rules; an open tunnel counts as in flight. */
  private async tunnel(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Node's server stops handling the socket's errors once it emits "connect": without a listener of
    // our own, a client that resets its connection (a process killed mid-request, as a timed-out Claude
    // Code run is) is an uncaught ECONNRESET that brings down whatever runs the proxy.
    socket.on("error", (error: NodeJS.ErrnoException) => {
      this.log(`[proxy] CONNECT ${req.url ?? "?"}: the client's connection failed (${error.code ?? error.message})`);
      socket.destroy();
    });
    const route = routeFor(undefined, `http://${req.url ?? ""}/`);
    const refuse = (why: string): void => void socket.end(`HTTP/1.1 502 Bad Gateway\r\n\r\nsandbox proxy: ${why}\n`);
    if (!route) return refuse(`cannot tunnel to ${req.url ?? "?"}; use <app>.flycast, <app>.internal:<port> or /_public/<app>`);
    if (this.unreachable.has(route.app)) return refuse(`${route.app} is unreachable (fault injected)`);
    let resolution: Resolution;
    try {
      resolution = await this.resolve(route);
    } catch (error) {
      resolution = { kind: "unavailable", status: 503, why: (error as Error).message };
    }
    if (resolution.kind === "unreachable" || resolution.kind === "unavailable") {
      this.log(`[proxy] CONNECT ${req.url ?? "?"}: ${resolution.why}`);
      return refuse(resolution.why);
    }
    if (resolution.kind === "redirect") {
      // The tunnel carries HTTP: answer its first request the way Fly Proxy does, then close.
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      const answer = (chunk: Buffer): void => {
        const path = /^[A-Z]+ (\S+) HTTP/.exec(chunk.toString("latin1"))?.[1] ?? "/";
        const location = `https://${route.hostname}${path.startsWith("/") ? path : new URL(path).pathname}`;
        socket.end(`HTTP/1.1 301 Moved Permanently\r\nlocation: ${location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
      };
      if (head.length) answer(head);
      else socket.once("data", answer);
      return;
    }
    // The client gave up while the machine was being resolved (or woken): nothing to connect.
    if (socket.destroyed) return;
    const done = resolution.viaProxy ? this.track(route.app, resolution.id) : (): void => undefined;
    const upstream = net.connect(resolution.port, "127.0.0.1", () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      done();
      upstream.destroy();
      socket.destroy();
    };
    upstream.on("error", close).once("close", close);
    socket.once("close", close);
  }

  /** Counts a request through Fly Proxy as activity (6PN traffic bypasses the proxy and counts for nothing). */
  private track(app: string, id: string): () => void {
    const activity = this.activity.get(id) ?? { app, inFlight: 0, lastSeen: Date.now() };
    this.activity.set(id, activity);
    activity.inFlight += 1;
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      activity.inFlight -= 1;
      activity.lastSeen = Date.now();
    };
  }

  /** A running machine if any, else auto-start a stopped one when its service allows (as Fly Proxy does). */
  private async pickMachine(app: string, machines: ProxyMachine[], autostart: boolean): Promise<{ id: string; port: number } | undefined> {
    const running = machines.find((m) => m.state === "started" && m.port);
    if (running?.port) return { id: running.id, port: running.port };
    const sleeping = autostart ? machines.find((m) => m.state === "stopped" || m.state === "suspended") : undefined;
    if (!sleeping) return undefined;
    this.log(`[proxy] ${app}/${sleeping.id} waking (auto-start on request)`);
    const port = await this.options.backend.start(app, sleeping.id);
    this.activity.set(sleeping.id, { app, inFlight: 0, lastSeen: Date.now() });
    return { id: sleeping.id, port };
  }

  /** One idle sweep at a time; a failing backend call is logged and retried on the next tick. */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.watchStartedMachines();
      await this.stopIdle();
    } catch (error) {
      this.log(`[proxy] idle sweep failed: ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  /** A started, healthy machine the proxy has not seen yet is idle from now on (e.g. just deployed). */
  private async watchStartedMachines(): Promise<void> {
    const apps = this.options.backend.apps ? await this.options.backend.apps() : [];
    for (const app of apps) {
      for (const machine of await this.options.backend.machines(app)) {
        if (machine.state === "started" && machine.healthy !== false && machine.autostop !== "off" && !this.activity.has(machine.id)) {
          this.activity.set(machine.id, { app, inFlight: 0, lastSeen: Date.now() });
        }
      }
    }
  }

  private async stopIdle(): Promise<void> {
    const now = Date.now();
    for (const [id, activity] of this.activity) {
      if (activity.inFlight > 0 || now - activity.lastSeen < this.options.idleMs) continue;
      const machines = await this.options.backend.machines(activity.app);
      const machine = machines.find((m) => m.id === id);
      const runningCount = machines.filter((m) => m.state === "started").length;
      if (!machine || machine.state !== "started" || machine.autostop === "off" || runningCount <= machine.minMachinesRunning) {
        this.activity.delete(id);
        continue;
      }
      this.activity.delete(id);
      this.log(`[proxy] ${activity.app}/${id} idle ${now - activity.lastSeen} ms: ${machine.autostop === "suspend" ? "suspending" : "stopping"} (auto-stop)`);
      await this.options.backend.stop(activity.app, id, machine.autostop);
    }
  }
}
