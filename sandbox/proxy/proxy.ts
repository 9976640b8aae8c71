import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { routeFor } from "./routing";

// A Fly-Proxy-like HTTP forward proxy for the sandbox: routes by requested host, starts a stopped
// machine when a request arrives (auto-start) and stops or suspends a machine idle for idleMs
// (auto-stop), never going below min_machines_running. It talks to machines through a backend
// so it works over the local Fly API or directly over the process runtime.

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
}

export interface ProxyBackend {
  /**
   * Every app the platform knows. When given, a machine started by anyone (a deploy, the API)
   * is watched for idleness too, as Fly Proxy does, not only machines the proxy woke itself.
   */
  apps?(): Promise<string[]>;
  hasPublicIp(app: string): Promise<boolean>;
  machines(app: string): Promise<ProxyMachine[]>;
  /** Starts the machine and resolves with its port once it is healthy. */
  start(app: string, id: string): Promise<number>;
  stop(app: string, id: string, mode: "stop" | "suspend"): Promise<void>;
}

export interface ProxyOptions { backend: ProxyBackend; idleMs: number; log?: (line: string) => void }

interface Activity { app: string; inFlight: number; lastSeen: number }

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

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const route = routeFor(req.headers.host, req.url ?? "/");
    if (!route) return void res.writeHead(404).end("sandbox proxy: unknown host; use <app>.flycast or <app>.fly.dev\n");
    const { backend } = this.options;
    if (route.network === "public" && !(await backend.hasPublicIp(route.app))) {
      return void res.writeHead(404).end(`sandbox proxy: ${route.app} has no public IP\n`);
    }
    if (this.unreachable.has(route.app)) return void res.writeHead(503).end(`sandbox proxy: ${route.app} is unreachable (fault injected)\n`);
    let target: { id: string; port: number } | undefined;
    try {
      target = await this.pickMachine(route.app);
    } catch (error) {
      this.log(`[proxy] ${route.app}: ${(error as Error).message}`);
    }
    if (!target) return void res.writeHead(503).end(`sandbox proxy: no machine of ${route.app} could serve the request\n`);
    const activity = this.activity.get(target.id) ?? { app: route.app, inFlight: 0, lastSeen: Date.now() };
    this.activity.set(target.id, activity);
    activity.inFlight += 1;
    const done = (): void => { activity.inFlight -= 1; activity.lastSeen = Date.now(); };
    const headers = { ...req.headers };
    delete headers["proxy-connection"];
    const upstream = http.request({ host: "127.0.0.1", port: target.port, path: route.path, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.once("close", done);
    });
    upstream.once("error", (error) => {
      done();
      if (!res.headersSent) res.writeHead(502).end(`sandbox proxy: ${route.app} machine ${target.id}: ${error.message}\n`);
      else res.destroy();
    });
    req.pipe(upstream);
  }

  /** CONNECT <app>.flycast:80: a raw tunnel to the machine; an open tunnel counts as in flight. */
  private async tunnel(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const route = routeFor(undefined, `http://${req.url ?? ""}/`);
    const refuse = (why: string): void => void socket.end(`HTTP/1.1 502 Bad Gateway\r\n\r\nsandbox proxy: ${why}\n`);
    // A TLS tunnel to .fly.dev would reach a plain-HTTP process; local callers use /_public/<app>.
    if (route?.network !== "private") return refuse(`cannot tunnel to ${req.url ?? "?"}; use http://<app>.flycast or /_public/<app>`);
    if (this.unreachable.has(route.app)) return refuse(`${route.app} is unreachable (fault injected)`);
    let target: { id: string; port: number } | undefined;
    try {
      target = await this.pickMachine(route.app);
    } catch (error) {
      this.log(`[proxy] ${route.app}: ${(error as Error).message}`);
    }
    if (!target) return refuse(`no machine of ${route.app} could serve the request`);
    const activity = this.activity.get(target.id) ?? { app: route.app, inFlight: 0, lastSeen: Date.now() };
    this.activity.set(target.id, activity);
    activity.inFlight += 1;
    const upstream = net.connect(target.port, "127.0.0.1", () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    let closed = false;
    const done = (): void => {
      if (closed) return;
      closed = true;
      activity.inFlight -= 1;
      activity.lastSeen = Date.now();
      upstream.destroy();
      socket.destroy();
    };
    upstream.once("error", done).once("close", done);
    socket.once("error", done).once("close", done);
  }

  /** A running machine if any, else auto-start a stopped one (as Fly Proxy does). */
  private async pickMachine(app: string): Promise<{ id: string; port: number } | undefined> {
    const machines = await this.options.backend.machines(app);
    const running = machines.find((m) => m.state === "started" && m.port);
    if (running?.port) return { id: running.id, port: running.port };
    const sleeping = machines.find((m) => m.autostart && (m.state === "stopped" || m.state === "suspended"));
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
