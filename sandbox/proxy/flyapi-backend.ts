import { z } from "zod";
import { FlyClient, isFlyConflict, type FlyMachine } from "../../components/fly/client";
import { machineViewOf } from "./machine-view";
import type { ProxyBackend, ProxyMachine } from "./proxy";

// The proxy's view of the platform read from the local Fly API over HTTP, as Fly Proxy is a client
// of the platform too: apps, IP assignments and machines (with their service's autostop/autostart/
// min_machines_running) come from the API; start/stop/suspend go through the API's machine
// endpoints, so the API's state and the running processes agree. Only the local port of a running
// machine comes from the process runtime (Fly Proxy would use the machine's private address).

/** What the backend needs from the process runtime: ports and real health. */
export interface PortSource {
  portOf(id: string): number | undefined;
  waitHealthy(id: string, timeoutMs?: number): Promise<void>;
}

export interface FlyApiBackendOptions {
  /** The local Fly API's base URL (without /v1) and token; a function when known only later. */
  apiUrl: string | (() => string);
  token: string;
  runtime: PortSource;
  /** How long a wake-up may take (start + process + health checks). */
  startTimeoutMs?: number;
}

const stateSchema = z.object({ apps: z.array(z.string()) });

export class FlyApiBackend implements ProxyBackend {
  /** One start per machine at a time: concurrent requests to a sleeping app share the wake-up. */
  private readonly starting = new Map<string, Promise<number>>();

  constructor(private readonly options: FlyApiBackendOptions) {}

  private baseUrl(): string {
    const url = this.options.apiUrl;
    return (typeof url === "function" ? url() : url).replace(/\/+$/, "");
  }

  private client(): FlyClient {
    return new FlyClient({ baseUrl: this.baseUrl(), token: this.options.token, retry: { maxAttempts: 2 } });
  }

  /** Lists apps through the sandbox control endpoint: the Machines API has no org-wide app list. */
  async apps(): Promise<string[]> {
    const res = await fetch(`${this.baseUrl()}/__sandbox/state`, { headers: { authorization: `Bearer ${this.options.token}` } });
    if (!res.ok) throw new Error(`sandbox proxy: GET /__sandbox/state answered ${res.status}; is the local Fly API running with this token?`);
    const parsed = stateSchema.safeParse(await res.json());
    if (!parsed.success) throw new Error(`sandbox proxy: /__sandbox/state has no apps list (${parsed.error.issues[0]?.message ?? "invalid"})`);
    return parsed.data.apps;
  }

  async ipTypes(app: string): Promise<string[]> {
    return (await this.client().ips.list(app)).map((ip) => ip.type);
  }

  async machines(app: string): Promise<ProxyMachine[]> {
    const machines = await this.client().machines.list(app);
    return machines.map((m) => toProxyMachine(m, this.options.runtime.portOf(m.id)));
  }

  start(app: string, id: string): Promise<number> {
    const pending = this.starting.get(id);
    if (pending) return pending;
    const started = this.wake(app, id).finally(() => this.starting.delete(id));
    this.starting.set(id, started);
    return started;
  }

  private async wake(app: string, id: string): Promise<number> {
    const timeoutMs = this.options.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    const fly = this.client();
    try {
      await fly.machines.start(app, id);
    } catch (error) {
      // Already starting or started (someone else woke it): wait for it like any other start.
      const state = (await fly.machines.get(app, id).catch(() => undefined))?.state;
      if (!isFlyConflict(error) && state !== "started" && state !== "starting") throw error;
    }
    await fly.machines.waitForState(app, id, { state: "started", timeoutMs, perCallSeconds: Math.ceil(timeoutMs / 1000) });
    let port = this.options.runtime.portOf(id);
    while (port === undefined) {
      if (Date.now() > deadline) {
        throw new Error(`sandbox proxy: ${app}/${id} is started in the Fly API but no local process runs it; its image must be textslash-relay or textslash-vm`);
      }
      await new Promise((r) => setTimeout(r, 50));
      port = this.options.runtime.portOf(id);
    }
    await this.options.runtime.waitHealthy(id, Math.max(1_000, deadline - Date.now()));
    return port;
  }

  async stop(app: string, id: string, mode: "stop" | "suspend"): Promise<void> {
    const fly = this.client();
    if (mode === "suspend") await fly.machines.suspend(app, id);
    else await fly.machines.stop(app, id);
    await fly.machines.waitForState(app, id, { state: mode === "suspend" ? "suspended" : "stopped", timeoutMs: 60_000 });
  }
}

/** The proxy's view of a machine as the API returns it (see machine-view.ts); routed to only when the API says started. */
export function toProxyMachine(machine: FlyMachine, port: number | undefined): ProxyMachine {
  const expected = Object.keys(machine.config.checks ?? {});
  const healthy = expected.every((name) => machine.checks.find((c) => c.name === name)?.status === "passing");
  return { id: machine.id, state: machine.state, port: machine.state === "started" ? port : undefined, ...machineViewOf(machine.config), healthy };
}
